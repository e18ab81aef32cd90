#!/usr/bin/env bash
# tunescore against the peer (a pretrained musicnn embedding with four one-class scorers) on the same splits, side by
# side: every style of DIR in turn as the liked music, SPLITS seeded splits each. tunescore runs first
# (`bench genres --liked all`); the peer then fits on exactly the tracks each tunescore run learned from (trainFiles)
# and is tested on the same held-out liked tracks and the same other styles.
# Usage: scripts/bench-vs-peer.sh DIR [SPLITS] [tunescore options, e.g. --set seed=213]
#   DIR      a folder with one sub-folder per style
#   OUT      where results go (default bench-vs-peer/): tunescore.json, peer/*.json, summary.json
#   PEER     the peer's folder (default: ../shared/peer beside this repository); set up once with its setup.sh
#   TUNESCORE the binary (default .build/release/tunescore)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
data=${1:?usage: bench-vs-peer.sh DIR [SPLITS] [tunescore options]}
splits=${2:-3}
shift $(( $# >= 2 ? 2 : 1 ))
out=${OUT:-bench-vs-peer}
peer=${PEER:-$here/../shared/peer}
bin=${TUNESCORE:-$here/.build/release/tunescore}
[ -x "$peer/run.sh" ] || { echo "bench-vs-peer: no peer at $peer (set PEER)" >&2; exit 2; }
[ -x "$bin" ] || { echo "bench-vs-peer: no tunescore binary at $bin (make build, or set TUNESCORE)" >&2; exit 2; }
mkdir -p "$out/peer"
echo "bench-vs-peer: tunescore bench genres --liked all --splits $splits $*" >&2
"$bin" bench genres --data "$data" --liked all --splits "$splits" --json --set log_dir="$out/tunescore" "$@" > "$out/tunescore.json"
python3 "$here/scripts/bench_vs_peer.py" "$out/tunescore.json" "$data" "$out" "$peer"
