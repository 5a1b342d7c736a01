"""Is it attention, or just pooling? The pooling controls of issue 27 on the odd-one-out task.

Each control is the no-attention model (`attention='none'`) whose global average pooling is replaced, before
training, by another pooling; everything else (data, recipe, budget, seeds) is the sweep's (bench/attention_pays.py):

- `max`: global max pooling, one position per channel;
- `gem`: generalised mean pooling, (mean h^p)^(1/p) with p learned (starts at 3; p=1 is the average, p->inf the max);
- `mil`: Ilse et al. 2018's gated attention pooling: one softmax map over positions, shared by every channel,
  a = softmax(w' (tanh(V h) * sigmoid(U h))), z = sum_positions a h.

Rows go into attention_nb/tables/when_attention_pays.csv (attention column: the control's name), one merge per finished run,
so an interrupted grid continues where it stopped.

    .venv/bin/python bench/controls.py                                  # max, mil, gem at 300 per class, 5 seeds
    .venv/bin/python bench/controls.py --n_train 1000 --seeds 0 1       # the 1,000-per-class point
    .venv/bin/python bench/controls.py --designs max --seeds 0 --epochs 2 --dry   # a smoke test, nothing recorded
"""
import argparse, sys, time
from pathlib import Path
import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT)); sys.path.insert(0, str(ROOT/'bench'))
import attention_nb.train as train_mod
from attention_nb.checkpoint import load_checkpoint, read_checkpoint
from attention_nb.data import cache_dir
from attention_nb.model import AttentionCNN
from attention_nb.synth import make_demo_data
from harness import PAYS_TASK, train_once
from attention_pays import PAYS_CSV, merge, done, score_run


class GeM(nn.Module):
    "Generalised mean pooling with a learned exponent p: (B, C, H, W) -> (B, C, 1, 1)."
    def __init__(self, p:float=3., eps:float=1e-6):
        super().__init__(); self.p, self.eps = nn.Parameter(torch.tensor(float(p))), eps
    def forward(self, h):
        p = self.p.float().clamp(1, 50)
        return h.float().clamp(min=self.eps).pow(p).mean((-2, -1), keepdim=True).pow(1 / p).to(h.dtype)


class GatedMIL(nn.Module):
    "Ilse et al.'s gated attention pooling: one softmax map over the H·W positions; (B, C, H, W) -> (B, C, 1, 1)."
    def __init__(self, c:int, hidden:int=128):
        super().__init__()
        self.V, self.U, self.w = nn.Conv2d(c, hidden, 1), nn.Conv2d(c, hidden, 1), nn.Conv2d(hidden, 1, 1)
    def weights(self, h):   # (B, 1, H, W), summing to 1 over positions
        s = self.w(torch.tanh(self.V(h)) * torch.sigmoid(self.U(h)))
        return s.flatten(2).float().softmax(-1).view_as(s).to(h.dtype)
    def forward(self, h): return (self.weights(h) * h).sum((-2, -1), keepdim=True)


def pooling(name:str, c:int) -> nn.Module:
    return dict(max=lambda: nn.AdaptiveMaxPool2d(1), gem=lambda: GeM(), mil=lambda: GatedMIL(c))[name]()


def use_pooling(name:str):
    "`train_once`'s init: put the pooling `name` in place of the head's global average pooling."
    def init(model):
        assert isinstance(model.head[0], nn.AdaptiveAvgPool2d), model.head
        model.head[0] = pooling(name, model.feature_shape[0])
    return init


CONTROLS = ('max', 'gem', 'mil')


def loader_for(name:str):
    "A `load_checkpoint` that rebuilds the control's model (the library's would put the average pooling back)."
    def load(path, device='cpu'):
        ck = read_checkpoint(path)
        model = AttentionCNN(**ck['config']); use_pooling(name)(model)
        model.load_state_dict(ck['state_dict'])
        return model.to(device).eval(), {k: v for k, v in ck.items() if k != 'state_dict'}
    return load


def run(designs, seeds, n_train, epochs, dry=False, log=print):
    t = PAYS_TASK
    knob, value = ('n_train', n_train) if n_train != t['n_train'] else ('mark', 'odd')
    folder = make_demo_data(n_train=n_train, n_test=t['n_test'], seed=0, oddball=dict(mark='odd'))
    for seed in seeds:
        for design in designs:
            key = dict(task='oddball', knob=knob, value=value, attention=design, seed=seed)
            if not dry and done(PAYS_CSV, **key): continue
            t0 = time.monotonic()
            name = f"oddball-odd-{design}-seed{seed}-e{epochs}" + (f"-n{n_train}" if n_train != t['n_train'] else '')
            out = cache_dir()/'runs'/('dry' if dry else 'pays')/name
            train_mod.load_checkpoint = loader_for(design)   # fit's single test reads the best checkpoint with it
            train_once(folder, dict(attention='none'), seed, epochs, out, init=use_pooling(design))
            row = score_run(out, None, {}, masks_for_test=False, t0=t0)
            row = dict(key, n_train=n_train, epochs=epochs, **{k: v for k, v in row.items() if k != 'epochs'},
                       pointing=float('nan'), energy=float('nan'))   # no mask scored (see the module's note)
            if not dry: merge(PAYS_CSV, row, ('task', 'knob', 'value', 'attention', 'seed'))
            log(f"{knob} {value} {design:5} seed {seed}: test {row['test_acc']:.3f} (val {row['val_acc']:.3f}, "
                f"best epoch {row['best_epoch']}), {row['seconds']} s")


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--designs', nargs='+', default=list(CONTROLS), choices=CONTROLS)
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2, 3, 4])
    p.add_argument('--n_train', type=int, default=PAYS_TASK['n_train'], help='training images per class')
    p.add_argument('--epochs', type=int, default=PAYS_TASK['epochs'])
    p.add_argument('--dry', action='store_true', help='train into a scratch folder and record nothing')
    a = p.parse_args()
    run(a.designs, a.seeds, a.n_train, a.epochs, a.dry, lambda s: print(time.strftime('%H:%M:%S'), s, flush=True))
