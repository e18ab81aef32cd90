#!/usr/bin/env bash
# The demo: the whole tunescore loop on real music.
#   1. fetch freely licensed game soundtracks in three styles (scripts/fetch-demo-music.sh)
#   2. hold out every fourth orchestral track; the other orchestral tracks are the music you "like"
#   3. fit a taste model to them (descriptors of every liked track in tunescore's built-in space: seconds)
#   4. score the "new downloads": the held-out orchestral tracks plus every rock/metal and electronic track
#   5. export the ranking as demo.m3u8, write report.html, and print how well orchestral ranked first (AUROC)
# Everything lives in DEMO_DIR (the library database, the audio cache, the model), nothing in your home folder.
set -euo pipefail
bin=${1:?usage: demo.sh TUNESCORE_BINARY DEMO_DIR}
dir=${2:?usage: demo.sh TUNESCORE_BINARY DEMO_DIR}
here=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
step() { echo; echo "== demo: $*"; }
common=(--db "$dir/library.sqlite")

step "1/5 fetching the demo music into $dir/music (Debian's game-music packages; skipped when already there)"
"$here/scripts/fetch-demo-music.sh" "$dir/music"

step "2/5 splitting: 3 of every 4 orchestral tracks are 'liked', the rest join the other styles as 'new downloads'"
rm -rf "$dir/liked" "$dir/new"
mkdir -p "$dir/liked" "$dir/new/orchestral" "$dir/new/rock_metal" "$dir/new/electronic"
i=0
while IFS= read -r f; do
  if [ $((i % 4)) -eq 3 ]; then ln -s "$f" "$dir/new/orchestral/"; else ln -s "$f" "$dir/liked/"; fi
  i=$((i + 1))
done < <(find "$dir/music/orchestral" -type f | LC_ALL=C sort)
for style in rock_metal electronic; do find "$dir/music/$style" -type f -exec ln -s {} "$dir/new/$style/" \; ; done
echo "liked: $(ls "$dir/liked" | wc -l) tracks; new: $(find "$dir/new" -type l | wc -l) tracks"

step "3/5 fitting a taste model to the liked tracks (Configs/custom.json: each track described once, no network to train)"
"$bin" train --liked "$dir/liked" --name "$dir/model" --cache "$dir/pcm" "${common[@]}"

step "4/5 scoring the new downloads; the ten that fit best:"
"$bin" score "$dir/new" --model "$dir/model" --top 10 "${common[@]}"

step "5/5 playlist, report and how well the held-out orchestral tracks ranked (AUROC, and how many of the ten best fits are orchestral)"
"$bin" export --out "$dir/demo.m3u8" --model "$dir/model" "${common[@]}"
"$bin" report --out "$dir/report.html" --model "$dir/model" --expected "$dir/new/orchestral" "${common[@]}"
echo
echo "demo: playlist $dir/demo.m3u8, report $dir/report.html (open it in a browser)"
