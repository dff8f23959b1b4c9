"""Crash and resume: a real SIGKILL, and a real SIGTERM, of a training process during stage 1, then `--resume` (in this
process, on one thread as the killed process)."""
import os, re, signal, subprocess, sys, time
from pathlib import Path
import pytest, torch
from disentangle_nb.cli import main
from disentangle_nb.runs import checkpoint_paths, read_history

CLI = str(Path(sys.executable).parent/'disentangle-nb')
TINY = ['--dataset', 'bars', '--set', 'shared_iters=100', 'exclusive_iters=10', 'iters_per_epoch=10', 'valid_batches=1',
        'width=8', 'stat_hidden=32', 'batch_size=32', 'lr=0.001', 'lr_disc=0.001']
ENV = {**os.environ, 'OMP_NUM_THREADS': '1'}

def shared_rows(run):
    path = run/'history.csv'
    return [r for r in read_history(path) if r['stage'] == 'shared'] if path.exists() else []

def timeless(run)->list:
    "The history of `run` without its timing columns."
    return [{k: v for k, v in r.items() if k not in ('iters_per_s', 'seconds')}
            for r in read_history(run/'history.csv')]

def start_then_wait(run, epochs:int)->subprocess.Popen:
    "A `train` process of the tiny run in `run`, once it has logged `epochs` epochs of stage 1."
    proc = subprocess.Popen([CLI, 'train', '--out', str(run), *TINY], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=ENV, text=True)
    deadline = time.time() + 240
    while len(shared_rows(run)) < epochs:
        assert proc.poll() is None, proc.stderr.read()[-2000:]
        assert time.time() < deadline, f'the run never logged {epochs} epochs'
        time.sleep(0.02)
    return proc

@pytest.fixture(scope='module')
def one_thread():
    "Train in this process on one thread, as the processes started with `ENV` do: the same sums, the same weights."
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)

@pytest.fixture(scope='module')
def reference(tmp_path_factory, one_thread)->Path:
    "The tiny run, uninterrupted."
    ref = tmp_path_factory.mktemp('ref')/'run'
    main(['train', '--out', str(ref), *TINY])
    return ref

def assert_same_run(run, ref):
    "`run` ends with the weights, terms and history of the uninterrupted run `ref`."
    for stage in ('shared', 'exclusive'):
        a, b = torch.load(ref/f'{stage}.pth'), torch.load(run/f'{stage}.pth')
        assert all(torch.equal(a[k], b[k]) for k in a), f'{stage}: the resumed run differs from the uninterrupted one'
        assert (run/f'{stage}_terms.csv').read_text() == (ref/f'{stage}_terms.csv').read_text(), stage
    assert timeless(run) == timeless(ref)

def test_sigkill_during_stage1_then_resume(tmp_path, capsys, reference):
    run = tmp_path/'run'
    proc = start_then_wait(run, 3)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_at = len(shared_rows(run))
    assert not (run/'shared.pth').exists(), 'the kill should land during stage 1'
    assert 3 <= killed_at < 10

    main(['train', '--out', str(run), *TINY, '--resume'])
    out = capsys.readouterr().out
    assert 'shared: ' in out and 'exclusive: ' in out and 'iterations/s' in out
    rows = read_history(run/'history.csv')
    assert [(x['stage'], int(x['iteration'])) for x in rows] == [('shared', 10 * i) for i in range(1, 11)] + [
        ('exclusive', 10)]
    terms = (run/'shared_terms.csv').read_text().splitlines()
    assert len(terms) == 1 + 100 and terms[-1].startswith('100,')  # every iteration once, continuous
    assert_same_run(run, reference)

def test_sigterm_mid_stage1_checkpoints_the_iteration_then_resume(tmp_path, reference):
    "A preemption: the iteration ends, its checkpoint is written, one line, status 143; `--resume` goes on from it."
    run = tmp_path/'run'
    proc = start_then_wait(run, 2)
    first, second = (float(r['seconds']) for r in shared_rows(run)[:2])
    time.sleep((second - first) / 2)  # half an epoch on: in the middle of epoch 3, most likely
    os.kill(proc.pid, signal.SIGTERM)
    err = proc.communicate(timeout=120)[1]
    assert proc.returncode == 143, err[-3000:]
    line = re.fullmatch(r'interrupted at iteration (\d+) of stage shared; `--resume` continues from here\n', err)
    assert line, err[-3000:]
    iteration = int(line[1])
    assert 20 <= iteration < 100 and not (run/'shared.pth').exists()
    epochs, step = divmod(iteration, 10)  # the newest checkpoint is that of the iteration
    newest = checkpoint_paths(run/'checkpoints', 'shared')[0]
    assert newest.name == f"shared_epoch{epochs}{f'_step{step}' * bool(step)}.pth", newest

    main(['train', '--out', str(run), *TINY, '--resume'])
    assert_same_run(run, reference)

def test_existing_run_without_resume_is_refused(tmp_path):
    run = tmp_path/'run'
    (run/'checkpoints').mkdir(parents=True)
    r = subprocess.run([CLI, 'train', '--out', str(run), *TINY], capture_output=True, text=True, env=ENV)
    assert r.returncode == 2 and 'already holds a run; pass --resume' in r.stderr
