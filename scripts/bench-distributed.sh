#!/usr/bin/env bash
# Data-parallel training speed on one machine, in one run: `bench cifar10` as one process with 2 threads against
# `--nproc 2` ranks with 1 thread each (the same per-rank batch, so twice the global batch, and half the per-rank
# batch, so the same global batch), ROUNDS times in turn so the machine's drift hits all of them alike.
#
#   scripts/bench-distributed.sh CIFAR_DIR [EPOCHS] [ROUNDS]
#
# Prints one line per run (training items/s of the whole group, the all-reduce seconds of the model's size) and the
# mean ratios. BIN overrides the binary (default .build/release/tunescore); extra --set options go in SETS.
set -euo pipefail
data=${1:?usage: scripts/bench-distributed.sh CIFAR_DIR [EPOCHS] [ROUNDS]}
epochs=${2:-1}
rounds=${3:-2}
bin=${BIN:-.build/release/tunescore}
config=${CONFIG:-Configs/cifar10-quick.json}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export OMP_WAIT_POLICY=PASSIVE

field() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); v=d.get(sys.argv[2]); print('null' if v is None else v)" "$1" "$2"; }

run() {  # name threads batch nproc
    local name=$1 threads=$2 batch=$3 nproc=$4
    local slug=${name//[^a-z0-9]/_}
    local file=$out/$slug-$r.json
    local extra=()
    [ "$nproc" -gt 1 ] && extra=(--nproc "$nproc")
    TUNESCORE_THREADS=$threads "$bin" bench cifar10 --data "$data" --config "$config" --epochs "$epochs" --json \
        --set batchsize="$batch" --set log_dir="$out/log-$slug" ${SETS:-} "${extra[@]}" > "$file" 2> "$out/$slug-$r.err" \
        || { echo "$name failed:"; tail -5 "$out/$slug-$r.err"; exit 1; }
    printf '%-28s round %d: %7.1f items/s, world %s, %s parameters, all-reduce %s s\n' "$name" "$r" \
        "$(field "$file" trainingItemsPerSecond)" "$(field "$file" worldSize)" "$(field "$file" parameters)" "$(field "$file" allReduceSeconds)"
    echo "$(field "$file" trainingItemsPerSecond)" >> "$out/$slug.rates"
}

batch=$(python3 -c "import json; print(json.load(open('$config')).get('batchsize', 32))")
for r in $(seq 1 "$rounds"); do
    run "1 process x 2 threads" 2 "$batch" 1
    run "2 ranks x 1 thread, b/rank" 1 "$batch" 2
    run "2 ranks x 1 thread, b/2/rank" 1 $((batch / 2)) 2
done
mean() { python3 -c "import sys; v=[float(x) for x in open(sys.argv[1])]; print(sum(v)/len(v))" "$1"; }
slug() { local n=$1; echo "${n//[^a-z0-9]/_}"; }
one=$(mean "$out/$(slug "1 process x 2 threads").rates")
for name in "2 ranks x 1 thread, b/rank" "2 ranks x 1 thread, b/2/rank"; do
    two=$(mean "$out/$(slug "$name").rates")
    python3 -c "import sys; print(f'{sys.argv[1]}: {float(sys.argv[2]):.1f} items/s against {float(sys.argv[3]):.1f}: ratio {float(sys.argv[2])/float(sys.argv[3]):.2f}')" "$name" "$two" "$one"
done
