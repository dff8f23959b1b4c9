"The study engine from the command line: two processes filling one results file, and a damaged results file."
import json, os, subprocess, sys
from pathlib import Path
import pytest

CLI = str(Path(sys.executable).parent/'disentangle-nb')
ENV = {**os.environ, 'OMP_NUM_THREADS': '1'}
STUDY = '''results = "results.json"
dataset = "bars"
preset = "quick"
stage = "both"
protocols = ["linear"]
probe_seeds = [0]

[common]
shared_iters = 2
exclusive_iters = 2
iters_per_epoch = 2
valid_batches = 1
width = 4
stat_hidden = 16
batch_size = 8
data_options = {n = 512}

[rows.a]
[rows.b]
lambda_adv = 0.0
'''

def study(tmp_path) -> Path:
    (tmp_path/'s.toml').write_text(STUDY)
    return tmp_path/'s.toml'

def test_two_processes_fill_one_file(tmp_path, capsys):
    "Rows `a` and `b` run at once in two processes: the file ends with both, in the study's order."
    f = study(tmp_path)
    runs = [subprocess.Popen([CLI, 'study', str(f), '--rows', row, '--root', str(tmp_path/f'runs_{row}')], env=ENV,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for row in ('b', 'a')]
    for p in runs: assert p.wait(timeout=300) == 0, p.stderr.read()[-2000:]
    results = json.loads((tmp_path/'results.json').read_text())
    assert [r['variant'] for r in results['rows']] == ['a', 'b']
    assert results['rows'][1]['overrides'] == {'lambda_adv': 0.0}
    assert results['rows'][1]['provenance']['config']['width'] == 4
    from disentangle_nb.cli import main  # a third call, in this process, finds both rows
    main(['study', str(f), '--root', str(tmp_path/'runs_a')])
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(':')[0] for line in lines if 'already, skipped' in line] == ['a', 'b'], lines

def test_damaged_results_file_is_one_line(tmp_path, capsys):
    from disentangle_nb.cli import main
    f = study(tmp_path)
    (tmp_path/'results.json').write_text('{"rows": [')  # a crash of an older writer, a bad merge
    with pytest.raises(SystemExit) as stop: main(['study', str(f)])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and 'Traceback' not in err and err.count('\n') == 1, err
    assert 'is not a whole JSON file' in err and 'restore it (git checkout) or move it away' in err

def test_baseline_row_and_evaluations(tmp_path):
    "A study whose rows are our two stages and a baseline, with the dependence probe on each: one file, both rows."
    from disentangle_nb.cli import main
    f = tmp_path/'s.toml'
    f.write_text(STUDY.replace('probe_seeds = [0]', 'probe_seeds = [0]\nevaluations = ["dependence"]')
                 .replace('[rows.b]\nlambda_adv = 0.0', '[rows."vae (baseline)"]\nbaseline = "vae"'))
    main(['study', str(f), '--root', str(tmp_path/'runs')])
    results = json.loads((tmp_path/'results.json').read_text())
    ours, vae = results['rows']
    assert results['evaluations'] == ['dependence'] and (ours['baseline'], vae['baseline']) == (None, 'vae')
    assert set(ours['evaluations']['dependence']['views']) == {'X', 'Y'}
    assert vae['evaluations']['dependence'] == {} and vae['distance_to_ideal'] is None  # no E; the whole latent
    assert set(vae['accuracy']['linear']) == {'S_X', 'S_Y'}
    assert (tmp_path/'runs'/'bars_quick'/'vae_(baseline)'/'vae.pth').exists()
