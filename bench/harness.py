"""The experiment harness behind this project's result tables: which variants a grid trains, how one run is trained
(or reused from the cache), and the odd-one-out sweep's designs and task. It lives here, outside the package: the
library ships the tables it produced (`attention_nb.checkpoint.results_table`) and the scores it used
(`attention_nb.metrics`), not the machinery that ran on this project's machines.

    import sys; sys.path.insert(0, 'bench')
    from harness import GRID_VARIANTS, grid_run, accuracy_grid, PAYS_DESIGNS, PAYS_TASK, train_once, pays_run, cached_run
"""
from __future__ import annotations
import argparse, csv, json, statistics, sys
from pathlib import Path
import torch

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path: sys.path.insert(0, str(ROOT))
from attention_nb.attention import ATTENTIONS, resolve_gate
from attention_nb.data import cache_dir, load_data, shared_data
from attention_nb.synth import make_demo_data
from attention_nb.model import AttentionCNN, model_size
from attention_nb.distributed import pick_device, pick_precision
from attention_nb.checkpoint import STATE_NAME, CheckpointError, read_checkpoint
from attention_nb.train import fit, write_csv
from attention_nb import cli

__all__ = ['GRID_VARIANTS', 'grid_run', 'accuracy_grid', 'PAYS_DESIGNS', 'PAYS_TASK', 'train_once', 'pays_run',
           'cached_run']


def cached_run(data_folder=None,    # A data folder; None trains on the demo data
               out_dir=None,        # Run folder; default: a folder under the cache named after the settings
               log=print, **flags   # Command-line flags by name, e.g. img_size=64, epoch=30
              ) -> Path:
    "The run folder of a finished command-line training run with these flags, training it first if needed."
    if out_dir is None:
        name = 'demo' if data_folder is None else Path(data_folder).name
        out_dir = cache_dir()/'runs'/'-'.join([name] + [f'{k}{v}' for k, v in sorted(flags.items())])
    flag_defaults = vars(cli.train_parser().parse_args([]))   # every flag's default, no argv strings
    unknown = sorted(set(flags) - set(flag_defaults))
    if unknown: raise ValueError(f"cached_run: no flag {', '.join(unknown)}; the flags are {', '.join(flag_defaults)}")
    args = argparse.Namespace(**{**flag_defaults, **flags, 'demo': data_folder is None, 'model_save_path': str(out_dir),
                                 'data_folder': None if data_folder is None else str(data_folder)})
    state = Path(out_dir)/STATE_NAME
    args.precision = pick_precision(args.precision, pick_device(args.device))
    args.gate = resolve_gate(args.attention, args.gate)
    want = {k: getattr(args, k) for k in cli.RESUMED_FLAGS if k not in ('planned', 'time_budget')}
    defaults = {k: flag_defaults.get(k) for k in cli.RESUMED_FLAGS}   # runs saved before a flag existed used its default:
    defaults.update(precision='fp32', ema=0., tta=False, planned=False, width=32)   # fp32, no average, no TTA, width 32
    if state.exists():
        try:
            st = read_checkpoint(state, 'resumable state')
            saved = {**defaults, **st.get('run_args', {})}
            if args.epoch is None:   # a run planned from the same time budget matches
                want.update(epoch=saved['epoch'] if saved['planned'] else None, time_budget=args.time_budget)
            plain = all(saved.get(k, off) == off for k, off in cli.REMOVED_FLAGS.items())   # not a bench experiment
            finished = st.get('finished') and (Path(out_dir)/'test_metrics.json').exists()
            if plain and finished and all(saved.get(k) == v for k, v in want.items()): return Path(out_dir)
        except CheckpointError: pass
    cli.run_training(args, log=log)
    return Path(out_dir)


# ---- issue 12's accuracy grid on Intel scenes (bench/grid.py)
GRID_VARIANTS = {'none': dict(attention='none'), 'spatial-sigmoid': dict(attention='spatial', gate='sigmoid'),
                 'spatial-softmax': dict(attention='spatial', gate='softmax'), 'channel': dict(attention='channel'),
                 'se': dict(attention='se'), 'cbam': dict(attention='cbam'),
                 'ltpa': dict(attention='ltpa', gate='softmax')}                  # with the paper's softmax
assert all(v['attention'] in ATTENTIONS for v in GRID_VARIANTS.values())   # the library's one list of designs


def _param_count(img_size:int, attention:str, width:int) -> int:
    return model_size(img_size, attention, width=width)['total_params']


def grid_run(data_folder, variant:str, seed:int, epoch:int|None=15, img_size:int=64, log=lambda s: None,
             extra:dict|None=None,   # More training flags, e.g. {'width': 40}; they are named in the row's variant
            ) -> dict:
    "Train (or reuse: `cached_run`) one run of the grid; its CSV row. `epoch=None`: the time-budget plan."
    flags = dict(img_size=img_size, seed=seed, **GRID_VARIANTS[variant], **(extra or {}))
    if epoch: flags['epoch'] = epoch
    run = cached_run(data_folder, log=log, **flags)
    if extra: variant = ' '.join([variant] + [f'{k}={v}' for k, v in extra.items()])
    tm = json.loads((run/'test_metrics.json').read_text())
    hist = list(csv.DictReader(open(run/'metrics.csv')))
    return dict(dataset=Path(data_folder).name, variant=variant, attention=flags['attention'],
                gate=flags.get('gate', 'sigmoid'), seed=seed, epochs=len(hist), test_acc=tm['test_acc'],
                val_acc=tm['val_acc'], best_epoch=tm['best_epoch'],
                params=_param_count(img_size, flags['attention'], int(flags.get('width', 32))),
                img_per_s=round(statistics.median(float(r['img_per_s']) for r in hist), 1),
                device=tm.get('device', 'cpu'))   # where it trained (runs from before the key: this CPU)


def accuracy_grid(data:str, variants, seeds, epoch:int|None=15, csv_path=None, log=lambda s: None,
                  extra:dict|None=None) -> list:
    "Every variant × seed on `../shared/data/<data>`, seed by seed; rows merged into `csv_path` after each run."
    folder = shared_data(data)
    if folder is None: raise FileNotFoundError(f"../shared/data/{data} not found: the grid needs it")
    old = list(csv.DictReader(open(csv_path))) if csv_path and Path(csv_path).exists() else []
    rows = []
    for seed in seeds:
        for v in variants:
            log(f'{data}: {v}, seed {seed}')
            rows.append(grid_run(folder, v, seed, epoch, log=log, extra=extra))
            if csv_path:
                done = {(r['dataset'], r['variant'], str(r['seed'])) for r in rows}
                keep = [r for r in old if r.get('dataset') and (r['dataset'], r['variant'], r['seed']) not in done]
                keep = [{**r, 'device': r.get('device') or 'cpu'} for r in keep]   # rows from before the column: CPU
                write_csv(keep + rows, csv_path, fields=list(dict.fromkeys(k for r in keep + rows for k in r)))
    return rows


# ---- issue 21's odd-one-out sweep (bench/attention_pays.py, bench/controls.py, bench/mask_learning.py)
PAYS_DESIGNS = {   # design: model flags
    'none': dict(attention='none'),
    'spatial': dict(attention='spatial', gate='softmax'),
    'cbam': dict(attention='cbam'),
    'ltpa': dict(attention='ltpa', gate='softmax', attention_kw=dict(score='dot')),
    # ltpa's parts switched off one at a time (the ablation)
    'ltpa, additive score': dict(attention='ltpa', gate='softmax', attention_kw=dict(score='add')),
    'ltpa, sigmoid gate': dict(attention='ltpa', gate='sigmoid', attention_kw=dict(score='dot')),
    'ltpa, mean pooling': dict(attention='ltpa', gate='softmax', attention_kw=dict(score='dot', pool='mean')),
    'ltpa, final stage only': dict(attention='ltpa', gate='softmax', attention_kw=dict(score='dot', stages=0)),
    'spatial, sigmoid gate': dict(attention='spatial', gate='sigmoid'),   # spatial without softmax pooling
}
assert all(v['attention'] in ATTENTIONS for v in PAYS_DESIGNS.values())
PAYS_TASK = dict(n_train=300, n_test=100, epochs=30)   # per class (4 classes); the same budget for every design


def train_once(folder, flags:dict, seed:int, epochs:int, out,
               init=None,              # Called with the new model before training (an experiment's change)
               log=lambda s: None) -> Path:
    "The run folder `out` of `AttentionCNN(**flags)` trained by `fit`'s defaults on `folder`; trained only if unfinished."
    out = Path(out)
    if not (out/'test_metrics.json').exists():
        splits = load_data(folder, 64, seed=seed, progress=False)
        torch.manual_seed(seed)
        model = AttentionCNN(len(splits.classes), 64, **flags)
        if init is not None: init(model)
        fit(model, splits, out, epochs, seed=seed, device=pick_device('auto'), progress=False, log=log,
            run_args={k: str(v) for k, v in flags.items()})
    return out


def pays_run(design:str, seed:int, mark:str='odd', log=lambda s: None,
             n_train:int|None=None,   # Training images per class; None: the task's (`PAYS_TASK`)
             epochs:int|None=None,    # None: the task's
            ) -> Path:
    "The run folder of one run of the sweep (`PAYS_DESIGNS[design]` on the `mark` task), trained first if missing."
    t = PAYS_TASK
    n, e = n_train or t['n_train'], epochs or t['epochs']
    folder = make_demo_data(n_train=n, n_test=t['n_test'], seed=0, oddball=dict(mark=mark))
    name = f"oddball-{mark}-{design.replace(', ', '-').replace(' ', '_')}-seed{seed}-e{e}"
    name += f"-n{n}" if n != t['n_train'] else ''
    return train_once(folder, PAYS_DESIGNS[design], seed, e, cache_dir()/'runs'/'pays'/name, log=log)
