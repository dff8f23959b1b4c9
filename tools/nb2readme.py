"""Write README.md from nbs/index.ipynb without Quarto (`nbdev-readme` needs Quarto): markdown cells as they are, code
cells fenced with their text outputs (a Markdown result as it is, so prose can quote results files), `#|` directives
dropped, hidden cells skipped, `#| echo: false` cells shown by their output only, paths made relative to the root."""
import json, re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

def cell_md(cell):
    src = cell['source'] if isinstance(cell['source'], str) else ''.join(cell['source'])
    if cell['cell_type'] == 'markdown': return src.replace('](../', '](')
    if re.search(r'^#\|\s*(hide|exporti?)\b', src, re.M): return ''
    code = '\n'.join(l for l in src.splitlines() if not l.startswith('#|')).strip()
    shown = [] if re.search(r'^#\|\s*echo:\s*false', src, re.M) else [f'```python\n{code}\n```']
    for out in cell.get('outputs', []):
        if out.get('output_type') == 'stream': shown.append(f"```\n{text(out['text']).rstrip()}\n```")
        elif 'text/markdown' in out.get('data', {}):
            shown.append(text(out['data']['text/markdown']).strip().replace('](../', ']('))
    return '\n\n'.join(shown)

def text(t): return ''.join(t) if isinstance(t, list) else t

def readme(nb_path=ROOT/'nbs'/'index.ipynb'):
    cells = json.loads(Path(nb_path).read_text())['cells']
    body = '\n\n'.join(md for md in map(cell_md, cells) if md.strip())
    return body + '\n\n<!-- generated from nbs/index.ipynb by `make readme`; edit the notebook, not this file -->\n'

if __name__ == '__main__':
    (ROOT/'README.md').write_text(readme())
    print('wrote README.md')
