"""Motifs parity: the benchmark's MotifPredictor with its feature extractors.

Builds the benchmark's relation head parts as its ``ROIRelationHead`` holds
them (``box_feature_extractor``: ``FPN2MLPFeatureExtractor``;
``union_feature_extractor``: ``RelationFeatureExtractor`` with
``POOLING_ALL_LEVELS``; ``MotifPredictor``; ``RelationSampling``; its
relation loss and post-processor) from its own code, with seeded random
weights, and records on two images for PredCls, SGCls and SGDet:

- ``eval``: the candidate pairs, object and relation logits and the
  post-processed objects and ranked triplets;
- ``train``: the pairs sampled with a fixed seed (protocol numbers, and a
  small batch that subsamples), all candidate pairs (uncapped sampler),
  SGDet's labels of detections, and object/relation logits and losses on
  the sampled pairs with a fixed seed for the decoder's dropout mask;
- ``glove``: the GloVe lookup of a tiny fake vector file.

``tests/test_models/test_relation_heads/test_motifs_parity.py`` runs
``MotifsHead`` on the same inputs with the weights converted by
``mmsgg_rde.utils.sgb_conversion``. :func:`run` takes the sizes, so the same
code checks the protocol sizes (``check_motifs_full_size.py``).
"""
import contextlib
import copy
import io
import os
import os.path as osp
import tempfile
from typing import Dict, List, Tuple

import numpy as np
import predictor_parity
import torch
from torch import nn

#: Reduced widths of the recorded fixture (the predictor fixtures' sizes
#: and 4 FPN channels).
SMALL = dict(predictor_parity.SMALL, fpn_channels=4)
#: The benchmark's protocol sizes (VG-150, X-101-FPN), smaller images.
FULL = dict(
    predictor_parity.FULL,
    fpn_channels=256,
    img_sizes=((400, 300), (320, 416)),
    num_gt=(20, 12),
    num_dets=(40, 30))
#: Sampler settings recorded in training: (name, batch size, fraction,
#: pairs per GT relation).
SAMPLERS = (('protocol', 1024, 0.25, 4), ('small', 8, 0.25, 2),
            ('uncapped', 1000000, 1.0, 1000000))
STRIDES = (4, 8, 16, 32)
SEED = 7
DROPOUT_SEED = 11
#: Words of the fake GloVe file; class names use some of them.
GLOVE_WORDS = ('start', 'man', 'dog', 'table', 'top', 'tennis', 'racket',
               'tree', 'car', 'hat')
CLASS_NAMES = ('man', 'tennis racket', 'table top', 'dog', 'zebra', 'tree',
               'car', 'hat', 'street sign', 'kite')
RTOL = 1e-4
ATOL = 1e-5


def class_names(num_classes: int) -> List[str]:
    """Foreground class names used for the GloVe lookup."""
    names = list(CLASS_NAMES[:num_classes])
    return names + [f'class{i}' for i in range(len(names), num_classes)]


def glove_text(dim: int) -> str:
    """A tiny GloVe file: one seeded vector per word of ``GLOVE_WORDS``."""
    gen = torch.Generator().manual_seed(3)
    lines = []
    for word in GLOVE_WORDS:
        values = torch.randn(dim, generator=gen)
        lines.append(word + ' ' + ' '.join(f'{v:.5f}' for v in values))
    return '\n'.join(lines) + '\n'


def benchmark_cfg(sizes: dict, out_dir: str, mode: str):
    """The benchmark's MotifPredictor config at ``sizes`` for ``mode``."""
    return predictor_parity.benchmark_cfg('MotifPredictor', sizes, out_dir,
                                          mode)


def write_benchmark_files(sizes: dict, out_dir: str) -> None:
    """The statistics cache and GloVe file the benchmark's modules read."""
    predictor_parity.write_benchmark_files('MotifPredictor', sizes, out_dir,
                                           1.0)


def build_modules(cfg, sizes: dict) -> Dict[str, nn.Module]:
    """The relation head parts of the benchmark's ``ROIRelationHead``."""
    from maskrcnn_benchmark.modeling.roi_heads.box_head import \
        roi_box_feature_extractors as box_fe
    from maskrcnn_benchmark.modeling.roi_heads.relation_head import (
        roi_relation_feature_extractors, roi_relation_predictors)
    channels = sizes['fpn_channels']
    return nn.ModuleDict(
        dict(
            box_feature_extractor=box_fe.make_roi_box_feature_extractor(
                cfg, channels),
            union_feature_extractor=roi_relation_feature_extractors.
            make_roi_relation_feature_extractor(cfg, channels),
            predictor=roi_relation_predictors.make_roi_relation_predictor(
                cfg, sizes['feat_dim'])))


def _random_boxes(num: int, size: Tuple[int, int],
                  gen: torch.Generator) -> torch.Tensor:
    """(num, 4) boxes inside a (width, height) image."""
    w, h = size
    wh = torch.rand(num, 2, generator=gen) * 0.5 + 0.1
    xy = torch.rand(num, 2, generator=gen) * (1 - wh)
    boxes = torch.cat([xy, xy + wh], 1) * torch.tensor([w, h, w, h]) - 1
    return boxes.clamp(min=0)


def _jitter(boxes: torch.Tensor, scale: float, size: Tuple[int, int],
            gen: torch.Generator) -> torch.Tensor:
    """Boxes moved by up to ``scale`` of their size, inside the image."""
    wh = (boxes[:, 2:] - boxes[:, :2]).repeat(1, 2)
    noise = (torch.rand(boxes.shape, generator=gen) * 2 - 1) * scale
    out = boxes + noise * wh
    out[:, 2:] = torch.maximum(out[:, 2:], out[:, :2] + 2)
    limit = torch.tensor([size[0] - 1, size[1] - 1] * 2, dtype=out.dtype)
    return torch.minimum(out.clamp(min=0), limit)


def make_inputs(sizes: dict) -> dict:
    """Seeded features, GT graphs, SGCls logits and SGDet detections."""
    gen = torch.Generator().manual_seed(SEED)
    num_cls = sizes['num_classes']
    pad_w = max(-(-w // 32) * 32 for w, _ in sizes['img_sizes'])
    pad_h = max(-(-h // 32) * 32 for _, h in sizes['img_sizes'])
    num_imgs = len(sizes['img_sizes'])
    feats = [
        torch.randn(
            num_imgs,
            sizes['fpn_channels'],
            pad_h // s,
            pad_w // s,
            generator=gen) for s in STRIDES
    ]
    images = []
    for size, num_gt, num_dets in zip(sizes['img_sizes'], sizes['num_gt'],
                                      sizes['num_dets']):
        gt_boxes = _random_boxes(num_gt, size, gen)
        gt_labels = torch.randint(1, num_cls + 1, (num_gt, ), generator=gen)
        # Relations: a few random pairs and the pair (0, 1), whose boxes get
        # several matching detections below.
        num_rels = max(2, num_gt // 2)
        pairs = torch.randint(0, num_gt, (num_rels, 2), generator=gen)
        pairs[0] = torch.tensor([0, 1])
        pairs = pairs[pairs[:, 0] != pairs[:, 1]]
        rel_labels = torch.randint(
            1, sizes['num_predicates'], (len(pairs), ), generator=gen)
        # Detections: three near GT 0 and 1, one near each other GT box,
        # one from an exact proposal of GT 1 but regressed off it (IoU
        # about 0.4: its class target is GT 1's, yet it does not stand for
        # GT 1 in relations), and at least two anywhere (mostly background).
        near = torch.cat([gt_boxes[[0, 0, 0, 1, 1, 1]],
                          gt_boxes[2:]])[:num_dets - 3]
        shifted = gt_boxes[1].clone()
        shifted[[0, 2]] += 0.45 * (shifted[2] - shifted[0])
        det_boxes = torch.cat([
            _jitter(near, 0.08, size, gen), shifted[None],
            _random_boxes(num_dets - len(near) - 1, size, gen)
        ])
        priors = _jitter(det_boxes, 0.1, size, gen)
        priors[len(near)] = gt_boxes[1]
        boxes_per_cls = _jitter(
            det_boxes.repeat_interleave(num_cls + 1, 0), 0.05, size,
            gen).view(num_dets, num_cls + 1, 4)
        images.append(
            dict(
                img_size=torch.tensor(size),
                gt_boxes=gt_boxes,
                gt_labels=gt_labels,
                rel_pairs=pairs,
                rel_labels=rel_labels,
                sgcls_logits=2 *
                torch.randn(num_gt, num_cls + 1, generator=gen),
                det_boxes=det_boxes,
                det_priors=priors,
                det_boxes_per_cls=boxes_per_cls,
                det_logits=2 *
                torch.randn(num_dets, num_cls + 1, generator=gen)))
    return dict(feats=feats, images=images)


def _boxlist(boxes: torch.Tensor, size: torch.Tensor, **fields):
    from maskrcnn_benchmark.structures.bounding_box import BoxList
    boxlist = BoxList(boxes, tuple(size.tolist()), 'xyxy')
    for name, value in fields.items():
        boxlist.add_field(name, value)
    return boxlist


def make_targets(images: List[dict]) -> list:
    """The benchmark's GT BoxLists with their relation matrices."""
    targets = []
    for img in images:
        num = len(img['gt_boxes'])
        relation = torch.zeros(num, num, dtype=torch.long)
        for (sub, obj), label in zip(img['rel_pairs'].tolist(),
                                     img['rel_labels'].tolist()):
            if relation[sub, obj] == 0:
                relation[sub, obj] = label
        target = _boxlist(
            img['gt_boxes'],
            img['img_size'],
            labels=img['gt_labels'],
            attributes=torch.zeros(num, 10, dtype=torch.long))
        target.add_field('relation', relation, is_triplet=True)
        targets.append(target)
    return targets


def make_proposals(images: List[dict], mode: str, cfg, targets: list) -> list:
    """The objects the benchmark's box head gives the relation head."""
    if mode != 'sgdet':
        proposals = []
        for img in images:
            fields = dict(labels=img['gt_labels'])
            if mode == 'sgcls':
                fields['predict_logits'] = img['sgcls_logits']
            proposals.append(
                _boxlist(img['gt_boxes'], img['img_size'], **fields))
        return proposals
    from maskrcnn_benchmark.modeling.roi_heads.box_head.sampling import \
        make_roi_box_samp_processor
    priors = [_boxlist(img['det_priors'], img['img_size']) for img in images]
    make_roi_box_samp_processor(cfg).assign_label_to_proposals(priors, targets)
    return [
        _boxlist(
            img['det_boxes'],
            img['img_size'],
            labels=prior.get_field('labels'),
            predict_logits=img['det_logits'],
            boxes_per_cls=img['det_boxes_per_cls'])
        for img, prior in zip(images, priors)
    ]


def _sampler(cfg, batch: int, fraction: float, per_rel: int):
    from maskrcnn_benchmark.modeling.roi_heads.relation_head.sampling import \
        make_roi_relation_samp_processor
    sampler = make_roi_relation_samp_processor(cfg)
    sampler.batch_size_per_image = batch
    sampler.positive_fraction = fraction
    sampler.num_sample_per_gt_rel = per_rel
    return sampler


def _sample(sampler, mode: str, proposals: list, targets: list):
    """Per image, the sampled (K, 2) pairs and (K,) labels."""
    if mode == 'sgdet':
        _, labels, pairs, _ = sampler.detect_relsample(proposals, targets)
    else:
        _, labels, pairs, _ = sampler.gtbox_relsample(proposals, targets)
    return pairs, labels


def _loss_evaluator():
    """The benchmark's relation loss (its __init__ needs CUDA)."""
    from maskrcnn_benchmark.modeling.roi_heads.relation_head.loss import \
        RelationLossComputation
    loss = object.__new__(RelationLossComputation)
    loss.attri_on = False
    loss.use_label_smoothing = False
    loss.criterion_loss = nn.CrossEntropyLoss()
    return loss


def run_eval(modules, cfg, feats, proposals) -> dict:
    """Test-time pairs, logits and post-processed results.

    One image at a time, as the benchmark tests (its decoder asserts it).
    """
    from maskrcnn_benchmark.modeling.roi_heads.relation_head.inference import \
        make_roi_relation_post_processor
    modules.eval()
    post_processor = make_roi_relation_post_processor(cfg)
    out = dict(pairs=[], obj_logits=[], rel_logits=[], results=[])
    for i, proposal in enumerate(proposals):
        img_feats = [f[i:i + 1] for f in feats]
        with torch.no_grad():
            pairs = _sampler(cfg, 1, 1,
                             1).prepare_test_pairs(feats[0].device, [proposal])
            roi = modules['box_feature_extractor'](img_feats, [proposal])
            union = modules['union_feature_extractor'](img_feats, [proposal],
                                                       pairs)
            obj_dists, rel_dists, _ = modules['predictor']([proposal], pairs,
                                                           None, None, roi,
                                                           union)
            res, = post_processor((rel_dists, obj_dists), pairs, [proposal])
        out['pairs'].append(pairs[0])
        out['obj_logits'].append(obj_dists[0])
        out['rel_logits'].append(rel_dists[0])
        out['results'].append(
            dict(
                bboxes=res.bbox,
                labels=res.get_field('pred_labels'),
                scores=res.get_field('pred_scores'),
                rel_pairs=res.get_field('rel_pair_idxs'),
                rel_scores=res.get_field('pred_rel_scores'),
                rel_labels=res.get_field('pred_rel_labels')))
    return out


def run_train(modules, cfg, mode: str, feats, proposals, targets) -> dict:
    """Sampled pairs and candidates, then logits and losses on the pairs."""
    out = dict(samples={})
    for name, batch, fraction, per_rel in SAMPLERS:
        torch.manual_seed(SEED)
        np.random.seed(SEED)
        pairs, labels = _sample(
            _sampler(cfg, batch, fraction, per_rel), mode, proposals, targets)
        out['samples'][name] = dict(pairs=pairs, labels=labels)
    out['obj_targets'] = torch.cat([p.get_field('labels') for p in proposals])
    pairs = out['samples']['protocol']['pairs']
    labels = out['samples']['protocol']['labels']
    modules.train()
    roi = modules['box_feature_extractor'](feats, proposals)
    union = modules['union_feature_extractor'](feats, proposals, pairs)
    torch.manual_seed(DROPOUT_SEED)
    obj_dists, rel_dists, _ = modules['predictor'](proposals, pairs, labels,
                                                   None, roi, union)
    loss_rel, loss_obj = _loss_evaluator()(proposals, labels, rel_dists,
                                           obj_dists)
    out.update(
        obj_logits=torch.cat(obj_dists).detach(),
        rel_logits=torch.cat(rel_dists).detach(),
        loss_rel=loss_rel.detach(),
        loss_obj=loss_obj.detach())
    return out


def glove_lookup(sizes: dict) -> dict:
    """The benchmark's GloVe vectors of the object classes (and 'start')."""
    from maskrcnn_benchmark.modeling.roi_heads.relation_head import \
        utils_motifs
    dim = sizes['embed_dim']
    tokens = ['start', '__background__'] + class_names(sizes['num_classes'])
    with tempfile.TemporaryDirectory() as tmp:
        with open(osp.join(tmp, f'glove.6B.{dim}d.txt'), 'w') as f:
            f.write(glove_text(dim))
        torch.manual_seed(SEED)
        with contextlib.redirect_stdout(io.StringIO()), \
                contextlib.redirect_stderr(io.StringIO()):
            vectors = utils_motifs.obj_edge_vectors(
                tokens, wv_dir=tmp, wv_dim=dim)
    return dict(
        text=glove_text(dim), tokens=tokens, seed=SEED, vectors=vectors)


def level_mapping() -> dict:
    """FPN levels the benchmark's pooler gives boxes near level borders."""
    from maskrcnn_benchmark.modeling.poolers import Pooler
    pooler = Pooler((7, 7), [1 / s for s in STRIDES], 2)
    sides = torch.tensor([[10., 10.], [110., 111.], [111., 111.],
                          [111.5, 111.5], [112., 112.], [150., 90.],
                          [222., 222.], [223., 223.], [224.,
                                                       224.], [300., 170.],
                          [446.5, 446.5], [447., 447.], [448., 448.],
                          [900., 700.]])
    boxes = torch.cat([torch.full_like(sides, 3.), 3. + sides], dim=1)
    size = torch.tensor([1000, 1000])
    return dict(
        boxes=boxes, levels=pooler.map_levels([_boxlist(boxes, size)]).long())


def run(sizes: dict) -> dict:
    """Record the benchmark's relation head at ``sizes``."""
    inputs = make_inputs(sizes)
    feats = inputs['feats']
    data = dict(
        sizes={
            k: v
            for k, v in sizes.items() if isinstance(v, int)
        },
        seeds=dict(sampling=SEED, dropout=DROPOUT_SEED),
        samplers={
            name:
            dict(
                num=num, pos_fraction=fraction, num_sample_per_gt_rel=per_rel)
            for name, num, fraction, per_rel in SAMPLERS
        },
        inputs=inputs,
        glove=glove_lookup(sizes),
        levels=level_mapping())
    with tempfile.TemporaryDirectory() as tmp:
        write_benchmark_files(sizes, tmp)
        state = None
        for mode in ('predcls', 'sgcls', 'sgdet'):
            cfg = benchmark_cfg(sizes, tmp, mode)
            torch.manual_seed(SEED)
            with contextlib.redirect_stdout(io.StringIO()), \
                    contextlib.redirect_stderr(io.StringIO()):
                modules = build_modules(cfg, sizes)
            if state is None:
                state = predictor_parity.random_state(modules)
                data['weights'] = {
                    f'roi_heads.relation.{k}': v
                    for k, v in state.items()
                }
            targets = make_targets(inputs['images'])
            result = {}
            for training in (False, True):
                modules.load_state_dict(copy.deepcopy(state))
                proposals = make_proposals(inputs['images'], mode, cfg,
                                           targets)
                if training:
                    result['train'] = run_train(modules, cfg, mode, feats,
                                                proposals, targets)
                else:
                    result['eval'] = run_eval(modules, cfg, feats, proposals)
            data[mode] = result
    return _as_tree(data)


def _as_tree(value):
    """Lists holding tensors or dicts as dicts keyed '0', '1', ... (the
    fixture format compares dicts and tensors)."""
    if isinstance(value, dict):
        return {k: _as_tree(v) for k, v in value.items()}
    if isinstance(value,
                  (list, tuple)) and value and not isinstance(value[0], str):
        return {str(i): _as_tree(v) for i, v in enumerate(value)}
    return value


def generate() -> dict:
    """The fixture: the benchmark at reduced widths."""
    os.environ.setdefault('OMP_NUM_THREADS', '1')
    return run(SMALL)
