"""Faults of a training run, in this process: a second signal while the interrupt's checkpoint is written, and a disk
that fills up in the middle of a checkpoint. Each run is then resumed and ends with the uninterrupted run's weights."""
import errno, os, signal
from pathlib import Path
from unittest import mock
import pytest, torch
from fastai.callback.core import Callback
from disentangle_nb import runs
from disentangle_nb.cli import main
from disentangle_nb.runs import checkpoint_paths, load_weights, read_checkpoint, resolve_config, train
from disentangle_nb.shared_stage import run_iteration

TINY = dict(shared_iters=40, exclusive_iters=20, iters_per_epoch=10, valid_batches=1, width=8, stat_hidden=32,
            batch_size=16, lr=0.001, lr_disc=0.001)
CFG = resolve_config('bars', 'quick', TINY)
ARGS = ['--dataset', 'bars', '--device', 'cpu', '--set', *(f'{k}={v}' for k, v in TINY.items())]

@pytest.fixture(scope='module')
def reference(tmp_path_factory)->Path:
    "The tiny run, uninterrupted."
    ref = tmp_path_factory.mktemp('ref')/'run'
    train(CFG, ref, device='cpu', progress=False)
    return ref

def assert_same_weights(run, ref):
    for stage in ('shared', 'exclusive'):
        a, b = load_weights(ref/f'{stage}.pth'), load_weights(run/f'{stage}.pth')
        assert all(torch.equal(a[k], b[k]) for k in a), f'{stage}: the resumed run differs from the uninterrupted one'

class SignalAt(Callback):
    "Send this process `sig` after training iteration `n` of a stage, as a preemption would."
    def __init__(self, n:int, sig=signal.SIGTERM): self.n, self.sig = n, sig
    def after_batch(self):
        if self.training and run_iteration(self.learn, self.iter + 1) == self.n: os.kill(os.getpid(), self.sig)

def test_second_signal_while_the_checkpoint_is_written(tmp_path, capsys, reference):
    run, save, handlers = tmp_path/'run', runs.atomic_save, [signal.getsignal(s) for s in runs.STOP_SIGNALS]
    def save_signalled(obj, path):  # a SIGINT comes in while the interrupt's checkpoint is written
        if '_step' in Path(path).name: os.kill(os.getpid(), signal.SIGINT)
        save(obj, path)
    with mock.patch.object(runs, 'atomic_save', save_signalled), pytest.raises(SystemExit) as stop:
        train(CFG, run, device='cpu', progress=False, cbs=[SignalAt(25)])
    assert stop.value.code == 143, 'the first signal gives the status'
    assert capsys.readouterr().err == 'interrupted at iteration 25 of stage shared; `--resume` continues from here\n'
    latest, previous = checkpoint_paths(run/'checkpoints', 'shared')
    assert (latest.name, previous.name) == ('shared_epoch2_step5.pth', 'shared_epoch2.pth')
    assert read_checkpoint(latest)['step'] == 5 and not list(run.rglob('*.tmp'))
    assert [signal.getsignal(s) for s in runs.STOP_SIGNALS] == handlers, 'the handlers are put back'
    train(CFG, run, device='cpu', progress=False, resume=True)
    assert_same_weights(run, reference)

def test_full_disk_keeps_the_last_checkpoint_then_resumes(tmp_path, capsys, reference):
    run, save, saves, kept = tmp_path/'run', torch.save, [], {}
    def fills_up(obj, f):  # the disk fills up in the middle of the third save, the checkpoint of epoch 3
        saves.append(f.name)
        if len(saves) < 3: return save(obj, f)
        kept.update({p: p.read_bytes() for p in run.rglob('*.pth')})
        f.write(b'PK\x03\x04 the first bytes of a checkpoint')
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    with mock.patch('torch.save', fills_up), pytest.raises(SystemExit) as stop:
        main(['train', '--out', str(run), *ARGS])
    err = capsys.readouterr().err
    assert stop.value.code == 1 and err.count('\n') == 1 and 'Traceback' not in err, err
    assert err.startswith('disentangle-nb train: stopped: no space left on the disk of '
                          f"{run/'checkpoints'/'shared_epoch3.pth'} ("), err
    assert err.endswith(' MiB free): free some space and resume the run (--resume)\n'), err
    assert [Path(s).name for s in saves] == ['shared_epoch1.pth.tmp', 'shared_epoch2.pth.tmp', 'shared_epoch3.pth.tmp']
    assert {p: p.read_bytes() for p in run.rglob('*.pth')} == kept and len(kept) == 2, 'the checkpoints before are kept'
    assert not list(run.rglob('*.tmp')), 'no temporary file is left'
    main(['train', '--out', str(run), *ARGS, '--resume'])  # space freed
    assert_same_weights(run, reference)
