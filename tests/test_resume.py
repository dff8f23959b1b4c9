"Crash and resume: a real SIGKILL of a training process during stage 1, then `--resume`."
import os, signal, subprocess, sys, time
from pathlib import Path
import torch
from disentangle_nb.runs import read_history

CLI = str(Path(sys.executable).parent/'disentangle-nb')
TINY = ['--dataset', 'bars', '--set', 'shared_iters=200', 'exclusive_iters=20', 'iters_per_epoch=10', 'valid_batches=1',
        'width=8', 'stat_hidden=32', 'batch_size=32', 'lr=0.001', 'lr_disc=0.001']
ENV = {**os.environ, 'OMP_NUM_THREADS': '1'}

def shared_rows(run):
    path = run/'history.csv'
    return [r for r in read_history(path) if r['stage'] == 'shared'] if path.exists() else []

def test_sigkill_during_stage1_then_resume(tmp_path):
    run = tmp_path/'run'
    proc = subprocess.Popen([CLI, 'train', '--out', str(run), *TINY], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=ENV)
    deadline = time.time() + 240
    while len(shared_rows(run)) < 3:
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        assert time.time() < deadline, 'the run never logged three epochs'
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_at = len(shared_rows(run))
    assert not (run/'shared.pth').exists(), 'the kill should land during stage 1'
    assert 3 <= killed_at < 20

    r = subprocess.run([CLI, 'train', '--out', str(run), *TINY, '--resume'], capture_output=True, text=True, env=ENV,
                       timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    assert 'shared: ' in r.stdout and 'exclusive: ' in r.stdout and 'iterations/s' in r.stdout
    rows = read_history(run/'history.csv')
    assert [(x['stage'], int(x['iteration'])) for x in rows] == ([('shared', 10 * i) for i in range(1, 21)]
                                                                 + [('exclusive', 10), ('exclusive', 20)])
    terms = (run/'shared_terms.csv').read_text().splitlines()
    assert len(terms) == 1 + 200 and terms[-1].startswith('200,')  # every iteration once, continuous

    ref = tmp_path/'ref'
    r = subprocess.run([CLI, 'train', '--out', str(ref), *TINY], capture_output=True, text=True, env=ENV, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    for stage in ('shared', 'exclusive'):
        a, b = torch.load(ref/f'{stage}.pth'), torch.load(run/f'{stage}.pth')
        assert all(torch.equal(a[k], b[k]) for k in a), f'{stage}: the resumed run differs from the uninterrupted one'

def test_existing_run_without_resume_is_refused(tmp_path):
    run = tmp_path/'run'
    (run/'checkpoints').mkdir(parents=True)
    r = subprocess.run([CLI, 'train', '--out', str(run), *TINY], capture_output=True, text=True, env=ENV)
    assert r.returncode == 2 and 'already holds a run; pass --resume' in r.stderr
