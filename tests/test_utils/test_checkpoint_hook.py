import io
from collections import OrderedDict

import numpy as np
import torch
from mmdet.registry import HOOKS
from mmengine.logging import HistoryBuffer

from mmsgg_rde.utils import TYPE_KEY, WeightsOnlyCheckpointHook


def test_hook_is_registered_in_mmdet():
    assert HOOKS.get('WeightsOnlyCheckpointHook') is WeightsOnlyCheckpointHook


def test_save_then_load_in_place():
    hook = WeightsOnlyCheckpointHook()
    history = HistoryBuffer([2.0, 4.0], [1, 1])
    checkpoint = dict(
        meta=dict(seed=np.int64(3)),
        message_hub=dict(log_scalars=OrderedDict(loss=history)),
        state_dict=OrderedDict(weight=torch.ones(1)))
    state_dict = checkpoint['state_dict']

    hook.before_save_checkpoint(None, checkpoint)
    assert checkpoint['meta']['seed'][TYPE_KEY] == 'numpy_scalar'
    assert checkpoint['state_dict'] is state_dict
    buffer = io.BytesIO()
    torch.save(checkpoint, buffer)
    buffer.seek(0)
    loaded = torch.load(buffer, weights_only=True)

    hook.after_load_checkpoint(None, loaded)
    restored = loaded['message_hub']['log_scalars']['loss']
    assert isinstance(restored, HistoryBuffer)
    assert restored.mean() == 3.0
    assert type(loaded['meta']['seed']) is np.int64
    assert loaded['meta']['seed'] == 3
