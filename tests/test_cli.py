"End-to-end checks that are better outside notebooks: the console script and a fresh interpreter."
import json, subprocess, sys
from pathlib import Path

BIN = Path(sys.executable).parent

def run(*args, **kw):
    return subprocess.run([*args], capture_output=True, text=True, timeout=300, **kw)

def test_console_script_help():
    r = run(str(BIN/'disentangle-nb'), '--help')
    assert r.returncode == 0, r.stderr
    assert 'staircase' in r.stdout and 'download' in r.stdout
    # no deprecation warning on the default path (fastai's torch.jit.script is silenced)
    assert 'Warning' not in r.stderr, r.stderr

def test_import_in_fresh_interpreter():
    r = run(sys.executable, '-c', 'import disentangle_nb, disentangle_nb.estimators as e; '
            'print(disentangle_nb.__version__, len(e.__all__))')
    assert r.returncode == 0, r.stderr
    version, n = r.stdout.split()
    assert version.count('.') == 2 and int(n) > 10

def test_staircase_end_to_end(tmp_path):
    out = tmp_path/'figs'/'stairs.png'
    r = run(str(BIN/'disentangle-nb'), 'staircase', '--steps-per-level', '30', '--levels', '2', '4', '--out', str(out))
    assert r.returncode == 0, r.stderr
    summary = json.loads(out.with_suffix('.json').read_text())
    assert out.stat().st_size > 10_000
    assert summary['estimates_per_level']['truth'] == [2.0, 4.0]
    assert len(summary['estimates_per_level']) == 1 + 6  # truth + every bound estimator
    assert summary['hardware'] and summary['seconds'] > 0

def test_bad_arguments_fail_with_one_clear_message():
    r = run(str(BIN/'disentangle-nb'), 'staircase', '--critic', 'bilinear')
    assert r.returncode == 2
    assert "invalid choice: 'bilinear'" in r.stderr
    r = run(str(BIN/'disentangle-nb'))
    assert r.returncode == 2 and 'COMMAND' in r.stderr
