"""Does the merge of the 256 channels into one map change where the mask points on the odd-one-out task? Pointing
game of the channel-mean and channel-max masks, the attended and the feature maps, for the five cached odd-task runs
of `spatial` and `ltpa` (bench/attention_pays.py sweep trains them).

    .venv/bin/python bench/mask_merge.py
"""
import torch
torch.set_num_threads(1)
from attention_nb.data import load_split
from attention_nb.synth import make_demo_data
from attention_nb.metrics import localisation, load_masks
from harness import PAYS_TASK, pays_run
from attention_nb.visualize import Explainer
t = PAYS_TASK
folder = make_demo_data(n_train=t['n_train'], n_test=t['n_test'], seed=0, oddball=dict(mark='odd'))
test = load_split(folder, 'test', 64, progress=False)   # the same for every seed
masks = load_masks(test.files, 64)
for design in ('spatial', 'ltpa'):
    for seed in range(5):
        out = pays_run(design, seed)   # cached by the sweep
        res = {}
        for how in ('mean', 'max'):
            ex = Explainer.from_checkpoint(out, mask_how=how, gradcam=False)
            loc = localisation(ex, test.x, masks)
            res[how] = loc['attention mask']['pointing']
            if how == 'max': res['attended'] = loc['attended map']['pointing']; res['feature'] = loc['feature map']['pointing']
        print(design, seed, {k: round(v, 3) for k, v in res.items()}, flush=True)
