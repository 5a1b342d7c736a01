"""Does re-planning from the measured epochs use the time budget? A run whose first speed measurement is pessimistic
(as once seen on a noisy machine: 60 img/s measured, 69-75 run), with and without re-planning, on intel-scenes-mini.

    .venv/bin/python bench/replan.py [--budget 2] [--factor 0.6]

Prints, per run, the epochs planned and trained, and the share of the budget used.
"""
import argparse, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import attention_nb.cli as cli
from attention_nb.data import shared_data

p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
p.add_argument('--budget', type=float, default=2., help='minutes per run')
p.add_argument('--factor', type=float, default=0.6, help='the first measurement as a share of the true speed')
a = p.parse_args()
data = shared_data('intel-scenes-mini')
if data is None: sys.exit('bench/replan.py: needs ../shared/data/intel-scenes-mini')
measure, fit = cli.measure_speed, cli.fit
cli.measure_speed = lambda *args, **kw: tuple(a.factor * v for v in measure(*args, **kw))   # a pessimistic first look
for replan in (False, True):
    cli.fit = fit if replan else (lambda *args, budget=None, **kw: fit(*args, **kw))           # without: the first plan holds
    lines = []
    def log(s): lines.append(s); print(f"  {s}" if s.startswith(('time budget', 'test accuracy')) else '', end='\n' if s.startswith(('time budget', 'test accuracy')) else '', flush=True)
    print(f"re-planning {'on' if replan else 'off'}, first measurement × {a.factor}:")
    t0 = time.monotonic()
    args = cli.train_parser().parse_args(['--data_folder', str(data), '--time_budget', str(a.budget),
                                          '--model_save_path', tempfile.mkdtemp()])
    r = cli.run_training(args, log=log)
    print(f"  wall {time.monotonic() - t0:.0f} s of {60 * a.budget:.0f}: {len(r['history'])} epochs")
