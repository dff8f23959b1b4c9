"""Check the notebooks' saved outputs: those that quote a results file must still match it, and none may hold an
absolute path of the machine that ran it. The saved outputs are what the website and README.md show, and nothing
re-executes them (`nbdev-test` runs every cell but keeps no output), so a results file rewritten after its notebook was
saved, or a quoting cell edited without running it, would go on showing old numbers.

A cell whose output quotes results files names them in a directive, relative to the repository root:

    #| quotes: figures/cmnist_quick_probes.json figures/cmnist_quick_seeds.json

Such a cell must be fast and read-only. The check runs, in one fresh IPython shell per notebook and in the notebook's
folder, `from <its module> import *` (its `default_exp`), the notebook's cells made only of imports, then its quoting
cells in order (a quoting cell may use what an earlier one defined, nothing else); it compares each one's text outputs
(stdout, and the text/* data of its results and displays) with the saved ones. Images and stderr are not compared.

    python tools/saved_outputs.py            # check every notebook and README.md; exit status 1 on a problem
    python tools/saved_outputs.py --update nbs/index.ipynb   # re-run its quoting cells and save their outputs
"""
import argparse, ast, json, os, re, subprocess, sys, tomllib
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NBS = ROOT/'nbs'
LIB = tomllib.loads((ROOT/'pyproject.toml').read_text())['tool']['nbdev']['lib_path']  # the notebooks' package
QUOTES = re.compile(r'^#\|\s*quotes:\s*(.+)$', re.M)
# An absolute path: a slash at the start of a word, then at least two names (`/work/main`, `/tmp/tmpab12/run`); not a
# URL, not a relative path (`../figures`), not a fraction or a unit (`1/12`, `it/s`).
ABSOLUTE = re.compile(r'(?<![\w.:/~-])/[A-Za-z_][\w.+-]*/[\w.+-]+(?:/[\w.+-]*)*')

def source(cell) -> str: return ''.join(cell['source']) if isinstance(cell['source'], list) else cell['source']
def text(t) -> str: return ''.join(t) if isinstance(t, list) else t

def quoted_files(cell) -> list:
    "The results files a code cell quotes (its `#| quotes:` directives, one or more), relative to the repository root."
    if cell['cell_type'] != 'code': return []
    return [f for m in QUOTES.finditer(source(cell)) for f in m.group(1).split()]

def _imports_only(stmts) -> bool:
    "Statements that only import: imports, and `with` or `try` blocks of imports (and of `warnings` filters)."
    def warning_filter(s):
        f = s.value.func if isinstance(s, ast.Expr) and isinstance(s.value, ast.Call) else None
        return isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == 'warnings'
    def ok(s):
        if isinstance(s, (ast.Import, ast.ImportFrom)): return True
        if isinstance(s, ast.With): return _imports_only([b for b in s.body if not warning_filter(b)])
        if isinstance(s, ast.Try):
            return all(map(_imports_only, [s.body, *(h.body for h in s.handlers), s.orelse, s.finalbody]))
        return False
    return all(map(ok, stmts))

def is_import_cell(cell) -> bool:
    "A code cell that only imports (directives and comments aside)."
    if cell['cell_type'] != 'code': return False
    try: body = ast.parse(source(cell)).body
    except SyntaxError: return False
    return bool(body) and _imports_only(body)

def module_of(nb:dict):
    "The module a notebook exports to (`#| default_exp`), as a dotted name, or None."
    for cell in nb['cells']:
        m = re.search(r'^#\|\s*default_exp\s+(\S+)', source(cell), re.M) if cell['cell_type'] == 'code' else None
        if m: return f"{LIB}.{m.group(1)}"
    return None

def comparable(outputs:list) -> list:
    "What the check compares of a cell's outputs: its stdout, and the text/* data of each result or display."
    out, stdout = [], ''
    for o in outputs:
        if o['output_type'] == 'stream':
            if o.get('name') == 'stdout': stdout += text(o['text'])
        elif o['output_type'] in ('execute_result', 'display_data'):
            out.append({k: text(v).rstrip('\n') for k, v in o.get('data', {}).items() if k.startswith('text/')})
    return ([stdout] if stdout else []) + out

@contextmanager
def cwd(path):
    before = Path.cwd()
    os.chdir(path)
    try: yield
    finally: os.chdir(before)

def fresh_outputs(nb:dict, folder=NBS) -> dict:
    "Cell id -> outputs of each quoting cell of `nb`, re-executed after the notebook's imports, in `folder`."
    from execnb.shell import CaptureShell
    quoting = [c for c in nb['cells'] if quoted_files(c)]
    if not quoting: return {}
    shell, fresh = CaptureShell(mpl_format=None), {}
    try:
        with cwd(folder):
            module = module_of(nb)
            imports = [source(c) for c in nb['cells'] if is_import_cell(c)]
            setup = ([f'from {module} import *'] if module else []) + imports
            for code in setup:
                failed = [o for o in shell.run(code) if o['output_type'] == 'error']
                if failed: raise RuntimeError(f"setup failed: {code!r}: {failed[0]['ename']}: {failed[0]['evalue']}")
            for cell in quoting: fresh[cell['id']] = shell.run(source(cell))
    finally: shell.close()
    return fresh

def first_difference(saved:list, fresh:list) -> str:
    "Where the comparable outputs first differ: a little of each side around that place."
    a, b = (json.dumps(o, ensure_ascii=False, sort_keys=True) for o in (saved, fresh))
    i = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    return f'saved ...{a[max(0, i - 40):i + 40]!r}... / now ...{b[max(0, i - 40):i + 40]!r}...'

def quote_problems(nb_path, folder=None) -> list:
    "Problems of a notebook's quoting cells: a quoted file missing, an error, or outputs that differ from a fresh run."
    nb_path = Path(nb_path)
    nb, folder = json.loads(nb_path.read_text()), Path(folder or nb_path.parent)
    name, problems = nb_path.name, []
    for cell in nb['cells']:
        for f in quoted_files(cell):
            if not (folder.parent/f).exists():
                problems.append(f"{name} cell {cell['id']}: quotes {f}, which is missing")
    if problems: return problems
    try: fresh = fresh_outputs(nb, folder)
    except RuntimeError as e: return [f'{name}: {e}']
    for cell in nb['cells']:
        if cell['id'] not in fresh: continue
        errors = [o for o in fresh[cell['id']] if o['output_type'] == 'error']
        saved, now = comparable(cell.get('outputs', [])), comparable(fresh[cell['id']])
        where = f"{name} cell {cell['id']}"
        if errors: problems.append(f"{where}: fails when re-run: {errors[0]['ename']}: {errors[0]['evalue']}")
        elif saved != now:
            problems.append(f"{where}: saved output differs from a fresh run on {', '.join(quoted_files(cell))} "
                            f"({first_difference(saved, now)}); "
                            f"run `python tools/saved_outputs.py --update nbs/{name}`")
    return problems

def uncommitted_quotes(nb_paths, root=ROOT) -> list:
    "Quoted results files that git does not track (a quoted file must be committed); [] outside a git checkout."
    quoted = {f: Path(p).name for p in nb_paths
              for c in json.loads(Path(p).read_text())['cells'] for f in quoted_files(c)}
    if not quoted: return []
    r = subprocess.run(['git', 'ls-files', '--', *quoted], cwd=root, capture_output=True, text=True)
    if r.returncode != 0: return []
    tracked = set(r.stdout.split())
    return [f'{nb}: quotes {f}, which git does not track' for f, nb in quoted.items() if f not in tracked]

def output_texts(outputs:list):
    "Every text of a cell's saved outputs: streams, tracebacks, and the text/* data of results and displays."
    for o in outputs:
        if o['output_type'] == 'stream': yield text(o['text'])
        elif o['output_type'] == 'error': yield '\n'.join(o.get('traceback', []))
        else: yield from (text(v) for k, v in o.get('data', {}).items() if k.startswith('text/'))

def absolute_paths(nb_path) -> list:
    "(cell id, path) of every absolute path in the saved outputs of a notebook."
    nb = json.loads(Path(nb_path).read_text())
    return [(c.get('id'), p) for c in nb['cells'] if c['cell_type'] == 'code'
            for t in output_texts(c.get('outputs', []))
            for p in dict.fromkeys(m.rstrip('.') for m in ABSOLUTE.findall(t))]

def path_problems(nb_paths) -> list:
    "One problem per notebook cell whose saved output holds an absolute path."
    problems = []
    for p in nb_paths:
        by_cell = {}
        for cell, path in absolute_paths(p): by_cell.setdefault(cell, []).append(path)
        problems += [f'{Path(p).name} cell {cell}: absolute path in a saved output: {", ".join(paths[:3])}'
                     for cell, paths in by_cell.items()]
    return problems

def readme_problems(root=ROOT) -> list:
    "README.md must be what `tools/nb2readme.py` renders from nbs/index.ipynb and its saved outputs."
    sys.path.insert(0, str(root/'tools'))
    from nb2readme import readme
    return [] if (root/'README.md').read_text() == readme(root/'nbs'/'index.ipynb') else [
        'README.md differs from nbs/index.ipynb: run `python tools/nb2readme.py`']

def update(nb_path):
    "Re-run the quoting cells of a notebook and save their outputs in it (`nbdev-clean` then normalises the file)."
    nb_path = Path(nb_path)
    fresh = fresh_outputs(json.loads(nb_path.read_text()), nb_path.parent)
    for cid, outputs in fresh.items():
        errors = [o for o in outputs if o['output_type'] == 'error']
        if errors: raise RuntimeError(f"{nb_path.name} cell {cid}: {errors[0]['ename']}: {errors[0]['evalue']}")
    nb = json.loads(nb_path.read_text())  # read again: only the outputs of the quoting cells change
    for cell in nb['cells']:
        if cell.get('id') in fresh:
            cell['outputs'] = [{**o, 'execution_count': None} if 'execution_count' in o else o
                               for o in fresh[cell['id']]]
    nb_path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n')
    return list(fresh)

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('notebooks', nargs='*', help='default: every notebook in nbs/')
    ap.add_argument('--update', action='store_true', help='re-run the quoting cells and save their outputs')
    args = ap.parse_args(argv)
    paths = [Path(p) for p in args.notebooks] or sorted(NBS.glob('*.ipynb'))
    if args.update:
        for p in paths: print(f'{p}: updated cells {update(p)}')
        return 0
    problems = (path_problems(paths) + uncommitted_quotes(paths) + [q for p in paths for q in quote_problems(p)]
                + (readme_problems() if not args.notebooks else []))
    print('\n'.join(problems) or f'saved outputs: {len(paths)} notebooks checked, no problem')
    return 1 if problems else 0

if __name__ == '__main__': sys.exit(main())
