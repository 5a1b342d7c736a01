"""Package-level checks that read badly as prose: installed metadata, the generated library, and data errors as one line."""
import configparser, subprocess, sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_version_matches_settings():
    import attention_nb
    cfg = configparser.ConfigParser(); cfg.read(ROOT/'settings.ini')
    assert attention_nb.__version__ == cfg['DEFAULT']['version']


def test_public_imports():
    from attention_nb.data import load_data  # noqa: F401
    from attention_nb.synth import make_demo_data
    from attention_nb.model import AttentionCNN
    assert AttentionCNN(4, 32)(__import__("torch").zeros(1, 3, 32, 32)).logits.shape == (1, 4)


def test_bad_data_folders_are_one_line(tmp_path):
    "Each bad data folder raises DataError with a single line that names the path."
    from attention_nb.data import DataError, find_classes
    (tmp_path/'no_test/train/a').mkdir(parents=True)
    for target, needle in [(tmp_path/'missing', 'data folder not found'), (tmp_path/'no_test', 'no test/ folder')]:
        with pytest.raises(DataError) as e:
            find_classes(target)
        msg = str(e.value)
        assert needle in msg and str(target) in msg and '\n' not in msg
