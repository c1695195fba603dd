"""Transformer parity: the benchmark's TransformerPredictor, seeded inputs.

Eval records in the three modes (see ``predictor_parity.py``); the outputs
add the context's object labels (``obj_preds``: at SGDet test time those
of its per-class NMS), edge context (``edge_ctx``), the pair context
(``pair_ctx``, the input of ``post_cat`` and ``ctx_compress``) and f_k
(``rel_feats``, the input of ``rel_compress``). ``train``: SGCls and SGDet
training forwards with every dropout off (labels without NMS; the
deterministic part of training). ``label_nms``: the context's per-class
label NMS (``nms_per_cls``) on small random cases with many zero
probabilities (its corner cases).

``tests/test_models/test_layers/test_transformer_parity.py`` checks
``TransformerContext`` against them.
"""
import tempfile

import predictor_parity as common
import torch
from torch import nn

PREDICTOR = 'TransformerPredictor'


def hooks(predictor: nn.Module, capture: common.Capture) -> None:
    """What to record besides the predictor's logits."""
    capture.output(predictor.context_layer, 'obj_preds',
                   lambda out: out[1].detach().clone())
    capture.output(predictor.context_layer, 'edge_ctx',
                   lambda out: out[2].detach().clone())
    capture.input(predictor.post_cat, 'pair_ctx')
    capture.input(predictor.rel_compress, 'rel_feats')


def _train(sizes: dict, weights: dict, out_dir: str, mode: str) -> dict:
    """A training forward with the dropouts off."""
    predictor = common.build_predictor(
        common.benchmark_cfg(PREDICTOR, sizes, out_dir, mode), sizes)
    predictor.load_state_dict({
        k[len('predictor.'):]: v
        for k, v in weights.items()
    })
    predictor.train()
    for module in predictor.modules():
        if isinstance(module, nn.Dropout):
            module.p = 0.0
    inputs = common.make_inputs(sizes, mode)
    capture = common.Capture()
    hooks(predictor, capture)
    with torch.no_grad():
        outputs = common.run_predictor(predictor, inputs, mode, capture)
    capture.remove()
    return dict(inputs=inputs, outputs=outputs)


def _label_nms(num_cases: int = 100) -> dict:
    """``nms_per_cls`` on cases of 5 objects and 3 classes."""
    from maskrcnn_benchmark.modeling.roi_heads.relation_head import \
        model_transformer
    gen = torch.Generator().manual_seed(common.SEED + 3)
    num, classes = 5, 4
    probs = torch.rand(
        num_cases, num, classes, generator=gen) * (
            torch.rand(num_cases, num, classes, generator=gen) > 0.5)
    probs[..., 0] += (probs.sum(-1) == 0).float()
    probs = probs / probs.sum(-1, keepdim=True)
    corners = 5 * torch.rand(num_cases, num, classes, 2, generator=gen)
    boxes = torch.cat([corners, corners + 10], -1)
    holder = nn.Module()
    holder.nms_thresh = common.NMS_THRESHOLD
    labels = torch.stack([
        model_transformer.TransformerContext.nms_per_cls(
            holder, p.log(), [b], [num]) for p, b in zip(probs, boxes)
    ])
    return dict(probs=probs, boxes_per_cls=boxes, labels=labels)


def run(sizes: dict) -> dict:
    """Eval records and training forwards at ``sizes``."""
    data = common.run(PREDICTOR, sizes, hooks)
    with tempfile.TemporaryDirectory() as tmp:
        common.write_benchmark_files(PREDICTOR, sizes, tmp, 0.1)
        data['train'] = {
            mode: _train(sizes, data['weights'], tmp, mode)
            for mode in ('sgcls', 'sgdet')
        }
    data['label_nms'] = _label_nms()
    return data


def generate() -> dict:
    """The recorded fixture (reduced widths)."""
    return run(common.SMALL)
