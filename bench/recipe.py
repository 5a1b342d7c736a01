"""Recipe probe on the full Intel train split: one training run, validation accuracy of the raw weights and of an
exponential moving average (EMA) of the weights, each with and without flip test-time augmentation (TTA), after
every epoch. The recipe is chosen on validation; the test split is read once at the end, for the chosen variant.

    .venv/bin/python bench/recipe.py --epochs 30 [--width 32] [--mixup 0] [--ema 0.999] [--out bench/recipe-NAME.json]
"""
import argparse, json, time, sys
from pathlib import Path
import torch, torch.nn.functional as F
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from attention_nb.data import load_data, Loader, shared_data
from attention_nb.model import AttentionCNN

p = argparse.ArgumentParser()
p.add_argument('--data', default='intel-scenes-128'); p.add_argument('--epochs', type=int, default=30)
p.add_argument('--img_size', type=int, default=64); p.add_argument('--attention', default='spatial')
p.add_argument('--ema', type=float, default=0.999); p.add_argument('--lr', type=float, default=3e-3)
p.add_argument('--seed', type=int, default=0); p.add_argument('--out', default=None)
a = p.parse_args()
torch.manual_seed(a.seed)
t_start = time.perf_counter()
sp = load_data(shared_data(a.data), a.img_size, 3, 0.1, a.seed)
model = AttentionCNN(6, a.img_size, attention=a.attention)
ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(a.ema), use_buffers=True)
kw = dict(mean=sp.mean, std=sp.std)
train = Loader(sp.train, 32, shuffle=True, augment=True, seed=a.seed, drop_last=True, **kw)
val, test = Loader(sp.valid, 256, **kw), Loader(sp.test, 256, **kw)
opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=0.05)
sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=a.lr, total_steps=a.epochs * len(train), pct_start=0.25)

@torch.no_grad()
def acc(m, dl, tta):
    m.eval(); c = n = 0
    for x, y in dl:
        lo = m(x).logits.softmax(1)
        if tta: lo = lo + m(x.flip(-1)).logits.softmax(1)
        c += (lo.argmax(1) == y).sum().item(); n += len(y)
    return c / n

rows, best = [], {}
for ep in range(a.epochs):
    model.train(); t0 = time.perf_counter()
    for x, y in train:
        with torch.autocast('cpu', dtype=torch.bfloat16):
            lo = model(x).logits
        loss = F.cross_entropy(lo.float(), y, label_smoothing=0.1)
        opt.zero_grad(set_to_none=True); loss.backward(); opt.step(); sched.step(); ema.update_parameters(model)
    tt = time.perf_counter() - t0
    r = dict(epoch=ep + 1, train_s=round(tt, 1))
    for name, m in (('raw', model), ('ema', ema.module)):
        for tta in (False, True):
            k = f'{name}{"+tta" if tta else ""}'; r[k] = acc(m, val, tta)
            if r[k] > best.get(k, (-1,))[0]: best[k] = (r[k], ep + 1, {kk: v.clone() for kk, v in m.state_dict().items()})
    r['seconds'] = round(time.perf_counter() - t0, 1); rows.append(r)
    print(json.dumps(r), flush=True)
choice = max(best, key=lambda k: best[k][0])
m = AttentionCNN(6, a.img_size, attention=a.attention); m.load_state_dict(best[choice][2])
res = dict(args=vars(a), rows=rows, best_val={k: v[:2] for k, v in best.items()}, chosen=choice,
           test_acc=acc(m, test, choice.endswith('tta')), wall_s=round(time.perf_counter() - t_start, 1))
print(json.dumps({k: v for k, v in res.items() if k != 'rows'}))
if a.out: Path(a.out).write_text(json.dumps(res, indent=1))
