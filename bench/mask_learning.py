"""The mask learning (issue 27): one run of the default `spatial` layer on the odd-one-out task at 1,000 training
images per class (the sweep's recipe and budget, seed 2: the median of the five seeds at that point), with the
training weights kept after epochs 1, 3, 10 and 30 and the mask's pointing scored on the 400 test images after
every epoch.

Pointing here is the pointing game at the mask's own resolution: does the 8×8 mask's peak cell (channel mean)
touch the deciding shape? `chance` is that share for a cell drawn at random.

Writes
- attention_nb/tables/mask_learning.csv: epoch, pointing, chance, val_acc (the run's metrics), test accuracy of the
  snapshot's weights;
- attention_nb/pretrained/runs/oddball-spatial-e{1,3,10,30}/attention_cnn.pth: the snapshots (bfloat16 weights),
  which chapter 5 loads to draw the masks.

    .venv/bin/python bench/mask_learning.py          # about 10 min on 2 cores with bf16
"""
import csv, sys, time
from pathlib import Path
import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from attention_nb.checkpoint import save_checkpoint, shrink_checkpoint
from attention_nb.data import load_data, cache_dir
from attention_nb.model import AttentionCNN
from attention_nb.metrics import load_masks
from harness import PAYS_DESIGNS, PAYS_TASK
from attention_nb.synth import make_demo_data
from attention_nb.train import fit, write_csv
from attention_nb.visualize import normalize

SEED, N_TRAIN, KEEP = 2, 1000, (1, 3, 10, 30)
OUT = cache_dir()/'runs'/'mask_learning'/f'oddball-odd-spatial-seed{SEED}-n{N_TRAIN}'
SHIP = ROOT/'attention_nb'/'pretrained'/'runs'
TABLE = ROOT/'attention_nb'/'tables'/'mask_learning.csv'


def score(model, splits, obj_cells) -> dict:
    "Peak-cell pointing of the channel-mean mask, and test accuracy, of `model`'s current weights."
    was = model.training; model.eval()
    x, y = splits.test.x, splits.test.y
    mean, std = (torch.tensor(v).view(1, -1, 1, 1) for v in (splits.mean, splits.std))
    with torch.no_grad():
        outs = [model.explain(normalize(x[i:i + 100], mean, std)) for i in range(0, len(x), 100)]
    model.train(was)
    m = torch.cat([o['mask'].float().mean(1) for o in outs]).flatten(1)          # (N, 64)
    pred = torch.cat([o['logits'].argmax(1) for o in outs])
    hit = obj_cells[torch.arange(len(m)), m.argmax(1)]
    return dict(pointing=round(hit.mean().item(), 4), chance=round(obj_cells.mean().item(), 4),
                test_acc=round((pred == y).float().mean().item(), 4))


def main():
    t = PAYS_TASK
    folder = make_demo_data(n_train=N_TRAIN, n_test=t['n_test'], seed=0, oddball=dict(mark='odd'))
    splits = load_data(folder, 64, seed=SEED, progress=False)
    obj = torch.as_tensor(np.asarray(load_masks(splits.test.files, 64)), dtype=torch.float32)
    obj_cells = torch.nn.functional.adaptive_max_pool2d(obj[:, None], 8)[:, 0].flatten(1)   # (N, 64): cell touches it
    torch.manual_seed(SEED)
    flags = PAYS_DESIGNS['spatial']
    model = AttentionCNN(len(splits.classes), 64, **flags)
    rows = []

    def keep(epoch):
        r = dict(epoch=epoch, **score(model, splits, obj_cells)); rows.append(r)
        print(time.strftime('%H:%M:%S'), r, flush=True)
        if epoch in KEEP:
            dst = SHIP/f'oddball-spatial-e{epoch}'; dst.mkdir(parents=True, exist_ok=True)
            tmp = OUT/f'snapshot-e{epoch}.pth'
            save_checkpoint(tmp, model, splits.classes, splits.mean, splits.std, epoch=epoch,
                            val_acc=float('nan'), run_args=dict(flags, seed=SEED, n_train=N_TRAIN, snapshot=epoch))
            shrink_checkpoint(tmp, dst/'attention_cnn.pth')

    OUT.mkdir(parents=True, exist_ok=True)
    hook = lambda epoch, dl: keep(epoch) if epoch > 0 else None   # called before epoch `epoch`: `epoch` epochs done
    res = fit(model, splits, OUT, t['epochs'], seed=SEED, progress=False, hooks={'epoch': hook},
              run_args={k: str(v) for k, v in flags.items()})
    keep(t['epochs'])
    val = {int(h['epoch']): h['val_acc'] for h in res['history']}
    for r in rows: r['val_acc'] = round(float(val.get(r['epoch'], float('nan'))), 4)
    write_csv(rows, TABLE, fields=['epoch', 'pointing', 'chance', 'test_acc', 'val_acc'])
    print('chosen checkpoint:', res['test'])


if __name__ == '__main__': main()
