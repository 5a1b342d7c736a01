"""Training under torchrun on the CPU (gloo): one run folder, one report, checkpoints that load anywhere, resume
across process counts, and DistributedDataParallel's averaged gradients equal one process's on the whole batch."""
import csv, os, signal, subprocess, sys, time
from pathlib import Path

import pytest
import torch

from conftest import ROOT

TORCHRUN = [sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', '2']


pytestmark = pytest.mark.slow   # every test here trains, in two processes


def torchrun(*flags, **kw):
    env = {**os.environ, 'OMP_NUM_THREADS': '1'}
    return subprocess.run([*TORCHRUN, str(ROOT/'train_script.py'), *flags], capture_output=True, text=True, env=env,
                          timeout=600, cwd=ROOT, **kw)


@pytest.fixture(scope='module')
def ddp_run(tmp_path_factory):
    run = tmp_path_factory.mktemp('ddp')/'run'
    r = torchrun('--demo', '--epoch', '3', '--model_save_path', str(run))
    assert r.returncode == 0, r.stderr[-3000:]
    return run, r


def test_one_run_folder_one_report(ddp_run):
    run, r = ddp_run
    out = r.stdout + r.stderr
    assert out.count('test accuracy') == 1, out
    assert out.count('epoch 3/3') == 1 and '2 processes' in out
    rows = list(csv.DictReader(open(run/'metrics.csv')))
    assert [int(x['epoch']) for x in rows] == [1, 2, 3]
    assert {p.name for p in run.iterdir()} == {'attention_cnn.pth', 'last_state.pth', 'metrics.csv', 'curves.png',
                                               'confusion_matrix.png', 'test_metrics.json'}


def test_checkpoint_is_the_plain_self_describing_file(ddp_run):
    from attention_nb.checkpoint import load_checkpoint
    run, _ = ddp_run
    ck = torch.load(run/'attention_cnn.pth', map_location='cpu', weights_only=True)
    assert not any(k.startswith('module.') for k in ck['state_dict'])
    model, meta = load_checkpoint(run)
    assert meta['classes'] == ['circle', 'cross', 'square', 'triangle']
    st = torch.load(run/'last_state.pth', map_location='cpu', weights_only=True)
    assert st['world_size'] == 2 and st['global_batch'] == 64 and st['finished']


def test_sigterm_then_single_process_resume(tmp_path):
    "SIGTERM to torchrun mid-run leaves a resumable state; one process resumes it with the same global batch."
    run = tmp_path/'run'
    env = {**os.environ, 'OMP_NUM_THREADS': '1', 'PYTHONUNBUFFERED': '1'}
    p = subprocess.Popen([*TORCHRUN, str(ROOT/'train_script.py'), '--demo', '--epoch', '8', '--model_save_path', str(run)],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=ROOT)
    lines = []
    for line in p.stdout:
        lines.append(line)
        if line.startswith('epoch 1/8'): p.send_signal(signal.SIGTERM); break
    rest, _ = p.communicate(timeout=120)
    out = ''.join(lines) + rest
    assert p.returncode != 0 and 'test accuracy' not in out, out
    st = torch.load(run/'last_state.pth', map_location='cpu', weights_only=True)
    assert not st['finished'] and st['world_size'] == 2
    r = subprocess.run([sys.executable, str(ROOT/'train_script.py'), '--resume', '--model_save_path', str(run)],
                       capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-3000:]
    assert '64 images per process keep its global batch of 64' in r.stdout and 'epoch 8/8' in r.stdout
    rows = list(csv.DictReader(open(run/'metrics.csv')))
    assert [int(x['epoch']) for x in rows] == list(range(1, 9))


def _ddp_grads(rank, world, init_file, x, y, out):
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel as DDP
    from attention_nb.model import AttentionCNN
    torch.set_num_threads(1)
    dist.init_process_group('gloo', init_method=f'file://{init_file}', rank=rank, world_size=world)
    torch.manual_seed(0)
    model = DDP(AttentionCNN(4, 32).eval())     # batch norm in eval mode: no batch statistics
    n = len(y) // world
    loss = torch.nn.functional.cross_entropy(model(x[rank * n:(rank + 1) * n]).logits, y[rank * n:(rank + 1) * n])
    loss.backward()
    if rank == 0: torch.save({k: p.grad for k, p in model.module.named_parameters()}, out)
    dist.barrier()                 # leave together: a rank tearing down gloo while the other still talks can abort
    dist.destroy_process_group()
    # The result is on disk. Skip the interpreter's shutdown: in one CI run gloo's thread, destroyed at exit, aborted
    # rank 1 ("terminate called without an active exception", SIGABRT) after all the work above had finished.
    sys.stdout.flush(); sys.stderr.flush()
    os._exit(0)


def test_ddp_gradients_equal_one_process_on_the_whole_batch(tmp_path):
    from attention_nb.model import AttentionCNN
    torch.manual_seed(1)
    x, y = torch.randn(8, 3, 32, 32), torch.randint(0, 4, (8,))
    torch.multiprocessing.spawn(_ddp_grads, args=(2, tmp_path/'init', x, y, tmp_path/'g.pt'), nprocs=2)
    torch.manual_seed(0)
    model = AttentionCNN(4, 32).eval()
    torch.nn.functional.cross_entropy(model(x).logits, y).backward()
    ddp = torch.load(tmp_path/'g.pt', weights_only=True)
    for k, p in model.named_parameters():
        torch.testing.assert_close(ddp[k], p.grad, rtol=1e-4, atol=1e-6, msg=k)
