#!/usr/bin/env bash
# Runs of issue 12's intel-scenes-128 grid and issue 13's recipe probes on a lent GPU machine (the `device` tool),
# several processes sharing one GPU. The data set travels in two halves (the tool carries 64 MiB a call):
#   .gpu/a/train/{buildings,forest,glacier}   carried by a first call that copies it to /tmp/gpu_a (a carried folder
#                                             does not survive to the next call; /tmp on the warm machine does)
#   .gpu/b/train/{mountain,sea,street}, .gpu/b/test   carried by the second call, which runs this script.
# Used in session 18: `P=7 BUDGET_S=545 bash bench/gpu_grid.sh` (13 runs in 488 s on one H200); session 19:
# `P=8 BUDGET_S=555 JOBS=bench/gpu_jobs_13.txt bash bench/gpu_grid.sh` (8 of 12 runs finished: 46 epochs take 390-430 s).
# Every job is `bench/grid.py` with its own CSV; rows come back merged in $OUT/grid.csv and $OUT/recipe.csv.
# Jobs still running at the deadline (BUDGET_S after the start) are stopped and give no row.
set -u
T0=$(date +%s); BUDGET_S=${BUDGET_S:-540}; P=${P:-6}; OUT=${OUT:-/tmp/gpu-out}; EPOCH=${EPOCH:-30}
export PYTHONUNBUFFERED=1 ATTENTION_NB_CACHE=/tmp/anb ATTENTION_NB_DATA=/tmp/data OMP_NUM_THREADS=2 MPLBACKEND=Agg
D=/tmp/data/intel-scenes-128; mkdir -p $D/train /tmp/rows /tmp/logs "$OUT"
[ -d .gpu/a ] && cp -r .gpu/a /tmp/gpu_a; for c in /tmp/gpu_a/train/* "$PWD"/.gpu/b/train/*; do ln -sfn "$c" $D/train/; done
ln -sfn "$PWD/.gpu/b/test" $D/test
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
python3 -c "import torch, torchvision; print('torch', torch.__version__, 'torchvision', torchvision.__version__)"
python3 -c "from attention_nb.data import load_data; print(load_data('$D', 64, progress=False))" || exit 1
echo "decoded in $(( $(date +%s) - T0 )) s"
job() {   # NAME CSV ARGS...: one grid.py run, cut at the deadline
  local name=$1 csv=$2; shift 2
  local left=$(( T0 + BUDGET_S - $(date +%s) ))
  [ $left -gt 30 ] || { echo "$name: skipped (deadline)"; return; }
  local t=$(date +%s)
  timeout $left python3 bench/grid.py --data intel-scenes-128 --epoch $EPOCH --csv /tmp/rows/$csv-$name.csv "$@" \
    > /tmp/logs/$name.log 2>&1 && echo "$name: done in $(( $(date +%s) - t )) s" || echo "$name: stopped or failed ($(tail -1 /tmp/logs/$name.log))"
}
export -f job; export T0 BUDGET_S EPOCH
[ -n "${JOBS:-}" ] && cp "$JOBS" /tmp/jobs || cat > /tmp/jobs <<'J'
channel-0 grid --variants channel --seeds 0
none-1 grid --variants none --seeds 1
spatial-1 grid --variants spatial-sigmoid --seeds 1
channel-1 grid --variants channel --seeds 1
none-2 grid --variants none --seeds 2
spatial-2 grid --variants spatial-sigmoid --seeds 2
channel-2 grid --variants channel --seeds 2
cutmix-1 recipe --variants spatial-sigmoid --seeds 1 --flags mix=cutmix
mixup-1 recipe --variants spatial-sigmoid --seeds 1 --flags mix=mixup
cutmix-2 recipe --variants spatial-sigmoid --seeds 2 --flags mix=cutmix
mixup-2 recipe --variants spatial-sigmoid --seeds 2 --flags mix=mixup
spatial-0 recipe --variants spatial-sigmoid --seeds 0
none-0 recipe --variants none --seeds 0
J
xargs -P $P -L 1 bash -c 'job "$@"' _ < /tmp/jobs
python3 - "$OUT" <<'PY'
import csv, glob, sys
from attention_nb.train import write_csv
for kind in ('grid', 'recipe'):
    rows = [r for f in sorted(glob.glob(f'/tmp/rows/{kind}-*.csv')) for r in csv.DictReader(open(f))]
    if not rows: continue
    write_csv(rows, f'{sys.argv[1]}/{kind}.csv', list(dict.fromkeys(k for r in rows for k in r)))
    print(kind, len(rows), 'rows')
PY
for f in /tmp/logs/*.log; do echo "== $f"; grep -v "^  " "$f" | tail -4; done > "$OUT/log.txt"
(cd /tmp/anb/runs && tar czf "$OUT/runs.tgz" --exclude='*.pth' --exclude='*.png' .) 2>/dev/null
echo "all done in $(( $(date +%s) - T0 )) s"
