"The `baseline` command end to end on the bars: a row trained and probed by the console script, skipped when rerun."
import json, os, subprocess, sys
from pathlib import Path

CLI = str(Path(sys.executable).parent/'disentangle-nb')
TINY = ['--dataset', 'bars', '--set', 'shared_iters=4', 'iters_per_epoch=2', 'valid_batches=1', 'width=4',
        'batch_size=8']
ENV = {**os.environ, 'OMP_NUM_THREADS': '1'}

def test_baseline_command_writes_a_row_then_skips_it(tmp_path):
    out, root = tmp_path/'baselines_bars.json', tmp_path/'runs'
    command = [CLI, 'baseline', '--method', 'dime', '--root', str(root), '--out', str(out), *TINY]
    r = subprocess.run(command, capture_output=True, text=True, env=ENV, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    results = json.loads(out.read_text())
    (row,) = results['rows']
    assert (row['method'], row['seed'], row['iterations']) == ('dime', 0, 4) and row['config']['width'] == 4
    assert set(row['accuracy']) == {'linear', 'ours'} and set(row['distance_to_ideal']['ours']) == {'S_X', 'S_Y'}
    assert row['hardware'] and row['wall_seconds'] > 0 and (root/'bars_quick'/'dime_seed0'/'dime.pth').exists()
    assert out.with_suffix('.png').stat().st_size > 5000
    r = subprocess.run(command, capture_output=True, text=True, env=ENV, timeout=300)
    assert r.returncode == 0 and 'dime (seed 0): in ' in r.stdout and 'already, skipped' in r.stdout, r.stderr[-3000:]
    assert json.loads(out.read_text()) == results

def test_baseline_command_refuses_an_unknown_method():
    r = subprocess.run([CLI, 'baseline', '--method', 'pca'], capture_output=True, text=True, env=ENV, timeout=60)
    assert r.returncode == 2 and "invalid choice: 'pca'" in r.stderr
