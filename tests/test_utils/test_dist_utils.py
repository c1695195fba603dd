import pytest
import torch
from mmengine.config import Config

from mmsgg_rde.utils import dist_utils, setup_cpu_distributed


@pytest.fixture
def init_calls(monkeypatch):
    """Replace ``init_dist`` by a recorder that also calls set_device."""
    calls = []

    def fake_init_dist(launcher, **kwargs):
        torch.cuda.set_device(0)
        calls.append((launcher, kwargs))

    monkeypatch.setattr(dist_utils, 'init_dist', fake_init_dist)
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    return calls


def _cfg(**kwargs):
    return Config(
        dict(
            env_cfg=dict(dist_cfg=dict(backend='nccl', timeout=60)), **kwargs))


def test_cpu_launch_uses_gloo_without_set_device(init_calls):
    original_set_device = torch.cuda.set_device
    cfg = _cfg(launcher='pytorch', find_unused_parameters=True)
    assert setup_cpu_distributed(cfg)
    assert init_calls == [('pytorch', dict(backend='gloo', timeout=60))]
    assert torch.cuda.set_device is original_set_device
    assert cfg.env_cfg.dist_cfg.backend == 'gloo'
    assert cfg.model_wrapper_cfg == dict(
        type='MMDistributedDataParallel',
        device_ids=None,
        broadcast_buffers=False,
        find_unused_parameters=True)


def test_user_wrapper_cfg_gets_no_device_ids(init_calls):
    cfg = _cfg(
        launcher='slurm',
        model_wrapper_cfg=dict(
            type='MMDistributedDataParallel', broadcast_buffers=True))
    assert setup_cpu_distributed(cfg)
    assert cfg.model_wrapper_cfg == dict(
        type='MMDistributedDataParallel',
        broadcast_buffers=True,
        device_ids=None)

    cfg = _cfg(
        launcher='pytorch',
        model_wrapper_cfg=dict(type='MMFullyShardedDataParallel'))
    assert setup_cpu_distributed(cfg)
    assert 'device_ids' not in cfg.model_wrapper_cfg


def test_no_change_without_launcher(init_calls):
    cfg = _cfg(launcher='none')
    assert not setup_cpu_distributed(cfg)
    assert init_calls == []
    assert cfg.env_cfg.dist_cfg.backend == 'nccl'


def test_no_change_with_cuda(init_calls, monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    cfg = _cfg(launcher='pytorch')
    assert not setup_cpu_distributed(cfg)
    assert init_calls == []
    assert cfg.env_cfg.dist_cfg.backend == 'nccl'
    assert 'model_wrapper_cfg' not in cfg
