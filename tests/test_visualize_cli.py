"""The visualisation command line end to end: figures and predictions.csv from a trained checkpoint, and bad input."""
import csv, subprocess, sys
from pathlib import Path

import pytest
import torch
from PIL import Image

from conftest import ROOT, cli


def visualize(*flags, cwd=None):
    return subprocess.run([cli('attention_nb_visualize'), *flags], capture_output=True, text=True, cwd=cwd, timeout=300)


@pytest.fixture(scope='module')
def run(tmp_path_factory):
    "A short training run on the demo data, at 96 px so the checkpoint's size differs from the images'."
    run = tmp_path_factory.mktemp('runs')/'demo96'
    r = subprocess.run([cli('attention_nb_train'), '--demo', '--epoch', '2', '--img_size', '96', '--model_save_path', str(run)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return run


@pytest.fixture
def images(tmp_path):
    "Six demo images in two sub-folders, two sharing a stem, plus a corrupt image and a text file."
    from attention_nb.synth import make_demo_data
    demo = make_demo_data()
    d = tmp_path/'images'
    for kind in ('circle', 'cross'):
        (d/kind).mkdir(parents=True)
        for f in sorted((demo/'test'/kind).iterdir())[:3]: (d/kind/f.name).write_bytes(f.read_bytes())
    (d/'broken.jpg').write_bytes(b'\xff\xd8 not really a jpeg')
    (d/'readme.txt').write_text('not an image')
    return d


@pytest.mark.slow   # its `run` fixture trains a model
def test_visualize_py_writes_figures_and_csv(run, images, tmp_path):
    out = tmp_path/'out'
    r = subprocess.run([sys.executable, str(ROOT/'visualize.py'), '--data_folder', str(images), '--model_save_path', str(run),
                        '--output_folder', str(out)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert 'broken.jpg' in r.stderr and 'warning' in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    pngs = sorted(out.glob('*.png'))
    assert len(pngs) == 6                              # six readable images; the corrupt one and the text file skipped
    assert {p.name for p in pngs} >= {'circle__0000_png.png', 'cross__0000_png.png'}   # shared stems stay apart
    for p in pngs:
        with Image.open(p) as im:
            assert im.format == 'PNG' and im.size[0] > 600 and im.size[1] > 150
    rows = list(csv.DictReader(open(out/'predictions.csv')))
    inputs = sorted(str(f) for f in images.rglob('*.png'))
    assert sorted(r['file'] for r in rows) == inputs   # the CSV names every readable input
    classes = ['circle', 'cross', 'square', 'triangle']
    for row in rows:
        assert row['predicted'] in classes and 0 < float(row['probability']) <= 1
        top = row['top3'].split('; ')
        assert len(top) == 3 and top[0].startswith(row['predicted']) and (out/row['figure']).exists()


@pytest.mark.slow   # its `run` fixture trains a model
def test_default_paths_read_checkpoint_from_models_and_write_output(run, images, tmp_path):
    "Like the original: run in a folder holding models/, and figures land in ./output (created)."
    import shutil
    work = tmp_path/'work'; shutil.copytree(run, work/'models')
    r = visualize('--data_folder', str(images/'circle'), cwd=work)
    assert r.returncode == 0, r.stderr
    assert len(list((work/'output').glob('*.png'))) == 3 and (work/'output'/'predictions.csv').exists()
    assert {p.name for p in (work/'output').glob('*.png')} == {'0000.png', '0001.png', '0002.png'}


@pytest.mark.slow   # its `run` fixture trains a model
def test_grad_cam_on_request(run, images, tmp_path):
    "By default the slot below the input lists the likeliest classes; --gradcam true draws Grad-CAM's colour map there."
    import numpy as np
    slot = {}
    for flags in ((), ('--gradcam', 'true')):
        out = tmp_path/('cam' if flags else 'default')
        r = visualize('--data_folder', str(images/'circle'), '--model_save_path', str(run), '--output_folder', str(out), *flags)
        assert r.returncode == 0, r.stderr
        with Image.open(out/'0000.png') as im: a = np.asarray(im.convert('RGB')).astype(int)
        h, w, _ = a.shape
        below_input = a[int(h * 0.55):int(h * 0.85), :int(w * 0.15)]
        slot[bool(flags)] = ((below_input.max(-1) - below_input.min(-1)) > 60).mean()   # share of coloured pixels
    assert slot[False] < 0.01 and slot[True] > 0.3, slot


def test_no_checkpoint_says_where_it_looked(images, tmp_path):
    r = visualize('--data_folder', str(images), '--model_save_path', 'runs/mine', cwd=tmp_path)
    assert r.returncode == 1 and f'no checkpoint at runs/mine/attention_cnn.pth' in r.stderr and 'train first' in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and 'Traceback' not in r.stderr


def test_without_models_the_bundled_model_explains(images, tmp_path):
    "Right after installing, with no ./models: the bundled Intel scenes model, with a one-line notice."
    r = visualize('--data_folder', str(images/'circle'), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert 'bundled model trained on Intel scenes' in r.stderr
    rows = list(csv.DictReader(open(tmp_path/'output'/'predictions.csv')))
    assert len(rows) == 3 and {row['predicted'] for row in rows} <= {'buildings', 'forest', 'glacier', 'mountain', 'sea', 'street'}


@pytest.mark.slow   # its `run` fixture trains a model
def test_checkpoint_from_another_architecture_or_version(run, images, tmp_path):
    ck = torch.load(run/'attention_cnn.pth', weights_only=True)
    ck['config']['backbone'] = 'original'; torch.save(ck, tmp_path/'arch.pth')
    r = visualize('--data_folder', str(images), '--model_save_path', str(tmp_path/'arch.pth'), '--output_folder', str(tmp_path/'o'))
    assert r.returncode == 1 and 'do not fit the model' in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    ck = torch.load(run/'attention_cnn.pth', weights_only=True)
    ck['format_version'] = 7; torch.save(ck, tmp_path/'future.pth')
    r = visualize('--data_folder', str(images), '--model_save_path', str(tmp_path/'future.pth'), '--output_folder', str(tmp_path/'o'))
    assert r.returncode == 1 and 'format 7' in r.stderr and 'train again' in r.stderr, r.stderr
    torch.save({'model': torch.zeros(3)}, tmp_path/'foreign.pth')
    r = visualize('--data_folder', str(images), '--model_save_path', str(tmp_path/'foreign.pth'))
    assert r.returncode == 1 and 'not an attention_nb checkpoint' in r.stderr


@pytest.mark.slow   # its `run` fixture trains a model
def test_folder_without_images(run, tmp_path):
    (tmp_path/'empty').mkdir(); (tmp_path/'empty'/'a.txt').write_text('x')
    r = visualize('--data_folder', str(tmp_path/'empty'), '--model_save_path', str(run), '--output_folder', str(tmp_path/'o'))
    assert r.returncode == 1 and 'no images found' in r.stderr and str(tmp_path/'empty') in r.stderr
    r = visualize('--data_folder', str(tmp_path/'missing'), '--model_save_path', str(run))
    assert r.returncode == 1 and 'folder not found' in r.stderr


@pytest.mark.slow   # its `run` fixture trains a model
def test_output_folder_that_cannot_be_written(run, images, tmp_path):
    blocker = tmp_path/'blocker'; blocker.write_text('a file, not a folder')
    r = visualize('--data_folder', str(images), '--model_save_path', str(run), '--output_folder', str(blocker/'out'))
    assert r.returncode == 1 and '--output_folder' in r.stderr and 'cannot write there' in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_missing_data_folder_flag():
    r = visualize()
    assert r.returncode == 2 and '--data_folder IMAGES' in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_drawing_workers_do_not_hang_when_called_again(tmp_path):
    """visualize_folder twice in one process with a 128 px model and two drawing workers: forked workers once hung
    in an OpenMP region of the upsampling (only large enough to go parallel at 128 px). A hang fails on the timeout."""
    code = f'''
import torch
from pathlib import Path
from attention_nb.synth import make_demo_data
from attention_nb.model import AttentionCNN
from attention_nb.checkpoint import save_checkpoint
from attention_nb.visualize import visualize_folder
demo, tmp = make_demo_data(), Path({str(tmp_path)!r})
torch.manual_seed(0)
save_checkpoint(tmp/'run'/'attention_cnn.pth', AttentionCNN(4, 128).eval(), ['a', 'b', 'c', 'd'], [0.5] * 3, [0.25] * 3)
for k in range(2):
    rows = visualize_folder(demo/'test'/'circle', tmp/'run', tmp/f'out{{k}}', workers=2, progress=False, log=lambda s: None)
    assert len(rows) == len(list((tmp/f'out{{k}}').glob('*.png'))) > 0
print('ok')
'''
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=120, start_new_session=True)
    assert r.returncode == 0 and r.stdout.strip() == 'ok', r.stderr


def test_start_up_leaves_plotting_and_grad_cam_packages_unloaded():
    "Importing the module loads no plotting: matplotlib loads in the drawing workers, OpenCV for Grad-CAM, grad-cam never."
    code = ("import sys, attention_nb.visualize; "
            "print(sorted(m for m in ('matplotlib', 'pytorch_grad_cam', 'cv2', 'sklearn') if m in sys.modules))")
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=120, cwd=ROOT/'tests')
    assert r.returncode == 0 and r.stdout.strip() == '[]', r.stdout + r.stderr
