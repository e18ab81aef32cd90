#!/usr/bin/env bash
# How scoring grows: cold scoring time, cached re-score time and peak memory against the number of tracks and against
# track length, on synthetic copies of one real track (`tunescore bench score` on each set, JSON lines out).
# Usage: scripts/score-growth.sh MODEL TRACK [WORK]
#   MODEL  a trained taste model (folder or name)
#   TRACK  any audio file of a minute or more; ffmpeg loops and cuts it to 1, 4 and 20 minutes (Ogg Vorbis)
#   WORK   scratch folder (default score-growth/); COUNTS (default "100 1000 10000") of 1-minute tracks,
#          SHORT_COUNTS (default "1000 10000") of 5-second tracks (the per-track costs alone) and LENGTH_COPIES (default 20)
#   TUNESCORE the binary (default .build/release/tunescore)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
model=${1:?usage: score-growth.sh MODEL TRACK [WORK]}
track=${2:?usage: score-growth.sh MODEL TRACK [WORK]}
work=${3:-score-growth}
bin=${TUNESCORE:-$here/.build/release/tunescore}
counts=${COUNTS:-100 1000 10000}
short_counts=${SHORT_COUNTS:-1000 10000}
copies=${LENGTH_COPIES:-20}
command -v ffmpeg >/dev/null || { echo "score-growth: needs ffmpeg (apt-get install ffmpeg)" >&2; exit 2; }
mkdir -p "$work/sources"

# make_clip SECONDS NAME: the track looped (or cut) to that length, once.
make_clip() {
  local out="$work/sources/$2.ogg"
  [ -s "$out" ] || ffmpeg -v error -y -stream_loop -1 -i "$track" -t "$1" -vn -ac 2 -ar 44100 -c:a libvorbis -q:a 4 "$out"
  echo "$out"
}

# make_length MINUTES: the track looped to that length, once.
make_length() { make_clip $(( $1 * 60 )) "$1min"; }

# fill FOLDER SOURCE N: N copies of SOURCE (copies, not links: the scanner reads one file per inode once).
fill() {
  rm -rf "$1"; mkdir -p "$1"
  for i in $(seq 1 "$3"); do cp "$2" "$1/copy-$i.ogg"; done
}

# measure LABEL FOLDER: one bench score run, as a JSON line tagged with LABEL.
measure() {
  local json
  json=$("$bin" bench score "$2" --model "$model" --json)
  echo "{\"set\":\"$1\",\"result\":$json}"
}

for minutes in 1 4 20; do
  source=$(make_length "$minutes")
  fill "$work/length-$minutes" "$source" "$copies"
  measure "${copies} tracks of ${minutes} min" "$work/length-$minutes"
  rm -rf "$work/length-$minutes"
done
one=$(make_length 1)
for n in $counts; do
  fill "$work/count-$n" "$one" "$n"
  measure "$n tracks of 1 min" "$work/count-$n"
  rm -rf "$work/count-$n"
done
clip=$(make_clip 5 5s)
for n in $short_counts; do
  fill "$work/short-$n" "$clip" "$n"
  measure "$n tracks of 5 s" "$work/short-$n"
  rm -rf "$work/short-$n"
done
