"""Build the documentation website into `_docs/`: with `nbdev-docs` where Quarto is installed, otherwise with MkDocs and
mkdocs-jupyter from nbdev's processed notebooks (`_proc/`), offline: the figures and MathJax are copied into the site.
Each chapter keeps its prose, code, outputs, figures and `show_doc` output; its title is the notebook's frontmatter
title, the navigation follows the notebooks' order and the home page is `nbs/index.ipynb`."""
import importlib.util, json, os, re, shutil, subprocess, sys, tempfile, time
from pathlib import Path
import yaml

ROOT = Path(__file__).resolve().parent.parent
PROC, SITE, FIGURES = ROOT/'_proc', ROOT/'_docs', ROOT/'figures'
# MathJax 3 from the django-static-mathjax package (no dependencies). nbconvert's pages load MathJax from
# `custom_mathjax_url` and configure it the MathJax 2 way, which MathJax 3 ignores: so that URL is this loader, which
# configures and loads MathJax 3.
MATHJAX_LOADER = (
    '''window.MathJax = {tex: {inlineMath: [['$', '$'], ['\\\\(', '\\\\)']], processEscapes: true, tags: 'ams'}};
const script = document.createElement('script');
script.src = 'mathjax/es5/tex-mml-chtml.js';  // every page sits at the site's top level
document.head.appendChild(script);
''')
# tex-mml-chtml.js and what it loads on demand
MATHJAX_PARTS = ['tex-mml-chtml.js', 'output/chtml', 'input/tex/extensions', 'a11y', 'ui']

# nbdev adds others
NBFORMAT_CELL_KEYS = {'cell_type', 'id', 'metadata', 'source', 'outputs', 'execution_count', 'attachments'}

def frontmatter(nb):
    "The YAML frontmatter that nbdev's processing puts in a processed notebook's first (raw) cell."
    first = nb['cells'][0]
    src = ''.join(first['source'])
    return yaml.safe_load(src.strip().strip('-')) if first['cell_type'] == 'raw' and src.startswith('---') else {}

def chapters(proc=PROC):
    "(processed notebook, page name, title) of every chapter, the home page first, then in the notebooks' order."
    nbs = sorted(proc.glob('*.ipynb'), key=lambda p: (p.stem != 'index', p.name))
    fms = [frontmatter(json.loads(p.read_text())) for p in nbs]
    return [(p, fm.get('output-file', p.stem + '.html'), fm.get('title', p.stem)) for p, fm in zip(nbs, fms)]

def html_code(heading):
    "A heading's inline code as HTML: mkdocs-jupyter drops backticked code from the page's TOC, so the anchors differ."
    return re.sub(r'`([^`]+)`', r'<code>\1</code>', heading[0])

def page_notebook(nb):
    "A processed notebook ready for mkdocs-jupyter: the frontmatter as a title and a lead, `#|` directives applied."
    fm = frontmatter(nb)
    lead = f"# {fm.get('title', '')}" + (f"\n\n> {' '.join(str(fm['description']).split())}"
                                         if fm.get('description') else '')
    cells = [dict(cell_type='markdown', id='frontmatter', metadata={}, source=lead)] if fm else []
    for cell in nb['cells'][1 if fm else 0:]:
        src, tags = ''.join(cell['source']), []
        if cell['cell_type'] == 'markdown':
            src = re.sub(r'^#+ .*$', html_code, src.replace('](../figures/', '](figures/'), flags=re.M)
        elif cell['cell_type'] == 'code':
            if re.search(r'^#\|\s*echo:\s*false', src, re.M): tags = ['remove_input']
            src = '\n'.join(l for l in src.splitlines() if not l.startswith('#|')).strip()
            if not src and not cell.get('outputs'): continue
        cell = {**cell, 'source': src, 'metadata': {'tags': tags} if cell['cell_type'] == 'code' else {}}
        cells.append({k: v for k, v in cell.items() if k in NBFORMAT_CELL_KEYS})
    return {**nb, 'cells': cells}

def mkdocs_config(pages, src):
    return dict(site_name='disentangle_nb', docs_dir=str(src), site_dir=str(SITE), use_directory_urls=False,
                repo_url='https://github.com/disentangle-nb/disentangle_nb', edit_uri='',
                theme=dict(name='material', font=False, features=['navigation.top']),
                nav=[{title: Path(page).with_suffix('.ipynb').name} for _, page, title in pages],
                plugins=['search', {'mkdocs-jupyter': dict(execute=False, cache=False, include_source=False,
                                                           no_prompt=True, custom_mathjax_url='mathjax-loader.js',
                                                           remove_tag_config=dict(remove_input_tags=['remove_input']))}])

def mkdocs_site():
    mathjax = Path(importlib.util.find_spec('mathjax').origin).parent/'static'/'mathjax'/'es5'
    pages = chapters()
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp)/'docs'
        (src/'mathjax'/'es5').mkdir(parents=True)
        for nb_path, page, _ in pages:
            nb = page_notebook(json.loads(nb_path.read_text()))
            (src/Path(page).with_suffix('.ipynb').name).write_text(json.dumps(nb))
        shutil.copytree(FIGURES, src/'figures', ignore=shutil.ignore_patterns('*.json'))
        for part in MATHJAX_PARTS:
            (shutil.copytree if (mathjax/part).is_dir() else shutil.copy)(mathjax/part, src/'mathjax'/'es5'/part)
        (src/'mathjax-loader.js').write_text(MATHJAX_LOADER)
        (Path(tmp)/'mkdocs.yml').write_text(yaml.safe_dump(mkdocs_config(pages, src), sort_keys=False))
        env = {**os.environ, 'NO_MKDOCS_2_WARNING': '1'}  # Material's notice about MkDocs 2, printed on every build
        subprocess.run([sys.executable, '-m', 'mkdocs', 'build', '--strict', '--quiet', '-f',
                        str(Path(tmp)/'mkdocs.yml')], check=True, env=env)
    return pages

if __name__ == '__main__':
    if shutil.which('quarto'): sys.exit(subprocess.run(['nbdev-docs'], cwd=ROOT).returncode)
    from nbdev.serve import proc_nbs
    start = time.monotonic()
    proc_nbs()
    processed = time.monotonic()
    pages = mkdocs_site()
    size = sum(f.stat().st_size for f in SITE.rglob('*') if f.is_file())
    print(f'docs: Quarto not installed: {len(pages)} pages built with MkDocs into {SITE.relative_to(ROOT)}/, '
          f'{size/2**20:.1f} MiB in all '
          f'(nbdev processing {processed - start:.0f} s, MkDocs {time.monotonic() - processed:.0f} s)')
