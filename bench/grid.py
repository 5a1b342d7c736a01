#!/usr/bin/env python
"""Issue 12's accuracy grid: every attention variant × seeds on one data set, same budget for all, each finished run
cached (`cached_run`), the CSV rewritten after every run so a cut-short grid keeps what it finished.

    .venv/bin/python bench/grid.py                                   # intel-scenes-mini, 7 variants × 5 seeds, 15 epochs
    .venv/bin/python bench/grid.py --data intel-scenes-128 --variants none spatial-sigmoid channel --seeds 0 1 2 --epoch 30
    .venv/bin/python bench/grid.py --data intel-scenes-128 --variants spatial-sigmoid --flags width=40 --csv bench/recipe.csv

`--epoch 0` uses the defaults' time-budget plan. `--flags` adds training flags to every run (a recipe probe); they
are named in the rows' variant. The rows are what "Does attention help?" (nbs/06_results) reads; the runs are `harness.grid_run`s.
"""
import argparse, sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

def main():
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from harness import GRID_VARIANTS, accuracy_grid
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--data', default='intel-scenes-mini')
    p.add_argument('--variants', nargs='+', default=list(GRID_VARIANTS))
    p.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2, 3, 4])
    p.add_argument('--epoch', type=int, default=15)
    p.add_argument('--flags', nargs='*', default=[], metavar='NAME=VALUE', help='more training flags, e.g. width=40')
    p.add_argument('--csv', default=None, help='default: attention_nb/tables/intel_accuracy.csv')
    a = p.parse_args()
    bad = [f for f in a.flags if '=' not in f]
    if bad: p.error(f"--flags {bad[0]}: write NAME=VALUE, e.g. width=40")
    extra = dict(f.split('=', 1) for f in a.flags)
    out = Path(a.csv or Path(__file__).resolve().parents[1]/'attention_nb'/'tables'/'intel_accuracy.csv')
    accuracy_grid(a.data, a.variants, a.seeds, a.epoch or None, csv_path=out, log=lambda s: print(s, flush=True),
                  extra=extra)

if __name__ == '__main__': main()
