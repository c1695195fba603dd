import os.path as osp

import pytest
from mmengine.config import Config

from mmsgg_rde.apis import beats_prior, experiment, metric_table


@pytest.fixture
def calls(monkeypatch):
    """Record the calls of train_and_test instead of running them."""
    recorded = []

    def fake_train_and_test(cfg, checkpoint=None):
        recorded.append(checkpoint)
        return {'predcls/R@50': 1.}

    monkeypatch.setattr(experiment, 'train_and_test', fake_train_and_test)
    return recorded


def test_train_or_reuse_trains_then_reuses(calls, tmp_path):
    cfg = Config(dict(work_dir=str(tmp_path), train_cfg=dict(max_iters=3)))
    assert experiment.train_or_reuse(cfg) == {'predcls/R@50': 1.}
    assert calls == [None]

    checkpoint = osp.join(str(tmp_path), 'iter_3.pth')
    open(checkpoint, 'wb').close()
    experiment.train_or_reuse(cfg)
    assert calls == [None, checkpoint]


def test_metric_table_and_beats_prior():
    prior = {'sgdet/R@50': 10., 'sgdet/mR@50': 5.}
    model = {'sgdet/R@50': 12., 'sgdet/mR@50': 4.}
    table = metric_table([('prior', prior), ('model', model)], 'sgdet',
                         ('R@50', 'mR@50', 'A@50'))
    lines = table.splitlines()
    assert lines[1].split('|')[1:-1] == [
        ' model ', ' R@50  ', ' mR@50 ', ' A@50 '
    ]
    assert lines[3].split() == [
        '|', 'prior', '|', '10.00', '|', '5.00', '|', 'nan', '|'
    ]
    assert beats_prior(prior, model, 'sgdet', ('R@50', ))
    assert not beats_prior(prior, model, 'sgdet', ('R@50', 'mR@50'))
