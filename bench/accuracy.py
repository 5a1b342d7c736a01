#!/usr/bin/env python
"""Accuracy targets: train the default model from scratch with the command line's defaults (no --epoch: the epochs
are planned from the 20-minute --time_budget) and print held-out test accuracy, wall time, images/s and peak memory.

    .venv/bin/python bench/accuracy.py --data intel-scenes-128     # the full Intel train split: >= 92 % in <= 20 min
    .venv/bin/python bench/accuracy.py                             # intel-scenes-mini: >= 86 %
    .venv/bin/python bench/accuracy.py --epoch 40 --seed 1         # any other flags go to the training command

Wall time runs from the command's start to its last line, decoding and the final test included; decoding starts from
an empty cache. Peak memory is the training process's peak resident set. The run folder is kept under
bench/accuracy-<data>-<seed>[-<extra flags>]/ (metrics.csv, test_metrics.json, the checkpoint).
"""
import argparse, csv, json, os, shutil, subprocess, sys, tempfile, time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
TARGETS = {'intel-scenes-128': (0.92, 20 * 60), 'intel-scenes-mini': (0.86, 20 * 60)}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--data', default='intel-scenes-mini', choices=sorted(TARGETS))
    p.add_argument('--seed', type=int, default=0)
    args, extra = p.parse_known_args()
    from attention_nb.data import shared_data
    data = shared_data(args.data)
    if data is None: sys.exit(f'bench/accuracy.py: ../shared/data/{args.data} not found; this benchmark needs it')
    keep = HERE/'-'.join([f'accuracy-{args.data}-{args.seed}'] + [a.lstrip('-') for a in extra])
    shutil.rmtree(keep, ignore_errors=True)
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, str(HERE.parent/'train_script.py'), '--data_folder', str(data), '--seed', str(args.seed),
               '--model_save_path', str(keep)] + extra
        env = dict(os.environ, ATTENTION_NB_CACHE=str(Path(tmp)/'cache'))   # decode from scratch too
        print('$', ' '.join(cmd), flush=True)
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env)
        _, status, ru = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0: sys.exit('training failed')
    hist = list(csv.DictReader(open(keep/'metrics.csv')))
    tm = json.loads((keep/'test_metrics.json').read_text())
    train_s = sum(float(r['seconds']) for r in hist)
    ips = sorted(float(r['img_per_s']) for r in hist)[len(hist) // 2]
    acc_goal, wall_goal = TARGETS[args.data]
    recipe = 'default model and recipe' + (f" with {' '.join(extra)}" if extra else '')
    print(f"\n{args.data}, 64 px, {recipe}, {len(hist)} epochs, seed {args.seed}, {os.cpu_count()} cores")
    print(f"test accuracy      {tm['test_acc']:.1%} on {tm['n_test']} held-out images (best epoch {tm['best_epoch']} by validation {tm['val_acc']:.1%}{', flip TTA' if tm.get('tta') else ''})")
    print(f"wall time          {wall:.0f} s from the command's start to its last line ({train_s:.0f} s in epochs)")
    print(f"training images/s  {ips:.0f} (median over epochs)")
    print(f"peak memory        {ru.ru_maxrss / 1024:.0f} MB (resident set of the training process)")
    ok = tm['test_acc'] >= acc_goal and wall <= wall_goal and ru.ru_maxrss / 1024 < 2048
    print(f"target (>= {acc_goal:.0%} within {wall_goal // 60} minutes, < 2 GB): {'met' if ok else 'NOT met'}")


if __name__ == '__main__':
    main()
