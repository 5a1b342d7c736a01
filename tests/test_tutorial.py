"""The tutorial chapters' house rules, read from the notebooks (no kernel): what the page shows is what runs.

- every chapter with code has a hidden install cell;
- hidden cells only install the package or set display options, so they define no name a visible cell uses;
- a chapter's imports sit in its first visible code cell;
- visible code lines fit the page's column (71 characters);
- nothing reads a path that exists only in a clone (`results/`, `../shared`, `nbs/`, `images/`);
- every shipped table, run and figure a chapter names is in the package.
"""
import ast, json, re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted(ROOT.glob('nbs/**/t[0-9]*.ipynb'))
HIDDEN_MODULES = {'importlib', 'importlib.util', 'subprocess', 'sys', 'matplotlib', 'matplotlib_inline.backend_inline'}
COLUMN = 71


def cells(nb_path):
    nb = json.loads(nb_path.read_text())
    for c in nb['cells']:
        if c['cell_type'] == 'code': yield ''.join(c['source'])


def code_only(src):
    return '\n'.join(l for l in src.splitlines() if not l.startswith('#|'))


def is_hidden(src): return bool(re.search(r'^#\|\s*hide\s*$', src, re.M))


def is_echo_false(src): return bool(re.search(r'^#\|\s*echo:\s*false', src, re.M))


def test_there_are_chapters():
    assert len(CHAPTERS) >= 6, CHAPTERS


@pytest.mark.parametrize('nb', CHAPTERS, ids=lambda p: p.stem)
def test_hidden_cells_only_install_or_set_display(nb):
    srcs = list(cells(nb))
    if not srcs: return                                   # a page of prose
    assert any(is_hidden(s) and "find_spec('attention_nb')" in s for s in srcs), f"{nb.name}: no hidden install cell"
    for s in filter(is_hidden, srcs):
        tree = ast.parse(code_only(s))
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
                bad = [m for m in mods if m not in HIDDEN_MODULES]
                assert not bad, f"{nb.name}: a hidden cell imports {bad}; import it in the first visible code cell"
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) or (
                    isinstance(node, ast.Assign) and not all(isinstance(t, (ast.Subscript, ast.Attribute)) for t in node.targets)):
                pytest.fail(f"{nb.name}: a hidden cell defines a name (line {node.lineno}); define it where the page shows it")


@pytest.mark.parametrize('nb', CHAPTERS, ids=lambda p: p.stem)
def test_imports_in_the_first_visible_code_cell(nb):
    visible = [s for s in cells(nb) if not is_hidden(s)]
    for k, s in enumerate(visible[1:], 1):
        tree = ast.parse(code_only(s))
        imports = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
        assert not imports, f"{nb.name}: visible code cell {k + 1} imports (line {imports[0].lineno}); move it to the first"


@pytest.mark.parametrize('nb', CHAPTERS, ids=lambda p: p.stem)
def test_code_fits_the_column(nb):
    long = [l for s in cells(nb) if not (is_hidden(s) or is_echo_false(s))
            for l in code_only(s).splitlines() if len(l) > COLUMN]
    assert not long, f"{nb.name}: {len(long)} code lines over {COLUMN} characters, e.g. {long[0]!r}"


@pytest.mark.parametrize('nb', CHAPTERS, ids=lambda p: p.stem)
def test_reads_nothing_only_a_clone_has(nb):
    for s in cells(nb):
        if is_hidden(s): continue
        for bad in ("'results/", '../shared', "'nbs/", "'images/", 'cached_run', 'pays_run'):
            assert bad not in s, f"{nb.name}: reads {bad!r}, which a learner's kernel does not have"


@pytest.mark.parametrize('nb', CHAPTERS, ids=lambda p: p.stem)
def test_shipped_assets_exist(nb):
    from attention_nb.checkpoint import results_table, shipped_figure, shipped_run
    for s in cells(nb):
        for name in re.findall(r"results_table\('([\w-]+)'\)", s): assert results_table(name)
        for name in re.findall(r"shipped_figure\('([\w.-]+)'\)", s): assert shipped_figure(name).is_file()
        for name in re.findall(r"shipped_run\('([\w-]+)'\)", s): assert shipped_run(name).is_dir()
        for pat in re.findall(r"shipped_run\(f'([\w{}-]+)'\)", s):   # e.g. f'oddball-spatial-e{e}'
            rx = re.sub(r'\\\{\w+\\\}', r'[\\w-]+', re.escape(pat))
            runs = [p.name for p in (ROOT/'attention_nb'/'pretrained'/'runs').iterdir()]
            assert any(re.fullmatch(rx, r) for r in runs), f"{nb.name}: no shipped run matches {pat!r}"


def test_package_data_is_in_the_wheel(tmp_path):
    "The tables, runs and figures the chapters read are package data: a non-editable install carries them."
    import subprocess, sys, zipfile
    subprocess.run([sys.executable, '-m', 'pip', 'wheel', '-q', '--no-deps', '--no-build-isolation', '-w', str(tmp_path),
                    str(ROOT)], check=True, capture_output=True)
    names = zipfile.ZipFile(next(tmp_path.glob('*.whl'))).namelist()
    for rel in ['tables/when_attention_pays.csv', 'tables/intel_accuracy.csv', 'figures/design_masks.png',
                'pretrained/runs/hard-dense-32/attention_cnn.pth', 'pretrained/intel-scenes-64.pth']:
        assert f'attention_nb/{rel}' in names, rel
