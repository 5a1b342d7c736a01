"""Tidy the notebooks' stored outputs after executing them: no machine-specific paths (home folder, temporary folders,
the checkout's own path, where the shared data happens to live) and one output box per stream, not one per line.

    .venv/bin/python tools/tidy_outputs.py            # rewrite nbs/**/*.ipynb in place
    .venv/bin/python tools/tidy_outputs.py --check    # fail if a notebook would change (CI)
"""
import json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOME = str(Path.home())


def tidy_text(t: str) -> str:
    t = re.sub(r'(?<![\w.])(?:/[\w.-]+)+/shared/data/', '../shared/data/', t)         # wherever shared/ lies: as seen from a clone
    t = t.replace(str(ROOT) + '/', '').replace(str(ROOT), '.')
    t = re.sub(r'/tmp/[\w.-]+', '/tmp/…', t).replace('/tmp/…/', '…/').replace('/tmp/…', '…')
    t = re.sub(r'/var/folders/[\w/.-]+', '…', t)
    return t.replace(HOME + '/', '~/').replace(HOME, '~')


def light_png(b64) -> str:
    "A stored PNG over 60 kB as 256 colours (the notebooks stay light); palette PNGs and small ones as they are."
    import base64, io
    from PIL import Image
    raw = base64.b64decode(''.join(b64))
    if len(raw) < 60_000: return b64
    im = Image.open(io.BytesIO(raw))
    if im.mode == 'P': return b64
    out = io.BytesIO(); im.convert('RGB').quantize(256).save(out, format='PNG', optimize=True)
    return base64.b64encode(out.getvalue()).decode() + '\n'


def tidy_outputs(outputs: list) -> list:
    out = []
    for o in outputs:
        o = dict(o)
        if o.get('output_type') == 'stream':
            text = tidy_text(''.join(o['text']))
            if out and out[-1].get('output_type') == 'stream' and out[-1]['name'] == o['name']:
                out[-1]['text'] = out[-1]['text'] + text; continue
            o['text'] = text
        elif 'data' in o:
            if 'image/png' in o['data']: o['data'] = dict(o['data'], **{'image/png': light_png(o['data']['image/png'])})
            o['data'] = {k: (tidy_text(''.join(v)) if k.startswith('text/') and not k.endswith('html') else v) for k, v in o['data'].items()}
        out.append(o)
    for o in out:   # nbformat's usual layout: lists of lines
        if o.get('output_type') == 'stream' and isinstance(o['text'], str): o['text'] = o['text'].splitlines(True)
        if 'data' in o: o['data'] = {k: (v.splitlines(True) if isinstance(v, str) and k.startswith('text/') else v) for k, v in o['data'].items()}
    return out


def main():
    changed = []
    for p in sorted(p for p in (ROOT/'nbs').rglob('*.ipynb') if '.ipynb_checkpoints' not in p.parts):
        nb = json.loads(p.read_text())
        before = json.dumps(nb)
        for c in nb['cells']:
            if c['cell_type'] == 'code': c['outputs'] = tidy_outputs(c.get('outputs', []))
        if json.dumps(nb) != before:
            changed.append(p.name)
            if '--check' not in sys.argv: p.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n')
    if '--check' in sys.argv and changed:
        sys.exit(f"stored outputs with machine paths or split streams in {', '.join(changed)}: run .venv/bin/python tools/tidy_outputs.py")
    print(f"tidied {', '.join(changed) or 'nothing'}")


if __name__ == '__main__':
    main()
