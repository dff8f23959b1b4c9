"The docs checker (tools/check_docs.py) on a tiny site: a dead link, a missing anchor, broken images and a wrong title."
import base64, io, re, shutil, sys
from pathlib import Path
import pytest
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent/'tools'))
from check_docs import BROWSERS, browser_problems, static_problems

def png():
    out = io.BytesIO()
    Image.new('RGB', (4, 3), 'red').save(out, format='PNG')
    return out.getvalue()

def page(title, body):
    head = f'<title>{title}</title><link rel="icon" href="figures/good.png">'  # else Chromium asks for favicon.ico
    return f'<!doctype html><html><head>{head}</head><body><h1>{title}</h1>{body}</body></html>'

@pytest.fixture
def site(tmp_path):
    data_uri = 'data:image/png;base64,' + base64.b64encode(png()).decode()
    (tmp_path/'figures').mkdir()
    (tmp_path/'figures'/'good.png').write_bytes(png())
    (tmp_path/'figures'/'broken.png').write_bytes(b'not a picture')
    (tmp_path/'index.html').write_text(page('Home', '<a href="good.html">ok</a> <a href="good.html#there">ok</a> '
        '<a href="#top">ok</a> <a id="top" href="https://example.org/x.html">elsewhere</a> '
        '<img src="figures/good.png"> '
        f'<img src="{data_uri}">'))
    (tmp_path/'good.html').write_text(page('Good', '<h2 id="there">There</h2> <a href="index.html#top">back</a>'))
    (tmp_path/'bad.html').write_text(page('Bad', '<a href="missing.html">dead</a> '
        '<a href="good.html#nowhere">no anchor</a> '
        '<img src="figures/broken.png"> <img src="figures/missing.png"> <img src="data:image/png;base64,AAAA"> '
        '<img src="https://example.org/far.png">'))
    return tmp_path

def test_static_problems(site):
    assert sorted(static_problems(site)) == sorted([
        "bad.html: dead link 'missing.html'", "bad.html: no anchor for 'good.html#nowhere'",
        "bad.html: broken image 'figures/broken.png'", "bad.html: broken image 'figures/missing.png'",
        "bad.html: broken image 'data:image/png;base64,AAAA'", "bad.html: image from another host 'https://example.org/far.png'"])
    (site/'bad.html').unlink()
    assert static_problems(site) == []

browser = next(filter(None, map(shutil.which, BROWSERS)), None)

@pytest.mark.skipif(browser is None, reason='Chromium is not installed')
def test_browser_problems(site):
    (site/'bad.html').write_text(
        (site/'bad.html').read_text().replace('</body>', "<script>throw new Error('boom')</script></body>"))
    # good.html is not titled Elsewhere
    pages = [('index.html', 'Home'), ('good.html', 'Elsewhere'), ('bad.html', 'Bad')]
    problems, totals = browser_problems(site, pages, browser, screenshots=('index.html',))
    assert sorted(re.sub(r'http://127\.0\.0\.1:\d+/', 'SITE/', p) for p in problems) == sorted([
        "good.html: page title 'Good' lacks 'Elsewhere'", "good.html: no heading 'Elsewhere' (headings: ['Good'])",
        "bad.html: image not shown 'SITE/figures/broken.png'", "bad.html: image not shown 'SITE/figures/missing.png'",
        "bad.html: image not shown 'data:image/png;base64,AAAA'", "bad.html: image not shown 'https://example.org/far.png'",
        'bad.html: 404 for SITE/figures/missing.png',
        "bad.html: script error 'Error: boom'"])
    assert totals == dict(images=6, formulas=0)
    with Image.open(site/'screenshot-index.png') as shot: assert shot.size == (1280, 900)
