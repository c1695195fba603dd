"""MotifsHead against the benchmark's MotifPredictor, from a recorded fixture.

``tests/data/parity/motifs.pth`` holds what the scene graph benchmark's own
code computes (``tools/parity/gen_motifs.py``, reduced widths): its relation
head weights, two images' features and objects, and its outputs. The head
here loads the weights through ``convert_motif_predictor`` and must give the
same logits, ranked triplets, training pairs and losses. The helpers are
also used by ``tools/parity/check_motifs_full_size.py`` at protocol sizes.
"""
import os.path as osp
from typing import Dict, List, Optional, Tuple

import pytest
import torch
from mmdet.registry import MODELS
from mmengine.structures import InstanceData

from mmsgg_rde.models.detectron import assign_proposal_labels
from mmsgg_rde.models.layers import load_glove_vectors
from mmsgg_rde.structures import SceneGraphDataSample
from mmsgg_rde.utils.sgb_conversion import (
    convert_motif_predictor, convert_relation_feature_extractors)

FIXTURE = osp.join(
    osp.dirname(__file__), '..', '..', 'data', 'parity', 'motifs.pth')
MODES = ('predcls', 'sgcls', 'sgdet')
RTOL, ATOL = 1e-4, 1e-5
PREFIX = 'roi_heads.relation.'


def head_config(sizes: dict, mode: str, sampler: dict) -> dict:
    """A MotifsHead config of the benchmark's structure at ``sizes``."""
    roi_layer = dict(
        type='RoIAlign', output_size=7, sampling_ratio=2, aligned=False)
    roi = dict(
        roi_layer=roi_layer,
        out_channels=sizes['fpn_channels'],
        featmap_strides=[4, 8, 16, 32])
    return dict(
        type='MotifsHead',
        mode=mode,
        num_classes=sizes['num_classes'],
        num_predicates=sizes['num_predicates'],
        obj_feat_extractor=dict(
            type='RoIFeatureExtractor',
            roi_extractor=dict(type='DetectronRoIExtractor', **roi),
            fc_out_channels=sizes['feat_dim']),
        union_feat_extractor=dict(
            type='UnionFeatureExtractor',
            roi_extractor=dict(type='AllLevelsRoIExtractor', **roi),
            fc_out_channels=sizes['feat_dim']),
        embed_dim=sizes['embed_dim'],
        embed_init='random',
        hidden_dim=sizes['hidden_dim'],
        train_cfg=dict(sampler=dict(type='RelationSampler', **sampler)),
        test_cfg=dict(later_nms_thr=0.5))


def build_head(data: dict, mode: str, sampler: str = 'protocol'):
    """The head with the benchmark's weights, converted."""
    head = MODELS.build(
        head_config(data['sizes'], mode, data['samplers'][sampler]))
    source = {k[len(PREFIX):]: v for k, v in data['weights'].items()}
    state, skipped = convert_motif_predictor(source)
    state.update(convert_relation_feature_extractors(source)[0])
    assert not source
    assert all('untreated' in msg for msg in skipped)
    head.load_state_dict(state, strict=True)
    return head


def to_ours(labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Benchmark labels (0 background, 1..C) to ours (0..C-1, C bg)."""
    return (labels - 1) % (num_classes + 1)


def bg_last(logits: torch.Tensor) -> torch.Tensor:
    """Benchmark class columns (background first) to ours (last)."""
    return torch.roll(logits, -1, dims=-1)


def make_inputs(data: dict, mode: str) -> Tuple[tuple, list, list]:
    """Features, objects and data samples of the fixture's images."""
    num_classes = data['sizes']['num_classes']
    feats = tuple(data['inputs']['feats'][str(i)] for i in range(4))
    objects, samples = [], []
    images = data['inputs']['images']
    for i in range(len(images)):
        img = images[str(i)]
        width, height = img['img_size'].tolist()
        gt_labels = to_ours(img['gt_labels'], num_classes)
        sample = SceneGraphDataSample(
            metainfo=dict(img_shape=(height, width), scale_factor=(1., 1.)))
        sample.gt_instances = InstanceData(
            bboxes=img['gt_boxes'], labels=gt_labels)
        sample.gt_relations = InstanceData(
            pairs=img['rel_pairs'], labels=img['rel_labels'])
        samples.append(sample)
        if mode == 'sgdet':
            logits = bg_last(img['det_logits'])
            # SceneGraphRCNN labels the detections by their proposals.
            obj = InstanceData(
                bboxes=img['det_boxes'],
                assigned_labels=assign_proposal_labels(img['det_priors'],
                                                       img['gt_boxes'],
                                                       gt_labels, 0.5,
                                                       num_classes),
                bboxes_per_cls=img['det_boxes_per_cls'][:, 1:],
                logits=logits)
        else:
            obj = InstanceData(bboxes=img['gt_boxes'])
            logits = bg_last(img['sgcls_logits'])
            if mode == 'sgcls':
                obj.logits = logits
        if mode == 'predcls':
            obj.labels = gt_labels
        else:
            obj.labels = logits[:, :num_classes].argmax(1)
        obj.scores = torch.ones(len(obj))
        objects.append(obj)
    return feats, objects, samples


def as_list(tree: Dict[str, torch.Tensor]) -> List[torch.Tensor]:
    """A fixture dict keyed '0', '1', ... as a list."""
    return [tree[str(i)] for i in range(len(tree))]


def relative_error(ours: torch.Tensor, ref: torch.Tensor) -> float:
    """max |ours - ref| / max |ref|."""
    return ((ours - ref).abs().max() / ref.abs().max()).item()


def triplet_scores(obj_res: InstanceData,
                   rel_res: InstanceData) -> torch.Tensor:
    """Predicate x subject x object score of each ranked relation."""
    rel = rel_res.scores.gather(1, rel_res.labels[:, None])[:, 0]
    return (rel * obj_res.scores[rel_res.pairs[:, 0]] *
            obj_res.scores[rel_res.pairs[:, 1]])


def rows_of_reference_triplets(rel_res: InstanceData,
                               ref_res: dict) -> Optional[torch.Tensor]:
    """Our row of each reference (pair, predicate), in its order; None when
    the two hold different triplets."""
    ours = {
        (s, o, c): row
        for row, ((s, o), c) in enumerate(
            zip(rel_res.pairs.tolist(), rel_res.labels.tolist()))
    }
    keys = [(s, o, c) for (s, o), c in zip(ref_res['rel_pairs'].tolist(),
                                           ref_res['rel_labels'].tolist())]
    if len(keys) != len(ours) or any(key not in ours for key in keys):
        return None
    return torch.tensor([ours[key] for key in keys], dtype=torch.long)


def ranking_agrees(scores: torch.Tensor, rows: torch.Tensor) -> bool:
    """Whether our ranking is the reference's up to swaps of tied triplets.

    At protocol sizes thousands of triplet scores lie within float32 noise
    of each other (products of softmaxes of logits that agree to 1e-6
    relative), so two of them may swap places: the triplet the reference
    ranks k-th must have a score within ``RTOL`` of our k-th score.
    """
    return torch.allclose(scores[rows], scores, rtol=RTOL, atol=0)


def eval_differences(data: dict, mode: str) -> dict:
    """Run the head in eval mode; its differences from the benchmark."""
    torch.manual_seed(0)
    head = build_head(data, mode)
    head.eval()
    feats, objects, samples = make_inputs(data, mode)
    ref = data[mode]['eval']
    num_classes = data['sizes']['num_classes']
    metas = [s.metainfo for s in samples]
    with torch.no_grad():
        pairs = [head.test_pairs(obj) for obj in objects]
        out, rel_logits = head.forward_pairs(feats, objects, pairs, metas)
        obj_results, rel_results = head.predict(feats, objects, samples)
    ref_rel = torch.cat(as_list(ref['rel_logits']))
    diffs = dict(
        same_pairs=all(
            torch.equal(p, r) for p, r in zip(pairs, as_list(ref['pairs']))),
        rel_logits_close=torch.allclose(
            rel_logits, ref_rel, rtol=RTOL, atol=ATOL),
        rel_logits_abs=(rel_logits - ref_rel).abs().max().item(),
        rel_logits_rel=relative_error(rel_logits, ref_rel))
    if mode != 'predcls':
        ref_obj = bg_last(torch.cat(as_list(ref['obj_logits'])))
        diffs.update(
            obj_logits_close=torch.allclose(
                out.obj_logits, ref_obj, rtol=RTOL, atol=ATOL),
            obj_logits_abs=(out.obj_logits - ref_obj).abs().max().item(),
            obj_logits_rel=relative_error(out.obj_logits, ref_obj))
    same_triplets, same_objects, score_diff = True, True, 0.0
    for obj_res, rel_res, ref_res in zip(obj_results, rel_results,
                                         as_list(ref['results'])):
        same_objects &= torch.equal(obj_res.labels,
                                    to_ours(ref_res['labels'], num_classes))
        same_objects &= torch.allclose(
            obj_res.bboxes, ref_res['bboxes'], rtol=RTOL, atol=ATOL)
        rows = rows_of_reference_triplets(rel_res, ref_res)
        same_triplets &= rows is not None and ranking_agrees(
            triplet_scores(obj_res, rel_res), rows)
        if rows is None:
            continue
        score_diff = max(score_diff, (obj_res.scores -
                                      ref_res['scores']).abs().max().item(),
                         (rel_res.scores[rows] -
                          ref_res['rel_scores']).abs().max().item())
    diffs.update(
        same_objects=same_objects,
        same_ranked_triplets=same_triplets,
        scores_abs=score_diff)
    return diffs


@pytest.fixture(scope='module')
def data() -> dict:
    return torch.load(FIXTURE, map_location='cpu', weights_only=True)


@pytest.mark.parametrize('mode', MODES)
def test_eval_matches_benchmark(data, mode):
    diffs = eval_differences(data, mode)
    assert diffs['same_pairs']
    assert diffs['same_objects']
    assert diffs['same_ranked_triplets']
    assert diffs['scores_abs'] < ATOL
    assert diffs['rel_logits_close']
    assert mode == 'predcls' or diffs['obj_logits_close']


@pytest.mark.parametrize('mode', MODES)
def test_object_targets_match_benchmark(data, mode):
    head = build_head(data, mode)
    _, objects, samples = make_inputs(data, mode)
    targets = torch.cat(head.object_targets(objects, samples))
    expected = to_ours(data[mode]['train']['obj_targets'],
                       data['sizes']['num_classes'])
    assert torch.equal(targets, expected)


def sample(data: dict, mode: str, sampler: str) -> Tuple[list, list]:
    """Our sampled pairs per image, with the benchmark's seed."""
    head = build_head(data, mode, sampler)
    _, objects, samples = make_inputs(data, mode)
    for obj, target in zip(objects, head.object_targets(objects, samples)):
        obj.gt_labels = target
    torch.manual_seed(data['seeds']['sampling'])
    return head.sample_pairs(objects, samples)


def triplets(pairs: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    return torch.cat([pairs, labels[:, None]], 1)


@pytest.mark.parametrize('mode', MODES)
def test_candidate_pairs_match_benchmark(data, mode):
    """Uncapped sampler: every candidate, foreground in the same order."""
    pairs, labels = sample(data, mode, 'uncapped')
    ref = data[mode]['train']['samples']['uncapped']
    for p, lab, ref_p, ref_lab in zip(pairs, labels, as_list(ref['pairs']),
                                      as_list(ref['labels'])):
        num_fg = int((ref_lab > 0).sum())
        assert torch.equal(
            triplets(p, lab)[:num_fg],
            triplets(ref_p, ref_lab)[:num_fg])
        assert (lab[num_fg:] == 0).all()
        assert sorted(p[num_fg:].tolist()) == sorted(ref_p[num_fg:].tolist())


@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('sampler', ['protocol', 'small'])
def test_sampled_pairs_follow_benchmark(data, mode, sampler):
    """With the same seed the draws are the benchmark's, except for SGDet's
    per-GT-relation draw (numpy there): then counts and candidates agree."""
    pairs, labels = sample(data, mode, sampler)
    ref = data[mode]['train']['samples'][sampler]
    candidates = data[mode]['train']['samples']['uncapped']
    for p, lab, ref_p, ref_lab, cand_p, cand_lab in zip(
            pairs, labels, as_list(ref['pairs']), as_list(ref['labels']),
            as_list(candidates['pairs']), as_list(candidates['labels'])):
        if mode != 'sgdet':
            assert torch.equal(p, ref_p) and torch.equal(lab, ref_lab)
            continue
        assert len(p) == len(ref_p)
        assert int((lab > 0).sum()) == int((ref_lab > 0).sum())
        allowed = {tuple(t) for t in triplets(cand_p, cand_lab).tolist()}
        assert {tuple(t) for t in triplets(p, lab).tolist()} <= allowed


def train_differences(data: dict, mode: str) -> dict:
    """Train-mode forward and losses on the benchmark's sampled pairs (and
    dropout seed); their differences from the benchmark's."""
    head = build_head(data, mode)
    head.train()
    feats, objects, samples = make_inputs(data, mode)
    ref = data[mode]['train']
    ref_pairs = as_list(ref['samples']['protocol']['pairs'])
    ref_labels = as_list(ref['samples']['protocol']['labels'])

    def benchmark_pairs(objects, samples):
        torch.manual_seed(data['seeds']['dropout'])
        return ref_pairs, ref_labels

    head.sample_pairs = benchmark_pairs
    losses = head.loss(feats, objects, samples)
    diffs = dict(
        loss_rel_abs=(losses['loss_rel'] - ref['loss_rel']).abs().item())
    if mode != 'predcls':
        diffs['loss_obj_abs'] = (losses['loss_obj'] -
                                 ref['loss_obj']).abs().item()

    metas = [s.metainfo for s in samples]
    torch.manual_seed(data['seeds']['dropout'])
    out, rel_logits = head.forward_pairs(feats, objects, ref_pairs, metas)
    rel_logits = rel_logits.detach()
    diffs.update(
        rel_logits_close=torch.allclose(
            rel_logits, ref['rel_logits'], rtol=RTOL, atol=ATOL),
        rel_logits_abs=(rel_logits - ref['rel_logits']).abs().max().item(),
        rel_logits_rel=relative_error(rel_logits, ref['rel_logits']))
    if mode != 'predcls':
        obj_logits = out.obj_logits.detach()
        ref_obj = bg_last(ref['obj_logits'])
        diffs.update(
            obj_logits_close=torch.allclose(
                obj_logits, ref_obj, rtol=RTOL, atol=ATOL),
            obj_logits_abs=(obj_logits - ref_obj).abs().max().item(),
            obj_logits_rel=relative_error(obj_logits, ref_obj))
    return diffs


@pytest.mark.parametrize('mode', MODES)
def test_training_forward_and_losses_match_benchmark(data, mode):
    """Given the benchmark's sampled pairs and dropout seed."""
    diffs = train_differences(data, mode)
    assert diffs['loss_rel_abs'] < ATOL
    assert diffs['rel_logits_close']
    if mode != 'predcls':
        assert diffs['loss_obj_abs'] < ATOL
        assert diffs['obj_logits_close']


def test_fpn_levels_match_benchmark(data):
    extractor = MODELS.build(
        head_config(data['sizes'], 'predcls', data['samplers']['protocol'])
        ['obj_feat_extractor']['roi_extractor'])
    boxes = data['levels']['boxes']
    rois = torch.cat([boxes.new_zeros(len(boxes), 1), boxes], dim=1)
    assert torch.equal(
        extractor.map_roi_levels(rois, 4), data['levels']['levels'])


def test_glove_lookup_matches_benchmark(data, tmp_path):
    glove = data['glove']
    dim = glove['vectors'].size(1)
    (tmp_path / f'glove.6B.{dim}d.txt').write_text(glove['text'])
    torch.manual_seed(glove['seed'])
    vectors = load_glove_vectors(str(tmp_path), glove['tokens'], dim)
    assert torch.equal(vectors, glove['vectors'])
