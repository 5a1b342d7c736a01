"""Training images/s of one process on this machine's GPU, with the real loader (augmentation), EMA and bf16:
what sizes the number of processes bench/gpu_grid.sh runs at once. Prints one line."""
import sys, time, torch
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from torch.optim.swa_utils import AveragedModel
from attention_nb.data import ImageSet, Loader
from attention_nb.model import AttentionCNN
from attention_nb.train import train_one_epoch, ema_update
from attention_nb.distributed import pick_device, pick_precision

dev = pick_device('auto'); prec = pick_precision('auto', dev)
g = torch.Generator().manual_seed(0); n = 3200
ds = ImageSet(torch.randint(0, 256, (n, 3, 64, 64), dtype=torch.uint8, generator=g), torch.randint(0, 6, (n,), generator=g),
              [str(i) for i in range(6)], [''] * n)
m = AttentionCNN(6).to(dev).to(memory_format=torch.channels_last)
opt = torch.optim.AdamW(m.parameters(), lr=1e-3)
ema = AveragedModel(m, multi_avg_fn=ema_update(0.999), use_buffers=True)
dl = Loader(ds, 32, shuffle=True, augment=True, device=dev)
for e in range(3):
    r = train_one_epoch(m, dl, opt, device=dev, precision=prec, ema=ema, progress=False, epoch=e)
print(f"{dev} {prec}: {r['img_per_s']:.0f} img/s per process ({len(dl)} steps of 32)", flush=True)
