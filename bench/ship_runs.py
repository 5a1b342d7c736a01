"""The small trained runs chapter 2 loads (issue 26): trained here once, shipped in the package
(`attention_nb/pretrained/runs/<name>/`, bfloat16 weights and the run's `test_metrics.json`), so the chapter runs in
minutes from a `pip install`.

- `hard-dense-32`: the original backbone with the original dense layer, on the hard demo set at 32 px (at 64 px its
  dense layer alone holds 20 million weights, 40 MB even in bfloat16; at 32 px 1.3 million), 15 epochs;
- `hard-channel`, `hard-se`: the fast backbone with `channel` / `se` at 64 px, 15 epochs.

The dense mask's claims (the share of entries at the sigmoid's floor 0.5, the share above 0.9, over the 400 test
images) are measured on seeds 0, 1 and 2; seed 0 ships. Rows: bench/ship-runs.csv.

    .venv/bin/python bench/ship_runs.py
"""
import json, shutil, sys, time
from pathlib import Path
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from attention_nb.checkpoint import shrink_checkpoint, CKPT_NAME
from attention_nb.data import load_data, cache_dir
from attention_nb.model import AttentionCNN
from attention_nb.synth import make_demo_data
from attention_nb.train import fit, write_csv
from attention_nb.visualize import Explainer

SHIP = ROOT/'attention_nb'/'pretrained'/'runs'
RUNS = {'hard-dense-32': dict(img_size=32, attention='dense', backbone='original', seeds=(0, 1, 2)),
        'hard-channel': dict(img_size=64, attention='channel', seeds=(0,)),
        'hard-se': dict(img_size=64, attention='se', seeds=(0,))}
EPOCHS = 15


def mask_stats(run:Path, splits) -> dict:
    "Shares of the mask's entries at the sigmoid floor 0.5 (within 1e-3) and above 0.9, over the test images."
    ex = Explainer.from_checkpoint(run, gradcam=False)
    with torch.no_grad():
        m = torch.cat([ex.model.explain(ex.normalize(splits.test.x[i:i + 100]))['mask'].float()
                       for i in range(0, len(splits.test.x), 100)])
    return dict(at_floor=round(((m - 0.5).abs() < 1e-3).float().mean().item(), 4),
                above_09=round((m > 0.9).float().mean().item(), 4))


def main():
    hard = make_demo_data(n_train=400, n_test=100, hard=True)
    rows = []
    for name, cfg in RUNS.items():
        cfg = dict(cfg); seeds = cfg.pop('seeds'); size = cfg.pop('img_size')
        splits = load_data(hard, size, progress=False)
        for seed in seeds:
            out = cache_dir()/'runs'/'ship'/f'{name}-seed{seed}'
            t0 = time.monotonic()
            if not (out/'test_metrics.json').exists():
                torch.manual_seed(seed)
                model = AttentionCNN(len(splits.classes), size, **cfg)
                fit(model, splits, out, EPOCHS, seed=seed, progress=False, log=lambda s: None,
                    run_args=dict(cfg, img_size=size, epoch=EPOCHS, seed=seed))
            tm = json.loads((out/'test_metrics.json').read_text())
            row = dict(run=name, seed=seed, test_acc=round(tm['test_acc'], 4), best_epoch=tm['best_epoch'],
                       seconds=round(time.monotonic() - t0), **mask_stats(out, splits))
            rows.append(row); print(row, flush=True)
            if seed == 0:
                dst = SHIP/name; dst.mkdir(parents=True, exist_ok=True)
                shrink_checkpoint(out/CKPT_NAME, dst/CKPT_NAME)
                keep = {k: tm[k] for k in ('test_acc', 'n_test', 'best_epoch', 'val_acc', 'classes')}
                (dst/'test_metrics.json').write_text(json.dumps(dict(keep, data='make_demo_data(n_train=400, '
                                                     'n_test=100, hard=True)', img_size=size, epochs=EPOCHS, **cfg), indent=1))
    write_csv(rows, ROOT/'bench'/'ship-runs.csv')


if __name__ == '__main__': main()
