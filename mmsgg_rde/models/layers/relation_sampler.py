"""Training pair sampling and relation target assignment."""
from typing import Tuple

import torch
from mmdet.registry import TASK_UTILS
from mmdet.structures.bbox import bbox_overlaps
from torch import Tensor

__all__ = ['all_pairs', 'match_detections', 'RelationSampler']


def all_pairs(num_objs: int, device: torch.device) -> Tensor:
    """All ordered pairs (i, j), i != j, of ``num_objs`` objects.

    Returns:
        Tensor: (num_objs * (num_objs - 1), 2) long, row-major in (i, j).
    """
    idx = torch.arange(num_objs, device=device)
    sub, obj = torch.meshgrid(idx, idx, indexing='ij')
    keep = sub != obj
    return torch.stack([sub[keep], obj[keep]], dim=1)


def match_detections(det_bboxes: Tensor, det_labels: Tensor, gt_bboxes: Tensor,
                     gt_labels: Tensor,
                     iou_threshold: float) -> Tuple[Tensor, Tensor]:
    """Match detections to GT objects of the same class.

    Args:
        det_bboxes (Tensor): (D, 4) detected boxes.
        det_labels (Tensor): (D,) detected classes.
        gt_bboxes (Tensor): (G, 4) GT boxes.
        gt_labels (Tensor): (G,) GT classes.
        iou_threshold (float): Minimum IoU of a match.

    Returns:
        tuple[Tensor, Tensor]: (G, D) bool matches (same class and
        IoU >= ``iou_threshold``) and the (G, D) IoUs.
    """
    ious = bbox_overlaps(gt_bboxes, det_bboxes)
    is_match = (gt_labels[:, None] == det_labels[None]) & (
        ious >= iou_threshold)
    return is_match, ious


def _random_subset(rows: Tensor, num: int) -> Tensor:
    """At most ``num`` rows of ``rows``, drawn without replacement."""
    if rows.size(0) <= num:
        return rows
    return rows[torch.randperm(rows.size(0), device=rows.device)[:num]]


@TASK_UTILS.register_module()
class RelationSampler:
    """Sample foreground and background object pairs for training.

    Foreground pairs carry a predicate label 1..num_predicates-1, background
    pairs label 0. Each image gets at most ``num`` pairs, of which at most
    ``int(num * pos_fraction)`` foreground; the rest are background ordered
    pairs (i != j) drawn at random.

    Args:
        num (int): Maximum pairs per image. Defaults to 1024.
        pos_fraction (float): Maximum foreground fraction. Defaults to 0.25.
        iou_threshold (float): SGDet: IoU for a detection to match a GT
            object of its class. Defaults to 0.5.
        num_sample_per_gt_rel (int): SGDet: maximum detection pairs
            labelled by one GT relation. Defaults to 4.
    """

    def __init__(self,
                 num: int = 1024,
                 pos_fraction: float = 0.25,
                 iou_threshold: float = 0.5,
                 num_sample_per_gt_rel: int = 4) -> None:
        if not 0 <= pos_fraction <= 1:
            raise ValueError(
                f'pos_fraction={pos_fraction} must be in [0, 1] (relation '
                'sampler config).')
        self.num = num
        self.num_pos = int(num * pos_fraction)
        self.iou_threshold = iou_threshold
        self.num_sample_per_gt_rel = num_sample_per_gt_rel

    def _add_background(self, fg: Tensor, possible: Tensor) -> Tensor:
        """Append background pairs drawn from the ``possible`` mask."""
        fg = _random_subset(fg, self.num_pos)
        bg_pairs = _random_subset(possible.nonzero(), self.num - fg.size(0))
        bg = torch.cat([bg_pairs, bg_pairs.new_zeros(bg_pairs.size(0), 1)], 1)
        return torch.cat([fg, bg])

    def sample(self, num_objs: int, gt_pairs: Tensor,
               gt_rel_labels: Tensor) -> Tuple[Tensor, Tensor]:
        """Sample pairs of GT objects (PredCls/SGCls).

        A pair with several GT predicates keeps its first one.

        Args:
            num_objs (int): Number of objects of the image.
            gt_pairs (Tensor): (R, 2) subject/object indices.
            gt_rel_labels (Tensor): (R,) predicates 1..P-1.

        Returns:
            tuple[Tensor, Tensor]: (K, 2) long pairs and (K,) long labels,
            foreground first.
        """
        device = gt_pairs.device
        gt_pairs = gt_pairs.long()
        possible = ~torch.eye(num_objs, dtype=torch.bool, device=device)
        fg = []
        for (sub, obj), label in zip(gt_pairs.tolist(),
                                     gt_rel_labels.tolist()):
            if possible[sub, obj]:
                possible[sub, obj] = False
                fg.append((sub, obj, label))
        fg = torch.tensor(fg, dtype=torch.long, device=device).view(-1, 3)
        triplets = self._add_background(fg, possible)
        return triplets[:, :2], triplets[:, 2]

    def sample_detections(self, det_bboxes: Tensor, det_labels: Tensor,
                          gt_bboxes: Tensor, gt_labels: Tensor,
                          gt_pairs: Tensor,
                          gt_rel_labels: Tensor) -> Tuple[Tensor, Tensor]:
        """Sample pairs of detections (SGDet).

        A detection pair is foreground for a GT relation when the subject and
        object detections each match the GT subject and object (same class,
        IoU >= ``iou_threshold``); at most ``num_sample_per_gt_rel`` such
        pairs per GT relation, drawn with probability proportional to the
        product of both IoUs. Every other ordered pair is background.

        Args:
            det_bboxes (Tensor): (D, 4) detected boxes.
            det_labels (Tensor): (D,) detected classes.
            gt_bboxes (Tensor): (G, 4) GT boxes.
            gt_labels (Tensor): (G,) GT classes.
            gt_pairs (Tensor): (R, 2) GT subject/object indices.
            gt_rel_labels (Tensor): (R,) GT predicates.

        Returns:
            tuple[Tensor, Tensor]: (K, 2) long detection pairs and (K,) long
            labels, foreground first.
        """
        device = det_bboxes.device
        is_match, ious = match_detections(det_bboxes, det_labels, gt_bboxes,
                                          gt_labels, self.iou_threshold)
        possible = ~torch.eye(
            det_bboxes.size(0), dtype=torch.bool, device=device)
        fg = []
        for (sub, obj), label in zip(gt_pairs.long().tolist(),
                                     gt_rel_labels.tolist()):
            heads = is_match[sub].nonzero().view(-1, 1)
            tails = is_match[obj].nonzero().view(1, -1)
            heads, tails = torch.broadcast_tensors(heads, tails)
            valid = heads != tails
            heads, tails = heads[valid], tails[valid]
            if heads.numel() == 0:
                continue
            possible[heads, tails] = False
            if heads.numel() > self.num_sample_per_gt_rel:
                weight = ious[sub, heads] * ious[obj, tails]
                keep = torch.multinomial(weight, self.num_sample_per_gt_rel)
                heads, tails = heads[keep], tails[keep]
            fg.append(
                torch.stack([heads, tails,
                             torch.full_like(heads, label)], 1))
        fg = torch.cat(fg) if fg else torch.zeros(
            (0, 3), dtype=torch.long, device=device)
        triplets = self._add_background(fg, possible)
        return triplets[:, :2], triplets[:, 2]
