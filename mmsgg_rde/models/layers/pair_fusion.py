"""From per-object context to the relation feature f_k of each pair."""
from typing import Optional, Tuple

import torch
from mmdet.registry import MODELS
from mmengine.model import BaseModule
from torch import Tensor, nn
from torch.nn import functional as F

__all__ = ['PairContextFusion']


@MODELS.register_module()
class PairContextFusion(BaseModule):
    """Subject/object projections of the context, gated by the union feature.

    The scene graph benchmark's predictors (Motifs, VCTree, Transformer)
    share this step: ``post_emb`` maps each object's context to a head and
    a tail vector (VCTree applies a ReLU), a pair concatenates its subject's
    head and its object's tail (``pair_ctx``), ``post_cat`` projects that
    to the union feature's size, and the product with the pair's union
    feature (through ``up_dim`` when the sizes differ) is the relation
    feature f_k. ``post_cat`` runs as its subject and object halves on each
    object, summed per pair (the same map, far fewer products when pairs
    outnumber objects).

    Args:
        in_channels (int): Context size H of each object.
        out_channels (int): Size of f_k (the benchmark's
            ``CONTEXT_POOLING_DIM``).
        union_channels (int, optional): Size of the union features; a linear
            ``up_dim`` maps them to ``out_channels`` when it differs.
            Defaults to ``out_channels``.
        relu (bool): ReLU after ``post_emb`` (VCTree). Defaults to False.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 union_channels: Optional[int] = None,
                 relu: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.relu = relu
        self.post_emb = nn.Linear(in_channels, 2 * in_channels)
        self.post_cat = nn.Linear(2 * in_channels, out_channels)
        self.up_dim = None
        if union_channels is not None and union_channels != out_channels:
            self.up_dim = nn.Linear(union_channels, out_channels)

    def init_weights(self) -> None:
        """The benchmark's init: normal ``post_emb`` (std 10 / sqrt(H)),
        Xavier normal ``post_cat`` and ``up_dim``, zero biases."""
        super().init_weights()
        nn.init.normal_(self.post_emb.weight, std=10 * self.in_channels**-0.5)
        nn.init.zeros_(self.post_emb.bias)
        for layer in (self.post_cat, self.up_dim):
            if layer is not None:
                nn.init.xavier_normal_(layer.weight)
                nn.init.zeros_(layer.bias)

    def forward(self, obj_ctx: Tensor, pairs: Tensor,
                union_feats: Tensor) -> Tuple[Tensor, Tensor]:
        """Relation features of pairs.

        Args:
            obj_ctx (Tensor): (N, H) context of every object of the batch.
            pairs (Tensor): (K, 2) (subject, object) indices into ``obj_ctx``.
            union_feats (Tensor): (K, union_channels) union features.

        Returns:
            tuple[Tensor, Tensor]: (K, out_channels) f_k and the (K, 2H)
            concatenated subject/object context.
        """
        head_tail = self.post_emb(obj_ctx)
        if self.relu:
            head_tail = head_tail.relu()
        head, tail = head_tail.view(-1, 2, self.in_channels).unbind(1)
        sub, obj = pairs[:, 0], pairs[:, 1]
        pair_ctx = torch.cat([head[sub], tail[obj]], dim=1)
        # post_cat of [head, tail] is the sum of its two halves' maps: they
        # run once per object instead of once per pair.
        weight = self.post_cat.weight
        gate = F.linear(head, weight[:, :self.in_channels])[sub] + F.linear(
            tail, weight[:, self.in_channels:], self.post_cat.bias)[obj]
        if self.up_dim is not None:
            union_feats = self.up_dim(union_feats)
        return gate * union_feats, pair_ctx
