"""VCTree's trees: learned pair scores and maximum spanning trees."""
import logging
import math
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmcv.cnn import build_norm_layer
from mmdet.registry import MODELS
from mmengine.logging import print_log
from mmengine.model import BaseModule
from torch import Tensor, nn

__all__ = ['overlap_info', 'VCTreePairScorer', 'max_spanning_trees']


def overlap_info(bboxes: Tensor, scale: float = 1024.0) -> Tensor:
    """Describe how each box overlaps the others of its image (6 numbers).

    As the scene graph benchmark's ``get_overlap_info`` (intersections and
    IoUs with "+1" pixel sizes, every box counted with itself): the number
    of boxes it intersects, its summed intersection area / scale^2, its
    summed IoU, those two sums per intersecting box, and its area
    (without "+1") / scale^2.

    Args:
        bboxes (Tensor): (n, 4) xyxy boxes of one image.
        scale (float): Area normaliser's side. Defaults to 1024 (the
            benchmark's ``IM_SCALE``).

    Returns:
        Tensor: (n, 6) descriptors.
    """
    size = bboxes[:, 2:] - bboxes[:, :2]
    wh = (bboxes[:, None, 2:].minimum(bboxes[None, :, 2:]) -
          bboxes[:, None, :2].maximum(bboxes[None, :, :2]) + 1.0).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    areas = (size[:, 0] + 1.0) * (size[:, 1] + 1.0)
    iou = inter / (areas[:, None] + areas[None, :] - inter + 1e-9)
    count = (inter > 0.0).float().sum(1)
    inter_sum = inter.sum(1) / (scale * scale)
    iou_sum = iou.sum(1)
    return torch.stack([
        count, inter_sum, iou_sum, inter_sum / (count + 1e-9), iou_sum /
        (count + 1e-9), size[:, 0] * size[:, 1] / (scale * scale)
    ], 1)


def _linear_norm_relu(in_channels: int, out_channels: int,
                      norm_cfg: dict) -> nn.Sequential:
    """Linear, norm, ReLU."""
    return nn.Sequential(
        nn.Linear(in_channels, out_channels),
        build_norm_layer(norm_cfg, out_channels)[1], nn.ReLU(inplace=True))


@MODELS.register_module()
class VCTreePairScorer(BaseModule):
    """VCTree's learned score of every ordered pair of objects of an image.

    Each object gets a 4 x 128 vector (its RoI feature, class embedding, box
    numbers and :func:`overlap_info`, each reduced to 128) mapped to a
    ``hidden`` vector and from there to a "subject" and an "object"
    vector. The logit of the pair (row i, column j) is ``sigmoid(v) * co``:
    ``co`` a learned class co-occurrence prior (``pair_prior``) under the
    two objects' class distributions (``p_i^T P p_j``), ``v`` a linear
    function of ``[subj_j * obj_i, subj_j, obj_i, co]``. Its sigmoid is the
    score the trees maximise; the logit feeds the auxiliary loss.

    Args:
        feat_channels (int): RoI feature size.
        embed_dim (int): Class embedding size.
        hidden_channels (int): Hidden size.
        num_classes (int): Object classes; the prior is over
            ``num_classes + 1`` (background last).
        reduce_channels (int): Size of each reduced input. Defaults to 128.
        norm_cfg (dict): Norm of the box and overlap embeddings. Defaults to
            ``dict(type='BN1d', momentum=0.001)``.
        eps (float): The statistics' ``eps`` (:meth:`set_prior`). Defaults
            to 1e-3.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 feat_channels: int,
                 embed_dim: int,
                 hidden_channels: int,
                 num_classes: int,
                 reduce_channels: int = 128,
                 norm_cfg: dict = dict(type='BN1d', momentum=0.001),
                 eps: float = 1e-3,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.num_classes = num_classes
        self.eps = eps
        self.box_embed = _linear_norm_relu(9, reduce_channels, norm_cfg)
        self.overlap_embed = _linear_norm_relu(6, reduce_channels, norm_cfg)
        self.obj_reduce = nn.Linear(feat_channels, reduce_channels)
        self.emb_reduce = nn.Linear(embed_dim, reduce_channels)
        self.score_pre = nn.Linear(4 * reduce_channels, hidden_channels)
        self.score_sub = nn.Linear(hidden_channels, hidden_channels)
        self.score_obj = nn.Linear(hidden_channels, hidden_channels)
        self.vision_prior = nn.Linear(3 * hidden_channels + 1, 1)
        self.pair_prior = nn.Parameter(
            torch.zeros(num_classes + 1, num_classes + 1))
        self._prior: Optional[Tensor] = None

    def set_prior(self, pred_dist: Union[Tensor, np.ndarray]) -> None:
        """Initialise ``pair_prior`` from the dataset's predicate log-prior.

        As the benchmark: ``co[s, o] = sum_p pred_dist[s, o, p]`` over its
        151 x 151 table (pairs with background have ``log(1 + eps)`` for
        "no relation" and ``log(eps)`` for each predicate), symmetrised
        (``co + co^T``). Like :meth:`FrequencyBias.set_prior`, only
        :meth:`init_weights` puts it into ``pair_prior``: a trained
        ``pair_prior`` is never reset by a prior given again.

        Args:
            pred_dist: (num_classes, num_classes, num_predicates) log-prior,
                e.g. ``dataset.get_statistics()['pred_dist']``.
        """
        prior = torch.as_tensor(np.asarray(pred_dist), dtype=torch.float32)
        num = self.num_classes
        if prior.dim() != 3 or tuple(prior.shape[:2]) != (num, num):
            raise ValueError(
                f'pred_dist has shape {tuple(prior.shape)}, expected '
                f'({num}, {num}, num_predicates); check that the dataset '
                'statistics match num_classes of the relation head.')
        table = prior.new_full((num + 1, num + 1, prior.size(2)),
                               math.log(self.eps))
        table[..., 0] = math.log(1 + self.eps)
        table[:num, :num] = prior
        co = table.sum(-1)
        self._prior = co + co.t()

    def init_weights(self) -> None:
        """Xavier normal reductions and score layers (zero biases), then
        the prior of :meth:`set_prior` if given."""
        super().init_weights()
        for layer in (self.obj_reduce, self.emb_reduce, self.score_pre,
                      self.score_sub, self.score_obj):
            nn.init.xavier_normal_(layer.weight)
            nn.init.zeros_(layer.bias)
        if self._prior is None:
            print_log(
                'VCTreePairScorer: no dataset statistics given (set_prior, '
                'which DatasetPriorHook should call); pair_prior keeps its '
                'values, and while it is zero every tree score is 0.5 and '
                'the scorer gets no gradient.',
                logger='current',
                level=logging.WARNING)
            return
        with torch.no_grad():
            self.pair_prior.copy_(self._prior.to(self.pair_prior))
        print_log(
            'VCTreePairScorer: pair prior initialised from dataset '
            'statistics.',
            logger='current')

    def forward(self, obj_feats: Tensor, class_embeds: Tensor,
                box_info: Tensor, overlaps: Tensor, class_probs: Tensor,
                num_objs: Sequence[int]) -> List[Tensor]:
        """Pair logits of every image.

        Args:
            obj_feats (Tensor): (N, feat_channels) RoI features.
            class_embeds (Tensor): (N, embed_dim) class embeddings.
            box_info (Tensor): (N, 9) box numbers.
            overlaps (Tensor): (N, 6) :func:`overlap_info`.
            class_probs (Tensor): (N, num_classes + 1) class distributions.
            num_objs (Sequence[int]): Objects per image.

        Returns:
            list[Tensor]: Per image, the (n, n) logits; entry (i, j) scores
            object j as the subject, object i as the object.
        """
        feats = torch.cat([
            self.obj_reduce(obj_feats),
            self.emb_reduce(class_embeds),
            self.box_embed(box_info),
            self.overlap_embed(overlaps)
        ], 1)
        feats = self.score_pre(feats).relu()
        subs = self.score_sub(feats).relu().split(list(num_objs))
        objs = self.score_obj(feats).relu().split(list(num_objs))
        logits = []
        for sub, obj, probs in zip(subs, objs,
                                   class_probs.split(list(num_objs))):
            num = sub.size(0)
            co = probs @ self.pair_prior @ probs.t()
            vis = self.vision_prior(
                torch.cat([
                    sub[None] * obj[:, None], sub[None].expand(num, -1, -1),
                    obj[:, None].expand(-1, num, -1), co[..., None]
                ], -1))[..., 0]
            logits.append(torch.sigmoid(vis) * co)
        return logits


def max_spanning_trees(scores: Sequence[Tensor]
                       ) -> List[Tuple[np.ndarray, np.ndarray]]:
    """Grow one maximum spanning tree per image, greedily (Prim).

    As the scene graph benchmark builds VCTree's trees: the root is the
    object of highest mean score over its row; then, repeatedly, among all
    (tree node s, other node r) the highest ``scores[s, r]`` adds r as a
    child of s, ties going to the earliest added s, then the lowest r (the
    first maximum of the benchmark's row-major score map). All images grow
    together, one node per step.

    Args:
        scores (Sequence[Tensor]): Per image, (n, n) pair scores.

    Returns:
        list[tuple[ndarray, ndarray]]: Per image, the node insertion order
        (root first) and each node's parent (-1 for the root).
    """
    sizes = [s.size(0) for s in scores]
    num_imgs, width = len(sizes), max(sizes, default=0)
    if width == 0:
        return [(np.zeros(0, np.int64), np.zeros(0, np.int64)) for _ in sizes]
    # One transfer for all images: the root (highest row mean, first on
    # ties) and the scores.
    roots = [
        s.mean(1).argmax().view(1) if s.numel() else s.new_zeros(
            1, dtype=torch.long) for s in scores
    ]
    flat = torch.cat([s.detach().float().flatten()
                      for s in scores] + [r.to(torch.float32)
                                          for r in roots]).cpu().numpy()
    roots = flat[-num_imgs:].astype(np.int64)
    padded = np.full((num_imgs, width, width), -np.inf, dtype=np.float32)
    offset = 0
    for b, size in enumerate(sizes):
        padded[b, :size, :size] = flat[offset:offset +
                                       size * size].reshape(size, size)
        offset += size * size
    rows = np.arange(num_imgs)
    sizes_arr = np.array(sizes)
    remaining = np.arange(width)[None] < sizes_arr[:, None]
    remaining[rows, roots] = False
    # For each node outside the tree: its best score from the tree, the
    # insertion step of the first tree node giving it, and that node.
    best = padded[rows, roots].copy()
    best_step = np.zeros((num_imgs, width), dtype=np.int64)
    best_node = np.repeat(roots[:, None], width, axis=1)
    parent = np.full((num_imgs, width), -1, dtype=np.int64)
    order = np.zeros((num_imgs, width), dtype=np.int64)
    order[:, 0] = roots
    for step in range(1, width):
        active = step < sizes_arr
        masked = np.where(remaining, best, -np.inf)
        top = masked.max(1, keepdims=True)
        tied = remaining & (masked == top)
        first_step = np.where(tied, best_step, width).min(1, keepdims=True)
        pick = (tied & (best_step == first_step)).argmax(1)
        act = rows[active]
        node = pick[active]
        parent[act, node] = best_node[act, node]
        order[act, step] = node
        remaining[act, node] = False
        new = padded[act, node]
        better = remaining[act] & (new > best[act])
        best[act] = np.where(better, new, best[act])
        best_step[act] = np.where(better, step, best_step[act])
        best_node[act] = np.where(better, node[:, None], best_node[act])
    return [(order[b, :n], parent[b, :n]) for b, n in enumerate(sizes)]
