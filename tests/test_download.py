"MNIST on first use, online: torchvision downloads it from a local HTTP mirror, checks its md5s, and training starts."
import gzip, os, sys
from pathlib import Path
import pytest
from disentangle_nb import cli
from disentangle_nb.core import DATA_ENV
from disentangle_nb.runs import read_history

sys.path.insert(0, str(Path(__file__).resolve().parent.parent/'tools'))
from mnist_mirror import SERVED, QuietHandler, patch_torchvision, serve

SOURCE = Path(os.environ.get(DATA_ENV, '/nonexistent'))/'mnist'
SMOKE = ['shared_iters=2', 'exclusive_iters=2', 'iters_per_epoch=2', 'valid_batches=1', 'width=4', 'stat_hidden=16',
         'batch_size=8']
pytestmark = pytest.mark.skipif(not all((SOURCE/f).exists() for f in SERVED.values()),
                                reason=f'no MNIST files in {SOURCE} to serve')

@pytest.fixture
def mirror(tmp_path, monkeypatch):
    "A local mirror of the data root's MNIST, torchvision pointed at it, and an empty data root."
    from torchvision.datasets import MNIST
    monkeypatch.setattr(MNIST, 'mirrors', MNIST.mirrors); monkeypatch.setattr(MNIST, 'resources', MNIST.resources)
    server, url, resources = serve(SOURCE, tmp_path/'served')
    patch_torchvision(url, resources)
    monkeypatch.setenv(DATA_ENV, str(tmp_path/'data'))
    QuietHandler.sent.clear()
    yield tmp_path/'served'
    server.shutdown()

def test_first_use_downloads_mnist_then_trains(mirror, tmp_path, capsys):
    cli.main(['train', '--dataset', 'cmnist', '--out', str(tmp_path/'run'), '--device', 'cpu', '--set', *SMOKE])
    out = capsys.readouterr().out
    assert out.count('downloading MNIST with torchvision into') == 1, out
    # (torchvision asks for each file twice: redirects, then data)
    assert set(QuietHandler.sent) == {'/' + name for name in SERVED}
    requests = len(QuietHandler.sent)
    raw = tmp_path/'data'/'mnist'/'MNIST'/'raw'
    assert all((raw/name).exists() and (raw/name.removesuffix('.gz')).exists() for name in SERVED)
    assert [r['stage'] for r in read_history(tmp_path/'run'/'history.csv')] == ['shared', 'exclusive']
    cli.main(['train', '--dataset', 'cmnist', '--out', str(tmp_path/'again'), '--device', 'cpu', '--set', *SMOKE])
    out = capsys.readouterr().out
    assert 'downloading' not in out and len(QuietHandler.sent) == requests, out  # once only

def test_a_corrupted_download_is_refused(mirror, tmp_path, capsys):
    labels = mirror/'t10k-labels-idx1-ubyte.gz'
    labels.write_bytes(gzip.compress(b'not the labels'))  # served, but its md5 is not the one torchvision expects
    with pytest.raises(SystemExit) as stop:
        cli.main(['train', '--dataset', 'cmnist', '--out', str(tmp_path/'run'), '--set', *SMOKE])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and len(err.strip().splitlines()) == 1, err
    assert ('could not be downloaded (File not found or corrupted.)' in err and DATA_ENV in err
            and 'disentangle-nb download mnist' in err)
