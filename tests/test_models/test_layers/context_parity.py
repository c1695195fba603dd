"""Run our context encoders on the benchmark's recorded predictor inputs.

The fixtures ``tests/data/parity/{vctree,transformer,imp}.pth`` come from
``tools/parity/gen_<name>.py`` (the benchmark's own predictors, reduced
widths, benchmark conventions: labels 1..C, background first). These
helpers convert the inputs and weights to ours, run the context encoder
and the predictor's classification step (a plain function of the
converted weights: the heads come later), and measure the differences.
``tools/parity/check_contexts_full_size.py`` uses them at protocol sizes.
"""
import os.path as osp
from typing import Dict, List, Tuple

import torch
from mmdet.registry import MODELS
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData
from torch import Tensor
from torch.nn import functional as F

import mmsgg_rde  # noqa: F401  (registers the modules)
from mmsgg_rde.models.layers import (RelationContextOutput,
                                     relatedness_targets, tree_score_loss)
from mmsgg_rde.utils.sgb_conversion import RELATION_PREDICTOR_CONVERTERS

FIXTURE_DIR = osp.join(
    osp.dirname(osp.abspath(__file__)), '..', '..', 'data', 'parity')
MODES = ('predcls', 'sgcls', 'sgdet')
RTOL, ATOL = 1e-4, 1e-5
CONTEXT = 'context.'
PREDICTORS = dict(
    vctree='VCTreePredictor',
    transformer='TransformerPredictor',
    imp='IMPPredictor')


def load_fixture(name: str) -> dict:
    """A recorded fixture."""
    return torch.load(
        osp.join(FIXTURE_DIR, f'{name}.pth'),
        map_location='cpu',
        weights_only=True)


def context_config(name: str, sizes: dict, mode: str) -> dict:
    """Our context encoder at the recorded sizes."""
    common = dict(
        in_channels=sizes['feat_dim'],
        rel_channels=sizes['feat_dim'],
        num_classes=sizes['num_classes'],
        mode=mode)
    if name == 'imp':
        return dict(
            type='IMPContext', hidden_channels=sizes['hidden_dim'], **common)
    common.update(
        embed_dim=sizes['embed_dim'], hidden_channels=sizes['hidden_dim'])
    if name == 'vctree':
        return dict(type='VCTreeContext', **common)
    return dict(
        type='TransformerContext',
        num_heads=sizes['num_heads'],
        key_dim=sizes['key_dim'],
        value_dim=sizes['value_dim'],
        feedforward_channels=sizes['inner_dim'],
        **common)


def convert(
    name: str, weights: Dict[str, Tensor]
) -> Tuple[Dict[str, Tensor], Dict[str, Tensor], List[str]]:
    """Our context weights, the classifier weights and the skip notes."""
    source = dict(weights)
    state, notes = RELATION_PREDICTOR_CONVERTERS[PREDICTORS[name]](source)
    assert not source, f'unconverted benchmark tensors: {sorted(source)}'
    context = {
        k[len(CONTEXT):]: v
        for k, v in state.items() if k.startswith(CONTEXT)
    }
    head = {k: v for k, v in state.items() if not k.startswith(CONTEXT)}
    return context, head, notes


def build_context(name: str, data: dict, mode: str, **overrides):
    """Our context encoder with the benchmark's converted weights."""
    init_default_scope('mmdet')
    context = MODELS.build(
        dict(context_config(name, data['sizes'], mode), **overrides))
    state, _, _ = convert(name, data['weights'])
    context.load_state_dict(state, strict=True)
    return context


def bg_last(logits: Tensor) -> Tensor:
    """Benchmark class columns (background first) to ours (last)."""
    return torch.roll(logits, -1, dims=-1)


def to_ours(labels: Tensor, num_classes: int) -> Tensor:
    """Benchmark labels (0 background, 1..C) to ours (0..C-1, C bg)."""
    return (labels - 1) % (num_classes + 1)


def make_inputs(inputs: dict, mode: str, num_classes: int) -> tuple:
    """Our ``forward`` arguments from a record's benchmark inputs."""
    counts = inputs['num_objs'].tolist()
    objects = []
    for i, (w, h) in enumerate(inputs['img_sizes'].tolist()):
        obj = InstanceData(
            bboxes=inputs['boxes'].split(counts)[i],
            labels=to_ours(inputs['labels'], num_classes).split(counts)[i])
        if mode != 'predcls':
            obj.logits = bg_last(inputs['logits']).split(counts)[i]
        if mode == 'sgdet':
            obj.bboxes_per_cls = inputs['boxes_per_cls'][:,
                                                         1:].split(counts)[i]
        objects.append(obj)
    metas = [dict(img_shape=(h, w)) for w, h in inputs['img_sizes'].tolist()]
    pairs = list(inputs['pairs'].split(inputs['num_pairs'].tolist()))
    return (inputs['roi_feats'], inputs['union_feats'], objects, pairs, metas)


def relation_logits(out: RelationContextOutput, head: Dict[str, Tensor],
                    pairs: List[Tensor], num_objs: List[int]) -> Tensor:
    """The predictor's classification step on our context's output.

    ``rel_classifier(f_k)``, plus ``ctx_classifier(pair_ctx)`` (the
    Transformer), plus the frequency bias of the two objects' labels
    (background last in its class-pair table), as the weights have them.
    """
    logits = F.linear(out.rel_feats, head['rel_classifier.weight'],
                      head['rel_classifier.bias'])
    if 'ctx_classifier.weight' in head:
        logits = logits + F.linear(out.pair_ctx, head['ctx_classifier.weight'],
                                   head['ctx_classifier.bias'])
    if 'freq_bias.obj_baseline.weight' in head:
        table = head['freq_bias.obj_baseline.weight']
        num = int(round(table.size(0)**0.5))
        offsets = torch.tensor([0] + num_objs[:-1]).cumsum(0)
        glob = torch.cat([p + o for p, o in zip(pairs, offsets)])
        labels = out.obj_labels
        logits = logits + table[labels[glob[:, 0]] * num + labels[glob[:, 1]]]
    return logits


def run_ours(name: str,
             data: dict,
             record: dict,
             mode: str,
             train: bool = False,
             **overrides) -> Tuple[RelationContextOutput, Tensor]:
    """Our context's output and relation logits on a record.

    ``overrides`` change the context's config (e.g. dropout off).
    """
    context = build_context(name, data, mode, **overrides)
    context.train(train)
    args = make_inputs(record['inputs'], mode, data['sizes']['num_classes'])
    _, head, _ = convert(name, data['weights'])
    out = context(*args)
    return out, relation_logits(out, head, args[3],
                                record['inputs']['num_objs'].tolist())


def difference(ours: Tensor, ref: Tensor) -> Tuple[float, float]:
    """Largest absolute difference, and relative to the largest |ref|."""
    if ref.numel() == 0:
        return 0.0, 0.0
    diff = (ours.float() - ref.float()).abs().max().item()
    return diff, diff / max(ref.abs().max().item(), 1e-12)


def tree_loss(out: RelationContextOutput, inputs: dict) -> Tensor:
    """VCTree's tree-score loss with targets from the recorded relations."""
    counts = inputs['num_objs'].tolist()
    relations = inputs['relations'].split([n * n for n in counts])
    targets = [
        relatedness_targets(n,
                            rel.view(n, n).nonzero())
        for rel, n in zip(relations, counts)
    ]
    return tree_score_loss(out.tree_logits, targets)


def _ours(out: RelationContextOutput, key: str) -> Tensor:
    """Our output compared with the benchmark's ``key``."""
    if key == 'obj_preds':
        return out.obj_labels
    if key == 'tree_logits':
        return torch.cat([t.flatten() for t in out.tree_logits])
    return getattr(out, key)


def _reference(ref: Tensor, key: str, num_classes: int) -> Tensor:
    """A recorded benchmark output in our conventions."""
    if key == 'obj_logits':
        return bg_last(ref)
    if key == 'obj_preds':
        return to_ours(ref, num_classes)
    return ref


#: Recorded benchmark outputs compared besides the relation logits.
COMPARED = ('obj_logits', 'obj_preds', 'edge_ctx', 'rel_feats', 'pair_ctx',
            'tree_logits')


def differences(name: str,
                data: dict,
                record: dict,
                mode: str,
                train: bool = False,
                **overrides) -> Dict[str, Tuple[float, float]]:
    """Per compared output, (max abs, max rel) difference from the record.

    PredCls object "logits" are the benchmark's one-hot placeholders; there
    the labels are compared (``obj_preds``) and ``obj_logits`` is skipped.
    """
    with torch.set_grad_enabled(train):
        out, rel_logits = run_ours(name, data, record, mode, train,
                                   **overrides)
    ref = record['outputs']
    num_classes = data['sizes']['num_classes']
    result = dict(
        rel_logits=difference(rel_logits.detach(), ref['rel_logits']))
    for key in COMPARED:
        if key not in ref or (key == 'obj_logits' and mode == 'predcls'):
            continue
        ours = _ours(out, key)
        expected = _reference(ref[key], key, num_classes)
        assert ours is not None and ours.shape == expected.shape, key
        result[key] = difference(ours.detach(), expected)
    if 'binary_loss' in ref:
        result['binary_loss'] = difference(
            tree_loss(out, record['inputs']).detach(), ref['binary_loss'])
    if mode == 'predcls' and out.obj_logits is None:
        labels = to_ours(ref['obj_logits'].argmax(1), num_classes)
        result['obj_logits'] = difference(out.obj_labels, labels)
    return result


def assert_parity(diffs: Dict[str, Tuple[float, float]]) -> None:
    """Every difference within ``ATOL`` absolute or ``RTOL`` relative."""
    bad = {
        k: v
        for k, v in diffs.items() if not (v[0] <= ATOL or v[1] <= RTOL)
    }
    assert not bad, f'(max abs, max rel) differences: {bad}'
