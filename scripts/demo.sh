#!/usr/bin/env bash
# The demo: a short CIFAR-10 one-class run (airplane) that prints its AUROC.
# (The music demo replaces this once the music workflow lands.)
set -euo pipefail
bin=${1:?usage: demo.sh TUNESCORE_BINARY DEMO_DIR}
dir=${2:?usage: demo.sh TUNESCORE_BINARY DEMO_DIR}
here=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$dir"
if [ ! -f "$dir/cifar10/cifar-10-batches-bin/test_batch.bin" ]; then
  fetch="$here/../shared/data/cifar10.sh"
  if [ ! -x "$fetch" ]; then
    echo "demo: CIFAR-10 is not in $dir/cifar10 and $fetch is not here to make it." >&2
    echo "demo: put cifar-10-batches-bin into $dir/cifar10 and run make demo again." >&2
    exit 1
  fi
  echo "== demo: writing CIFAR-10 to $dir/cifar10"
  "$fetch" "$dir/cifar10"
fi
echo "== demo: training on airplane for ${DEMO_EPOCHS:-3} epochs, then scoring all 10000 test images"
"$bin" bench cifar10 --data "$dir/cifar10" --config "$here/Configs/cifar10-quick.json" \
  --epochs "${DEMO_EPOCHS:-3}" --set log_dir="$dir/runs/cifar10-airplane" --json > "$dir/cifar10-report.json"
python3 - "$dir/cifar10-report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"== demo: {r['className']} vs the other nine classes after {r['epochs']} epochs: "
      f"AUROC csi {r['aurocCSI']:.3f}, norm {r['aurocNorm']:.3f}")
print(f"   training {r['trainingSeconds']:.0f} s at {r['trainingItemsPerSecond']:.1f} items/s; checkpoint {r['checkpoint']}")
PY
