from types import SimpleNamespace

import numpy as np
import pytest
from mmdet.registry import DATASETS
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import BaseLoop
from torch import nn

from mmsgg_rde.datasets import PredicateBalancedDataset, count_predicates
from mmsgg_rde.datasets.synthvg import generate_synthvg
from mmsgg_rde.engine import PredicateCountsHook
from mmsgg_rde.models.debias import LogitAdjustment


@pytest.fixture(scope='module')
def world(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('synthvg') / 'tiny')
    generate_synthvg(root, 'tiny', seed=0)
    return dict(
        type='VG150Dataset',
        data_root=root,
        split='train',
        num_val_images=5,
        pipeline=[])


class _Loop(BaseLoop):

    def run(self):
        pass


def _runner(model, dataset_cfg, training):
    runner = SimpleNamespace(
        model=model,
        cfg=Config(dict(train_dataloader=dict(dataset=dataset_cfg))),
        _train_loop=None)
    if training:
        dataset = PredicateBalancedDataset(DATASETS.build(dataset_cfg))
        runner.train_dataloader = SimpleNamespace(dataset=dataset)
        runner._train_loop = _Loop(runner, runner.train_dataloader)
    return runner


@pytest.mark.parametrize('training', [False, True])
def test_hook_counts_the_training_predicates(world, training):
    init_default_scope('mmdet')
    model = nn.ModuleDict(
        dict(
            adjust=LogitAdjustment(),
            given=LogitAdjustment(predicate_counts=[0, 1, 2]),
            other=nn.Linear(2, 2)))
    PredicateCountsHook().before_run(_runner(model, world, training))
    expected = count_predicates(DATASETS.build(world))
    assert expected.sum() > 0
    np.testing.assert_array_equal(model['adjust'].counts.numpy(), expected)
    # Counts given in a config are kept.
    assert model['given'].counts.tolist() == [0, 1, 2]


def test_hook_needs_the_train_dataset_config():
    model = nn.ModuleDict(dict(adjust=LogitAdjustment()))
    runner = SimpleNamespace(model=model, cfg=Config(), _train_loop=None)
    with pytest.raises(KeyError, match='train_dataloader.dataset'):
        PredicateCountsHook().before_run(runner)
    # Without consumers there is nothing to count.
    PredicateCountsHook().before_run(
        SimpleNamespace(model=nn.Linear(1, 1), cfg=Config(), _train_loop=None))
