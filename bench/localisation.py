#!/usr/bin/env python
"""Localisation and faithfulness of every grid variant's maps on the two demo sets whose object masks we know
(the demo set, 20 epochs, and its hard variant, 400 training images per class, 15 epochs; seed 0): the package's
`tables/localisation.csv` and chapter 2's figure `figures/design_masks.png`, read by "Does attention help?".

    .venv/bin/python bench/localisation.py            # about 15 minutes on 2 CPU cores; finished runs are cached
    .venv/bin/python bench/localisation.py --smoke    # tiny sets, 1 epoch, into a scratch folder: nothing recorded

Pointing game and energy share on every test image, ROAD on the first 100 (`attention_nb.metrics`).
"""
import argparse, io, json, sys, tempfile
from pathlib import Path
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT)); sys.path.insert(0, str(ROOT/'bench'))
from attention_nb.data import load_split
from attention_nb.synth import make_demo_data
from attention_nb.train import write_csv
from attention_nb.visualize import Explainer
from attention_nb.metrics import faithfulness, load_masks, localisation
from harness import GRID_VARIANTS, cached_run


def score(sets:dict, runs:Path|None=None) -> list:
    "One row per data set, variant and map kind; `sets`: name -> (folder or None for the demo set, epochs)."
    rows = []
    for name, (folder, epochs, n_test) in sets.items():
        split = load_split(folder or make_demo_data(img_size=64, seed=0), 'test', 64, progress=False)
        obj = load_masks(split.files, 64)
        for v, flags in GRID_VARIANTS.items():
            out = None if runs is None else runs/f'{name}-{v}'
            run = cached_run(folder, out_dir=out, img_size=64, epoch=epochs, log=lambda s: None, **flags)
            ex = Explainer.from_checkpoint(run, mask_how='mean')
            acc = json.loads((run/'test_metrics.json').read_text())['test_acc']
            road = faithfulness(ex, split.x[:n_test])
            for kind, sc in localisation(ex, split.x, obj).items():
                if v == 'none' and kind in ('attention mask', 'attended map'): continue   # no attention: ones, and h
                rows.append(dict(dataset=name, variant=v, attention=flags['attention'], map=kind,
                                 pointing=sc['pointing'], energy=sc['energy'], road=road.get(kind, float('nan')),
                                 test_acc=acc))
        print(f'{name}: chance level of the energy share (mean object area) {obj.mean():.1%}', flush=True)
    return rows


def design_masks(hard, epochs:int, path, runs:Path|None=None):
    "Chapter 2's figure: three hard test images, their object mask, four designs' masks and the baseline's Grad-CAM."
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator, ScalarFormatter
    from PIL import Image
    test = load_split(hard, 'test', 64, progress=False)
    idx = [0, 130, 260] if len(test.x) > 260 else [0, 1, 2]   # the same three images as ever; a smoke test's first three
    x = test.x[idx]
    run = lambda v: cached_run(hard, out_dir=None if runs is None else runs/f'demo-hard-{v}', img_size=64,
                               epoch=epochs, log=lambda s: None, **GRID_VARIANTS[v])
    res = {v: Explainer.from_checkpoint(run(v), mask_how='mean')(x)
           for v in ('none', 'spatial-sigmoid', 'spatial-softmax', 'cbam', 'ltpa')}
    cols = [('input\n', x.permute(0, 2, 3, 1).numpy(), None), ('object\nmask', load_masks(test.files, 64)[idx], 'gray'),
            ('spatial\nsigmoid', res['spatial-sigmoid']['mask'], 'magma'),
            ('spatial\nsoftmax', res['spatial-softmax']['mask'], 'magma'),
            ('cbam\nspatial mask', res['cbam']['spatial_mask'], 'magma'),
            ('ltpa\n16×16 stage', res['ltpa']['stage_masks'][:, 0], 'magma'),
            ('ltpa\n8×8 stage', res['ltpa']['stage_masks'][:, 1], 'magma'), ('none\nGrad-CAM', res['none']['gradcam'], 'jet')]
    fig = Figure(figsize=(9.6, 5.0), layout='constrained'); axs = fig.subplots(3, len(cols))
    for c, (title, ims, cmap) in enumerate(cols):
        ims = np.asarray(ims)
        kw = {} if cmap is None else dict(cmap=cmap, vmin=float(ims.min()), vmax=float(ims.max()))
        for r in range(3):
            im = axs[r, c].imshow(ims[r], **kw); axs[r, c].set_xticks([]); axs[r, c].set_yticks([])
        axs[0, c].set_title(title, fontsize=12)
        if cmap not in (None, 'gray'):
            cb = fig.colorbar(im, ax=axs[:, c], orientation='horizontal', shrink=0.95, aspect=10)
            cb.ax.tick_params(labelsize=11); cb.ax.xaxis.set_major_locator(MaxNLocator(3))
            f = ScalarFormatter(useMathText=True); f.set_powerlimits((-2, 3)); cb.ax.xaxis.set_major_formatter(f)
    buf = io.BytesIO(); fig.savefig(buf, format='png', dpi=144, bbox_inches='tight')
    im = Image.open(buf).convert('RGB').quantize(256)   # 256 colours: small
    im.save(path, format='PNG', optimize=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--smoke', action='store_true', help='tiny sets, 1 epoch, scratch folder; nothing recorded')
    a = p.parse_args()
    if a.smoke:
        tmp = Path(tempfile.mkdtemp())
        hard = make_demo_data(tmp/'hard', n_train=4, n_test=1, hard=True)
        rows = score({'demo-hard': (hard, 1, 2)}, runs=tmp/'runs')
        design_masks(hard, 1, tmp/'design_masks.png', runs=tmp/'runs')
        print(f'{len(rows)} rows, figure {(tmp/"design_masks.png").stat().st_size} bytes (smoke test: nothing recorded)')
        return
    hard = make_demo_data(n_train=400, n_test=100, hard=True)
    rows = score({'demo': (None, 20, 100), 'demo-hard': (hard, 15, 100)})
    write_csv(rows, ROOT/'attention_nb'/'tables'/'localisation.csv')
    design_masks(hard, 15, ROOT/'attention_nb'/'figures'/'design_masks.png')


if __name__ == '__main__': main()
