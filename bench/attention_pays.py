"""When does attention pay? The sweep and the ablation of issue 21, and the default-gate candidates.

Every run trains with the command line's recipe (AdamW one-cycle, label smoothing, weight average, bf16 where the CPU
has it) through `fit`, then scores the held-out test split once with the checkpoint validation chose, and the maps of
the attention layer on the test images' object masks. Rows are merged into the CSV after every run, so an interrupted
sweep continues where it stopped (a row already in the CSV is not trained again).

    .venv/bin/python bench/attention_pays.py sweep      # none/spatial/cbam/ltpa x mark (fixed, odd) x 5 seeds
    .venv/bin/python bench/attention_pays.py ablation   # ltpa's parts switched off in turn, mark=odd, 5 seeds
    .venv/bin/python bench/attention_pays.py default    # default-gate candidates: mini accuracy and hard-set masks
    .venv/bin/python bench/attention_pays.py cells      # pointing at the 8×8 map's own resolution (spatial's rows)
    .venv/bin/python bench/attention_pays.py sweep --seeds 0 --designs none ltpa   # a subset
    .venv/bin/python bench/attention_pays.py sweep --marks odd --epochs 60 --designs none spatial   # twice the schedule
    .venv/bin/python bench/attention_pays.py sweep --marks odd --n_train 1000 --designs none spatial   # more data
"""
import argparse, csv, fcntl, json, sys, time
from pathlib import Path
import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from attention_nb.data import load_data, load_split, cache_dir, shared_data
from attention_nb.synth import make_demo_data
from attention_nb.train import write_csv
from attention_nb.visualize import Explainer
from attention_nb.metrics import localisation, load_masks
sys.path.insert(0, str(ROOT/'bench'))
from harness import PAYS_DESIGNS, PAYS_TASK, pays_run, train_once

PAYS_CSV = ROOT/'attention_nb'/'tables'/'when_attention_pays.csv'
DEFAULT_CSV = ROOT/'bench'/'default-gate.csv'

DESIGNS = dict(PAYS_DESIGNS,   # the sweep's designs (bench/harness.py), and the default-gate candidates:
               **{'spatial-sigmoid': dict(attention='spatial', gate='sigmoid'),
                  'spatial-softmax': dict(attention='spatial', gate='softmax'),
                  'spatial-sigmoid-v0': dict(attention='spatial', gate='sigmoid', init='v_normal')})   # v ~ N(0, 0.05²)
ABLATION = ['ltpa, additive score', 'ltpa, sigmoid gate', 'ltpa, mean pooling', 'ltpa, final stage only',
            'spatial, sigmoid gate']   # with 'ltpa' and 'spatial' from the sweep


def init_v_normal(model, std=0.05):
    "The original tutorial's initialisation of the score vector v: N(0, std²), so the sigmoid mask can close."
    with torch.no_grad(): model.attention.v.normal_(0, std)


def train_run(folder, design:str, seed:int, epochs:int, tag:str, masks_for_test=True) -> dict:
    "Train one run (or reuse its finished folder) and score it: test accuracy, and the maps' localisation."
    flags = dict(DESIGNS[design]); init = flags.pop('init', None)
    out = cache_dir()/'runs'/'pays'/f"{tag}-{design.replace(', ', '-').replace(' ', '_')}-seed{seed}-e{epochs}"
    t0 = time.monotonic()
    train_once(folder, flags, seed, epochs, out, init=init_v_normal if init == 'v_normal' else None)
    splits = load_data(folder, 64, seed=seed, progress=False)
    return dict(design=design, seed=seed, **score_run(out, splits, flags, masks_for_test, t0))


def score_run(out:Path, splits, flags:dict, masks_for_test=True, t0=None) -> dict:
    "A finished run's CSV row: test accuracy (from its single test), and its maps' localisation on the test masks."
    t0 = t0 or time.monotonic()
    tm = json.loads((out/'test_metrics.json').read_text())
    hist = list(csv.DictReader(open(out/'metrics.csv')))
    row = dict(epochs=len(hist), test_acc=round(tm['test_acc'], 4),
               val_acc=round(tm['val_acc'], 4), best_epoch=tm['best_epoch'],
               img_per_s=round(float(np.median([float(r['img_per_s']) for r in hist])), 1))
    if masks_for_test:
        ex = Explainer.from_checkpoint(out, mask_how='mean')
        loc = localisation(ex, splits.test.x, load_masks(splits.test.files, 64))
        m = loc.get('attention mask', {})
        flat = flags['attention'] in ('none', 'channel', 'se')   # no spatial mask: nothing to score
        row.update(pointing=float('nan') if flat else round(m['pointing'], 4),
                   energy=float('nan') if flat else round(m['energy'], 4),
                   stage_pointing=round(loc['stage-3 mask']['pointing'], 4) if 'stage-3 mask' in loc else float('nan'),
                   stage_energy=round(loc['stage-3 mask']['energy'], 4) if 'stage-3 mask' in loc else float('nan'),
                   gradcam_pointing=round(loc['Grad-CAM']['pointing'], 4), gradcam_energy=round(loc['Grad-CAM']['energy'], 4),
                   chance=round(float(load_masks(splits.test.files, 64).mean()), 4))
    row['seconds'] = round(time.monotonic() - t0)
    return row


def merge(rows_path:Path, row:dict, key:tuple):
    "Put `row` into the CSV at `rows_path`, replacing the row with the same `key` columns."
    with open(rows_path.with_suffix('.lock'), 'w') as lock:   # two sweeps may share the file
        fcntl.flock(lock, fcntl.LOCK_EX)
        old = list(csv.DictReader(open(rows_path))) if rows_path.exists() else []
        k = lambda r: tuple(str(r[c]) for c in key)
        rows = [r for r in old if k(r) != k(row)] + [row]
        write_csv(rows, rows_path, fields=list(dict.fromkeys(c for r in rows for c in r)))


def done(rows_path:Path, **want) -> bool:
    if not rows_path.exists(): return False
    return any(all(str(r.get(c)) == str(v) for c, v in want.items()) for r in csv.DictReader(open(rows_path)))


def sweep(designs, marks, seeds, log=print, epochs=None, n_train=None):
    """The sweep along the mark knob. With `epochs` or `n_train` (training images per class) other than the task's
    (30, 300), the odd task along that knob instead, everything else as in the task."""
    t = PAYS_TASK
    epochs, n_train = epochs or t['epochs'], n_train or t['n_train']
    if epochs != t['epochs'] and n_train != t['n_train']: raise SystemExit('--epochs and --n_train: vary one knob at a time')
    knob = 'epochs' if epochs != t['epochs'] else 'n_train' if n_train != t['n_train'] else 'mark'
    for seed in seeds:
        for mark in marks:
            folder = make_demo_data(n_train=n_train, n_test=t['n_test'], seed=0, oddball=dict(mark=mark))
            for design in designs:
                value = dict(mark=mark, epochs=epochs, n_train=n_train)[knob]
                key = dict(task='oddball', knob=knob, value=value, attention=design, seed=seed)
                if done(PAYS_CSV, **key): continue
                t0 = time.monotonic()
                out = pays_run(design, seed, mark, n_train=n_train, epochs=epochs)
                row = score_run(out, load_data(folder, 64, seed=seed, progress=False), DESIGNS[design], t0=t0)
                row = dict(key, n_train=n_train, **{k: v for k, v in row.items() if k not in ('design', 'seed')})
                merge(PAYS_CSV, row, ('task', 'knob', 'value', 'attention', 'seed'))
                log(f"{knob} {value} {design:24} seed {seed}: test {row['test_acc']:.3f} (val {row['val_acc']:.3f}), "
                    f"mask pointing {row['pointing']}, energy {row['energy']}, {row['seconds']} s")


def cell_pointing(out:Path, test, obj:torch.Tensor) -> tuple[float, float]:
    """The pointing game at the map's own resolution: the share of test images where the mask's peak cell (channel
    mean, 8×8 at 64 px) touches the deciding object, and that share for a cell drawn at random (chance)."""
    ex = Explainer.from_checkpoint(out, gradcam=False)
    with torch.no_grad():
        m = torch.cat([ex.model.explain(ex.normalize(test.x[i:i + 100]))['mask'].float().mean(1)
                       for i in range(0, len(test.x), 100)])                      # (N, h, w)
    cells = torch.nn.functional.adaptive_max_pool2d(obj[:, None], m.shape[-2:])[:, 0].flatten(1)   # cell touches it
    hit = cells[torch.arange(len(m)), m.flatten(1).argmax(1)]
    return round(hit.mean().item(), 4), round(cells.mean().item(), 4)


def add_cells(designs, log=print):
    "Add `cell_pointing` and `cell_chance` to the odd task's rows of `designs` that lack them (evaluation only)."
    tests = {}   # training images per class -> (test split, object masks): the test split is the same for every seed
    for r in list(csv.DictReader(open(PAYS_CSV))):
        if r['value'] == 'fixed' or r['attention'] not in designs or r.get('cell_pointing') not in (None, ''): continue
        n, epochs = int(r['n_train']), int(r['epochs'])
        if n not in tests:
            folder = make_demo_data(n_train=n, n_test=PAYS_TASK['n_test'], seed=0, oddball=dict(mark='odd'))
            test = load_split(folder, 'test', 64, progress=False)
            tests[n] = test, torch.as_tensor(np.asarray(load_masks(test.files, 64)), dtype=torch.float32)
        run = pays_run(r['attention'], int(r['seed']), 'odd', n_train=n, epochs=epochs)   # finished: no training
        r['cell_pointing'], r['cell_chance'] = cell_pointing(run, *tests[n])
        merge(PAYS_CSV, r, ('task', 'knob', 'value', 'attention', 'seed'))
        log(f"{r['knob']} {r['value']} {r['attention']} seed {r['seed']}: peak cell on the object {r['cell_pointing']}"
            f" (chance {r['cell_chance']})")


def default_candidates(designs, seeds, log=print):
    "Mini accuracy (15 epochs, as the chapter-06 grid) and hard-set masks (seed 0, 15 epochs) of each candidate."
    mini = shared_data('intel-scenes-mini')
    hard = make_demo_data(n_train=400, n_test=100, hard=True)
    for design in designs:
        if not done(DEFAULT_CSV, dataset='demo-hard', design=design, seed=0):
            row = dict(dataset='demo-hard', **train_run(hard, design, 0, 15, 'hard'))
            merge(DEFAULT_CSV, row, ('dataset', 'design', 'seed'))
            log(f"hard {design}: test {row['test_acc']}, pointing {row['pointing']}, energy {row['energy']} (chance {row['chance']})")
        for seed in seeds if mini is not None else []:
            if done(DEFAULT_CSV, dataset='intel-scenes-mini', design=design, seed=seed): continue
            row = dict(dataset='intel-scenes-mini', **train_run(mini, design, seed, 15, 'mini', masks_for_test=False))
            merge(DEFAULT_CSV, row, ('dataset', 'design', 'seed'))
            log(f"mini {design} seed {seed}: test {row['test_acc']}")


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('plan', choices=('sweep', 'ablation', 'default', 'cells'))
    p.add_argument('--seeds', type=int, nargs='*', default=[0, 1, 2, 3, 4])
    p.add_argument('--designs', nargs='+', default=None)
    p.add_argument('--marks', nargs='+', default=['fixed', 'odd'])
    p.add_argument('--epochs', type=int, default=None, help='sweep: a longer schedule on the odd task (knob "epochs")')
    p.add_argument('--n_train', type=int, default=None, help='sweep: training images per class on the odd task (knob "n_train")')
    p.add_argument('--threads', type=int, default=None, help='torch threads (two sweeps side by side: 1 each)')
    a = p.parse_args()
    if a.threads: torch.set_num_threads(a.threads)
    log = lambda s: print(time.strftime('%H:%M:%S'), s, flush=True)
    if a.plan == 'sweep': sweep(a.designs or ['none', 'spatial', 'cbam', 'ltpa'], a.marks, a.seeds, log, a.epochs, a.n_train)
    elif a.plan == 'ablation': sweep(a.designs or ABLATION, ['odd'], a.seeds, log)
    elif a.plan == 'cells': add_cells(a.designs or ['spatial'], log)
    else: default_candidates(a.designs or ['spatial-sigmoid-v0'], a.seeds, log)
