"Importing any module of the package prints nothing: no warning, no log line, on stdout or stderr."
import json, os, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PKG = 'disentangle_nb'
MODULES = [PKG] + sorted(f'{PKG}.{p.stem}' for p in (ROOT/PKG).glob('*.py') if p.stem != '__init__')

# One interpreter imports the third-party libraries once (not fastai: its first import warns), then forks a child
# per module: each child starts as a fresh interpreter would for the package (none of it imported, Python's default
# warning filters) and imports one module with its stdout and stderr sent to a file, which the parent reads back.
# A fresh interpreter per module would cost ~6 s each.
PROBE = r'''
import json, os, sys, tempfile
import numpy, torch, torchvision, matplotlib.pyplot, scipy.stats, sklearn.ensemble, sklearn.linear_model
import pandas, PIL.Image, fastcore.all, fastprogress, IPython
printed = {}
for module in sys.argv[1:]:
    with tempfile.TemporaryFile() as f:
        pid = os.fork()
        if pid == 0:
            os.dup2(f.fileno(), 1); os.dup2(f.fileno(), 2)
            try: __import__(module)
            except BaseException as e: print(f'import failed: {e!r}')
            sys.stdout.flush(); sys.stderr.flush(); os._exit(0)
        os.waitpid(pid, 0); f.seek(0); printed[module] = f.read().decode()
print(json.dumps(printed))
'''

def printed(modules) -> dict:
    "{module: what importing it printed}, each in a child forked from one interpreter."
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONWARNINGS'}
    res = subprocess.run([sys.executable, '-c', PROBE, *modules], capture_output=True, text=True, cwd=ROOT, env=env,
                         timeout=600)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout.splitlines()[-1])

def test_modules_listed():
    assert len(MODULES) > 10 and f'{PKG}._modidx' in MODULES and f'{PKG}.exclusive_stage' in MODULES

def test_probe_sees_output():
    "The probe is not blind: a module that warns on import is caught."
    os.environ['PYTHONPATH'] = str(Path(__file__).parent/'data')
    try: assert 'UserWarning: loud' in printed(['warnings_demo'])['warnings_demo']
    finally: del os.environ['PYTHONPATH']

def test_every_import_is_quiet():
    "One test (one probe) for every module: what each printed, if any did."
    loud = {m: p for m, p in printed(MODULES).items() if p}
    assert not loud, '\n'.join(f'importing {m} printed:\n{p}' for m, p in loud.items())
