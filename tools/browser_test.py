"""Browser test of the built docs site (`tools/docs.py` first), in a real headless Chromium.

    .venv/bin/python tools/browser_test.py          # screenshots in _build/screenshots/

Serves `_build/html` on 127.0.0.1, opens the landing page and every chapter, and fails on: a console error or
uncaught exception, a same-site request that fails or returns an error status, a broken internal link, an image that
does not load, math left unrendered, a search that finds nothing, and a kernel-free channel scrubber whose picture does
not change when its slider moves. Uses Debian's chromium (`apt-get install chromium`) through playwright.
"""
import functools, http.server, os, shutil, sys, threading
from pathlib import Path
from urllib.parse import urljoin, urlparse

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT/'_build'/'html'
SHOTS = ROOT/'_build'/'screenshots'


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


def main():
    if not (SITE/'index.html').exists(): sys.exit(f'browser test: {SITE}/index.html missing; build the site with tools/docs.py first')
    from playwright.sync_api import sync_playwright
    shutil.rmtree(SHOTS, ignore_errors=True); SHOTS.mkdir(parents=True)
    httpd, base = serve()
    pages = ['index.html'] + sorted(p.name for p in SITE.glob('[0-9]*.html')) + ['api.html']
    problems, checked_links, scrubbers = [], set(), 0
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
            # math: MathJax has replaced every TeX span (none left showing raw \( ... \))
            raw_math = page.evaluate("""() => [...document.querySelectorAll('span.math, div.math')]
                .filter(e => !e.querySelector('.MathJax, .MathJax_CHTML, mjx-container, .MathJax_Display')).length""")
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
            page.screenshot(path=str(SHOTS/f"{name.replace('.html', '')}.png"), full_page=False)
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
            problems += [f'{name}: {e}' for e in errors]
            print(f'checked {name}')
        # search works offline
        page.goto(base + 'search.html?q=attention', wait_until='networkidle')
        page.wait_for_selector('#search-results li, ul.search li', timeout=10000)
        hits = page.evaluate("() => document.querySelectorAll('#search-results li, ul.search li').length")
        page.screenshot(path=str(SHOTS/'search.png'))
        if not hits: problems.append('search.html?q=attention: no results')
        browser.close()
    httpd.shutdown()
    print(f'{len(pages)} pages, {len(checked_links)} internal links, {scrubbers} channel scrubber(s), {hits} search hits; screenshots in {SHOTS}')
    if scrubbers == 0 and any(SITE.glob('05_*.html')): problems.append('no kernel-free channel scrubber found on the widgets page')
    if problems:
        print('\n'.join(problems), file=sys.stderr)
        sys.exit(f'browser test: {len(problems)} problem(s)')
    print('browser test passed')


if __name__ == '__main__':
    main()
