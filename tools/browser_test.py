"""Browser test of the built docs site (`tools/docs.py` first), in a real headless Chromium.

    .venv/bin/python tools/browser_test.py          # screenshots in _build/screenshots/

Serves `_build/html` on 127.0.0.1, opens the landing page and every chapter, and fails on: a console error or
uncaught exception, a same-site request that fails or returns an error status, a broken internal link, an image that
does not load, math left unrendered, a search that finds nothing, and a kernel-free channel scrubber whose picture does
not change when its slider moves. It also fails on what makes a page hard to learn from: a class whose signature
reads `def`, raw markdown inside a signature, a link to a bare `#`, a subtitle cut short, a cell whose output is
split into many boxes, a machine-specific path in an output, an image without real alt text or shown distorted, a chapter without
`Take-aways`, `Exercises` and `References`, and a chapter that does not show the code it teaches. On a 390 px phone,
a tutorial page fails if it scrolls sideways, if a table, equation, code block or figure is cut off rather than
scrolling in its own box, if a figure is shown below 3/4 of its size at 1280 px or is not a link to its full-size image,
or if a display equation's font is under 12 px. It saves two screenshots of every page, its top and its first figure,
and one of each tutorial page's first figure on the phone. Uses Debian's chromium (`apt-get install chromium`) through
playwright.
"""
import functools, http.server, os, re, shutil, sys, threading
from pathlib import Path
from urllib.parse import urljoin, urlparse

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT/'_build'/'html'
SHOTS = ROOT/'_build'/'screenshots'
sys.path.insert(0, str(ROOT/'tools'))
from docs import full_description, library_classes   # what the site builder itself uses
CLOSING = 't8_where_next'   # the Tutorial part's last page, after the seven chapters: a summary, no figure


def chromium():
    for name in ('chromium', 'chromium-browser', 'google-chrome'):
        if shutil.which(name): return shutil.which(name)
    sys.exit('browser test: no chromium found; install it with `apt-get install -y chromium`')


def serve():
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *a): pass
    handler = functools.partial(Quiet, directory=str(SITE))
    httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f'http://127.0.0.1:{httpd.server_address[1]}/'


# code each chapter teaches, which its page must show (not only as a signature)
TAUGHT = {'01_attention': ['class DenseAttention', 'class SpatialAttention', 'class ChannelAttention', 'def forward(self, h) -> AttentionOut:'],
          '02_model': ['class AttentionCNN', 'def forward(self, x)', 'def fast_backbone'],
          '03_train': ['def train_one_epoch', 'loss.backward()', 'def fit(', 'def evaluate('],
          '04_visualize': ['def merge_channels', 'def overlay(', 'class Explainer', 'self.cam(input_tensor=x']}
# tutorial pages: the learner's path, held to a length, an early figure and code that fits the column
TUTORIAL = re.compile(r't\d_')   # t1_..., t2_...: pages of the Tutorial part (the closing page, CLOSING, shows no figure)
SCREEN = 900   # px of one screen at 1280 × 900
PHONE = dict(width=390, height=844)   # a phone held upright
FIGURES = "div.cell_output img"       # a cell's output images: the figures (and the channel scrubber's picture)
FIG_KEEP = 0.75   # on the phone a figure is shown at least this fraction of its width at 1280 px (its text with it)
RAW_MATH = ("[...document.querySelectorAll('span.math, div.math')]"   # TeX that MathJax has not typeset
            ".filter(e => !e.querySelector('.MathJax, .MathJax_CHTML, mjx-container, .MathJax_Display')).length")
MATH_PX = 16      # on the phone a display equation's font is at least the body text's 16 px (it scrolls rather than
                  # shrinks): shrunk to fit the column it measured 12.2 px, its sub- and superscripts 8.6 px


def figure_widths(page) -> dict:
    "Rendered width of each output image, by its src."
    return dict(page.evaluate(f"() => [...document.querySelectorAll('{FIGURES}')].map(i => [i.getAttribute('src'), i.getBoundingClientRect().width])"))


def phone_checks(page, name, desktop) -> tuple[list, str]:
    "A tutorial page on a 390 px phone: nothing cut off, figures and display equations at a readable size."
    problems, m = [], page.evaluate("""([figs]) => {
        const vw = document.documentElement.clientWidth;
        // fits the screen, or sits in a box that scrolls sideways and itself fits; clipped by no narrower hidden box
        const cut = e => {
            const r = e.getBoundingClientRect(), w = Math.max(r.width, e.scrollWidth);   // with what overflows it
            for (let a = e; a && a !== document.body; a = a.parentElement) {
                const ox = getComputedStyle(a).overflowX, b = a.getBoundingClientRect();
                if (ox === 'auto' || ox === 'scroll') return b.left < -1 || b.right > vw + 1;
                if ((ox === 'hidden' || ox === 'clip') && (a === e ? e.scrollWidth > e.clientWidth + 2 : w > a.clientWidth + 2)) return true;
            }
            return r.left < -1 || r.left + w > vw + 1;
        };
        const art = document.querySelector('.bd-article, article') || document.body;
        const kinds = {table: 'table', equation: 'mjx-container[display="true"]', 'code block': 'pre', figure: figs};
        const cutoff = Object.fromEntries(Object.entries(kinds).map(([k, sel]) => [k, [...art.querySelectorAll(sel)].filter(cut).length]));
        const imgs = [...art.querySelectorAll(figs)].map(i => {
            const css = parseFloat(i.style.width) && i.style.width.endsWith('px') ? parseFloat(i.style.width) : i.naturalWidth;
            const a = i.closest('a[href]');
            const link = a ? new URL(a.href, location.href).pathname.split('/').pop() : null;
            return [i.getAttribute('src'), i.getBoundingClientRect().width, css, i.src.startsWith('data:') || link === new URL(i.src).pathname.split('/').pop()];
        });
        const eqs = [...art.querySelectorAll('mjx-container[display="true"]')];
        const math = eqs.map(e => parseFloat(getComputedStyle(e).fontSize));
        const script = Math.min(...eqs.flatMap(e => [...e.querySelectorAll('mjx-c')].map(c => parseFloat(getComputedStyle(c).fontSize))));
        return {sideways: document.documentElement.scrollWidth - vw, cutoff, imgs, math, script};
    }""", [FIGURES])
    if m['sideways'] > 1: problems.append(f"{name}: at 390 px the page scrolls sideways by {m['sideways']} px")
    for kind, n in m['cutoff'].items():
        if n: problems.append(f'{name}: at 390 px {n} {kind}(s) cut off (wider than the screen and not in a box that scrolls sideways)')
    keep, scale = [], []
    for src, w, css, linked in m['imgs']:
        if not linked: problems.append(f'{name}: a figure that is not a link to its full-size image: {src[-60:]}')
        if src in desktop and desktop[src]:
            keep.append(w / desktop[src]); scale.append(w / css)
            if w < FIG_KEEP * desktop[src]:
                problems.append(f'{name}: at 390 px a figure is {w:.0f} px wide, {w / desktop[src]:.0%} of its {desktop[src]:.0f} px at 1280 px '
                                f'(want {FIG_KEEP:.0%}; its text shrinks with it): {src[-60:]}')
        elif not src.startswith('data:'): problems.append(f'{name}: a figure on the phone not seen at 1280 px: {src[-60:]}')
    small = [f for f in m['math'] if f < MATH_PX]
    if small: problems.append(f'{name}: at 390 px {len(small)} display equations in a {min(small):.1f} px font (want {MATH_PX} or more)')
    note = (f"figures at {min(keep):.0%} or more of their 1280 px width ({min(scale):.0%} of their own size)" if keep else 'no figures') + \
           (f", display maths in {min(m['math']):.1f} px (scripts {m['script']:.1f} px)" if m['math'] else '')
    return problems, note


def layout(page) -> dict:
    "Screens the page takes, where its first figure starts (in screens), and blocks that scroll sideways."
    return page.evaluate("""() => {
        const art = document.querySelector('.bd-article, article') || document.body;
        const top = e => e.getBoundingClientRect().top + window.scrollY;
        const fig = [...art.querySelectorAll('img')].find(i => i.getBoundingClientRect().height > 50);
        const wide = [...art.querySelectorAll('pre, div.math, mjx-container[display="true"]')]
            .filter(e => e.scrollWidth > e.clientWidth + 2 && getComputedStyle(e).overflowX !== 'visible').length;
        return {screens: document.documentElement.scrollHeight / 900, figure: fig ? top(fig) / 900 : null, wide};
    }""")


MACHINE_PATH = re.compile(r'(?<![\w.~])(/root/|/home/\w|/tmp/\w|/work/|/var/folders/|/Users/\w)')


def subtitles():
    "Each chapter's whole `> summary`, read from its notebook as the site builder reads it."
    return {nb.stem: full_description(nb.stem) for nb in (ROOT/'nbs').rglob('[0-9]*.ipynb')}


def page_checks(page, name, classes, subtitle):
    "Problems a learner would notice on this page."
    problems, stem = [], Path(name).stem
    pres = page.evaluate("() => [...document.querySelectorAll('article pre, .bd-article pre')].map(p => p.textContent)")
    for t in pres:
        m = re.match(r'\s*def (\w+)\(', t)
        if m and m.group(1) in classes: problems.append(f'{name}: class {m.group(1)} shown as `def {m.group(1)}(`')
        link = re.search(r'\[`?[\w.()]+`?\]\((?:https?:|[\w/.-]*\.(?:ipynb|html|md)|#)[^)]*\)', t)   # a link, not `f[k](x)`
        if link: problems.append(f'{name}: raw markdown link inside code: {link.group(0)[:80]}')
    bare = page.evaluate("() => [...document.querySelectorAll('article a[href], .bd-article a[href]')].filter(a => a.getAttribute('href') === '#').map(a => a.textContent)")
    if bare: problems.append(f"{name}: {len(bare)} links to a bare '#': {', '.join(sorted(set(bare))[:5])}")
    if subtitle:
        shown = page.evaluate("() => { const q = document.querySelector('article blockquote, .bd-article blockquote'); return q ? q.textContent : '' }")
        norm = lambda t: re.sub(r'[\W_]+', ' ', t).strip()
        if norm(subtitle)[-40:] not in norm(shown): problems.append(f'{name}: subtitle cut short: shows {shown.strip()[-60:]!r}')
    boxes = page.evaluate("() => [...document.querySelectorAll('div.cell')].map(c => c.querySelectorAll('.output.stream').length)")
    if boxes and max(boxes) > 2: problems.append(f'{name}: a cell shows its output in {max(boxes)} separate boxes')
    outs = page.evaluate("() => [...document.querySelectorAll('div.cell_output')].map(o => o.textContent)")
    for t in outs:
        m = MACHINE_PATH.search(t)
        if m: problems.append(f'{name}: machine-specific path in an output: ...{t[max(0, m.start() - 20):m.end() + 40]!r}'); break
    for src, ratio in page.evaluate("() => [...document.querySelectorAll('article img, .bd-article img')].filter(i => i.naturalWidth && i.getBoundingClientRect().height).map(i => [i.getAttribute('src') || '', (i.getBoundingClientRect().width / i.getBoundingClientRect().height) / (i.naturalWidth / i.naturalHeight)])"):
        if abs(ratio - 1) > 0.03: problems.append(f'{name}: image shown distorted (aspect ratio off by {ratio - 1:+.0%}): {src[-60:]}')
    for alt, src in page.evaluate("() => [...document.querySelectorAll('article img, .bd-article img')].map(i => [i.getAttribute('alt') || '', i.getAttribute('src') || ''])"):
        if len(alt.strip()) < 8 or re.fullmatch(r'[0-9a-f]{16,}(\.\w+)?', alt.strip()) or alt.strip() == src.rsplit('/', 1)[-1]:
            problems.append(f'{name}: image without real alt text ({alt!r}): {src[-60:]}')
    if re.match(r'0\d_', stem):
        heads = page.evaluate("() => [...document.querySelectorAll('h2')].map(h => h.textContent.replace(/[#¶]/g, '').trim())")
        for need in ('Take-aways', 'Exercises', 'References'):
            if need not in heads: problems.append(f'{name}: no "{need}" section')
    for code in TAUGHT.get(stem, []):
        if not any(code in t and t.count('\n') > 3 for t in pres): problems.append(f'{name}: the taught code {code!r} is not shown on the page')
    return problems


def main():
    if not (SITE/'index.html').exists(): sys.exit(f'browser test: {SITE}/index.html missing; build the site with tools/docs.py first')
    from playwright.sync_api import sync_playwright, TimeoutError as PlaywrightTimeout
    shutil.rmtree(SHOTS, ignore_errors=True); SHOTS.mkdir(parents=True)
    httpd, base = serve()
    part = lambda folder: sorted(p.relative_to(SITE).as_posix() for p in SITE.glob(f'{folder}/*.html'))   # nbs/'s folders
    pages = ['index.html'] + part('tutorial') + part('api') + ['api.html'] + part('engineering') + ['bench_notes.html']
    problems, checked_links, scrubbers, desktop = [], set(), 0, {}
    classes, subs = library_classes(), subtitles()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium(), args=['--no-sandbox', '--disable-gpu'])
        ctx = browser.new_context(viewport=dict(width=1280, height=900))
        page = ctx.new_page()
        errors = []
        page.on('console', lambda m: errors.append(f'console {m.type}: {m.text}') if m.type == 'error' else None)
        page.on('pageerror', lambda e: errors.append(f'page error: {e}'))
        page.on('requestfailed', lambda r: errors.append(f'request failed: {r.url} ({r.failure})') if r.url.startswith(base) else None)
        page.on('response', lambda r: errors.append(f'HTTP {r.status}: {r.url}') if r.url.startswith(base) and r.status >= 400 else None)
        for name in pages:
            errors.clear()
            page.goto(base + name, wait_until='networkidle')
            page.wait_for_timeout(300)
            # math: MathJax has replaced every TeX span (none left showing raw \( ... \)); it typesets after load
            try: page.wait_for_function(f'() => {RAW_MATH} === 0', timeout=10000)
            except PlaywrightTimeout: pass
            raw_math = page.evaluate(f'() => {RAW_MATH}')
            if raw_math: problems.append(f'{name}: {raw_math} math elements not rendered by MathJax')
            # tables: no markdown table left as text (a paragraph holding a `|---|` rule, which smartquotes turns into dashes)
            raw_tables = page.evaluate(r"""() => [...document.querySelectorAll('p')].filter(p => /^\|.*\|\s*$/m.test(p.textContent)
                && /\|\s*(-{3}|—|–)+\s*\|/.test(p.textContent)).length""")
            if raw_tables: problems.append(f'{name}: {raw_tables} markdown tables shown as text')
            for src, ok in page.evaluate("() => [...document.images].map(i => [i.currentSrc || i.src, i.complete && i.naturalWidth > 0])"):
                if not ok: problems.append(f'{name}: image does not load: {src[:120]}')
            for href in page.evaluate("() => [...document.querySelectorAll('a[href]')].map(a => a.href)"):
                u = urlparse(href)
                if not href.startswith(base): continue
                target = href.split('#')[0]
                if target in checked_links: continue
                checked_links.add(target)
                r = page.request.get(target)
                if r.status >= 400: problems.append(f'{name}: broken link {href} ({r.status})')
            problems += page_checks(page, name, classes, subs.get(Path(name).stem))
            page.screenshot(path=str(SHOTS/f"{Path(name).stem}.png"), full_page=False)
            fig = page.query_selector('article img, .bd-article img')
            if fig:
                fig.scroll_into_view_if_needed(); page.wait_for_timeout(100)
                page.screenshot(path=str(SHOTS/f"{Path(name).stem}-figure.png"), full_page=False)
            for s in page.query_selector_all('.channel-scrubber'):
                scrubbers += 1
                img, slider = s.query_selector('img'), s.query_selector('input[type=range]')
                s.scroll_into_view_if_needed()
                before = img.get_attribute('src')
                s.screenshot(path=str(SHOTS/f'scrubber-{scrubbers}-before.png'))
                slider.focus()
                for _ in range(3): page.keyboard.press('ArrowRight')
                page.wait_for_timeout(100)
                after = img.get_attribute('src')
                s.screenshot(path=str(SHOTS/f'scrubber-{scrubbers}-after.png'))
                if before == after: problems.append(f'{name}: the channel scrubber picture did not change when its slider moved')
                width = img.evaluate('i => i.getBoundingClientRect().width')
                if width < 900: problems.append(f'{name}: the channel scrubber is shown {width:.0f} px wide (needs 900 or more at 1280 px)')
            problems += [f'{name}: {e}' for e in errors]
            lay, stem = layout(page), Path(name).stem
            fig_at = '—' if lay['figure'] is None else f"{lay['figure']:.1f}"
            print(f"checked {name}: {lay['screens']:.1f} screens at 1280 × 900, first figure at screen {fig_at}, "
                  f"{lay['wide']} blocks scroll sideways" + (' (tutorial)' if TUTORIAL.match(stem) else ''))
            if TUTORIAL.match(stem):
                desktop[name] = figure_widths(page)   # to hold the phone's figures to
                code = page.evaluate("() => [...document.querySelectorAll('pre')].map(p => p.textContent).join('\\n')")
                for plumbing in ('test_eq(', 'test_fail(', 'show_doc(', '#| '):
                    if plumbing in code: problems.append(f'{name}: a tutorial page shows plumbing ({plumbing!r})')
                if lay['screens'] > 10.5: problems.append(f"{name}: a tutorial page of {lay['screens']:.1f} screens (at most 10)")
                if (lay['figure'] is None or lay['figure'] > 2) and stem != CLOSING: problems.append(f'{name}: the first figure starts at screen {fig_at} (within 2)')
                if lay['wide']: problems.append(f"{name}: {lay['wide']} code blocks or equations scroll sideways")
        # on a 390 px phone: tables, equations, code and figures scroll sideways in their own boxes (the page does not);
        # figures keep their desktop size (their text with them) and link to the full-size image; equations do not shrink
        phone = browser.new_context(viewport=PHONE).new_page()
        for name in [n for n in pages if TUTORIAL.match(n)]:
            phone.goto(base + name, wait_until='networkidle'); phone.wait_for_timeout(300)
            found, note = phone_checks(phone, name, desktop.get(name, {}))
            problems += found
            print(f'phone {name}: {note}')
            fig = phone.query_selector(f'.bd-article {FIGURES}, article {FIGURES}')
            if fig:
                fig.scroll_into_view_if_needed(); phone.wait_for_timeout(100)
                phone.screenshot(path=str(SHOTS/f"{Path(name).stem}-phone-figure.png"), full_page=False)
        phone.close()
        # the sidebar: the learner's path first, under the caption "Tutorial"
        page.goto(base + 'index.html', wait_until='networkidle')
        captions = page.evaluate("() => [...document.querySelectorAll('.bd-sidebar p.caption, nav p.caption')].map(c => c.textContent.trim())")
        if captions[:3] != ['Tutorial', 'Reference', 'Engineering']: problems.append(f'sidebar captions {captions}: want Tutorial, Reference, Engineering')
        # search works offline
        page.goto(base + 'search.html?q=attention', wait_until='networkidle')
        page.wait_for_selector('#search-results li, ul.search li', timeout=10000)
        hits = page.evaluate("() => document.querySelectorAll('#search-results li, ul.search li').length")
        page.screenshot(path=str(SHOTS/'search.png'))
        if not hits: problems.append('search.html?q=attention: no results')
        browser.close()
    httpd.shutdown()
    print(f'{len(pages)} pages, {len(checked_links)} internal links, {scrubbers} channel scrubber(s), {hits} search hits; screenshots in {SHOTS}')
    if scrubbers == 0 and any(SITE.glob('api/05_*.html')): problems.append('no kernel-free channel scrubber found on the widgets page')
    if problems:
        print('\n'.join(problems), file=sys.stderr)
        sys.exit(f'browser test: {len(problems)} problem(s)')
    print('browser test passed')


if __name__ == '__main__':
    main()
