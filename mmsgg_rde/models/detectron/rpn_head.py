"""RPN proposals selected per FPN level, as Detectron and the benchmark do."""
from typing import List, Optional

import torch
from mmcv.ops import nms
from mmdet.models.dense_heads import RPNHead
from mmdet.registry import MODELS
from mmdet.structures.bbox import scale_boxes
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData
from torch import Tensor

__all__ = ['DetectronRPNHead']


def _top(scores: Tensor, num: int) -> Tensor:
    """Indices of the ``num`` highest scores, sorted (all when num <= 0)."""
    if num <= 0 or num >= scores.numel():
        num = scores.numel()
    return scores.topk(num, sorted=True)[1]


@MODELS.register_module()
class DetectronRPNHead(RPNHead):
    """mmdet's RPN head with the benchmark's proposal selection.

    Per FPN level and image: the ``nms_pre`` highest objectness scores,
    decoded and clipped; boxes narrower or lower than ``min_bbox_size``
    (inclusive pixel sizes, ``x2 - x1 + 1``) dropped; NMS with
    ``nms.iou_threshold`` and ``nms.offset`` (1: "+1" areas); the
    ``max_per_level`` best of that level kept. Then the ``max_per_img`` best
    over all levels. mmdet's ``RPNHead`` has no per-level cap, drops boxes
    of zero width (``min_bbox_size=0``) and runs the levels' NMS on
    shifted coordinates.

    Training is mmdet's ``RPNHead.loss``. Config keys read from the
    proposal/test config: ``nms_pre``, ``max_per_level`` (-1: no cap),
    ``max_per_img``, ``nms=dict(type='nms', iou_threshold, offset)`` and
    ``min_bbox_size`` (-1: keep all).
    """

    def _predict_by_feat_single(self,
                                cls_score_list: List[Tensor],
                                bbox_pred_list: List[Tensor],
                                score_factor_list: List[Tensor],
                                mlvl_priors: List[Tensor],
                                img_meta: dict,
                                cfg: Optional[ConfigDict],
                                rescale: bool = False,
                                with_nms: bool = True) -> InstanceData:
        """Proposals of one image; see the class docstring."""
        cfg = self.test_cfg if cfg is None else cfg
        nms_cfg = dict(cfg.nms)
        if nms_cfg.pop('type', 'nms') != 'nms':
            raise ValueError('DetectronRPNHead runs plain NMS: set '
                             "nms=dict(type='nms', iou_threshold=..., "
                             'offset=...) in the RPN test/proposal config.')
        img_shape = img_meta['img_shape']
        min_size = cfg.get('min_bbox_size', -1)
        boxes_all, scores_all = [], []
        for cls_score, bbox_pred, priors in zip(cls_score_list, bbox_pred_list,
                                                mlvl_priors):
            scores = cls_score.permute(1, 2, 0).reshape(-1).sigmoid()
            bbox_pred = bbox_pred.permute(1, 2, 0).reshape(-1, 4)
            top = _top(scores, cfg.get('nms_pre', -1))
            scores = scores[top]
            boxes = self.bbox_coder.decode(
                priors[top], bbox_pred[top], max_shape=img_shape)
            if min_size >= 0:
                keep = ((boxes[:, 2] - boxes[:, 0] + 1 >= min_size) &
                        (boxes[:, 3] - boxes[:, 1] + 1 >= min_size))
                boxes, scores = boxes[keep], scores[keep]
            if boxes.numel() > 0:
                _, keep = nms(boxes, scores, **nms_cfg)
                max_per_level = cfg.get('max_per_level', -1)
                if max_per_level > 0:
                    keep = keep[:max_per_level]
                boxes, scores = boxes[keep], scores[keep]
            boxes_all.append(boxes)
            scores_all.append(scores)
        boxes = torch.cat(boxes_all)
        scores = torch.cat(scores_all)
        top = _top(scores, cfg.max_per_img)
        results = InstanceData(
            bboxes=boxes[top],
            scores=scores[top],
            labels=scores.new_zeros(top.numel(), dtype=torch.long))
        if rescale:
            results.bboxes = scale_boxes(
                results.bboxes, [1 / s for s in img_meta['scale_factor']])
        return results
