import os, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


@pytest.fixture(scope='session', autouse=True)
def isolated_cache(tmp_path_factory):
    "Every test (and every CLI it starts) uses a fresh cache folder, never the user's ~/.cache."
    d = tmp_path_factory.mktemp('cache')
    old = os.environ.get('ATTENTION_NB_CACHE')
    os.environ['ATTENTION_NB_CACHE'] = str(d)
    yield d
    if old is None: os.environ.pop('ATTENTION_NB_CACHE', None)
    else: os.environ['ATTENTION_NB_CACHE'] = old


def cli(name):
    "Path of an installed console script of this package."
    p = BIN/name
    if not p.exists(): pytest.fail(f'{p} is missing: install the package (pip install -e .) so its console scripts exist')
    return str(p)
