"""The training command line end to end on the demo data: files written, interrupt and resume, bad input."""
import csv, json, os, re, signal, subprocess, sys, time
from pathlib import Path

import pytest
from PIL import Image

from conftest import ROOT, cli

RUN_FILES = {'attention_cnn.pth', 'last_state.pth', 'metrics.csv', 'curves.png', 'confusion_matrix.png', 'test_metrics.json'}


def train(*flags, timeout=300):
    return subprocess.run([cli('attention_nb_train'), *flags], capture_output=True, text=True, timeout=timeout)


def metrics(run):
    "metrics.csv rows without the timing columns, which differ between runs."
    rows = list(csv.DictReader(open(run/'metrics.csv')))
    return [{k: v for k, v in r.items() if k not in ('seconds', 'img_per_s')} for r in rows]


@pytest.fixture(scope='module')
def demo_run(tmp_path_factory):
    "An uninterrupted 6-epoch run on the demo data, seed 0."
    run = tmp_path_factory.mktemp('runs')/'full'
    r = train('--demo', '--epoch', '6', '--model_save_path', str(run))
    assert r.returncode == 0, r.stderr
    return run, r


@pytest.mark.slow
def test_demo_run_writes_every_file(demo_run):
    run, r = demo_run
    assert {p.name for p in run.iterdir()} == RUN_FILES
    assert len(metrics(run)) == 6 and 'epoch 6/6' in r.stdout and 'test accuracy' in r.stdout
    tm = json.loads((run/'test_metrics.json').read_text())
    assert tm['n_test'] == 100 and sum(map(sum, tm['confusion'])) == 100
    assert set(tm['per_class']) == {'circle', 'cross', 'square', 'triangle'}
    best = max(metrics(run), key=lambda row: float(row['val_acc']))   # first maximum, as the run keeps the first best
    assert tm['best_epoch'] == int(best['epoch'])
    for png in ('curves.png', 'confusion_matrix.png'):
        with Image.open(run/png) as im:
            assert im.format == 'PNG' and min(im.size) > 100
    from attention_nb.checkpoint import load_checkpoint
    model, meta = load_checkpoint(run/'attention_cnn.pth')
    assert meta['classes'] == ['circle', 'cross', 'square', 'triangle'] and meta['config']['img_size'] == 64
    assert meta['run_args']['shuffle'] is True
    assert meta['run_args']['precision'] in ('fp32', 'bf16')   # --precision auto is stored resolved


def interrupted(*flags, at:str, env=None):
    "Run the command line with a Ctrl-C (SIGINT) sent by the run itself after step S of epoch E (`at='E,S'`)."
    env = dict(env or os.environ, ATTENTION_NB_INTERRUPT_AT=at)
    return subprocess.run([sys.executable, str(ROOT/'train_script.py'), *flags], capture_output=True, text=True,
                          timeout=300, env=env)


@pytest.mark.slow
def test_sigint_then_resume_matches_uninterrupted(demo_run, tmp_path):
    full, _ = demo_run
    run = tmp_path/'interrupted'
    r = interrupted('--demo', '--epoch', '6', '--model_save_path', str(run), at='3,2')   # in the middle of epoch 3
    assert r.returncode == 130, r.stderr
    assert 'stopped at epoch 3, step 3' in r.stdout and 'continue with --resume' in r.stdout and 'Traceback' not in r.stderr
    assert not (run/'test_metrics.json').exists() and (run/'last_state.pth').exists()
    assert len(metrics(run)) == 2                                           # two finished epochs, no more
    r = train('--resume', '--model_save_path', str(run))
    assert r.returncode == 0, r.stderr
    assert 'resuming at epoch 3, step 3' in r.stdout
    assert metrics(run) == metrics(full)
    assert json.loads((run/'test_metrics.json').read_text()) == json.loads((full/'test_metrics.json').read_text())
    r = train('--resume', '--model_save_path', str(run))
    assert r.returncode == 1 and 'already finished' in r.stderr


@pytest.mark.slow
def test_resume_refuses_a_state_with_a_torch_scheduler(demo_run, tmp_path):
    "A last_state.pth from before the schedule was a function of the step (it held OneCycleLR's state): one line."
    import shutil, torch
    run = tmp_path/'old'; shutil.copytree(demo_run[0], run)
    st = torch.load(run/'last_state.pth', weights_only=True)
    del st['schedule']
    torch.save(dict(st, finished=False, sched={'total_steps': 48, 'last_epoch': 20}), run/'last_state.pth')
    r = train('--resume', '--model_save_path', str(run))
    assert r.returncode == 1 and 'written by an older attention_nb' in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and 'Traceback' not in r.stderr, r.stderr


@pytest.mark.slow
def test_time_budget_plans_the_epochs_and_epoch_overrides_it(tmp_path):
    r = train('--demo', '--time_budget', '0.3', '--model_save_path', str(tmp_path/'b'))
    assert r.returncode == 0, r.stderr
    m = re.search(r'time budget 0.3 min: (\d+) epochs of about', r.stdout)
    assert m, r.stdout
    planned = int(m.group(1))
    replanned = re.search(r're-planned from \d+ to (\d+) epochs', r.stdout)   # a fast machine plans 5+ and re-plans
    n = int(replanned.group(1)) if replanned else planned
    trained = len(metrics(tmp_path/'b'))   # the plan, or fewer where the deadline said so (and the log says why)
    assert trained == n or (trained < n and 'time budget: another epoch would end past it' in r.stdout), r.stdout
    assert 'test accuracy' in r.stdout
    from attention_nb.checkpoint import load_checkpoint
    assert load_checkpoint(tmp_path/'b')[1]['run_args']['epoch'] == planned   # the plan is stored with the run
    r = train('--demo', '--epoch', '2', '--time_budget', '0.01', '--model_save_path', str(tmp_path/'e'))
    assert r.returncode == 0 and 'time budget' not in r.stdout and len(metrics(tmp_path/'e')) == 2


@pytest.mark.slow
def test_resume_keeps_the_planned_epochs(tmp_path):
    run = tmp_path/'planned'
    env = dict(os.environ, ATTENTION_NB_SPEED='150,1500')   # an injected speed: about 6 epochs on any machine
    r = interrupted('--demo', '--time_budget', '0.5', '--model_save_path', str(run), at='1,2', env=env)   # early: no deadline
    assert r.returncode == 130, r.stdout + r.stderr
    plan = re.search(r'time budget 0.5 min: (\d+) epochs', r.stdout)   # 6, less the seconds start-up took
    assert plan and 'stopped at epoch 1, step 3' in r.stdout, r.stdout
    r = subprocess.run([sys.executable, str(ROOT/'train_script.py'), '--resume', '--model_save_path', str(run)],
                       capture_output=True, text=True, timeout=300, env=env)   # the injected speed: no re-planning
    assert r.returncode == 0, r.stderr
    assert not re.search(r'time budget [\d.]+ min: \d+ epochs', r.stdout)          # no new plan
    totals = {int(t) for t in re.findall(r'^epoch \d+/(\d+) ', r.stdout, re.M)}
    assert totals == {int(plan.group(1))} and 'test accuracy' in r.stdout, r.stdout   # the same schedule, finished


@pytest.mark.slow
def test_same_seed_same_metrics_and_shuffle_false(tmp_path):
    a = train('--demo', '--epoch', '2', '--shuffle', 'false', '--model_save_path', str(tmp_path/'a'))
    b = train('--demo', '--epoch', '2', '--shuffle', 'false', '--model_save_path', str(tmp_path/'b'))
    assert a.returncode == 0 and b.returncode == 0, a.stderr + b.stderr
    assert metrics(tmp_path/'a') == metrics(tmp_path/'b')
    from attention_nb.checkpoint import load_checkpoint
    assert load_checkpoint(tmp_path/'a')[1]['run_args']['shuffle'] is False


def test_help_documents_every_flag():
    r = train('-h')
    assert r.returncode == 0
    for flag in ('--data_folder', '--num_classes', '--img_size', '--epoch', '--batch_size', '--learning_rate',
                 '--dropout_rate', '--num_workers', '--shuffle', '--img_depth', '--device', '--model_save_path',
                 '--attention', '--gate', '--val_fraction', '--seed', '--resume', '--demo'):
        assert flag in r.stdout, flag
    assert '(default: 64)' in r.stdout and '(default: models)' in r.stdout
    for gone in ('--mix', '--min_size', '--crop_scale'): assert gone not in r.stdout, gone   # experiments: bench/


@pytest.mark.parametrize('flags, needle', [
    ([], '--data_folder is required'),
    (['--demo', '--num_classes', '3'], '--num_classes 3, but'),
    (['--demo', '--img_size', '16'], 'img_size=16'),
    (['--demo', '--epoch', '0'], "'0' must be positive"),
    (['--demo', '--shuffle', 'maybe'], "'maybe' is not a boolean"),
    (['--demo', '--device', 'tpu'], "invalid choice: 'tpu'"),
    (['--demo', '--attention', 'global'], "invalid choice: 'global'"),
    (['--demo', '--val_fraction', '1.5'], '--val_fraction 1.5'),
    (['--demo', '--mix', 'cutmix'], '--mix was removed from the command line: it measured no gain'),
    (['--demo', '--min_size', '32'], '--min_size was removed from the command line'),
    (['--demo', '--crop_scale=0.35'], '--crop_scale was removed from the command line'),
    (['--data_folder', 'no/such/folder'], 'no/such/folder'),
    (['--resume', '--model_save_path', 'no/such/run'], 'no resumable state at no/such/run'),
])
def test_bad_flags_are_one_line(flags, needle, tmp_path):
    r = subprocess.run([cli('attention_nb_train'), *flags], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert r.returncode != 0
    assert needle in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and 'Traceback' not in r.stderr, r.stderr


def test_num_classes_mismatch_lists_the_classes(tmp_path):
    r = train('--demo', '--num_classes', '6', '--model_save_path', str(tmp_path))
    assert r.returncode == 1
    assert 'circle, cross, square, triangle' in r.stderr and 'pass --num_classes 4' in r.stderr


def test_model_save_path_that_is_a_file(tmp_path):
    f = tmp_path/'file'; f.write_text('x')
    r = train('--demo', '--model_save_path', str(f))
    assert r.returncode == 1 and f'--model_save_path {f}: is a file' in r.stderr


@pytest.mark.slow
def test_divergence_names_epoch_and_step_and_keeps_checkpoint(demo_run, tmp_path):
    import shutil
    run = tmp_path/'run'; shutil.copytree(demo_run[0], run)
    before = (run/'attention_cnn.pth').read_bytes()
    r = train('--demo', '--learning_rate', '1e12', '--epoch', '2', '--model_save_path', str(run))
    assert r.returncode == 1 and 'at epoch 1, step' in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert (run/'attention_cnn.pth').read_bytes() == before


@pytest.mark.slow
def test_bf16_precision_trains_and_is_recorded(tmp_path):
    r = train('--demo', '--epoch', '1', '--precision', 'bf16', '--model_save_path', str(tmp_path))
    assert r.returncode == 0, r.stderr
    from attention_nb.checkpoint import load_checkpoint
    assert load_checkpoint(tmp_path)[1]['run_args']['precision'] == 'bf16'
    r = train('--demo', '--epoch', '1', '--precision', 'fp32', '--model_save_path', str(tmp_path/'fp32'))
    assert r.returncode == 0, r.stderr
    loss = lambda run: float(next(csv.DictReader(open(run/'metrics.csv')))['train_loss'])
    assert abs(loss(tmp_path) - loss(tmp_path/'fp32')) < 0.1   # bf16 trains as float32 does, to rounding
