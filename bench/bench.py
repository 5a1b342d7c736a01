#!/usr/bin/env python
"""attention_nb benchmark suite: training, data loading, inference and visualisation on this machine's CPU.

    .venv/bin/python bench/bench.py                 # everything, about 5 minutes on 2 cores
    .venv/bin/python bench/bench.py --only train    # one section: ceiling, train, data, infer, visualize, widget

Prints a table per section and writes bench/results.json. Every figure is a median over repeated measurements, and
the reference (the original tutorial's model: backbone `original`, `dense` attention) is measured in the same run, so
ratios compare like with like. Each training configuration runs in its own process, so its peak memory (RSS) is its
own. Targets (issue 3 and 7): default model at 128 px >= 30x the reference's training images/s with peak RSS < 2 GB;
training >= 40% of the measured matrix-product GFLOP/s; the cached loader >= 5x the training images/s.
"""
import argparse, json, os, platform, resource, statistics, subprocess, sys, tempfile, time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE.parent))


def median_time(fn, repeat, warmup=1):
    for _ in range(warmup): fn()
    ts = []
    for _ in range(repeat):
        t = time.perf_counter(); fn(); ts.append(time.perf_counter() - t)
    return statistics.median(ts)


# ---------------------------------------------------------------- sections run inside a child process

def child_train(backbone, attention, img_size, batch, steps, precision='fp32'):
    "Training step time of one configuration on random data: forward, loss, backward, AdamW step."
    import torch, torch.nn.functional as F
    from torch.utils.flop_counter import FlopCounterMode
    from attention_nb.model import AttentionCNN
    torch.manual_seed(0)
    model = AttentionCNN(6, img_size, attention=attention, backbone=backbone)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    x = torch.randn(batch, 3, img_size, img_size).contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, 6, (batch,))
    def step():
        with torch.autocast('cpu', dtype=torch.bfloat16, enabled=precision == 'bf16'):
            loss = F.cross_entropy(model(x).logits, y)
        opt.zero_grad(set_to_none=True); loss.backward(); opt.step()
    with FlopCounterMode(display=False) as fc:   # forward + backward FLOPs of one batch (the optimiser step is negligible)
        loss = F.cross_entropy(model(x).logits, y); loss.backward()
    opt.zero_grad(set_to_none=True)
    t = median_time(step, steps, warmup=1)
    return dict(img_per_s=batch / t, step_s=t, gflop_per_img=fc.get_total_flops() / batch / 1e9,
                params=sum(p.numel() for p in model.parameters()))


def child_ceiling(n, repeat):
    "GFLOP/s of a large float32 matrix product (BLAS) and of a large 3x3 convolution (oneDNN), same threads."
    import torch
    a, b = torch.randn(n, n), torch.randn(n, n)
    t = median_time(lambda: a @ b, repeat, warmup=2)
    conv = torch.nn.Conv2d(256, 256, 3, padding=1, bias=False).to(memory_format=torch.channels_last)
    x = torch.randn(32, 256, 32, 32).contiguous(memory_format=torch.channels_last)
    with torch.no_grad(): tc = median_time(lambda: conv(x), repeat, warmup=2)
    return dict(gflops=2 * n ** 3 / t / 1e9, conv_gflops=2 * 32 * 256 * 256 * 9 * 32 * 32 / tc / 1e9, n=n, threads=torch.get_num_threads())


def run_child_rss(kind, **kw):
    "Like `run_child`, and measure the child's own peak RSS with wait4."
    code = f"import sys, json; sys.path.insert(0, {str(HERE)!r}); import bench; print(json.dumps(bench.child_{kind}(**{kw!r})))"
    with tempfile.TemporaryFile('w+') as out, tempfile.TemporaryFile('w+') as err:
        p = subprocess.Popen([sys.executable, '-c', code], stdout=out, stderr=err, text=True)
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0); err.seek(0); o, e = out.read(), err.read()
    if p.returncode != 0: raise RuntimeError(f'{kind} {kw} failed: {e.strip().splitlines()[-1] if e.strip() else p.returncode}')
    r = json.loads(o.strip().splitlines()[-1])
    r['peak_rss_mb'] = ru.ru_maxrss / 1024   # Linux reports kilobytes
    return r


# ---------------------------------------------------------------- sections

def section_ceiling(res, quick):
    r = run_child_rss('ceiling', n=2048, repeat=5 if quick else 10)
    res['ceiling'] = r
    print(f"\n## Machine ceiling ({r['threads']} threads, float32, median of repeats)\n"
          f"{r['n']}x{r['n']} matrix product (BLAS): {r['gflops']:.0f} GFLOP/s\n"
          f"3x3 convolution 256->256 channels, 32x32, batch 32 (oneDNN): {r['conv_gflops']:.0f} GFLOP/s")


def section_train(res, quick):
    ref_steps, steps = (2, 5) if quick else (5, 20)
    rows = []
    for size in (64, 128):
        rows.append(dict(backbone='original', attention='dense', img_size=size, reference=True, precision='fp32',
                         **run_child_rss('train', backbone='original', attention='dense', img_size=size, batch=32, steps=ref_steps)))
        for att in ('spatial', 'channel', 'none', 'dense'):
            rows.append(dict(backbone='fast', attention=att, img_size=size, reference=False, precision='fp32',
                             **run_child_rss('train', backbone='fast', attention=att, img_size=size, batch=32,
                                             steps=ref_steps if att == 'dense' else steps)))
        rows.append(dict(backbone='fast', attention='spatial', img_size=size, reference=False, precision='bf16',
                         **run_child_rss('train', backbone='fast', attention='spatial', img_size=size, batch=32, steps=steps, precision='bf16')))
    ceiling, conv_ceiling = res.get('ceiling', {}).get('gflops'), res.get('ceiling', {}).get('conv_gflops')
    print('\n## Training, batch 32, CPU (median step time; each configuration in its own process)')
    print(f"{'backbone':9} {'attention':9} {'prec':4} {'size':>4} {'params':>12} {'img/s':>8} {'x original':>10} {'GFLOP/img':>9} {'GFLOP/s':>8} {'% matmul':>8} {'% conv':>6} {'peak RSS':>9}")
    for r in rows:
        ref = next(q for q in rows if q['reference'] and q['img_size'] == r['img_size'])
        r['ratio_to_original'] = r['img_per_s'] / ref['img_per_s']
        r['achieved_gflops'] = r['img_per_s'] * r['gflop_per_img']
        r['pct_of_ceiling'] = 100 * r['achieved_gflops'] / ceiling if ceiling else None
        r['pct_of_conv_ceiling'] = 100 * r['achieved_gflops'] / conv_ceiling if conv_ceiling else None
        pct = f"{r['pct_of_ceiling']:.0f}%" if ceiling else 'n/a'
        pcc = f"{r['pct_of_conv_ceiling']:.0f}%" if conv_ceiling else 'n/a'
        print(f"{r['backbone']:9} {r['attention']:9} {r['precision']:4} {r['img_size']:>4} {r['params']:>12,} {r['img_per_s']:>8.1f} {r['ratio_to_original']:>9.1f}x "
              f"{r['gflop_per_img']:>9.2f} {r['achieved_gflops']:>8.1f} {pct:>8} {pcc:>6} {r['peak_rss_mb']:>7.0f} MB")
    res['train'] = rows
    from attention_nb.distributed import pick_precision
    default = pick_precision('auto', 'cpu')   # what `attention_nb_train` uses on this machine
    for prec in sorted({'fp32', default}):
        d = next(r for r in rows if r['backbone'] == 'fast' and r['attention'] == 'spatial' and r['img_size'] == 128 and r['precision'] == prec)
        tag = 'default (--precision auto)' if prec == default else 'float32'
        print(f"target: {tag} {prec} model at 128 px {d['ratio_to_original']:.1f}x the original (>= 30x), peak RSS {d['peak_rss_mb']:.0f} MB (< 2048 MB); "
              + (f"{d['pct_of_ceiling']:.0f}% of the matrix-product GFLOP/s (>= 40%), {d['pct_of_conv_ceiling']:.0f}% of the convolution's"
                 if d['pct_of_ceiling'] is not None else "(run the ceiling section too for GFLOP/s shares)"))
    res['default_precision'] = default


def section_data(res, quick):
    import torch
    from attention_nb.data import Loader, load_split, shared_data, list_images, decode_images, find_splits, class_folders
    from attention_nb.synth import make_demo_data
    data = shared_data('intel-scenes-mini')
    name = 'intel-scenes-mini'
    if data is None:
        data, name = make_demo_data(), 'demo (../shared/data/intel-scenes-mini not found)'
    train_dir = find_splits(data)[0]
    files = [f for c in class_folders(train_dir) for f in list_images(c)]
    rows = []
    for size in (64, 128):
        t = time.perf_counter(); x, ok = decode_images(files, size, 3, progress=False); decode_s = time.perf_counter() - t
        ds = load_split(data, 'train', size, progress=False)   # the disk cache (written once here if missing)
        dl = Loader(ds, 32, shuffle=True, augment=True)
        def epoch():
            for xb, yb in dl: pass
        t_epoch = median_time(epoch, 3 if quick else 5)
        rows.append(dict(img_size=size, images=len(ds), decode_img_per_s=len(files) / decode_s, decode_epoch_s=decode_s,
                         loader_img_per_s=len(ds) / t_epoch))
    print(f'\n## Data pipeline on {name}')
    print(f"{'size':>4} {'images':>7} {'first epoch: decode':>20} {'decode img/s':>12} {'cached loader + augment img/s':>30}")
    for r in rows:
        print(f"{r['img_size']:>4} {r['images']:>7} {r['decode_epoch_s']:>18.1f} s {r['decode_img_per_s']:>12.0f} {r['loader_img_per_s']:>30.0f}")
    for r in rows:
        tr = next((q for q in res.get('train', []) if q['backbone'] == 'fast' and q['attention'] == 'spatial' and q['img_size'] == r['img_size'] and q['precision'] == res.get('default_precision', 'fp32')), None)
        if tr:
            r['loader_over_train'] = r['loader_img_per_s'] / tr['img_per_s']
            print(f"target at {r['img_size']} px: loader {r['loader_over_train']:.0f}x the default model's training images/s (>= 5x)")
    res['data'] = dict(dataset=name, rows=rows)


def section_infer(res, quick):
    import torch
    from attention_nb.model import AttentionCNN
    rows = []
    for size in (64, 128):
        m = AttentionCNN(6, size).eval()
        x = torch.randn(64, 3, size, size).contiguous(memory_format=torch.channels_last)
        def f():
            with torch.no_grad(): m(x)
        t = median_time(f, 5 if quick else 10)
        rows.append(dict(img_size=size, batch=64, img_per_s=64 / t))
    print('\n## Inference, default model, batch 64')
    for r in rows: print(f"{r['img_size']:>4} px: {r['img_per_s']:.0f} img/s")
    res['infer'] = rows


def section_visualize(res, quick):
    "24 images at 128 px through the whole visualisation job (model, Grad-CAM, figures, CSV), median of 3 runs."
    import torch
    from attention_nb.data import shared_data, list_images, find_splits, class_folders
    from attention_nb.synth import make_demo_data
    from attention_nb.model import AttentionCNN
    from attention_nb.checkpoint import save_checkpoint
    from attention_nb.visualize import visualize_folder
    data = shared_data('intel-scenes-mini') or make_demo_data()
    test_dir = find_splits(data)[1]
    classes = [c.name for c in class_folders(test_dir)]
    files = [f for c in class_folders(test_dir) for f in list_images(c)[:24 // len(classes) + 1]][:24]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp); (tmp/'images').mkdir()
        for i, f in enumerate(files): (tmp/'images'/f'{i:02d}_{f.name}').write_bytes(f.read_bytes())
        torch.manual_seed(0)
        save_checkpoint(tmp/'run'/'attention_cnn.pth', AttentionCNN(len(classes), 128).eval(), classes, [0.5] * 3, [0.25] * 3)
        t = median_time(lambda: visualize_folder(tmp/'images', tmp/'run', tmp/'out', gradcam=True, progress=False, log=lambda s: None), 3, warmup=1)
        # what a user waits for: the whole process, start-up and imports included
        cmd = [sys.executable, str(ROOT/'visualize.py'), '--data_folder', str(tmp/'images'), '--model_save_path', str(tmp/'run'),
               '--output_folder', str(tmp/'out2')]
        walls = {}
        for label, extra in (('gradcam', ['--gradcam', 'true']), ('no_gradcam', [])):
            ts = []
            for _ in range(3):
                t0 = time.perf_counter(); subprocess.run(cmd + extra, check=True, capture_output=True); ts.append(time.perf_counter() - t0)
            walls[label] = sorted(ts)[1]
        imp = [sys.executable, '-c', 'import attention_nb.visualize']
        t0 = time.perf_counter(); subprocess.run(imp, check=True); t_imp = time.perf_counter() - t0
    print(f'\n## Visualisation\n24 images at 128 px, Grad-CAM, figures and predictions.csv included: {t:.2f} s in-process (median of 3); '
          f'visualize.py as a process: {walls["no_gradcam"]:.2f} s ({walls["gradcam"]:.2f} s with --gradcam true; '
          f'importing the module alone {t_imp:.2f} s; target <= 6 s)')
    res['visualize'] = dict(images=24, img_size=128, seconds=t, process_seconds=walls['gradcam'],
                            process_seconds_no_gradcam=walls['no_gradcam'], import_seconds=t_imp)


def section_widget(res, quick):
    "The channel scrubber's redraw: one forward pass per image (cached), then per channel only a redraw."
    import numpy as np, torch
    from attention_nb.model import AttentionCNN
    from attention_nb.widgets import ChannelCache, ChannelView
    torch.manual_seed(0)
    img = (torch.rand(3, 64, 64) * 255).to(torch.uint8)
    model = AttentionCNN(6, 64)
    t_cache = median_time(lambda: ChannelCache(model, img, [0.5] * 3, [0.25] * 3), 5)
    cache, view = ChannelCache(model, img, [0.5] * 3, [0.25] * 3), ChannelView()
    chans = iter(range(10 ** 6))
    t_draw = median_time(lambda: view.png(cache, next(chans) % cache.channels), 30, warmup=3)
    t_over = median_time(lambda: view.png(cache, next(chans) % cache.channels, by_attention=True, on_image=True), 30, warmup=3)
    print(f"\n## Channel scrubber (64 px, 256 channels)\nforward pass and cache per new image: {1000 * t_cache:.0f} ms; "
          f"redraw per slider move: {1000 * t_draw:.0f} ms, with overlay and attention order: {1000 * t_over:.0f} ms (median; target < 100 ms)")
    res['widget'] = dict(cache_ms=1000 * t_cache, redraw_ms=1000 * t_draw, redraw_overlay_ms=1000 * t_over)


SECTIONS = dict(ceiling=section_ceiling, train=section_train, data=section_data, infer=section_infer, visualize=section_visualize, widget=section_widget)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--only', choices=list(SECTIONS), action='append', help='run only these sections (repeatable)')
    p.add_argument('--quick', action='store_true', help='fewer repeats')
    p.add_argument('--out', default=str(HERE/'results.json'), help='where the JSON goes')
    args = p.parse_args()
    import torch
    res = dict(machine=dict(cpu=platform.processor() or platform.machine(), cores=os.cpu_count(), threads=torch.get_num_threads(),
                            torch=torch.__version__, python=platform.python_version()),
               date=time.strftime('%Y-%m-%d %H:%M'))
    print(f"# attention_nb bench: {res['machine']}")
    t0 = time.perf_counter()
    for name in args.only or list(SECTIONS): SECTIONS[name](res, args.quick)
    res['total_s'] = time.perf_counter() - t0
    Path(args.out).write_text(json.dumps(res, indent=1))
    print(f"\nwrote {args.out} ({res['total_s']:.0f} s)")


if __name__ == '__main__':
    main()
