"""Bad input and damaged files: each case ends `disentangle-nb` with one line naming the problem (the key, the file),
a non-zero exit status and no traceback, and leaves every file of the run folder as it was."""
import gzip, json, os, shutil, subprocess, sys
from pathlib import Path
import h5py, numpy as np, pytest, tifffile
from disentangle_nb.core import DataFileError, data_root
from disentangle_nb.cli import main
from disentangle_nb.runs import checkpoint_paths, load_weights, read_history
from disentangle_nb.earth import eurosat, write_eopatch

CLI = str(Path(sys.executable).parent/'disentangle-nb')
REAL = data_root()  # the shared data, for the cases that cut a copy of a real file
TINY = ['shared_iters=30', 'exclusive_iters=10', 'iters_per_epoch=10', 'valid_batches=1', 'width=8', 'stat_hidden=32',
        'batch_size=16', 'lr=0.001', 'lr_disc=0.001']

def files(folder:Path)->dict:
    "Every file under `folder` and its bytes."
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob('*'))
            if p.is_file()} if folder.exists() else {}

def cli(capsys, *argv)->tuple:
    "Run `disentangle-nb argv` in this process: (exit status, stderr)."
    capsys.readouterr()
    try: main([str(a) for a in argv]); code = 0
    except SystemExit as e: code = e.code
    return code, capsys.readouterr().err

def train_args(out, dataset='bars', *sets, resume=False)->list:
    "The arguments of a tiny `train` run of `dataset` in `out`, with more `--set` values `sets`."
    return ['train', '--dataset', dataset, '--out', out, '--device', 'cpu', *(['--resume'] if resume else []),
            '--set', *TINY, *sets]

def assert_one_line(code:int, err:str, *named:str):
    "Exit status 2, one line of error with every `named` string in it, no traceback."
    assert code == 2, err
    assert err.count('\n') == 1 and err.startswith('disentangle-nb train: error: '), err
    assert 'Traceback' not in err and all(s in err for s in named), err

# --- configuration values: (--set arguments, dataset, what the message must say)
CONFIG_CASES = {
    'not a number': (['lr=abc'], 'bars', "lr must be a finite number > 0; got 'abc'"),
    'negative lr': (['lr=-1e-3'], 'bars', "lr must be a finite number > 0; got '-1e-3'"),
    'nan lr': (['lr_disc=nan'], 'bars', "lr_disc must be a finite number > 0; got 'nan'"),
    'not an integer': (['shared_iters=2.5'], 'bars', "shared_iters must be an integer > 0; got '2.5'"),
    'batch of one': (['batch_size=1'], 'bars', "batch_size must be an integer >= 2; got '1'"),
    'negative weight': (['gamma=-1'], 'bars', "gamma must be a finite number >= 0; got '-1'"),
    'not a bool': (['switched=maybe'], 'bars', "switched must be true or false; got 'maybe'"),
    'unknown choice': (['estimator=jds'], 'bars', "unknown estimator 'jds'; did you mean 'jsd'? valid: 'jsd', "),
    'typo in a key': (['gama=1'], 'bars', "unknown config key 'gama'; did you mean 'gamma'? valid: 'dataset', "),
    'unknown key': (['momentum=0.9'], 'bars',
                    "unknown config key 'momentum'; valid: 'dataset', 'data_options', "),
    'no value': (['lr'], 'bars', "expected key=value, got 'lr'"),
    'bad JSON': (['data_options={pairing'], 'cmnist',
                 "data_options must be a JSON object such as {\"pairing\": \"class\"}; got '{pairing'"),
    'unknown data option': (['data_options={"paring": "class"}'], 'cmnist',
                            "unknown data option of cmnist 'paring'; did you mean 'pairing'?"),
    'data option type': (['data_options={"n_images": "many"}'], 'shapes3d',
                         "data option n_images of shapes3d must be an integer; got 'many'"),
    'probability > 1': (['data_options={"max_cloud": 2}'], 'sentinel2',
                        'max_cloud must be a fraction in [0, 1]; got 2.0'),
    'whole epochs': (['shared_iters=25'], 'bars', 'shared_iters=25 is not a multiple of iters_per_epoch=10'),
}

@pytest.mark.parametrize('sets, dataset, message', CONFIG_CASES.values(), ids=CONFIG_CASES)
def test_bad_config_value(capsys, tmp_path, sets, dataset, message):
    assert_one_line(*cli(capsys, *train_args(tmp_path/'run', dataset, *sets)), message)
    assert not (tmp_path/'run').exists()  # stopped before anything was written

def test_bad_device(capsys, tmp_path):
    assert_one_line(*cli(capsys, *train_args(tmp_path/'run'), '--device', 'gpu'), "unknown device 'gpu'")

# --- damaged data files: each case writes small files of the dataset's format under a fresh data root, then damages one
def cut(path:Path): path.write_bytes(path.read_bytes()[:path.stat().st_size // 2])
def junk(path:Path): path.write_bytes(b'<html><body>404 Not Found</body></html>')

def write_idx(path:Path, array:np.ndarray, n_claimed:int|None=None):
    "`array` (uint8) as a gzipped IDX file whose header may claim `n_claimed` items."
    header = bytes([0, 0, 8, array.ndim]) + b''.join(n.to_bytes(4, 'big')
                                                     for n in (n_claimed or len(array), *array.shape[1:]))
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, 'wb') as f: f.write(header + array.tobytes())
    return path

def mnist(root:Path, damage=None, n_claimed=None)->Path:
    "Small MNIST files under `root/mnist`; the training images damaged by `damage`."
    for stem in ('train', 't10k'):
        write_idx(root/'mnist'/f'{stem}-labels-idx1-ubyte.gz', np.arange(100, dtype=np.uint8) % 10)
        write_idx(root/'mnist'/f'{stem}-images-idx3-ubyte.gz', np.zeros((100, 28, 28), np.uint8), n_claimed)
    images = root/'mnist'/'train-images-idx3-ubyte.gz'
    if damage: damage(images)
    return images

def shapes3d(root:Path, damage=None, images_shape=(20, 64, 64, 3))->Path:
    from disentangle_nb.shapes3d import shapes3d_grid
    path = root/'shapes3d'/'3dshapes.h5'; path.parent.mkdir(parents=True)
    with h5py.File(path, 'w') as f: f['images'] = np.zeros(images_shape, np.uint8); f['labels'] = shapes3d_grid()[:20]
    if damage: damage(path)
    return path

def femnist(root:Path, damage=None, drop=None)->Path:
    path = root/'femnist'/'femnist_leaf_niid05_subset.npz'; path.parent.mkdir(parents=True)
    parts = {f'{k}_{s}': np.zeros((40, 28, 28) if k == 'x' else 40, np.uint8)
             for k in ('x', 'y', 'writer') for s in ('train', 'test')}
    np.savez(path, **{k: v for k, v in parts.items() if k != drop})
    if damage: damage(path)
    return path

def sentinel2(root:Path, damage)->Path:
    path = root/'sentinel2'/'REFERENCE_SCENES.npy'; path.parent.mkdir(parents=True)
    np.save(path, np.zeros((5, 101, 100, 13), np.float32))
    damage(path)
    return path

def real_copy(*parts, size:int)->callable:
    "A setup: copy the first `size` bytes of a shared data file (the rest of its folder whole), or skip without it."
    def setup(root:Path)->Path:
        src = REAL.joinpath(*parts)
        if not src.exists(): pytest.skip(f'{src} is not in the data root')
        shutil.copytree(src.parent, root.joinpath(*parts[:-1]))
        root.joinpath(*parts).write_bytes(src.read_bytes()[:size])
        return root.joinpath(*parts)
    return setup

SHAPES_FILE = ['data_options={"source": "file"}']
DATA_CASES = {  # dataset, --set, setup(root) -> the damaged file, what the message must say besides the file's name
    'mnist cut short': ('cmnist', [], lambda r: mnist(r, cut),
                        'Compressed file ended before the end-of-stream marker was reached'),
    'mnist not gzip': ('cmnist', [], lambda r: mnist(r, junk), 'Not a gzipped file'),
    'mnist fewer images than its header': ('cmnist', [], lambda r: mnist(r, n_claimed=60000),
                                           'the header says (60000, 28, 28), the file holds 78400 bytes'),
    'mnist real file cut short': ('cmnist', [], real_copy('mnist', 'train-images-idx3-ubyte.APPROX.gz', size=1_000_000),
                                  'Compressed file ended'),
    'shapes3d cut short': ('shapes3d', SHAPES_FILE, lambda r: shapes3d(r, cut), 'truncated file'),
    'shapes3d not hdf5': ('shapes3d', SHAPES_FILE, lambda r: shapes3d(r, junk), 'file signature not found'),
    'shapes3d wrong datasets': ('shapes3d', SHAPES_FILE, lambda r: shapes3d(r, images_shape=(20, 64, 64)),
                                "expected datasets 'images' uint8 (N, 64, 64, 3)"),
    'femnist cut short': ('handwriting', [], lambda r: femnist(r, cut), 'File is not a zip file'),
    'femnist array missing': ('handwriting', [], lambda r: femnist(r, drop='writer_test'),
                              'writer_test is not a file in the archive'),
    'sentinel2 cut short': ('sentinel2', [], lambda r: sentinel2(r, cut), 'REFERENCE_SCENES.npy cannot be read ('),
    'sentinel2 not npy': ('sentinel2', [], lambda r: sentinel2(r, junk), "not a NumPy file: it starts with b'<html>'"),
    'sentinel2 real file cut short': ('sentinel2', [], real_copy('sentinel2', 'REFERENCE_SCENES.npy', size=100_000),
                                      'REFERENCE_SCENES.npy cannot be read ('),
}

@pytest.mark.parametrize('dataset, sets, setup, problem', DATA_CASES.values(), ids=DATA_CASES)
def test_damaged_data_file(capsys, tmp_path, monkeypatch, dataset, sets, setup, problem):
    root = tmp_path/'data'
    path = setup(root)
    before = files(root)
    monkeypatch.setenv('DISENTANGLE_DATA', str(root))
    assert_one_line(*cli(capsys, *train_args(tmp_path/'run', dataset, *sets)), f'{path} cannot be read (', problem,
                    'delete it and ')
    assert files(root) == before and not (tmp_path/'run').exists()

EUROSAT_CASES = {'eurosat tile cut short': (lambda p: cut(p), 'cannot be read ('),
                 'eurosat tile of 3 bands': (lambda p: tifffile.imwrite(p, np.zeros((64, 64, 3), np.uint16)),
                                             'expected 13 bands (B01, B02, B03, B04, B05, B06, B07, B08, B09, B10, '
                                             'B11, B12, B8A) on the last or first axis; found shape (64, 64, 3)')}

@pytest.mark.parametrize('damage, problem', EUROSAT_CASES.values(), ids=EUROSAT_CASES)
def test_damaged_eurosat_tile(tmp_path, damage, problem):
    for cls in ('Forest', 'River'):
        for i in (1, 2):
            (tmp_path/cls).mkdir(exist_ok=True)
            tifffile.imwrite(tmp_path/cls/f'{cls}_{i}.tif', np.ones((64, 64, 13), np.uint16))
    assert len(eurosat(tmp_path, stac=False)) == 4
    damage(tmp_path/'River'/'River_2.tif')
    with pytest.raises(DataFileError) as e: eurosat(tmp_path, stac=False)
    message = str(e.value)
    assert (message.startswith(f"{tmp_path/'River'/'River_2.tif'} cannot be read (") and problem in message
            and '\n' not in message)
    assert 'delete it and download EuroSAT' in message

# --- a user's own Sentinel-2 scene (data option `scene`): an EOPatch written by the test, of the wrong bands, units or
# dates
def scene(root:Path, shape=(3, 40, 40, 13), value=0.1)->Path:
    return write_eopatch(root/'scene', np.full(shape, value, np.float32),
                         [f'2017-05-{d:02d}' for d in range(1, shape[0] + 1)])

SCENE_CASES = {  # setup(root) -> the scene folder, what the message must say
    'scene of 12 bands': (lambda r: scene(r, (3, 40, 40, 12)),
                          'BANDS-S2-L1C.npy cannot be read (expected shape (3, any, any, 13); found (3, 40, 40, 12))'),
    'scene of digital numbers as floats': (lambda r: scene(r, value=1234.),
                                           'float reflectance from 1234 to 1234, outside the reflectance range '
                                           '[0, 6.55]; digital numbers stored as floats?'),
    'scene of one date': (lambda r: scene(r, (1, 40, 40, 13)),
                          '1 of the 1 dates of the scene have a cloud fraction <= max_cloud=1: pairs need two dates'),
    'scene not found': (lambda r: r/'nowhere', 'scene folder'),
}

@pytest.mark.parametrize('setup, problem', SCENE_CASES.values(), ids=SCENE_CASES)
def test_bad_own_scene(capsys, tmp_path, setup, problem):
    options = json.dumps(dict(scene=str(setup(tmp_path)), variant='all', k=16))
    assert_one_line(*cli(capsys, *train_args(tmp_path/'run', 'sentinel2', f'data_options={options}')), problem)
    assert not (tmp_path/'run').exists()

# --- checkpoints and run folders
@pytest.fixture(scope='module')
def finished(tmp_path_factory)->Path:
    "A finished stage-1 run of the bars: three epochs, so checkpoints of epochs 3 and 2 are kept."
    run = tmp_path_factory.mktemp('finished')/'run'
    main([str(a) for a in train_args(run)] + ['--stage', 'shared'])
    assert [p.name for p in checkpoint_paths(run/'checkpoints', 'shared')] == ['shared_epoch3.pth', 'shared_epoch2.pth']
    return run

@pytest.fixture
def killed(finished, tmp_path)->Path:
    "A copy of the finished run as a kill after its last checkpoint leaves it: no final weights, no terms file."
    run = shutil.copytree(finished, tmp_path/'run')
    for name in ('shared.pth', 'shared_terms.csv'): (run/name).unlink()
    return run

def test_damaged_latest_checkpoint_resumes_from_the_previous(capsys, finished, killed):
    latest, previous = checkpoint_paths(killed/'checkpoints', 'shared')
    cut(latest)
    code, err = cli(capsys, *train_args(killed, resume=True), '--stage', 'shared')
    assert code == 0 and 'Traceback' not in err, err
    warning = [line for line in err.splitlines() if line.startswith('warning: ')]
    assert len(warning) == 1 and warning[0].startswith(f'warning: {latest} cannot be read (not a whole PyTorch file')
    assert warning[0].endswith('; resuming from shared_epoch2.pth (iteration 20)')
    a, b = load_weights(finished/'shared.pth'), load_weights(killed/'shared.pth')
    assert all((a[k] == b[k]).all() for k in a), 'the resumed run differs from the uninterrupted one'
    # epoch 3 once, after the truncation
    assert [r['iteration'] for r in read_history(killed/'history.csv')] == ['10', '20', '30']
    assert (killed/'shared_terms.csv').read_text() == (finished/'shared_terms.csv').read_text()
    assert ([p.name for p in checkpoint_paths(killed/'checkpoints', 'shared')]
            == ['shared_epoch3.pth', 'shared_epoch2.pth'])

def test_no_readable_checkpoint_stops_with_one_message(capsys, killed):
    latest, previous = checkpoint_paths(killed/'checkpoints', 'shared')
    cut(latest); junk(previous)
    before = files(killed)
    code, err = cli(capsys, *train_args(killed, resume=True), '--stage', 'shared')
    assert_one_line(code, err, 'no checkpoint of stage shared can be read: ', f'{latest} cannot be read (',
                    f'{previous} cannot be read (', 'delete them to train the stage from its start')
    assert files(killed) == before

RUN_FOLDER_CASES = {  # what the resumed command changes, what the message must say
    'another dataset': (['--dataset', 'cmnist'], "holds a run of another configuration "
                        "(dataset 'bars', not 'cmnist'; share_weights True, not False)"),
    'another config': (['--set', 'lr=0.002'], 'holds a run of another configuration (lr 0.001, not 0.002)'),
    'another seed': (['--seed', '1'], 'holds a run of another configuration (seed 0, not 1)'),
}

@pytest.mark.parametrize('change, message', RUN_FOLDER_CASES.values(), ids=RUN_FOLDER_CASES)
def test_resume_a_run_folder_of_another_run(capsys, killed, change, message):
    before = files(killed)
    assert_one_line(*cli(capsys, *train_args(killed, resume=True), *change), f'{killed} {message}')
    assert files(killed) == before

def test_damaged_final_weights_are_rebuilt(capsys, finished, tmp_path):
    "Final weights cut short: rebuilt from the last checkpoint, with one warning line; nothing else changes."
    run = shutil.copytree(finished, tmp_path/'run')
    cut(run/'shared.pth')
    code, err = cli(capsys, *train_args(run, resume=True), '--stage', 'shared')
    assert code == 0 and err == (f"warning: {run/'shared.pth'} cannot be read (not a whole PyTorch file: cut short, or "
                                 "another file); resuming from shared_epoch3.pth (iteration 30)\n"), err
    assert files(run) == files(finished)

def test_damaged_final_weights_and_checkpoints_stop(capsys, finished, tmp_path):
    "Nothing usable left: one line naming every damaged file, and the run folder as it was."
    run = shutil.copytree(finished, tmp_path/'run')
    latest, previous = checkpoint_paths(run/'checkpoints', 'shared')
    cut(run/'shared.pth'); cut(latest); junk(previous)
    before = files(run)
    assert_one_line(*cli(capsys, *train_args(run, resume=True)), 'no checkpoint of stage shared can be read: ',
                    f"{run/'shared.pth'} cannot be read (not a whole PyTorch file", f'{latest} cannot be read (',
                    f'{previous} cannot be read (', 'delete them to train the stage from its start')
    assert files(run) == before

# --- the console script, and --debug
def test_console_script_bad_value(tmp_path):
    r = subprocess.run([CLI, *map(str, train_args(tmp_path/'run', 'bars', 'lr=abc'))], capture_output=True, text=True,
                       timeout=300)
    assert (r.returncode == 2
            and r.stderr == "disentangle-nb train: error: lr must be a finite number > 0; got 'abc'\n"), r.stderr

def test_console_script_damaged_mnist(tmp_path):
    images = mnist(tmp_path/'data', cut)
    r = subprocess.run([CLI, *map(str, train_args(tmp_path/'run', 'cmnist'))], capture_output=True, text=True,
                       timeout=300,
                       env={**os.environ, 'DISENTANGLE_DATA': str(tmp_path/'data'), 'OMP_NUM_THREADS': '1'})
    assert r.returncode == 2 and 'Traceback' not in r.stderr, r.stderr
    assert (r.stderr.startswith(f'disentangle-nb train: error: {images} cannot be read (Compressed file ended')
            and r.stderr.count('\n') == 1)

def test_debug_shows_the_traceback(capsys, tmp_path):
    code, err = cli(capsys, *train_args(tmp_path/'run', 'bars', 'lr=abc'), '--debug')
    assert code == 2 and err.startswith('Traceback (most recent call last):')
    assert err.endswith("disentangle-nb train: error: lr must be a finite number > 0; got 'abc'\n")
