#!/usr/bin/env bash
# Training speed on a busy machine, as a ratio, in one command: `bench genres` alone, beside two nice-19 busy loops
# and beside two nice-0 busy loops (`--background`), ROUNDS times in turn so the machine's own drift hits every
# condition alike: alone, then ROUNDS x (nice19, nice0, alone). Each busy run is divided by the mean of the two alone
# runs around it.
#
#   scripts/bench-busy.sh MUSIC_DIR [ROUNDS] [LIKED]
#
# MUSIC_DIR holds one folder per style (DIR/music of the genres set); LIKED (default orchestral) is the style trained
# on. Prints one line per run (excerpts/s of the training loop, the share of it spent waiting for a batch, the loop
# against its model-only probe, the share of batches built with normal-priority help), then each condition's ratios
# and their median. BIN overrides the binary (default .build/release/tunescore), CACHE the PCM cache folder, EPOCHS
# (default 3) the epochs of each run; extra --set options go in SETS.
set -euo pipefail
data=${1:?usage: scripts/bench-busy.sh MUSIC_DIR [ROUNDS] [LIKED]}
rounds=${2:-3}
liked=${3:-orchestral}
bin=${BIN:-.build/release/tunescore}
epochs=${EPOCHS:-3}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export OMP_WAIT_POLICY=PASSIVE
cache=()
[ -n "${CACHE:-}" ] && cache=(--cache "$CACHE")

field() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); v=d.get(sys.argv[2]); print('null' if v is None else round(v, 3))" "$1" "$2"; }

run() {  # condition round
    local condition=$1 round=$2 background=()
    [ "$condition" != alone ] && background=(--background "$condition")
    local file=$out/$condition-$round.json
    "$bin" bench genres --data "$data" --liked "$liked" --set epochs="$epochs" --set taste_score=csi \
        --set log_dir="$out/log" "${cache[@]}" ${SETS:-} --json "${background[@]}" > "$file" 2> "$out/$condition-$round.err" \
        || { echo "$condition failed:"; tail -5 "$out/$condition-$round.err"; exit 1; }
    printf '%-7s round %d: %6.1f excerpts/s, wait %s, loop/probe %s, helped %s\n' "$condition" "$round" \
        "$(field "$file" trainingItemsPerSecond)" "$(field "$file" dataWaitFraction)" "$(field "$file" loopEfficiency)" \
        "$(field "$file" helpedBatchFraction)"
    echo "$round $condition $(field "$file" trainingItemsPerSecond) $(field "$file" loopEfficiency)" >> "$out/rates"
}

run alone 0
for r in $(seq 1 "$rounds"); do
    run nice19 "$r"
    run nice0 "$r"
    run alone "$r"
done

python3 - "$out/rates" <<'EOF'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
alone, busy, probe = {}, {}, []
for round_, condition, rate, loop in rows:
    if condition == "alone":
        alone[int(round_)] = float(rate)
        probe.append(float(loop))
    else:
        busy.setdefault(condition, []).append((int(round_), float(rate)))
for condition, runs in busy.items():
    ratios = [rate / statistics.mean([alone[round_ - 1], alone[round_]]) for round_, rate in runs]
    print(f"{condition}: ratio to alone {statistics.median(ratios):.2f} median "
          f"({min(ratios):.2f}-{max(ratios):.2f}; " + ", ".join(f"{r:.2f}" for r in ratios) + ")")
print(f"alone: loop/probe {statistics.median(probe):.2f} median ({min(probe):.2f}-{max(probe):.2f})")
EOF
