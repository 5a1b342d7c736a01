"""Live check (run by `.ci/run`) of the channel scrubber in a real JupyterLab: start a server, open a notebook in headless chromium,
run it, move the slider with the keyboard and check that the kernel redraws the image at every step.
Set SHOT_DIR to keep a screenshot."""
import json, os, shutil, socket, subprocess, sys, tempfile, time, urllib.request
from pathlib import Path
from playwright.sync_api import sync_playwright

CODE = """import torch
from attention_nb.model import AttentionCNN
from attention_nb.widgets import channel_scrubber
from attention_nb.data import load_split
from attention_nb.synth import make_demo_data
imgs = load_split(make_demo_data(img_size=64, seed=0), 'test', 64, progress=False)
torch.manual_seed(0)
channel_scrubber(AttentionCNN(4, 64), imgs.x[:3], [f.name for f in imgs.files[:3]], [0.5] * 3, [0.25] * 3)"""

def free_port():
    s = socket.socket(); s.bind(('127.0.0.1', 0)); p = s.getsockname()[1]; s.close(); return p

def wait_until(ok, what, timeout=90):
    "Poll `ok()` (an error counts as not yet) until it is true; exit with one line naming `what` after `timeout` s."
    t = time.time()
    while time.time() - t < timeout:
        try:
            if ok(): return
        except Exception: pass
        time.sleep(0.5)
    sys.exit(f'JupyterLab test: {what} after {timeout} s')

def kernel_idle(url, path) -> bool:
    "Does the server's session for `path` have an idle kernel? (The page's selectors match before it does.)"
    sessions = json.load(urllib.request.urlopen(url + '/api/sessions', timeout=5))
    return any(s['path'].endswith(path) and s['kernel']['execution_state'] == 'idle' for s in sessions)

def main():
    work = Path(tempfile.mkdtemp(prefix='labtest-'))
    nb = dict(cells=[dict(cell_type='code', execution_count=None, id='scrub', metadata={}, outputs=[], source=CODE)],
              metadata=dict(kernelspec=dict(name='python3', display_name='Python 3', language='python')), nbformat=4, nbformat_minor=5)
    (work/'scrub.ipynb').write_text(json.dumps(nb))
    port = free_port()
    jl = Path(sys.executable).parent/'jupyter'
    srv = subprocess.Popen([str(jl), 'lab', '--no-browser', f'--port={port}', '--ServerApp.token=', '--ServerApp.password=',
                            '--ServerApp.disable_check_xsrf=True', '--allow-root', f'--ServerApp.root_dir={work}'],
                           stdout=subprocess.DEVNULL, stderr=open(work/'server.log', 'w'))
    try:
        url = f'http://127.0.0.1:{port}'
        wait_until(lambda: urllib.request.urlopen(url + '/api/status', timeout=1),
                   f'JupyterLab did not start; see {work}/server.log', timeout=60)
        exe = shutil.which('chromium') or shutil.which('chromium-browser')
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=exe, args=['--no-sandbox'])
            page = b.new_page(viewport=dict(width=1400, height=1000))
            t = time.time()
            page.goto(url + '/lab/tree/scrub.ipynb')
            page.wait_for_selector('.jp-Notebook .jp-Cell', timeout=60000)
            page.wait_for_selector('.jp-Notebook .jp-Cell .jp-InputArea-editor .cm-content', timeout=60000)
            wait_until(lambda: kernel_idle(url, 'scrub.ipynb'), 'no idle kernel for scrub.ipynb')
            time.sleep(2)   # let the page's connection to the kernel settle before running the cell
            page.click('.jp-Notebook .jp-Cell .jp-InputArea-editor')
            page.keyboard.press('Shift+Enter')
            img = page.wait_for_selector('.jp-OutputArea-output .widget-image', timeout=120000)
            print(f'widget rendered in {time.time() - t:.1f} s')
            src0 = img.get_attribute('src')
            readout = page.query_selector('.jp-OutputArea-output .widget-readout')
            print('readout before:', readout.inner_text())
            handle = page.query_selector('.jp-OutputArea-output .noUi-handle')
            handle.focus()
            srcs = [src0]
            for k in range(3):
                t = time.time()
                page.keyboard.press('ArrowRight')
                page.wait_for_function('([s, prev]) => document.querySelector(s).getAttribute("src") !== prev',
                                       arg=['.jp-OutputArea-output .widget-image', srcs[-1]], timeout=30000)
                srcs.append(img.get_attribute('src'))
                print(f'step {k + 1}: readout {readout.inner_text()}, new image after {1000 * (time.time() - t):.0f} ms')
            assert readout.inner_text().strip() == '3', readout.inner_text()
            assert len(set(srcs)) == 4, 'the image did not change on every step'
            if os.environ.get('SHOT_DIR'): page.screenshot(path=str(Path(os.environ['SHOT_DIR'])/'lab_scrubber.png'))
            b.close()
        print('JupyterLab scrubber: OK')
    finally:
        srv.terminate(); srv.wait(10)
    shutil.rmtree(work, ignore_errors=True)

if __name__ == '__main__': main()
