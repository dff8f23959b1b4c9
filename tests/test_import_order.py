"Chapters are in import order: no module of the library imports a module whose chapter (notebook) comes later."
import ast, json, re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PKG = 'disentangle_nb'

def chapters(nbs=ROOT/'nbs') -> dict:
    "module -> the file name of the notebook whose `#| default_exp` writes it."
    out = {}
    for nb in sorted(nbs.glob('*.ipynb')):
        for cell in json.loads(nb.read_text())['cells']:
            if cell['cell_type'] != 'code': continue
            m = re.search(r'^#\|\s*default_exp\s+(\S+)', ''.join(cell['source']), re.M)
            if m: out.setdefault(m.group(1), nb.name); break
    return out

def imported_modules(path: Path) -> list:
    "(line, module) of every import of a module of the package in `path`, inside functions too."
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1: base = node.module
            elif node.level == 0 and node.module and (node.module == PKG or node.module.startswith(PKG + '.')):
                base = node.module[len(PKG) + 1:] or None
            else: continue
            if base: found.append((node.lineno, base.split('.')[0]))
            else: found += [(node.lineno, a.name) for a in node.names]  # `from . import runs`
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name.split('.')[1]) for a in node.names if a.name.startswith(PKG + '.')]
    return found

def order_violations(pkg=ROOT/PKG, nbs=ROOT/'nbs') -> list:
    "Every import of a later chapter, as a message naming the module, its chapter and the chapter it imports."
    chap = chapters(nbs)
    rank = {m: i for i, m in enumerate(sorted(chap, key=chap.get))}
    bad = []
    for py in sorted(pkg.glob('*.py')):
        mod = py.stem
        if mod not in chap: continue  # __init__, _modidx: written by nbdev, not by a chapter
        for line, dep in imported_modules(py):
            if dep in rank and rank[dep] > rank[mod]:
                bad.append(f'{PKG}/{py.name}:{line}: module {mod!r} ({chap[mod]}) imports {dep!r}, '
                           f'of the later chapter {chap[dep]}')
    return bad

def test_every_module_has_a_chapter():
    chap = chapters()
    missing = [py.stem for py in (ROOT/PKG).glob('*.py') if not py.stem.startswith('_') and py.stem not in chap]
    assert not missing, f'modules no notebook exports to: {missing}'

def test_chapters_in_import_order():
    bad = order_violations()
    assert not bad, 'chapters out of import order:\n' + '\n'.join(bad)
