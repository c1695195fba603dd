"""IMP parity: the benchmark's IMPPredictor on seeded inputs.

Eval records in the three modes (see ``predictor_parity.py``); the outputs
add f_k (``rel_feats``: the final edge states, input of ``rel_fc``) and,
outside PredCls, the final node states (``edge_ctx``, input of
``obj_fc``). The benchmark's IMP context has a fixed width of 512; the
recorded fixture builds it at the reduced ``hidden_dim`` through its own
``hidden_dim`` argument. IMP has no dropout or normalisation: training
computes the same as testing.

``tests/test_models/test_layers/test_imp_parity.py`` checks ``IMPContext``
against them.
"""
import predictor_parity as common
from torch import nn

PREDICTOR = 'IMPPredictor'


def build(cfg, sizes: dict) -> nn.Module:
    """The predictor, its context at ``sizes['hidden_dim']``."""
    from maskrcnn_benchmark.modeling.roi_heads.relation_head import \
        model_msg_passing
    predictor = common.build_predictor(cfg, sizes)
    predictor.context_layer = model_msg_passing.IMPContext(
        cfg,
        sizes['num_classes'] + 1,
        sizes['num_predicates'],
        sizes['feat_dim'],
        hidden_dim=sizes['hidden_dim'])
    return predictor


def hooks(predictor: nn.Module, capture: common.Capture) -> None:
    """What to record besides the predictor's logits."""
    capture.input(predictor.context_layer.rel_fc, 'rel_feats')
    capture.input(predictor.context_layer.obj_fc, 'edge_ctx')


def run(sizes: dict) -> dict:
    """Eval records at ``sizes``."""
    return common.run(PREDICTOR, sizes, hooks, build=build)


def generate() -> dict:
    """The recorded fixture (reduced widths)."""
    return run(common.SMALL)
