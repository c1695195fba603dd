"""The frequency prior baseline: predicates from (subject, object) counts.

It predicts, for every ordered pair of objects, the train-split predicate
distribution of its (subject class, object class): softmax of the log
frequency bias. This is the "FREQ" baseline of Motifs, and the bar every
trained relation head has to clear. In PredCls the objects are the GT
objects; in SGCls and SGDet they are what the config's detector gives the
relation head (the GT boxes labelled by its box head, or its detections),
with the detector's labels and scores, so that the prior and a relation
head are evaluated on the same objects.
"""
from typing import Dict, Optional

import numpy as np
import torch
from mmdet.registry import DATASETS, METRICS, MODELS
from mmengine.config import Config
from mmengine.device import get_device
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData
from torch import Tensor

from mmsgg_rde.engine import SceneGraphRunner
from mmsgg_rde.structures import SceneGraphDataSample

__all__ = [
    'frequency_prior_relations', 'frequency_prior_sample',
    'evaluate_frequency_prior'
]


def frequency_prior_relations(labels: Tensor, scores: Tensor,
                              pred_dist: np.ndarray) -> InstanceData:
    """The prior's relations among one image's objects.

    Every ordered pair i != j gets the softmax of ``pred_dist`` at its two
    labels; pairs are ranked by triplet score (best foreground predicate
    score x subject score x object score), as a relation head ranks them.

    Args:
        labels: (N,) object classes.
        scores: (N,) object scores (1 for GT objects).
        pred_dist: (C, C, P) log frequency bias from the train statistics.

    Returns:
        InstanceData: ``pairs`` (K, 2), ``scores`` (K, P) and ``labels``
        (K,) best foreground predicate, rows sorted by triplet score.
    """
    labels = labels.long().cpu()
    scores = scores.float().cpu()
    num = labels.numel()
    sub, obj = torch.meshgrid(
        torch.arange(num), torch.arange(num), indexing='ij')
    keep = sub != obj
    pairs = torch.stack([sub[keep], obj[keep]], dim=1)
    logits = torch.as_tensor(pred_dist)[labels[pairs[:, 0]], labels[pairs[:,
                                                                          1]]]
    rel_scores = logits.float().softmax(dim=-1)
    fg_scores, fg_labels = rel_scores[:, 1:].max(dim=1)
    triplet = fg_scores * scores[pairs[:, 0]] * scores[pairs[:, 1]]
    order = torch.argsort(triplet, descending=True, stable=True)
    return InstanceData(
        pairs=pairs[order],
        scores=rel_scores[order],
        labels=fg_labels[order] + 1)


def frequency_prior_sample(data_info: dict,
                           pred_dist: np.ndarray) -> SceneGraphDataSample:
    """PredCls prediction of the frequency prior for one image.

    Args:
        data_info: A :class:`VG150Dataset` data info (``bboxes``,
            ``bbox_labels``, ``relations``).
        pred_dist: (C, C, P) log frequency bias from the train statistics.

    Returns:
        SceneGraphDataSample: GT and predictions in original pixels.
    """
    bboxes = torch.as_tensor(data_info['bboxes'], dtype=torch.float32)
    labels = torch.as_tensor(data_info['bbox_labels'], dtype=torch.long)
    relations = torch.as_tensor(data_info['relations'], dtype=torch.long)
    scores = torch.ones(labels.numel())
    sample = SceneGraphDataSample(metainfo=dict(img_id=data_info['img_id']))
    sample.gt_instances = InstanceData(bboxes=bboxes, labels=labels)
    sample.gt_relations = InstanceData(
        pairs=relations[:, :2].reshape(-1, 2), labels=relations[:, 2])
    sample.pred_instances = InstanceData(
        bboxes=bboxes, labels=labels, scores=scores)
    sample.pred_relations = frequency_prior_relations(labels, scores,
                                                      pred_dist)
    return sample


def _process_predcls(cfg: Config, split_cfg: str, metric: BaseMetric,
                     pred_dist: np.ndarray) -> int:
    """Feed the prior on the GT objects of every image to ``metric``."""
    dataset = DATASETS.build({**cfg[split_cfg].dataset, 'pipeline': []})
    metric.dataset_meta = dataset.metainfo
    for idx in range(len(dataset)):
        sample = frequency_prior_sample(dataset.get_data_info(idx), pred_dist)
        metric.process({}, [sample.to_dict()])
    return len(dataset)


@torch.no_grad()
def _process_detections(cfg: Config, split_cfg: str, metric: BaseMetric,
                        pred_dist: np.ndarray) -> int:
    """Feed the prior on the detector's objects of every image to ``metric``.

    The model of ``cfg`` is built and initialised (which loads its
    ``detector_checkpoint``); its :meth:`SceneGraphRCNN.predict_objects`
    gives the objects of the config's mode.
    """
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.to(get_device()).eval()
    loader = SceneGraphRunner.build_dataloader(cfg[split_cfg])
    metric.dataset_meta = loader.dataset.metainfo
    for data in loader:
        data = model.data_preprocessor(data, False)
        samples = data['data_samples']
        objects = model.predict_objects(data['inputs'], samples)
        for sample, obj in zip(samples, objects):
            sample.pred_instances = InstanceData(
                bboxes=obj.bboxes, labels=obj.labels, scores=obj.scores)
            sample.pred_relations = frequency_prior_relations(
                obj.labels, obj.scores, pred_dist)
        metric.process({}, [s.cpu().to_dict() for s in samples])
    return len(loader.dataset)


def evaluate_frequency_prior(cfg: Config,
                             split_cfg: str = 'test_dataloader',
                             evaluator: Optional[dict] = None
                             ) -> Dict[str, float]:
    """Evaluate the frequency prior on the dataset of a config.

    The statistics are counted on the train split of the same files (the
    train dataset's :meth:`get_statistics`). The objects are those of the
    config's ``model.mode``: the GT objects in PredCls; in SGCls/SGDet the
    objects the config's detector (``model.detector_checkpoint``) gives its
    relation head.

    Args:
        cfg: A config with ``train_dataloader`` and ``split_cfg`` (and in
            SGCls/SGDet a ``SceneGraphRCNN`` model with its detector).
        split_cfg: The dataloader whose dataset is evaluated.
        evaluator: Metric config; defaults to ``SceneGraphMetric`` in the
            model's mode.

    Returns:
        dict: The metric values, names prefixed with the mode
        (``predcls/``, ``sgcls/`` or ``sgdet/``).
    """
    mode = cfg.get('model', {}).get('mode', 'predcls')
    train_set = DATASETS.build({
        **cfg.train_dataloader.dataset, 'pipeline': [],
        'lazy_init': True
    })
    pred_dist = train_set.get_statistics()['pred_dist']
    metric = METRICS.build(
        evaluator or dict(type='SceneGraphMetric', mode=mode))
    process = _process_predcls if mode == 'predcls' else _process_detections
    num_images = process(cfg, split_cfg, metric, pred_dist)
    print_log(
        f'Frequency prior ({mode}) on {num_images} images of {split_cfg}',
        logger='current')
    return metric.evaluate(num_images)
