"A user's own images from the command line: a folder of groups, trained and reported (no labels: no probe tables)."
import json
import pytest
from pathlib import Path
from PIL import Image, ImageDraw

TINY = ['--preset', 'cpu', '--set', 'shared_iters=4', 'exclusive_iters=4', 'iters_per_epoch=2', 'valid_batches=1',
        'batch_size=4', 'width=4', 'stat_hidden=16']

def write_groups(root, groups=3, per_group=6):
    "`groups` subfolders of `per_group` tiny PNGs: a square at the place of its group, in colours of its own."
    for g in range(groups):
        (root/f'object_{g}').mkdir(parents=True)
        for i in range(per_group):
            img = Image.new('RGB', (24 + 2 * i, 24), (40 * i, 90, 200 - 60 * g))  # sizes differ: cropped and resized
            ImageDraw.Draw(img).rectangle((2 + 6 * g, 6, 8 + 6 * g, 14), fill=(255, 255 - 40 * i, 30 * g))
            img.save(root/f'object_{g}'/f'{i}.png')
    return root

def test_folder_trains_and_reports_without_probes(tmp_path, capsys):
    "The commands run in this process (`main`, one import), the report's evaluations at the tests' short sizes."
    from disentangle_nb.cli import main
    from disentangle_nb.demo import SHORT_EVALUATIONS
    from disentangle_nb.evaluation import evaluation_options
    photos, run = write_groups(tmp_path/'photos'), tmp_path/'run'
    options = json.dumps({'root': str(photos), 'size': 28})
    main(['train', '--dataset', 'folder', '--out', str(run), *TINY, f'data_options={options}'])
    assert (run/'shared.pth').exists() and (run/'exclusive.pth').exists()
    with evaluation_options(**SHORT_EVALUATIONS): main(['report', str(run)])
    text = (run/'report.md').read_text()
    sections = [l for l in text.splitlines() if l.startswith('## ')]
    assert sections == ['## Probes', '## Post-hoc I(S;E)', '## Dependence of S and E', '## Retrieval', '## Provenance']
    assert text.split('## Probes\n\n')[1].startswith('Skipped: folder has no factor labels')
    assert '![retrieval](retrieval.png)' in text and (run/'retrieval.png').stat().st_size > 1000
    results = json.loads((run/'probes.json').read_text())
    assert 'accuracy' not in results and list(results['evaluations']) == ['independence', 'dependence']
    capsys.readouterr()
    with pytest.raises(SystemExit) as stop: main(['evaluate', str(run)])
    assert stop.value.code == 2 and 'error: folder has no factor labels' in capsys.readouterr().err

def test_folder_errors_are_one_line(tmp_path, capsys):
    from disentangle_nb.cli import main  # in this process: one import for the three commands
    run, ones = str(tmp_path/'run'), str(write_groups(tmp_path/'ones', per_group=1))
    for options, message in (({}, 'dataset folder needs the data option root'),
                             ({'root': str(tmp_path/'nowhere')}, 'nowhere is not a folder'),
                             ({'root': ones}, 'every group needs two images or more')):
        with pytest.raises(SystemExit) as stop: main(['train', '--dataset', 'folder', '--out', run, *TINY,
                                                      f'data_options={json.dumps(options)}'])
        err = capsys.readouterr().err
        assert stop.value.code == 2 and message in err and len(err.strip().splitlines()) == 1, err
    assert not Path(run).exists()  # bad data leaves no run folder behind
