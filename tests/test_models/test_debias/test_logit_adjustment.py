import math

import pytest
import torch
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

from mmsgg_rde.models.debias import LogitAdjustment
from mmsgg_rde.structures import SceneGraphDataSample


def test_logit_adjustment_by_hand():
    adjust = LogitAdjustment(tau=2.0, predicate_counts=[7, 8, 2, 1])
    logits = torch.zeros(1, 4)
    expected = [0.0, 0.0, -2 * math.log(2 / 8), -2 * math.log(1 / 8)]
    assert adjust(logits)[0].tolist() == pytest.approx(expected)
    # Unseen predicates count as one relation.
    adjust.set_predicate_counts([0, 8, 0, 1])
    assert adjust(logits)[0, 2].item() == pytest.approx(-2 * math.log(1 / 8))


def _demo_model(logit_adjustment):
    init_default_scope('mmdet')
    cfg = Config.fromfile('configs/demo/motifs_demo_predcls.py').model
    cfg.test_cfg.relation.logit_adjustment = logit_adjustment
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def _predict(model):
    gen = torch.Generator().manual_seed(0)
    sample = SceneGraphDataSample(
        metainfo=dict(
            img_shape=(64, 64), ori_shape=(64, 64), scale_factor=(1., 1.)))
    sample.gt_instances = InstanceData(
        bboxes=torch.tensor([[2., 2., 30., 30.], [20., 10., 60., 50.],
                             [5., 40., 25., 62.]]),
        labels=torch.tensor([3, 7, 20]))
    sample.gt_relations = InstanceData(
        pairs=torch.tensor([[0, 1]]), labels=torch.tensor([1]))
    batch = model.data_preprocessor(
        dict(
            inputs=[torch.randint(0, 256, (3, 64, 64), generator=gen)],
            data_samples=[sample]), False)
    model.eval()
    with torch.no_grad():
        return model(**batch, mode='predict')[0].pred_relations


def test_post_hoc_adjustment_at_predict_time_only():
    torch.manual_seed(0)
    plain = _demo_model(None)
    counts = [0] + [1000] * 10 + [1] * 40
    adjusted = _demo_model(
        dict(type='LogitAdjustment', predicate_counts=counts))
    # A plain checkpoint loads strictly: the component has no weights.
    adjusted.load_state_dict(plain.state_dict(), strict=True)
    head = adjusted.relation_head
    assert isinstance(head.logit_adjustment, LogitAdjustment)
    before, after = _predict(plain), _predict(adjusted)
    pairs = [tuple(p) for p in before.pairs.tolist()]
    order = [pairs.index(tuple(p)) for p in after.pairs.tolist()]
    raw = before.scores[order].log()
    boosted = after.scores.log()
    # Rare predicates gain log(1000) relative to frequent ones.
    gain = (boosted[:, 11:] - raw[:, 11:]) - (boosted[:, 1:2] - raw[:, 1:2])
    assert torch.allclose(
        gain, torch.full_like(gain, math.log(1000)), atol=1e-3)
