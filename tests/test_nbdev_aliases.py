"The underscore spellings `nbdev_export` and `nbdev_test` (pyproject.toml's [project.scripts]) are nbdev 3's commands."
import os, shutil, subprocess, sys
from pathlib import Path
import pytest

BIN = Path(sys.executable).parent  # the venv's bin folder, first on the PATH of `make test`

def help_text(cmd: str) -> str:
    "The usage that `cmd --help` prints (it must exit 0), with the program's own name replaced by PROG."
    env = {**os.environ, 'PATH': f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", 'COLUMNS': '120'}
    res = subprocess.run([cmd, '--help'], capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 0, f'{cmd} --help exited {res.returncode}: {res.stderr}'
    assert res.stdout.startswith(f'usage: {cmd} '), res.stdout[:200]
    return res.stdout.replace(cmd, 'PROG')

@pytest.mark.parametrize('alias', ['nbdev_export', 'nbdev_test'])
def test_alias_is_nbdev_command(alias):
    hyphenated = alias.replace('_', '-')
    assert (BIN/alias).exists(), f'{alias} is not installed in {BIN}: reinstall with `pip install --no-deps -e .`'
    assert shutil.which(alias, path=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}") == str(BIN/alias)
    assert help_text(alias) == help_text(hyphenated)
