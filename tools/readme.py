"""Write README.md from nbs/index.ipynb (nbdev_readme needs Quarto, which cannot be installed here).

Hidden cells (`#| hide`) are dropped, relative links are pointed into nbs/, `#|` directives are stripped, code cells become ```python blocks followed by
their text output, and a PNG output is saved under `docs_assets/` and linked. `--check` fails if README.md is stale.
"""
import base64, json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

def directives(src):
    return {m.group(1) for m in re.finditer(r'^#\|\s*([\w-]+)', src, re.M)}

def relink(md):
    "Links and images relative to nbs/ (chapters, images/) point into nbs/ from the README at the root."
    md = md.replace('](bench_notes.md)', '](bench/NOTES.md)')   # the site's page of the engineering notes
    return re.sub(r'\]\((?!https?:|#|/|bench/)([^)\s]+)\)', lambda m: f'](nbs/{m.group(1)})', md)

def render(nb_path=ROOT/'nbs'/'index.ipynb'):
    nb = json.loads(Path(nb_path).read_text())
    out, images = [], {}
    for i, cell in enumerate(nb['cells']):
        src = ''.join(cell['source'])
        if {'hide', 'hide_input', 'exporti'} & directives(src) and cell['cell_type'] == 'code': continue
        if cell['cell_type'] == 'markdown':
            out.append(relink(src.strip())); continue
        code = '\n'.join(l for l in src.splitlines() if not l.startswith('#|')).strip()
        if code: out.append(f'```python\n{code}\n```')
        for o in cell.get('outputs', []):
            data = o.get('data', {})
            if 'image/png' in data:
                name = f'docs_assets/index_{i}.png'
                images[name] = base64.b64decode(data['image/png'])
                out.append(f'![]({name})')
            elif o.get('output_type') == 'stream' or 'text/plain' in data:
                text = ''.join(o.get('text', data.get('text/plain', ''))).rstrip()
                if text: out.append(f'```\n{text}\n```')
    return '<!-- Generated from nbs/index.ipynb by tools/readme.py: edit the notebook, not this file. -->\n\n' + '\n\n'.join(out) + '\n', images

def main():
    text, images = render()
    readme = ROOT/'README.md'
    if '--check' in sys.argv:
        stale = readme.read_text() != text or any(not (ROOT/n).exists() or (ROOT/n).read_bytes() != b for n, b in images.items())
        if stale:
            sys.exit('README.md is stale: run `.venv/bin/python tools/readme.py` after editing nbs/index.ipynb, and commit it')
        print('README.md matches nbs/index.ipynb'); return
    readme.write_text(text)
    for n, b in images.items():
        (ROOT/n).parent.mkdir(exist_ok=True); (ROOT/n).write_bytes(b)
    print(f'wrote README.md ({len(text)} characters, {len(images)} images)')

if __name__ == '__main__': main()
