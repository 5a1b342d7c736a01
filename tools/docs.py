"""Build the documentation site from the notebooks' stored outputs, offline, with Jupyter Book 1 (Quarto, which
`nbdev_docs` needs, cannot be installed here).

    .venv/bin/python tools/docs.py            # site in _build/html (open _build/html/index.html)

Steps: nbdev processes the notebooks into `_proc/` (hidden cells removed, exported symbols documented with
`show_doc`); the book's configuration, table of contents and CSS are the committed `nbs/_config.yml`, `nbs/_toc.yml`
(one part per folder of `nbs/`) and `nbs/_static/site.css`; this script turns nbdev's Quarto-flavoured markup into MyST (front matter into a title, `#|` directives
into cell tags, show_doc's `---` rules and `{...}` attributes removed, links to the Quarto site's pages into links
between these pages), writes an API reference page for every exported symbol, and runs `jupyter-book build`.
No notebook is executed: pages show the outputs stored in the notebooks.
"""
import json, re, shutil, subprocess, sys, textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT/'tools'))
from tidy_outputs import tidy_outputs
BOOK = ROOT/'_book'
OUT = ROOT/'_build'


def directives(src):
    "The `#| key: value` lines of a code cell as a dict, and the source without them."
    d, keep = {}, []
    for line in src.splitlines():
        m = re.match(r'^#\|\s*([\w-]+)\s*:?\s*(.*)$', line)
        if m: d[m.group(1)] = m.group(2).strip()
        else: keep.append(line)
    return d, '\n'.join(keep).strip('\n')


ATTR = re.compile(r'\{(?:target|style|\.)[^}\n]*\}')


DETAILS = re.compile(r'^([ \t]*)<details><summary>(.*?)</summary>(.*?)</details>', re.S | re.M)


def details_to_dropdown(md):
    "`<details>` hints and answers (which notebooks and GitHub show) as MyST dropdowns, whose markdown and math render."
    def repl(m):
        ind = m.group(1)
        body = re.sub(r'\n[ \t]+', '\n', m.group(3).strip())
        lines = [f':::{{admonition}} {m.group(2).strip()}', ':class: dropdown', *body.splitlines(), ':::']
        return '\n' + '\n'.join(ind + l for l in lines) + '\n'
    return DETAILS.sub(repl, md)


def clean_md(md, pages, up=''):
    """nbdev/Quarto markdown to MyST: drop horizontal rules (docutils rejects them in outputs), attributes and site
    links. `pages`: the Quarto site's page names -> book paths; `up`: '../' per folder between this page and the root."""
    md = details_to_dropdown(md)
    md = '\n'.join(l for l in md.splitlines() if l.strip() != '---')
    md = ATTR.sub('', md)
    md = re.sub(r'\[([^\]]+)\]\(([\w/.-]+\.csv)\)', r'<a href="\2">\1</a>', md)   # data files: plain links, not documents
    md = re.sub(r'https://attention-nb\.github\.io/attention_nb/([\w/-]+)\.html(#[\w.-]+)?',
                lambda m: f"{up}api.md#{m.group(2)[1:].split('.')[0].lower()}" if m.group(2)   # a symbol: its API entry
                          else f"{up}{pages.get(m.group(1), m.group(1))}.ipynb", md)
    return md


def library_classes():
    "Names of the classes the library exports (show_doc renders their signatures with `def`)."
    import importlib, inspect
    from attention_nb._modidx import d
    out = set()
    for mod in d['syms']:
        m = importlib.import_module(mod)
        out |= {n for n in getattr(m, '__all__', []) if inspect.isclass(getattr(m, n, None))}
    return out


def clean_show_doc(md):
    "show_doc markdown for a page: no floating source link, `class` for classes, no markdown links inside code."
    md = re.sub(r'^\[source\]\([^)]*\)(\{[^}]*\})?\s*$', '', md, flags=re.M)
    md = re.sub(r'^(#+) ([\w.]*__\w+__)\s*$', r'\1 `\2`', md, flags=re.M)   # `Explainer.__call__`, not bold "call"
    md = re.sub(r'```python\ndef (\w+)\(', lambda m: f"```python\n{'class' if m.group(1) in CLASSES else 'def'} {m.group(1)}(", md)
    return re.sub(r'```python\n.*?```', lambda m: re.sub(r'\[(`?[^\]`]+`?)\]\([^)]*\)', r'\1', m.group(0)), md, flags=re.S)


CLASSES = set()


def front_matter(raw):
    "title and description from a Quarto front-matter raw cell."
    meta = {}
    for key in ('title', 'description', 'output-file'):
        m = re.search(rf"^{key}:\s*(.*(?:\n  .*)*)", raw, re.M)
        if m: meta[key] = ' '.join(s.strip() for s in m.group(1).splitlines()).strip().strip("'\"")
    return meta


def full_description(stem):
    "The whole `> summary` under a notebook's title (nbdev's front matter keeps only its first line)."
    src = next((p for p in (ROOT/'nbs').rglob(f'{stem}.ipynb') if '.ipynb_checkpoints' not in p.parts), None)
    if src is None: return None
    for c in json.loads(src.read_text())['cells']:
        text = ''.join(c['source'])
        if c['cell_type'] == 'markdown' and text.startswith('# '):
            quote = [l[1:].strip() for l in text.splitlines() if l.startswith('>')]
            return ' '.join(quote) or None
    return None


def convert(nb_path, pages, up=''):
    "A processed notebook as a MyST notebook for the book; `up`: '../' per folder below the root."
    nb = json.loads(Path(nb_path).read_text())
    cells = []
    for c in nb['cells']:
        src = ''.join(c['source'])
        if c['cell_type'] == 'raw' and src.startswith('---'):
            meta = front_matter(src)
            meta['description'] = full_description(Path(nb_path).stem) or meta.get('description')
            md = f"# {meta.get('title', Path(nb_path).stem)}"
            if meta.get('description'): md += f"\n\n> {meta['description']}"
            cells.append(dict(cell_type='markdown', metadata={}, source=clean_md(md.replace("''", "'"), pages, up))); continue
        if c['cell_type'] == 'markdown':
            if 'THIS FILE WAS AUTOGENERATED' in src: continue
            cells.append(dict(cell_type='markdown', metadata={}, source=clean_md(src, pages, up))); continue
        if c['cell_type'] != 'code': continue
        d, code = directives(src)
        tags, meta = list(c.get('metadata', {}).get('tags', [])), {}   # e.g. hide-input: plumbing, one click away
        if d.get('echo') == 'false' or 'hide_input' in d: tags.append('remove-input')
        if d.get('code-fold') == 'true': tags.append('hide-input')   # Quarto's folded code: one click away
        cap, alt = d.get('fig-cap', '').strip('"\''), d.get('fig-alt', '').strip('"\'')
        if cap: meta['figure'] = dict(caption=clean_md(cap, pages, up))
        if alt or cap: meta['image'] = dict(alt=alt or re.sub(r'[*_`$\\]', '', cap))
        outputs = []
        for o in tidy_outputs(c.get('outputs', [])):   # one box per stream, no machine paths
            o = dict(o)
            if 'data' in o:
                data = dict(o['data'])
                if 'text/markdown' in data:
                    data['text/markdown'] = clean_show_doc(clean_md(''.join(data['text/markdown']), pages, up))   # rendered as MyST, like the cells
                    data.pop('text/plain', None)
                if 'application/vnd.jupyter.widget-view+json' in data: continue   # needs a kernel
                o['data'] = data
            if o.get('metadata'):   # keep a retina image's display width, drop its height: a narrower column
                o['metadata'] = {k: {a: b for a, b in v.items() if a != 'height'} if isinstance(v, dict) else v
                                 for k, v in o['metadata'].items()}   # then scales it without distorting it
            outputs.append(o)
        if not code and not outputs: continue
        md = dict(tags=tags) if tags else {}
        if meta: md['mystnb'] = meta
        cells.append(dict(cell_type='code', metadata=md, source=code, outputs=outputs, execution_count=None))
    nb['cells'] = cells
    nb['metadata'] = dict(kernelspec=dict(display_name='Python 3', language='python', name='python3'),
                          language_info=dict(name='python'))
    return nb


def api_page(pages):
    "Markdown for every exported symbol: nbdev's show_doc rendering, grouped by module."
    import importlib
    from nbdev.showdoc import show_doc
    from attention_nb._modidx import d
    lines = ['# API reference', '', 'Every symbol the library exports, by module, with its signature and documentation.', '']
    def source(mod):   # the notebook a module is exported from, e.g. ('api', '02_model'): the sidebar's order
        head = (ROOT/(mod.replace('.', '/') + '.py')).read_text()[:400]
        m = re.search(r'File to edit: \.\./nbs/([\w/.-]+)\.ipynb', head)
        return (m.group(1).split('/')[0] != 'api', m.group(1)) if m else (True, mod)
    for mod in sorted(d['syms'], key=source):
        m = importlib.import_module(mod)
        names = getattr(m, '__all__', [])
        if not names: continue
        lines += [f'## `{mod}`', '']
        for name in names:
            obj = getattr(m, name)
            if not callable(obj):
                shown = tuple(obj) if isinstance(obj, dict) and any(callable(v) for v in obj.values()) else obj
                lines += [f'### {name}', '', f'```python\n{name} = {shown!r}' + ('   # the keys' if shown is not obj else '') + '\n```', '']; continue
            md = show_doc(obj, title_level=3)._repr_markdown_()
            lines += [clean_show_doc(clean_md(md, pages)), '']
    return '\n'.join(lines)


def book_path(p:Path, root:Path) -> str:
    "A notebook's path in the book, without extension: 'tutorial/t1_soft_attention', 'index'."
    return p.relative_to(root).with_suffix('').as_posix()


def build(check_warnings=False):
    """nbdev's processing, the MyST conversion, the API and notes pages, then `jupyter-book build`. The book's
    configuration, table of contents (one part per folder of nbs/) and CSS are committed files in nbs/."""
    from nbdev.serve import proc_nbs
    CLASSES.update(library_classes())
    shutil.rmtree(ROOT/'_proc', ignore_errors=True)   # a notebook nbdev fails on must not leave a stale page behind
    proc = proc_nbs(n_workers=1)
    src = [p for p in (ROOT/'nbs').rglob('*.ipynb') if '.ipynb_checkpoints' not in p.parts]
    missing = sorted({book_path(p, ROOT/'nbs') for p in src} - {book_path(p, proc) for p in proc.rglob('*.ipynb')})
    if missing: sys.exit(f"tools/docs.py: nbdev could not process {', '.join(missing)} (see the error above)")
    shutil.rmtree(BOOK, ignore_errors=True); BOOK.mkdir()
    nbs = sorted(p for p in proc.rglob('*.ipynb') if '.ipynb_checkpoints' not in p.parts)
    pages = {}
    for p in nbs:   # Quarto page name (output-file, or the path and stem) -> the notebook's path in the book
        nb = json.loads(p.read_text())
        raw = next((''.join(c['source']) for c in nb['cells'] if c['cell_type'] == 'raw'), '')
        out = front_matter(raw).get('output-file', p.stem + '.html').rsplit('.', 1)[0]
        folder = p.parent.relative_to(proc).as_posix()
        for name in {out, f'{folder}/{out}', book_path(p, proc)}: pages[name.lstrip('./')] = book_path(p, proc)
    for p in nbs:
        dest = BOOK/p.relative_to(proc); dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(json.dumps(convert(p, pages, '../' * (len(p.relative_to(proc).parts) - 1)), indent=1))
    # MathJax 3 served by the site itself (from the sphinx-mathjax-offline wheel): the pages need no CDN
    import importlib.util
    spec = importlib.util.find_spec('sphinx-mathjax-offline')
    if spec is None: sys.exit('tools/docs.py: install the docs extra first: .venv/bin/pip install -e ".[docs]"')
    shutil.copytree(Path(spec.origin).parent/'static'/'mathjax', BOOK/'extra'/'mathjax')
    from PIL import Image   # a favicon, so browsers' automatic /favicon.ico request finds one
    Image.new('RGB', (16, 16), (31, 119, 180)).save(BOOK/'extra'/'favicon.ico')
    if (ROOT/'nbs'/'images').exists(): shutil.copytree(ROOT/'nbs'/'images', BOOK/'images')
    for f in ('_config.yml', '_toc.yml'): shutil.copy(ROOT/'nbs'/f, BOOK/f)   # the committed configuration
    shutil.copytree(ROOT/'nbs'/'_static', BOOK/'_static')
    (BOOK/'api.md').write_text(api_page(pages))
    notes = (ROOT/'bench'/'NOTES.md').read_text()   # the engineering notes the chapters cite, as a page of their own
    (BOOK/'bench_notes.md').write_text(notes.replace('# Performance notes', '# Engineering notes (bench/NOTES.md)', 1))
    shutil.rmtree(OUT, ignore_errors=True)
    jb = Path(sys.executable).parent/'jupyter-book'
    r = subprocess.run([str(jb), 'build', str(BOOK), '--path-output', str(ROOT), '--builder', 'html'],
                       capture_output=True, text=True)
    log = r.stdout + r.stderr
    warnings = [l for l in log.splitlines() if 'WARNING' in l or 'ERROR' in l]
    if r.returncode != 0 or not (OUT/'html'/'index.html').exists():
        sys.exit(f"jupyter-book build failed:\n{log[-3000:]}")
    for w in warnings: print(w)
    for page in (OUT/'html').rglob('*.html'):   # no kernel behind this site: drop Thebe (JB 1 also emits its config twice)
        text = page.read_text()
        text = re.sub(r'<script>const THEBE_JS_URL[^<]*</script>\n?', '', text)
        text = re.sub(r'<script[^>]*sphinx-thebe\.js[^>]*></script>\n?', '', text)
        page.write_text(text)
    built = sorted(p.relative_to(OUT/'html').as_posix() for p in (OUT/'html').rglob('*.html')
                   if p.name not in ('genindex.html', 'search.html') and '_static' not in p.parts)
    print(f"built {len(built)} pages into {OUT/'html'}: {', '.join(built)}")
    if check_warnings and warnings: sys.exit(f'{len(warnings)} warnings from the build (see above)')


if __name__ == '__main__':
    build('--strict' in sys.argv)
