#!/usr/bin/env python
"""The training-accuracy target (issue 3): train the default model from scratch on ../shared/data/intel-scenes-mini at
64 px with the command line's defaults, and print held-out test accuracy, training time and peak memory.

    .venv/bin/python bench/accuracy.py [--seed 0] [--epoch 40]

Target: at least 84% test accuracy within 10 minutes of training on this machine's CPU (2 threads).
The run goes to a temporary folder (nothing cached is reused); its metrics.csv and test_metrics.json are copied to
bench/accuracy-<seed>/ for inspection.
"""
import argparse, csv, json, os, shutil, subprocess, sys, tempfile, time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--epoch', type=int, default=None, help='default: the command line default')
    args = p.parse_args()
    from attention_nb.data import shared_data
    data = shared_data('intel-scenes-mini')
    if data is None: sys.exit('bench/accuracy.py: ../shared/data/intel-scenes-mini not found; this benchmark needs it')
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp)/'run'
        cmd = [sys.executable, str(HERE.parent/'train_script.py'), '--data_folder', str(data), '--img_size', '64',
               '--seed', str(args.seed), '--model_save_path', str(run)] + (['--epoch', str(args.epoch)] if args.epoch else [])
        env = dict(os.environ, ATTENTION_NB_CACHE=str(Path(tmp)/'cache'))   # decode from scratch too
        print('$', ' '.join(cmd))
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env)
        _, status, ru = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        if os.waitstatus_to_exitcode(status) != 0: sys.exit('training failed')
        hist = list(csv.DictReader(open(run/'metrics.csv')))
        tm = json.loads((run/'test_metrics.json').read_text())
        keep = HERE/f'accuracy-{args.seed}'; keep.mkdir(exist_ok=True)
        for f in ('metrics.csv', 'test_metrics.json'): shutil.copy(run/f, keep/f)
    train_s = sum(float(r['seconds']) for r in hist)
    ips = sorted(float(r['img_per_s']) for r in hist)[len(hist) // 2]
    print(f"\nintel-scenes-mini, 64 px, default model, {len(hist)} epochs, seed {args.seed}, {os.cpu_count()} cores")
    print(f"test accuracy      {tm['test_acc']:.1%} on {tm['n_test']} held-out images (best epoch {tm['best_epoch']} by validation {tm['val_acc']:.1%})")
    print(f"training time      {train_s:.0f} s in epochs (train + validation), {wall:.0f} s wall including decoding and the test")
    print(f"training images/s  {ips:.0f} (median over epochs)")
    print(f"peak RSS           {ru.ru_maxrss / 1024:.0f} MB")
    ok = tm['test_acc'] >= 0.84 and wall <= 600
    print(f"target (>= 84% within 10 minutes): {'met' if ok else 'NOT met'}")


if __name__ == '__main__':
    main()
