from mmengine.config import Config
from mmengine.runner import CheckpointLoader

from mmsgg_rde.utils import (CHECKPOINT_HOOK_TYPE, WeightsOnlyCheckpointHook,
                             setup_checkpoint_compat)


def _hook_types(cfg):
    return [hook['type'] for hook in cfg.custom_hooks]


def test_adds_hook_and_guards_loaders():
    cfg = Config(dict(custom_hooks=[dict(type='EMAHook')]))
    local = CheckpointLoader._schemes['']
    setup_checkpoint_compat(cfg)
    assert _hook_types(cfg) == ['EMAHook', CHECKPOINT_HOOK_TYPE]
    assert CheckpointLoader._schemes[''].__wrapped__ is local


def test_adds_hook_once():
    cfg = Config(dict())
    setup_checkpoint_compat(cfg)
    setup_checkpoint_compat(cfg)
    assert _hook_types(cfg) == [CHECKPOINT_HOOK_TYPE]

    cfg = Config(dict(custom_hooks=[dict(type='WeightsOnlyCheckpointHook')]))
    setup_checkpoint_compat(cfg)
    assert _hook_types(cfg) == ['WeightsOnlyCheckpointHook']

    cfg = Config(dict(custom_hooks=[WeightsOnlyCheckpointHook()]))
    setup_checkpoint_compat(cfg)
    assert len(cfg.custom_hooks) == 1
