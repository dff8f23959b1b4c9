"Multi-process training through fastai's distrib_ctx: two CPU ranks (gloo) with torchrun, identical weights afterwards."
import os, subprocess, sys, textwrap
import torch

SCRIPT = textwrap.dedent('''
    import sys, torch
    from pathlib import Path
    from fastai.torch_core import rank_distrib, num_distrib
    from disentangle_nb.runs import resolve_config, train
    out = Path(sys.argv[1])
    cfg = resolve_config('bars', 'quick', dict(shared_iters=6, exclusive_iters=6, iters_per_epoch=3, valid_batches=1,
                                               width=8, stat_hidden=32, batch_size=16, lr=1e-3, lr_disc=1e-3))
    learners = train(cfg, out/'run', distributed=True, progress=False, device='cpu')
    assert num_distrib() == 2
    for name, learn in learners.items(): torch.save(learn.model.state_dict(), out/f'{name}_rank{rank_distrib()}.pt')
''')

def test_two_ranks_on_cpu_end_with_identical_weights(tmp_path):
    script = tmp_path/'ddp_train.py'
    script.write_text(SCRIPT)
    env = {**os.environ, 'OMP_NUM_THREADS': '1'}
    r = subprocess.run([sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node', '2', '--master_port',
                        '29531', str(script), str(tmp_path)], capture_output=True, text=True, env=env, timeout=600)
    assert r.returncode == 0, (r.stdout + r.stderr)[-4000:]
    for stage in ('shared', 'exclusive'):
        a, b = (torch.load(tmp_path/f'{stage}_rank{i}.pt') for i in (0, 1))
        assert set(a) == set(b)
        assert all(torch.equal(a[k], b[k]) for k in a), f'{stage}: ranks disagree'
    # the ranks drew different batches: the weights moved from their common start
    assert (tmp_path/'run'/'shared.pth').exists() and (tmp_path/'run'/'exclusive.pth').exists()
