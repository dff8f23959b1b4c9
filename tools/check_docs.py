"""Check the website that `make docs` built in `_docs/`, as a reader's browser shows it.

Without a browser, from the HTML files: every local link (`a href`, stylesheets, scripts) leads to a file of the site,
every `#anchor` to an id on its page, and every image (`img src`, files and data URIs) is a picture that decodes.
In headless Chromium, driven through the DevTools protocol, on the site served from 127.0.0.1: every chapter page loads
with its title (as the page title and as its heading), no image is broken once the page is loaded (`naturalWidth > 0`),
no request to the site fails, no script throws; screenshots of the home page and of one chapter's first figure go to
`_docs/`. Requests to other hosts are not counted: the machines that build the site have no network (MathJax, the
figures and the theme are in the site), and Chromium is told that no other host resolves.
Where Chromium is not installed, the browser part is skipped with a message."""
import base64, binascii, functools, http.server, io, json, os, shutil, subprocess, sys, tempfile, threading, time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import urlopen
from PIL import Image
from websockets.sync.client import connect

sys.path.insert(0, str(Path(__file__).parent))
from build_docs import PROC, SITE, chapters

BROWSERS = ('chromium', 'chromium-browser', 'google-chrome')

class PageRefs(HTMLParser):
    "The ids of one HTML page, its link targets (`a href`), assets (stylesheets, scripts) and images (`img src`)."
    def __init__(self, text):
        super().__init__()
        self.ids, self.links, self.assets, self.images = set(), [], [], []
        self.feed(text)
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get('id'): self.ids.add(a['id'])
        if tag == 'a' and a.get('name'): self.ids.add(a['name'])
        if tag == 'a' and a.get('href'): self.links.append(a['href'])
        if tag == 'link' and a.get('href'): self.assets.append(a['href'])
        if tag == 'script' and a.get('src'): self.assets.append(a['src'])
        if tag == 'img': self.images.append(a.get('src') or '')

def local_target(site, page, url):
    "The file of `site` that `url` on `page` leads to and its fragment, or None for a URL on another host."
    parts = urlsplit(url)
    if parts.scheme or parts.netloc: return None
    path = unquote(parts.path)
    target = page if not path else Path(os.path.normpath(site/path.lstrip('/') if path.startswith('/')
                                                         else page.parent/path))
    return (target/'index.html' if target.is_dir() else target), unquote(parts.fragment)

def decodes(data):
    try:
        with Image.open(io.BytesIO(data)) as im: im.verify()
        return True
    except Exception: return False

def in_site(site, target): return target.is_file() and target.resolve().is_relative_to(site.resolve())

def image_problem(site, page, src):
    "Why image `src` on `page` would not show, or None: a missing file, a non-picture file or data URI, another host."
    if src.startswith('data:'):
        try: return None if decodes(base64.b64decode(src.partition(',')[2])) else 'broken image'
        except binascii.Error: return 'broken image'
    found = local_target(site, page, src)
    if found is None: return 'image from another host'  # the site must show its figures offline
    return None if in_site(site, found[0]) and decodes(found[0].read_bytes()) else 'broken image'

def static_problems(site):
    "Dead local links, missing anchors and assets, and missing, undecodable or non-local images, in `site`."
    site = Path(site)
    pages = {p: PageRefs(p.read_text(errors='replace')) for p in sorted(site.rglob('*.html'))}
    problems = []
    for page, refs in pages.items():
        name = page.relative_to(site)
        for src in refs.images:
            if why := image_problem(site, page, src): problems.append(f'{name}: {why} {src[:80]!r}')
        for url in refs.links + refs.assets:
            found = local_target(site, page, url)
            if found is None: continue
            target, fragment = found
            if not in_site(site, target): problems.append(f'{name}: dead link {url!r}')
            elif fragment and target in pages and fragment not in pages[target].ids:
                problems.append(f'{name}: no anchor for {url!r}')
    return problems

# Waits for every image and for MathJax, then says what the reader sees.
PAGE_STATE_JS = """(async () => {
  const images = [...document.images];
  await Promise.all(images.map(im => im.decode().catch(() => null)));
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
  return {title: document.title,
          headings: [...document.querySelectorAll('h1')].map(h => h.textContent.replace('¶', '').trim()),
          broken: images.filter(im => !(im.complete && im.naturalWidth > 0)).map(im => im.src.slice(0, 80)),
          images: images.length, formulas: document.querySelectorAll('mjx-container').length};
})()"""
FIRST_FIGURE_JS = """(async () => {
  const figure = document.querySelector('article img');
  if (figure) window.scrollTo(0, figure.getBoundingClientRect().top + window.scrollY - 100);
  await new Promise(done => setTimeout(done, 500));  // the theme's header changes as the page scrolls
})()"""

class DevTools:
    "The least of a Chrome DevTools Protocol client: commands and events on one page's websocket."
    def __init__(self, ws):
        self.ws, self.last_id, self.events = ws, 0, []
    def call(self, method, timeout=60, **params):
        self.last_id += 1
        self.ws.send(json.dumps(dict(id=self.last_id, method=method, params=params)))
        while True:
            msg = json.loads(self.ws.recv(timeout=timeout))
            if msg.get('id') != self.last_id: self.events.append(msg); continue
            if 'error' in msg: raise RuntimeError(f"{method}: {msg['error']}")
            return msg['result']
    def wait_for(self, method, timeout=60):
        deadline = time.monotonic() + timeout
        while not any(e.get('method') == method for e in self.events):
            self.events.append(json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic()))))

def served(site):
    "An HTTP server of `site` on 127.0.0.1, a free port, in a thread."
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args): pass
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server

def started_browser(browser, profile):
    "Headless Chromium with a fresh profile and the DevTools protocol on a free port: (process, page websocket URL)."
    flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
             '--disable-component-update', '--no-first-run', '--no-default-browser-check', f'--user-data-dir={profile}',
             '--remote-debugging-port=0', '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1']
    proc = subprocess.Popen([browser, *flags, 'about:blank'], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    port_file, deadline = Path(profile)/'DevToolsActivePort', time.monotonic() + 60
    while not (port_file.is_file() and port_file.read_text().count('\n') >= 1):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill(); raise RuntimeError(f'{browser} did not start')
        time.sleep(0.1)
    port = port_file.read_text().split()[0]
    targets = json.load(urlopen(f'http://127.0.0.1:{port}/json/list'))
    return proc, next(t['webSocketDebuggerUrl'] for t in targets if t['type'] == 'page')

def page_problems(name, title, state, events, base):
    "Problems of one page as the browser showed it: title, heading, images, failed requests to the site, script errors."
    problems = [] if title in state['title'] else [f"{name}: page title {state['title']!r} lacks {title!r}"]
    problems += [] if title in state['headings'] else [f"{name}: no heading {title!r} (headings: {state['headings']})"]
    problems += [f'{name}: image not shown {src!r}' for src in state['broken']]
    urls = {e['params']['requestId']: e['params']['request']['url']
            for e in events if e.get('method') == 'Network.requestWillBeSent'}
    for e in events:
        p = e.get('params', {})
        if (e.get('method') == 'Network.responseReceived' and p['response']['url'].startswith(base)
                and p['response']['status'] >= 400):
            problems.append(f"{name}: {p['response']['status']} for {p['response']['url']}")
        if e.get('method') == 'Network.loadingFailed' and urls.get(p['requestId'], '').startswith(base):
            problems.append(f"{name}: failed to load {urls[p['requestId']]} ({p['errorText']})")
        if e.get('method') == 'Runtime.exceptionThrown':
            details = p['exceptionDetails']
            problems.append(f"{name}: script error "
                            f"{details.get('exception', {}).get('description', details['text']).splitlines()[0]!r}")
    return problems

def browser_problems(site, pages, browser, screenshots=()):
    """Open each (page, title) of `pages` in headless `browser` from `site` served on 127.0.0.1; returns the problems
    and totals of images and formulas shown. Saves a screenshot of each page named in `screenshots` (scrolled to its
    first figure, but for the home page) as `site/screenshot-NAME.png`."""
    server = served(site)
    with tempfile.TemporaryDirectory() as profile:
        proc, ws_url = started_browser(browser, profile)
        try:
            with connect(ws_url, max_size=None) as ws:
                return shown_problems(DevTools(ws), Path(site), f'http://127.0.0.1:{server.server_address[1]}/', pages,
                                      screenshots)
        finally:
            proc.kill(); proc.wait(); server.shutdown(); server.server_close()

def shown_problems(tools, site, base, pages, screenshots):
    problems, totals = [], dict(images=0, formulas=0)
    for domain in ('Page', 'Network', 'Runtime'): tools.call(f'{domain}.enable')
    tools.call('Emulation.setDeviceMetricsOverride', width=1280, height=900, deviceScaleFactor=1, mobile=False)
    for name, title in pages:
        tools.events.clear()
        tools.call('Page.navigate', url=base + name)
        tools.wait_for('Page.loadEventFired')
        state = tools.call('Runtime.evaluate', expression=PAGE_STATE_JS, awaitPromise=True,
                           returnByValue=True)['result']['value']
        problems += page_problems(name, title, state, tools.events, base)
        for k in totals: totals[k] += state[k]
        if name in screenshots:
            if name != 'index.html': tools.call('Runtime.evaluate', expression=FIRST_FIGURE_JS, awaitPromise=True)
            shot = tools.call('Page.captureScreenshot', format='png')['data']
            (site/f'screenshot-{Path(name).stem}.png').write_bytes(base64.b64decode(shot))
    return problems, totals

def main(site=SITE):
    site = Path(site)
    if not (site/'index.html').is_file(): sys.exit(f'docs check: no site in {site}: run `make docs` first')
    start, pages = time.monotonic(), [(page, title) for _, page, title in chapters(PROC)]
    problems = [f'{page}: missing page' for page, _ in pages if not (site/page).is_file()] + static_problems(site)
    browser = next(filter(None, map(shutil.which, BROWSERS)), None)
    if browser is None: print('docs check: browser part SKIPPED: Chromium is not installed (apt-get install chromium)')
    else:
        with_figure = next((p for p, _ in pages[1:] if '<img' in (site/p).read_text()), pages[-1][0])
        found, totals = browser_problems(site, pages, browser, screenshots=('index.html', with_figure))
        problems += found
        print(f"docs check: {len(pages)} pages opened in {Path(browser).name}, {totals['images']} images shown, "
              f"{totals['formulas']} formulas typeset; screenshots {site.name}/screenshot-index.png, "
              f"{site.name}/screenshot-{Path(with_figure).stem}.png")
    for problem in problems: print(problem)
    print(f'docs check: {len(pages)} pages, {len(problems)} problems ({time.monotonic() - start:.1f} s)')
    return 1 if problems else 0

if __name__ == '__main__': sys.exit(main())
