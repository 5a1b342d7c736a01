"""Recipe options that measured no gain on Intel scenes, kept as experiments: batch mixing (Mixup / CutMix),
random-resized crops and progressive resizing. They plug into `attention_nb.train.fit` through its `hooks`, so the
library and `attention_nb_train` carry none of them. Measurements: bench/NOTES.md 9c (mixing), 9g and 9h (crops,
progressive resizing, width).

    .venv/bin/python bench/recipe_options.py --data_folder DATA --epoch 46 --min_size 32 --crop_scale 0.35 --model_save_path runs/crops
    .venv/bin/python bench/recipe_options.py --demo --epoch 4 --mix cutmix --model_save_path /tmp/mix     # a smoke test
    .venv/bin/python bench/recipe_options.py --resume --model_save_path runs/crops                         # continue
"""
import argparse, math, sys
from pathlib import Path
import torch
import torchvision.transforms.functional as TF
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from attention_nb.checkpoint import STATE_NAME, read_checkpoint
from attention_nb.data import load_data
from attention_nb.model import AttentionCNN
from attention_nb.synth import make_demo_data
from attention_nb.train import fit

MIXES = ('none', 'mixup', 'cutmix', 'both')


def mix_hook(name:str, num_classes:int):
    "fit's 'batch' hook: torchvision's MixUp, CutMix or one of the two per batch; (x, y) -> (x, soft targets)."
    from torchvision.transforms import v2
    if name not in MIXES: raise ValueError(f"--mix {name}: use one of {', '.join(MIXES)}")
    if name == 'none': return None
    mixup, cutmix = v2.MixUp(num_classes=num_classes), v2.CutMix(num_classes=num_classes)
    return dict(mixup=mixup, cutmix=cutmix, both=v2.RandomChoice([mixup, cutmix]))[name]


def crop_hook(scale:float):
    """fit's 'augment' hook: a random flip, then a random crop keeping a share in [scale, 1] of the area with aspect
    ratio in [3/4, 4/3], resized back to the batch's side (torchvision's `resized_crop`), drawn from the loader's generator."""
    if not 0 < scale <= 1: raise ValueError(f"--crop_scale {scale}: use a share in (0, 1], e.g. 0.35")
    def augment(x, g):
        n, _, h, w = x.shape
        x = torch.where((torch.rand(n, generator=g) < 0.5).view(n, 1, 1, 1).to(x.device), x.flip(-1), x)
        area = torch.empty(n).uniform_(scale, 1, generator=g) * h * w
        ratio = torch.empty(n).uniform_(math.log(3 / 4), math.log(4 / 3), generator=g).exp()
        cw, ch = (area * ratio).sqrt().round().clamp(1, w).int(), (area / ratio).sqrt().round().clamp(1, h).int()
        top, left = (torch.rand(n, generator=g) * (h - ch + 1)).int(), (torch.rand(n, generator=g) * (w - cw + 1)).int()
        return torch.stack([TF.resized_crop(x[i], int(top[i]), int(left[i]), int(ch[i]), int(cw[i]), [h, w], antialias=True)
                            for i in range(n)])
    return augment


def progressive_size(epoch:int, epochs:int, img_size:int, min_size:int=0, ramp:float=0.75, step:int=8) -> int:
    "Side of the training images in `epoch`: from `min_size` up to `img_size` over the first `ramp` of the epochs."
    end = ramp * epochs
    if not min_size or min_size >= img_size or epoch >= end: return img_size
    return max(min_size, int(min_size + (img_size - min_size) * epoch / end) // step * step)


def resize_hook(epochs:int, img_size:int, min_size:int):
    "fit's 'epoch' hook: progressive resizing, the loader's batches at `progressive_size` of the epoch."
    if min_size and min_size < 32: raise ValueError(f"--min_size {min_size}: use 32 px or more, or 0 for off")
    def epoch(e, loader): loader.size = progressive_size(e, epochs, img_size, min_size)
    return epoch


def hooks_for(mix='none', crop_scale=1., min_size=0, epochs=1, img_size=64, num_classes=2) -> dict:
    "The hooks of these options (those that are off are left out)."
    h = dict(batch=mix_hook(mix, num_classes), augment=crop_hook(crop_scale) if crop_scale < 1 else None,
             epoch=resize_hook(epochs, img_size, min_size) if min_size else None)
    return {k: v for k, v in h.items() if v is not None}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--data_folder'); p.add_argument('--demo', action='store_true')
    p.add_argument('--img_size', type=int, default=64); p.add_argument('--epoch', type=int, default=30)
    p.add_argument('--attention', default='spatial'); p.add_argument('--width', type=int, default=32)
    p.add_argument('--seed', type=int, default=0); p.add_argument('--model_save_path', default='runs/recipe')
    p.add_argument('--mix', default='none', choices=MIXES)
    p.add_argument('--crop_scale', type=float, default=1.)
    p.add_argument('--min_size', type=int, default=0)
    p.add_argument('--resume', action='store_true', help='continue the run in --model_save_path with its own options')
    a = p.parse_args(argv)
    if a.resume:   # the run's own options, as attention_nb_train's --resume does
        saved = read_checkpoint(Path(a.model_save_path)/STATE_NAME, 'resumable state')['run_args']
        for k, v in saved.items(): setattr(a, k, v)
        a.resume = True
    data = make_demo_data(img_size=max(64, a.img_size)) if a.demo else a.data_folder
    if data is None: p.error('--data_folder is required (or --demo)')
    splits = load_data(data, a.img_size, 3, 0.1, a.seed)
    torch.manual_seed(a.seed)
    model = AttentionCNN(len(splits.classes), a.img_size, attention=a.attention, width=a.width)
    hooks = hooks_for(a.mix, a.crop_scale, a.min_size, a.epoch, a.img_size, len(splits.classes))
    return fit(model, splits, a.model_save_path, a.epoch, seed=a.seed, resume=a.resume, hooks=hooks,
               run_args={k: v for k, v in vars(a).items() if k != 'resume'})


if __name__ == '__main__':
    main()
