"""Distributed CPU training, checkpoints and resume of the demo model.

The demo config runs on a tiny SynthVG with two processes: training through
``tools/dist_train.sh`` (torch.distributed.run, gloo), resuming through
``tools/train.py --resume`` forked into two ranks.
"""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import _load_checkpoint

NUM_OBJECT_CLASSES = 150
NUM_PREDICATES = 50


def _load(path):
    return _load_checkpoint(path, map_location='cpu')


def test_dist_train_uses_gloo_on_two_processes(demo_dist_run, demo_config):
    dumped_cfg = Config.fromfile(
        osp.join(demo_dist_run, osp.basename(demo_config)))
    assert dumped_cfg.env_cfg.dist_cfg.backend == 'gloo'
    assert dumped_cfg.model_wrapper_cfg.device_ids is None
    log_file, = glob.glob(osp.join(demo_dist_run, '*', '*.log'))
    with open(log_file) as f:
        log = f.read()
    assert 'Distributed training: True' in log
    assert 'GPU number: 2' in log


@pytest.mark.parametrize('iteration', [1, 2])
def test_demo_checkpoints_load_with_weights_only(demo_dist_run, iteration):
    path = osp.join(demo_dist_run, f'iter_{iteration}.pth')
    checkpoint = _load(path)

    assert checkpoint['meta']['iter'] == iteration
    dataset_meta = checkpoint['meta']['dataset_meta']
    assert len(dataset_meta['classes']) == NUM_OBJECT_CLASSES
    assert len(dataset_meta['predicates']) in (NUM_PREDICATES,
                                               NUM_PREDICATES + 1)
    history = checkpoint['message_hub']['log_scalars']['train/loss']
    assert isinstance(history, HistoryBuffer)
    assert len(history.data[0]) == iteration
    assert any(
        key.startswith('relation_head.') for key in checkpoint['state_dict'])
    assert checkpoint['optimizer']['state']


def test_demo_resume_restores_the_run(demo_dist_run, demo_config, run_tool,
                                      tmp_path):
    resume_from = osp.join(demo_dist_run, 'iter_1.pth')
    run_tool(
        'train',
        [demo_config, '--work-dir',
         str(tmp_path), '--resume', resume_from],
        nproc=2)

    saved = _load(resume_from)
    start = torch.load(str(tmp_path / 'start_state.pth'))
    assert start['iter'] == 1
    assert start['state_dict'].keys() == saved['state_dict'].keys()
    for key, value in saved['state_dict'].items():
        torch.testing.assert_close(start['state_dict'][key], value)
    saved_state = saved['optimizer']['state']
    assert start['optimizer']['state'].keys() == saved_state.keys()
    for index, state in saved_state.items():
        torch.testing.assert_close(
            start['optimizer']['state'][index]['momentum_buffer'],
            state['momentum_buffer'])

    resumed = _load(str(tmp_path / 'iter_2.pth'))
    uninterrupted = _load(osp.join(demo_dist_run, 'iter_2.pth'))
    assert resumed['meta']['iter'] == 2
    assert resumed['param_schedulers'] == uninterrupted['param_schedulers']
    losses = resumed['message_hub']['log_scalars']['train/loss'].data[0]
    saved_losses = saved['message_hub']['log_scalars']['train/loss'].data[0]
    assert len(losses) == 2
    assert losses[0] == pytest.approx(saved_losses[0])
    changed = [
        key for key, value in saved['state_dict'].items()
        if not torch.equal(value, resumed['state_dict'][key])
    ]
    assert changed, 'resumed training did not update any weight'
