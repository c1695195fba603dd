"""Training pair sampling and relation target assignment."""
from typing import Tuple

import torch
from mmdet.registry import TASK_UTILS
from torch import Tensor

from ..detectron import pixel_box_iou

__all__ = ['all_pairs', 'unique_relations', 'RelationSampler']


def all_pairs(num_objs: int, device: torch.device) -> Tensor:
    """All ordered pairs (i, j), i != j, of ``num_objs`` objects.

    Returns:
        Tensor: (num_objs * (num_objs - 1), 2) long, row-major in (i, j).
    """
    idx = torch.arange(num_objs, device=device)
    sub, obj = torch.meshgrid(idx, idx, indexing='ij')
    keep = sub != obj
    return torch.stack([sub[keep], obj[keep]], dim=1)


def unique_relations(num_objs: int, pairs: Tensor,
                     labels: Tensor) -> Tuple[Tensor, Tensor]:
    """GT relations as the benchmark's relation matrix holds them.

    One relation per (subject, object) pair, the first given for a pair that
    appears several times (training data have none: the dataset keeps one
    at random), sorted row-major by (subject, object).

    Args:
        num_objs (int): Number of objects of the image.
        pairs (Tensor): (R, 2) subject/object indices.
        labels (Tensor): (R,) predicates.

    Returns:
        tuple[Tensor, Tensor]: (R', 2) long pairs and (R',) long labels.
    """
    pairs = pairs.long().view(-1, 2)
    keys = pairs[:, 0] * num_objs + pairs[:, 1]
    order = keys.argsort(stable=True)
    sorted_keys = keys[order]
    first = torch.ones_like(sorted_keys, dtype=torch.bool)
    first[1:] = sorted_keys[1:] != sorted_keys[:-1]
    keep = order[first]
    return pairs[keep], labels.long().view(-1)[keep]


def _weighted_subset(groups: Tensor, weights: Tensor, num: int) -> Tensor:
    """Per group, at most ``num`` members drawn without replacement.

    Members are drawn with probability proportional to ``weights`` one
    after the other (Efraimidis-Spirakis keys, the distribution of
    ``numpy.random.choice(p=..., replace=False)``).

    Args:
        groups (Tensor): (M,) sorted group ids.
        weights (Tensor): (M,) positive weights.
        num (int): Members kept per group.

    Returns:
        Tensor: Bool mask of the kept members.
    """
    keys = torch.rand_like(weights).log() / weights
    order = keys.argsort(descending=True, stable=True)
    order = order[groups[order].argsort(stable=True)]
    counts = torch.bincount(groups)
    starts = counts.cumsum(0) - counts
    rank = torch.empty_like(order)
    rank[order] = torch.arange(order.numel(), device=order.device)
    keep = (rank - starts[groups]) < num
    return keep


@TASK_UTILS.register_module()
class RelationSampler:
    """Sample foreground and background object pairs for training.

    The scene graph benchmark's rules (``RelationSampling``): foreground
    pairs carry a predicate label 1..num_predicates-1, background pairs
    label 0. Each image gets at most ``int(num * pos_fraction)`` foreground
    pairs (drawn at random if there are more) and background pairs up to
    ``num`` in total, drawn at random from the candidates.

    Args:
        num (int): Pairs per image. Defaults to 1024.
        pos_fraction (float): Maximum foreground fraction. Defaults to 0.25.
        iou_threshold (float): SGDet: a detection pair stands for a GT
            relation if both boxes overlap the GT boxes with IoU > this.
            Defaults to 0.5.
        num_sample_per_gt_rel (int): SGDet: maximum detection pairs
            labelled by one GT relation. Defaults to 4.
        require_overlap (bool): SGDet: background pairs only between
            detections whose boxes overlap (0 < IoU < 1). The benchmark's
            relation config sets False. Defaults to False.
    """

    def __init__(self,
                 num: int = 1024,
                 pos_fraction: float = 0.25,
                 iou_threshold: float = 0.5,
                 num_sample_per_gt_rel: int = 4,
                 require_overlap: bool = False) -> None:
        if not 0 <= pos_fraction <= 1:
            raise ValueError(
                f'pos_fraction={pos_fraction} must be in [0, 1] (relation '
                'sampler config).')
        self.num = num
        self.num_pos = int(num * pos_fraction)
        self.iou_threshold = iou_threshold
        self.num_sample_per_gt_rel = num_sample_per_gt_rel
        self.require_overlap = require_overlap

    def _subsample(self, fg: Tensor, possible: Tensor) -> Tensor:
        """At most ``num_pos`` of the (F, 3) ``fg`` triplets, then background
        pairs of the ``possible`` mask up to ``num``, in the benchmark's
        order of random draws."""
        if fg.size(0) > self.num_pos:
            fg = fg[torch.randperm(fg.size(0),
                                   device=fg.device)[:self.num_pos]]
        bg = possible.nonzero()
        bg = bg[torch.randperm(bg.size(0),
                               device=bg.device)[:self.num - fg.size(0)]]
        bg = torch.cat([bg, bg.new_zeros(bg.size(0), 1)], dim=1)
        return torch.cat([fg, bg])

    def sample(self, num_objs: int, gt_pairs: Tensor,
               gt_rel_labels: Tensor) -> Tuple[Tensor, Tensor]:
        """Sample pairs of GT objects (PredCls/SGCls).

        Foreground: the GT relations (:func:`unique_relations`); background:
        every other ordered pair i != j.

        Args:
            num_objs (int): Number of objects of the image.
            gt_pairs (Tensor): (R, 2) subject/object indices.
            gt_rel_labels (Tensor): (R,) predicates 1..P-1.

        Returns:
            tuple[Tensor, Tensor]: (K, 2) long pairs and (K,) long labels,
            foreground first.
        """
        pairs, labels = unique_relations(num_objs, gt_pairs, gt_rel_labels)
        possible = ~torch.eye(num_objs, dtype=torch.bool, device=pairs.device)
        possible[pairs[:, 0], pairs[:, 1]] = False
        triplets = self._subsample(
            torch.cat([pairs, labels[:, None]], 1), possible)
        return triplets[:, :2], triplets[:, 2]

    def _matches(self, ious: Tensor, det_targets: Tensor,
                 gt_labels: Tensor) -> Tensor:
        """(G, D) GT objects each detection stands for: same class, IoU
        above ``iou_threshold``."""
        return (gt_labels[:, None].long() == det_targets[None]) & (
            ious > self.iou_threshold)

    def detection_matches(self, det_bboxes: Tensor, det_targets: Tensor,
                          gt_bboxes: Tensor, gt_labels: Tensor) -> Tensor:
        """(G, D) bool: the GT objects each detection stands for, as in
        :meth:`sample_detections` (the benchmark's ``is_match``)."""
        return self._matches(
            pixel_box_iou(gt_bboxes, det_bboxes), det_targets, gt_labels)

    def sample_detections(self, det_bboxes: Tensor, det_targets: Tensor,
                          gt_bboxes: Tensor, gt_labels: Tensor,
                          gt_pairs: Tensor, gt_rel_labels: Tensor,
                          bg_label: int) -> Tuple[Tensor, Tensor]:
        """Sample pairs of detections (SGDet).

        A detection stands for a GT object if its class target (the class of
        the GT box its proposal overlaps most, SceneGraphRCNN's
        ``assigned_labels``) is that object's class and its box overlaps it
        with IoU > ``iou_threshold``. A pair of distinct
        detections standing for a GT relation's subject and object is
        foreground with its predicate; at most ``num_sample_per_gt_rel`` per
        GT relation, drawn with probability proportional to the product of
        both IoUs. Background: the other ordered pairs of foreground
        detections (``require_overlap``: whose boxes overlap). An image with
        neither gets the pair (0, 0) with label 0.

        Args:
            det_bboxes (Tensor): (D, 4) detected boxes.
            det_targets (Tensor): (D,) class targets of the detections.
            gt_bboxes (Tensor): (G, 4) GT boxes.
            gt_labels (Tensor): (G,) GT classes.
            gt_pairs (Tensor): (R, 2) GT subject/object indices.
            gt_rel_labels (Tensor): (R,) GT predicates.
            bg_label (int): Class target of background detections.

        Returns:
            tuple[Tensor, Tensor]: (K, 2) long detection pairs and (K,) long
            labels, foreground first.
        """
        device = det_bboxes.device
        num_dets = det_bboxes.size(0)
        ious = pixel_box_iou(gt_bboxes, det_bboxes)
        is_match = self._matches(ious, det_targets, gt_labels)
        not_self = ~torch.eye(num_dets, dtype=torch.bool, device=device)
        if self.require_overlap:
            self_ious = pixel_box_iou(det_bboxes, det_bboxes)
            possible = (self_ious > 0) & (self_ious < 1)
        else:
            possible = not_self.clone()
        is_fg = det_targets != bg_label
        possible &= is_fg[:, None] & is_fg[None]

        pairs, labels = unique_relations(
            gt_bboxes.size(0), gt_pairs, gt_rel_labels)
        # (R, D, D): detection pairs standing for each GT relation.
        combos = (
            is_match[pairs[:, 0], :, None]
            & is_match[pairs[:, 1], None, :] & not_self)
        possible &= ~combos.any(0)
        rel, heads, tails = combos.nonzero(as_tuple=True)
        counts = torch.bincount(rel, minlength=pairs.size(0))
        if (counts > self.num_sample_per_gt_rel).any():
            weights = ious[pairs[rel, 0], heads] * ious[pairs[rel, 1], tails]
            keep = _weighted_subset(rel, weights, self.num_sample_per_gt_rel)
            rel, heads, tails = rel[keep], heads[keep], tails[keep]
        fg = torch.stack([heads, tails, labels[rel]], dim=1)
        triplets = self._subsample(fg, possible)
        if triplets.size(0) == 0 and num_dets:
            triplets = triplets.new_zeros(1, 3)
        return triplets[:, :2], triplets[:, 2]
