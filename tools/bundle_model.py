"""Make the bundled model from a finished run folder: its checkpoint with bf16 weights, and a JSON record of how it
was trained (command, data, time-budget plan, wall time, peak memory, per-epoch history, held-out test result).

    .venv/bin/python bench/accuracy.py --data intel-scenes-128 | tee /tmp/full.log     # train with the defaults
    .venv/bin/python tools/bundle_model.py bench/accuracy-intel-scenes-128-0 --log /tmp/full.log

Writes attention_nb/pretrained/intel-scenes-64.pth and .json.
"""
import argparse, csv, json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def machine() -> str:
    "This machine's CPU in a few words, as the record states where the model was trained."
    import os, platform
    try: name = next(l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name'))
    except (OSError, StopIteration): name = platform.processor() or 'a CPU'
    from attention_nb.distributed import cpu_has_bf16
    return f"{os.cpu_count()} cores of an {name}, {'bf16 autocast' if cpu_has_bf16() else 'float32'}"


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('run', help='the run folder (attention_cnn.pth, metrics.csv, test_metrics.json)')
    p.add_argument('--log', required=True, help="bench/accuracy.py's output: the command, the plan, wall time, memory")
    a = p.parse_args()
    from attention_nb.checkpoint import pretrained_path, shrink_checkpoint, load_checkpoint
    run, log = Path(a.run), Path(a.log).read_text()
    cmd = re.search(r'^\$ (.*)$', log, re.M).group(1)
    cmd = re.sub(r'\S*/python \S*/train_script\.py', 'attention_nb_train', cmd)               # no machine paths
    cmd = re.sub(r'--data_folder \S*/(intel-scenes-\w+)', r'--data_folder ../shared/data/\1', cmd)
    cmd = re.sub(r' --seed 0 --model_save_path \S+', '', cmd)
    rec = dict(command=cmd, data='intel-scenes-128: the full Intel scenes train split (14,034 images, 1,402 of them held out '
               'for validation), the 600 test images of intel-scenes-mini',
               plan=re.search(r'^(time budget .*)$', log, re.M).group(1),
               wall_s=float(re.search(r'wall time\s+(\d+) s', log).group(1)),
               peak_mb=float(re.search(r'peak memory\s+(\d+) MB', log).group(1)),
               machine=machine())
    tm = json.loads((run/'test_metrics.json').read_text())
    rec.update({k: tm[k] for k in ('test_acc', 'n_test', 'best_epoch', 'val_acc', 'per_class', 'confusion', 'classes')})
    rec['history'] = [{k: (v == 'True' if k == 'best' else float(v)) for k, v in r.items()} for r in csv.DictReader(open(run/'metrics.csv'))]
    dst = pretrained_path(); dst.parent.mkdir(exist_ok=True)
    shrink_checkpoint(run/'attention_cnn.pth', dst)
    model, meta = load_checkpoint(dst)
    rec['size_bytes'] = dst.stat().st_size
    dst.with_suffix('.json').write_text(json.dumps(rec, indent=1) + '\n')
    print(f"wrote {dst} ({rec['size_bytes'] / 1e6:.2f} MB, {meta['config']['attention']} attention) and its record: "
          f"test {rec['test_acc']:.1%}, {len(rec['history'])} epochs, {rec['wall_s']:.0f} s")


if __name__ == '__main__':
    main()
