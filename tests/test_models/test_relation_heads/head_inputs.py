"""Tiny inputs and configs shared by the relation head tests."""
import torch
from mmengine.structures import InstanceData

from mmsgg_rde.structures import SceneGraphDataSample

NUM_CLASSES = 6
NUM_PREDICATES = 5
CHANNELS = 8
IMG = 64


def base_head_cfg() -> dict:
    """Arguments of :class:`BaseRelationHead` at tiny widths: 16-d object
    and 12-d union features, 6 training pairs per image."""
    roi = dict(
        type='SingleRoIExtractor',
        roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=0),
        out_channels=CHANNELS,
        featmap_strides=[4, 8, 16, 32])
    return dict(
        num_classes=NUM_CLASSES,
        num_predicates=NUM_PREDICATES,
        obj_feat_extractor=dict(
            type='RoIFeatureExtractor', roi_extractor=roi, fc_out_channels=16),
        union_feat_extractor=dict(
            type='UnionFeatureExtractor',
            roi_extractor=roi,
            fc_out_channels=12),
        train_cfg=dict(
            sampler=dict(type='RelationSampler', num=6, pos_fraction=0.5)))


def feats(batch=2):
    return tuple(
        torch.rand(batch, CHANNELS, IMG // s, IMG // s)
        for s in (4, 8, 16, 32))


def samples_and_objects(mode='predcls'):
    boxes = [
        torch.tensor([[2., 2., 30., 30.], [20., 10., 60., 40.],
                      [5., 40., 25., 62.]]),
        torch.tensor([[0., 0., 40., 40.], [30., 30., 63., 63.]])
    ]
    labels = [torch.tensor([1, 4, 2]), torch.tensor([3, 5])]
    rels = [(torch.tensor([[0, 1], [2, 0]]), torch.tensor([2, 4])),
            (torch.tensor([[1, 0]]), torch.tensor([1]))]
    samples, objects = [], []
    for b, lab, (pairs, rel_labels) in zip(boxes, labels, rels):
        sample = SceneGraphDataSample(
            metainfo=dict(img_shape=(IMG, IMG), scale_factor=(1., 1.)))
        sample.gt_instances = InstanceData(bboxes=b, labels=lab)
        sample.gt_relations = InstanceData(pairs=pairs, labels=rel_labels)
        samples.append(sample)
        obj = InstanceData(bboxes=b, labels=lab, scores=torch.ones(len(b)))
        if mode != 'predcls':
            obj.logits = torch.randn(len(b), NUM_CLASSES + 1)
            obj.labels = obj.logits[:, :NUM_CLASSES].argmax(1)
            obj.scores = obj.logits.softmax(1).max(1)[0]
        objects.append(obj)
    return samples, objects


def sgdet_objects(samples):
    """Detections: the GT boxes and one elsewhere, per-class boxes."""
    objects = []
    for sample in samples:
        boxes = torch.cat(
            [sample.gt_instances.bboxes,
             torch.tensor([[50., 0., 63., 8.]])])
        num = len(boxes)
        logits = torch.randn(num, NUM_CLASSES + 1)
        objects.append(
            InstanceData(
                bboxes=boxes,
                labels=logits[:, :NUM_CLASSES].argmax(1),
                scores=torch.rand(num),
                logits=logits,
                assigned_labels=torch.cat(
                    [sample.gt_instances.labels,
                     torch.tensor([NUM_CLASSES])]),
                bboxes_per_cls=boxes[:, None].repeat(1, NUM_CLASSES, 1) +
                torch.rand(num, NUM_CLASSES, 4)))
    return objects


def mode_inputs(mode):
    """Samples and the objects a head gets in ``mode``."""
    samples, objects = samples_and_objects(mode)
    if mode == 'sgdet':
        objects = sgdet_objects(samples)
    return samples, objects
