"""The frequency prior baseline: predicates from (subject, object) counts.

It predicts, for every ordered pair of GT objects, the train-split predicate
distribution of its (subject class, object class): softmax of the log
frequency bias. This is the "FREQ" baseline of Motifs in PredCls, and the
bar every trained relation head has to clear.
"""
from typing import Dict, Optional

import numpy as np
import torch
from mmdet.registry import DATASETS, METRICS
from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.structures import InstanceData

from mmsgg_rde.structures import SceneGraphDataSample

__all__ = ['frequency_prior_sample', 'evaluate_frequency_prior']


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
    num = labels.numel()
    sub, obj = torch.meshgrid(
        torch.arange(num), torch.arange(num), indexing='ij')
    keep = sub != obj
    pairs = torch.stack([sub[keep], obj[keep]], dim=1)
    logits = torch.as_tensor(pred_dist)[labels[pairs[:, 0]], labels[pairs[:,
                                                                          1]]]
    scores = logits.float().softmax(dim=-1)
    fg_scores, fg_labels = scores[:, 1:].max(dim=1)
    order = torch.argsort(fg_scores, descending=True, stable=True)

    sample = SceneGraphDataSample(metainfo=dict(img_id=data_info['img_id']))
    sample.gt_instances = InstanceData(bboxes=bboxes, labels=labels)
    sample.gt_relations = InstanceData(
        pairs=relations[:, :2].reshape(-1, 2), labels=relations[:, 2])
    sample.pred_instances = InstanceData(
        bboxes=bboxes, labels=labels, scores=torch.ones(num))
    sample.pred_relations = InstanceData(
        pairs=pairs[order], scores=scores[order], labels=fg_labels[order] + 1)
    return sample


def evaluate_frequency_prior(cfg: Config,
                             split_cfg: str = 'test_dataloader',
                             evaluator: Optional[dict] = None
                             ) -> Dict[str, float]:
    """Evaluate the frequency prior on the dataset of a config.

    The statistics are counted on the train split of the same files (the
    train dataset's :meth:`get_statistics`); the metric defaults to
    ``SceneGraphMetric`` in PredCls mode.

    Args:
        cfg: A config with ``train_dataloader`` and ``split_cfg``.
        split_cfg: The dataloader whose dataset is evaluated.
        evaluator: Metric config; defaults to ``SceneGraphMetric`` PredCls.

    Returns:
        dict: The metric values, names prefixed with ``predcls/``.
    """
    train_set = DATASETS.build({
        **cfg.train_dataloader.dataset, 'pipeline': [],
        'lazy_init': True
    })
    pred_dist = train_set.get_statistics()['pred_dist']
    dataset = DATASETS.build({**cfg[split_cfg].dataset, 'pipeline': []})
    metric = METRICS.build(
        evaluator or dict(type='SceneGraphMetric', mode='predcls'))
    metric.dataset_meta = dataset.metainfo
    for idx in range(len(dataset)):
        sample = frequency_prior_sample(dataset.get_data_info(idx), pred_dist)
        metric.process({}, [sample.to_dict()])
    print_log(
        f'Frequency prior on {len(dataset)} images of {split_cfg}',
        logger='current')
    return metric.evaluate(len(dataset))
