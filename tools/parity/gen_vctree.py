"""VCTree parity: the benchmark's VCTreePredictor on seeded inputs.

Eval records in the three modes (see ``predictor_parity.py``); the outputs
add the context's object labels (``obj_preds``), edge context
(``edge_ctx``), pair logits (``tree_logits``, each image's (n, n) matrix
flattened, concatenated), the pair context (``pair_ctx``, the input of
``post_cat``) and f_k (``rel_feats``, the input of ``ctx_compress``).
Training records (``train``), the parts without randomness:

- ``predcls``: a PredCls training step (no decoder, one-layer contexts
  without dropout), with the symmetric relatedness matrices of the
  benchmark's sampler (``rel_binarys``) and its ``binary_loss``;
- ``sgdet_binary``: the relatedness matrix of detections from the
  sampler's ``motif_rel_fg_bg_sampling`` given GT relations and matches;
- ``trees``: the binary trees of ``generate_forest`` and
  ``arbForest_to_biForest`` from given score matrices (ties included).

``tests/test_models/test_layers/test_vctree_parity.py`` checks
``VCTreeContext`` against them.
"""
from typing import Dict, List

import predictor_parity as common
import torch
from torch import Tensor, nn

PREDICTOR = 'VCTreePredictor'


def hooks(predictor: nn.Module, capture: common.Capture) -> None:
    """What to record besides the predictor's logits."""
    capture.output(predictor.context_layer, 'obj_preds',
                   lambda out: out[1].detach().clone())
    capture.output(predictor.context_layer, 'edge_ctx',
                   lambda out: out[2].detach().clone())
    capture.output(
        predictor.context_layer, 'tree_logits',
        lambda out: torch.cat([b.detach().flatten() for b in out[3]]))
    capture.input(predictor.post_cat, 'pair_ctx')
    capture.input(predictor.ctx_compress, 'rel_feats')


def _gt_relations(num_objs: List[int], gen: torch.Generator) -> List[Tensor]:
    """Per image an (n, n) relation matrix with a few predicates."""
    mats = []
    for num in num_objs:
        mat = torch.zeros(num, num, dtype=torch.long)
        pairs = common._all_pairs(num)
        pick = torch.randperm(len(pairs), generator=gen)[:num]
        mat[pairs[pick, 0], pairs[pick, 1]] = torch.randint(
            1, 4, (len(pick), ), generator=gen)
        mats.append(mat)
    return mats


def _train_predcls(sizes: dict, weights: Dict[str, Tensor],
                   out_dir: str) -> dict:
    """A PredCls training step with the sampler's relatedness targets."""
    from maskrcnn_benchmark.modeling.roi_heads.relation_head import sampling
    from maskrcnn_benchmark.structures.bounding_box import BoxList
    cfg = common.benchmark_cfg(PREDICTOR, sizes, out_dir, 'predcls')
    predictor = common.build_predictor(cfg, sizes)
    predictor.load_state_dict({
        k[len('predictor.'):]: v
        for k, v in weights.items()
    })
    predictor.train()
    inputs = common.make_inputs(sizes, 'predcls')
    props = common.proposals(inputs, 'predcls')
    gen = torch.Generator().manual_seed(common.SEED)
    relations = _gt_relations(inputs['num_objs'].tolist(), gen)
    targets = []
    for prop, rel in zip(props, relations):
        target = BoxList(prop.bbox, prop.size, 'xyxy')
        target.add_field('labels', prop.get_field('labels'))
        target.add_field('relation', rel, is_triplet=True)
        targets.append(target)
    sampler = sampling.make_roi_relation_samp_processor(cfg)
    _, _, _, binarys = sampler.gtbox_relsample(props, targets)
    capture = common.Capture()
    hooks(predictor, capture)
    outputs = common.run_predictor(predictor, inputs, 'predcls', capture,
                                   binarys)
    capture.remove()
    return dict(
        inputs=dict(
            inputs,
            relations=torch.cat([r.flatten() for r in relations]),
            rel_binarys=torch.cat([b.flatten() for b in binarys])),
        outputs=outputs)


def _sgdet_binary() -> dict:
    """The detections' relatedness matrix of the SGDet sampler."""
    from maskrcnn_benchmark.modeling.roi_heads.relation_head import sampling
    gen = torch.Generator().manual_seed(common.SEED + 1)
    num_gt, num_dets = 5, 8
    relations = _gt_relations([num_gt], gen)[0]
    is_match = torch.rand(num_gt, num_dets, generator=gen) > 0.6
    ious = torch.rand(num_gt, num_dets, generator=gen)
    possible = torch.ones(
        num_dets, num_dets, dtype=torch.long) - torch.eye(
            num_dets, dtype=torch.long)
    sampler = sampling.RelationSampling(0.5, False, 4, 64, 0.25, False, False)
    sampler.num_pos_per_img = 16
    _, binary = sampler.motif_rel_fg_bg_sampling('cpu', relations, ious,
                                                 is_match, possible)
    return dict(relations=relations, is_match=is_match, binary=binary)


def _tree_arrays(root, num: int) -> Dict[str, Tensor]:
    """Left and right child (-1: none) of each node of a binary tree."""
    left = torch.full((num, ), -1, dtype=torch.long)
    right = torch.full((num, ), -1, dtype=torch.long)
    stack = [root]
    while stack:
        node = stack.pop()
        for child, table in ((node.left_child, left), (node.right_child,
                                                       right)):
            if child is not None:
                table[node.index] = child.index
                stack.append(child)
    return dict(left=left, right=right)


def _trees() -> dict:
    """Benchmark trees from score matrices, with and without ties."""
    from maskrcnn_benchmark.modeling.roi_heads.relation_head import \
        utils_vctree
    from maskrcnn_benchmark.structures.bounding_box import BoxList
    gen = torch.Generator().manual_seed(common.SEED + 2)
    cases = dict(
        random=torch.rand(9, 9, generator=gen),
        ties=(torch.rand(8, 8, generator=gen) * 3).round() / 3,
        zeros=torch.zeros(6, 6),
        single=torch.rand(1, 1, generator=gen),
        second=torch.rand(12, 12, generator=gen))
    out = {}
    for name, scores in cases.items():
        num = scores.size(0)
        box = BoxList(torch.rand(num, 4, generator=gen) * 10, (20, 20))
        box.add_field('labels', torch.ones(num, dtype=torch.long))
        forest = utils_vctree.arbForest_to_biForest(
            utils_vctree.generate_forest([scores], [box], 'predcls'))
        out[name] = dict(scores=scores, **_tree_arrays(forest[0], num))
    return out


def run(sizes: dict) -> dict:
    """Eval records and training parts at ``sizes``."""
    import tempfile
    data = common.run(PREDICTOR, sizes, hooks)
    with tempfile.TemporaryDirectory() as tmp:
        common.write_benchmark_files(PREDICTOR, sizes, tmp, 0.1)
        data['train'] = dict(
            predcls=_train_predcls(sizes, data['weights'], tmp),
            sgdet_binary=_sgdet_binary(),
            trees=_trees())
    return data


def generate() -> dict:
    """The recorded fixture (reduced widths)."""
    return run(common.SMALL)
