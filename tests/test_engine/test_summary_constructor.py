import glob
import logging
import os.path as osp

import pytest
import torch.nn as nn
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.optim import DefaultOptimWrapperConstructor
from mmengine.registry import init_default_scope

from mmsgg_rde.engine import SummaryOptimWrapperConstructor

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
OPTIM_WRAPPER = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-4))
PARAMWISE_CFG = dict(custom_keys=dict(bias=dict(decay_mult=0.)))


class _Net(nn.Module):
    """Weights of 108 + 4 + 8 values, biases of 4 + 4 + 2, and a frozen
    layer of 4 + 2."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.bn = nn.BatchNorm2d(4)
        self.fc = nn.Linear(4, 2)
        self.frozen = nn.Linear(2, 2)
        self.frozen.requires_grad_(False)


class _Records(logging.Handler):
    """Keep every record as (level, message)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record.levelno, record.getMessage()))


@pytest.fixture
def records():
    init_default_scope('mmdet')
    logger = MMLogger.get_instance(
        f'summary_constructor_{id(object())}', log_level='DEBUG')
    handler = _Records()
    logger.addHandler(handler)
    yield handler.records
    logger.removeHandler(handler)


def test_one_summary_line_instead_of_a_line_per_parameter(records):
    net = _Net()
    optim_wrapper = SummaryOptimWrapperConstructor(OPTIM_WRAPPER,
                                                   PARAMWISE_CFG)(
                                                       net)
    shown = [message for level, message in records if level >= logging.INFO]
    assert shown == [
        'Optimizer: SGD, base lr=0.1 weight_decay=0.0001, on 6 parameters '
        '(130 values) in 2 settings: lr x1 weight_decay x1 for 3 (120 '
        'values); lr x1 weight_decay x0 for 3 (10 values); 2 frozen '
        'parameters left out'
    ]
    # mmengine's lines are still there, at DEBUG level.
    debug = [message for level, message in records if level == logging.DEBUG]
    assert 'paramwise_options -- conv.bias:weight_decay=0.0' in debug
    assert 'frozen.weight is skipped since its requires_grad=False' in debug

    # The same optimizer as mmengine's constructor builds.
    default = DefaultOptimWrapperConstructor(OPTIM_WRAPPER,
                                             PARAMWISE_CFG)(net).optimizer
    groups = optim_wrapper.optimizer.param_groups
    assert len(groups) == len(default.param_groups) == 6
    for ours, theirs in zip(groups, default.param_groups):
        assert ours == theirs


def test_without_paramwise_cfg_one_setting(records):
    SummaryOptimWrapperConstructor(OPTIM_WRAPPER)(nn.Linear(3, 2))
    assert [m for level, m in records if level >= logging.INFO] == [
        'Optimizer: SGD, base lr=0.1 weight_decay=0.0001, on 2 parameters '
        '(8 values) in 1 setting: lr x1 for 2 (8 values)'
    ]


def test_every_config_uses_it():
    configs = [
        path for path in glob.glob(
            osp.join(REPO_ROOT, 'configs', '**', '*.py'), recursive=True)
        if f'{osp.sep}_base_{osp.sep}' not in path
    ]
    assert len(configs) > 50
    others = [
        osp.relpath(path, REPO_ROOT) for path in configs
        if Config.fromfile(path).optim_wrapper.get('constructor') !=
        'SummaryOptimWrapperConstructor'
    ]
    assert others == []
