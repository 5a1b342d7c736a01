"""Smoke tests of the experiments in bench/ (not the library's tests: .ci/run runs them as a step of their own).

    .venv/bin/pytest -q bench/test_bench.py
"""
import subprocess, sys, re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def train(*flags, timeout=300):
    return subprocess.run([str(Path(sys.executable).parent/'attention_nb_train'), *flags], capture_output=True, text=True,
                          timeout=timeout)


def test_recipe_experiments_run_through_fit_hooks_and_stay_out_of_the_cli(tmp_path):
    "Mixing, crops and progressive resizing are bench experiments (fit's hooks); a run that used one is not resumed by the CLI."
    run = tmp_path/'recipe'
    r = subprocess.run([sys.executable, str(ROOT/'bench'/'recipe_options.py'), '--demo', '--epoch', '2', '--mix', 'cutmix',
                        '--crop_scale', '0.5', '--min_size', '32', '--model_save_path', str(run)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert re.search(r'^epoch 1/2 \(32 px\)', r.stdout, re.M) and 'test accuracy' in r.stdout, r.stdout
    r = train('--resume', '--model_save_path', str(run))
    assert r.returncode == 1 and 'this run used --mix cutmix, --crop_scale 0.5, --min_size 32' in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and 'bench/recipe_options.py' in r.stderr, r.stderr


def test_controls_put_their_pooling_in_place_and_score_with_it(tmp_path, monkeypatch):
    "The pooling controls replace the average pooling, and the single test reads the checkpoint back with it."
    import torch
    sys.path.insert(0, str(ROOT/'bench'))
    import controls
    from attention_nb.model import AttentionCNN
    for name, kind in (('max', torch.nn.AdaptiveMaxPool2d), ('gem', controls.GeM), ('mil', controls.GatedMIL)):
        m = AttentionCNN(4, 64, attention='none'); controls.use_pooling(name)(m)
        assert isinstance(m.head[0], kind)
        from attention_nb.checkpoint import save_checkpoint
        save_checkpoint(tmp_path/f'{name}.pth', m, list('abcd'), [0.5] * 3, [0.25] * 3)
        back, _ = controls.loader_for(name)(tmp_path/f'{name}.pth')
        x = torch.randn(2, 3, 64, 64)
        m.eval(); assert torch.allclose(back(x).logits, m(x).logits, atol=1e-6)


def test_harness_trains_a_run_once_and_reuses_it(tmp_path):
    "`train_once` trains an unfinished run and reuses a finished one; the sweep's designs are the library's."
    sys.path.insert(0, str(ROOT/'bench'))
    from harness import PAYS_DESIGNS, GRID_VARIANTS, train_once
    from attention_nb.attention import ATTENTIONS
    from attention_nb.checkpoint import load_checkpoint
    from attention_nb.synth import make_demo_data
    assert {v['attention'] for v in [*PAYS_DESIGNS.values(), *GRID_VARIANTS.values()]} <= set(ATTENTIONS)
    tiny = make_demo_data(tmp_path/'odd', n_train=8, n_test=2, seed=3, oddball=dict(mark='odd'))
    out = train_once(tiny, PAYS_DESIGNS['ltpa'], seed=0, epochs=1, out=tmp_path/'run')
    stamp = (out/'test_metrics.json').stat().st_mtime_ns
    train_once(tiny, PAYS_DESIGNS['ltpa'], seed=0, epochs=1, out=out)              # finished: reused, not retrained
    assert (out/'test_metrics.json').stat().st_mtime_ns == stamp
    assert load_checkpoint(out)[1]['config']['attention_kw'] == dict(score='dot')


def test_localisation_script_scores_and_draws(tmp_path):
    "bench/localisation.py end to end on tiny sets: rows for every variant's maps, and the figure."
    r = subprocess.run([sys.executable, str(ROOT/'bench'/'localisation.py'), '--smoke'], capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    assert re.search(r'^\d+ rows, figure \d+ bytes', r.stdout, re.M), r.stdout


def test_slow_cpu_says_what_it_needs_in_one_line():
    "The slow-machine stand-in refuses a bad factor in one line; where it can run (root, cgroup v1) a command's status passes through."
    slow = [sys.executable, str(ROOT/'bench'/'slow_cpu.py')]
    r = subprocess.run(slow + ['fast', '--', 'true'], capture_output=True, text=True)
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1 and "S='fast'" in r.stderr, r.stderr
    r = subprocess.run(slow + ['2', '--', sys.executable, '-c', 'raise SystemExit(3)'], capture_output=True, text=True)
    if r.returncode == 1: assert 'cgroup v1' in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    else: assert r.returncode == 3, r.stderr
