"""Saved outputs that quote results files still match them, and no saved output holds an absolute path
(tools/saved_outputs.py: cells marked `#| quotes: FILE ...` are re-run after their notebook's imports and compared)."""
import json, shutil, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT/'tools'))
import saved_outputs as so

NOTEBOOKS = sorted((ROOT/'nbs').glob('*.ipynb'))

def test_quoting_cells_match_their_results_files():
    problems = so.uncommitted_quotes(NOTEBOOKS) + [q for nb in NOTEBOOKS for q in so.quote_problems(nb)]
    assert not problems, '\n'.join(problems)

def test_readme_is_rendered_from_index():
    assert not so.readme_problems(), 'README.md differs from nbs/index.ipynb: run `python tools/nb2readme.py`'

def test_no_absolute_paths_in_saved_outputs():
    problems = so.path_problems(NOTEBOOKS)
    assert not problems, '\n'.join(problems)

def notebook(*cells):
    "A notebook of code cells, each (source, saved stdout)."
    return {'cells': [{'cell_type': 'code', 'id': f'c{i}', 'metadata': {}, 'execution_count': None, 'source': src,
                       'outputs': [{'name': 'stdout', 'output_type': 'stream', 'text': out}] if out else []}
                      for i, (src, out) in enumerate(cells)], 'metadata': {}, 'nbformat': 4, 'nbformat_minor': 5}

def test_check_fails_when_a_quoted_number_changes(tmp_path):
    (tmp_path/'nbs').mkdir(); (tmp_path/'figures').mkdir()
    results = tmp_path/'figures'/'toy.json'
    results.write_text(json.dumps({'accuracy': 0.5695}))
    nb = tmp_path/'nbs'/'toy.ipynb'
    quoting = ("#| quotes: figures/toy.json\n"
               "print(f\"{100 * json.loads(Path('../figures/toy.json').read_text())['accuracy']:.1f}%\")")
    nb.write_text(json.dumps(notebook(('import json\nfrom pathlib import Path', ''), (quoting, '57.0%\n'))))
    assert so.quote_problems(nb) == []
    results.write_text(json.dumps({'accuracy': 0.4753}))  # the results file changed, the saved output did not
    (problem,) = so.quote_problems(nb)
    assert problem.startswith('toy.ipynb cell c1: saved output differs from a fresh run on figures/toy.json')
    assert '47.5%' in problem
    so.update(nb)  # what `python tools/saved_outputs.py --update` does
    assert so.quote_problems(nb) == [] and '47.5%' in nb.read_text()
    nb.write_text(json.dumps(notebook(('import json', ''), (quoting, '47.5%\n'))))  # the notebook does not import Path
    assert so.quote_problems(nb) == ["toy.ipynb cell c1: fails when re-run: NameError: name 'Path' is not defined"]
    results.unlink()
    assert so.quote_problems(nb) == ['toy.ipynb cell c1: quotes figures/toy.json, which is missing']

def test_readme_timing_line_fails_on_an_edited_results_file(tmp_path):
    "The README's timing line (nbs/index.ipynb), re-run on a copy of its results file with one number edited."
    (tmp_path/'nbs').mkdir(); (tmp_path/'figures').mkdir()
    shutil.copy(ROOT/'nbs'/'index.ipynb', tmp_path/'nbs')
    made = json.loads((ROOT/'figures'/'cmnist_quick_make_demo.json').read_text())
    (tmp_path/'figures'/'cmnist_quick_make_demo.json').write_text(json.dumps(made))
    assert so.quote_problems(tmp_path/'nbs'/'index.ipynb') == []
    made['provenance']['training_seconds']['shared'] += 100
    (tmp_path/'figures'/'cmnist_quick_make_demo.json').write_text(json.dumps(made))
    (problem,) = so.quote_problems(tmp_path/'nbs'/'index.ipynb')
    assert problem.startswith('index.ipynb cell 8f859ffb: saved output differs from a fresh run on '
                              'figures/cmnist_quick_make_demo.json')
    assert f"shared {made['provenance']['training_seconds']['shared']:.0f} s" in problem

def test_absolute_paths_are_found(tmp_path):
    nb = tmp_path/'paths.ipynb'
    nb.write_text(json.dumps(notebook(('', 'report: /tmp/tmpab12/run/report.md\n'),
                                      ('', 'see ../figures/a.png, 3 it/s, 1/12\n'),
                                      ('', 'https://example.org/a/b and /home/me/x.py:3: Warning\n'))))
    assert so.absolute_paths(nb) == [('c0', '/tmp/tmpab12/run/report.md'), ('c2', '/home/me/x.py')]
