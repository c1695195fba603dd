"""Neural Motifs relation head (Zellers et al., CVPR 2018)."""
from typing import List, Optional

import torch
from mmdet.registry import MODELS
from mmengine.structures import InstanceData
from torch import Tensor, nn

from ..layers import (BiLSTMContext, BoxPositionEmbedding, ClassEmbedding,
                      GreedyLabelDecoder, encode_box_info, left_to_right_order)
from .base_relation_head import BaseRelationHead, RelationHeadOutput

__all__ = ['MotifsHead']


@MODELS.register_module()
class MotifsHead(BaseRelationHead):
    """Motifs: object and edge context BiLSTMs over left-to-right objects.

    Object context: a BiLSTM over [RoI feature, class embedding, box
    position embedding]; the class embedding is that of the GT label in
    PredCls and the detector's softmax-weighted embedding otherwise. In
    SGCls/SGDet a greedy LSTM decoder relabels the objects (its labels and
    softmax scores are the output). Edge context: a BiLSTM over [class
    embedding of the labels, RoI feature, object context]. Each pair's
    relation feature is ``post_cat([head(sub), tail(obj)]) * union_feature``
    (the RDE f_k), classified by a linear layer plus frequency bias.

    Differences from the benchmark's implementation: the label decoder is a
    plain ``LSTMCell`` (no highway connections), and SGDet labels are the
    decoder's greedy argmax (no per-class NMS over its outputs).

    Args:
        embed_dim (int): Class embedding size. Defaults to 200.
        glove_dir (str, optional): Folder of GloVe ``glove.6B.*d.txt``;
            None learns class embeddings from random init.
        pos_embed (dict): Kwargs of :class:`BoxPositionEmbedding`.
        hidden_dim (int): Hidden size of the context LSTMs. Defaults to 512.
        num_obj_layers (int): Object context LSTM layers. Defaults to 1.
        num_edge_layers (int): Edge context LSTM layers. Defaults to 1.
        dropout (float): Dropout between LSTM layers. Defaults to 0.2.
        **kwargs: Arguments of :class:`BaseRelationHead`.
    """

    def __init__(self,
                 embed_dim: int = 200,
                 glove_dir: Optional[str] = None,
                 pos_embed: dict = dict(hidden_channels=32, out_channels=128),
                 hidden_dim: int = 512,
                 num_obj_layers: int = 1,
                 num_edge_layers: int = 1,
                 dropout: float = 0.2,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        obj_dim = self.obj_feat_extractor.out_channels
        self.hidden_dim = hidden_dim
        self.obj_embed = ClassEmbedding(self.num_classes, embed_dim, glove_dir)
        self.edge_embed = ClassEmbedding(self.num_classes, embed_dim,
                                         glove_dir)
        self.pos_embed = BoxPositionEmbedding(**pos_embed)
        obj_in = obj_dim + embed_dim + self.pos_embed.out_channels
        self.obj_context = BiLSTMContext(obj_in, hidden_dim, num_obj_layers,
                                         dropout)
        self.decoder = None
        if self.mode != 'predcls':
            self.decoder = GreedyLabelDecoder(obj_in + hidden_dim, hidden_dim,
                                              self.num_classes, embed_dim)
        self.edge_context = BiLSTMContext(embed_dim + obj_dim + hidden_dim,
                                          hidden_dim, num_edge_layers, dropout)
        self.post_emb = nn.Linear(hidden_dim, 2 * hidden_dim)
        self.post_cat = nn.Linear(2 * hidden_dim, self.rel_feat_dim)

    def init_weights(self) -> None:
        """Motifs' init: scaled normal post_emb, Xavier post_cat/classifier."""
        super().init_weights()
        nn.init.normal_(self.post_emb.weight, std=10 * self.hidden_dim**-0.5)
        nn.init.zeros_(self.post_emb.bias)
        for layer in (self.post_cat, self.rel_classifier):
            nn.init.xavier_normal_(layer.weight)
            nn.init.zeros_(layer.bias)

    def _input_class_embedding(self, objects: List[InstanceData]) -> Tensor:
        """GT label embedding (PredCls) or the detector's expectation."""
        if self.mode == 'predcls':
            return self.obj_embed(torch.cat([o.labels for o in objects]))
        # The detector's logits may hold a background column (last).
        logits = torch.cat([o.logits
                            for o in objects])[:, :self.num_classes].detach()
        return logits.softmax(dim=-1) @ self.obj_embed.weight

    def forward(self, obj_feats: Tensor, union_feats: Tensor,
                objects: List[InstanceData], rel_pairs: List[Tensor],
                batch_img_metas: List[dict]) -> RelationHeadOutput:
        """Compute Motifs relation features; see the base class."""
        box_info = torch.cat([
            encode_box_info(o.bboxes, meta['img_shape'])
            for o, meta in zip(objects, batch_img_metas)
        ])
        obj_inp = torch.cat([
            obj_feats,
            self._input_class_embedding(objects),
            self.pos_embed(box_info)
        ], 1)
        orders = left_to_right_order([o.bboxes for o in objects])
        obj_ctx = self.obj_context(obj_inp, orders)
        obj_logits = None
        if self.decoder is None:
            obj_labels = torch.cat([o.labels for o in objects]).long()
        else:
            teacher = None
            if self.training:
                teacher = torch.cat([o.gt_labels for o in objects])
            obj_logits, obj_labels = self.decoder(
                torch.cat([obj_inp, obj_ctx], 1), orders, teacher)
        edge_ctx = self.edge_context(
            torch.cat([self.edge_embed(obj_labels), obj_feats, obj_ctx], 1),
            orders)
        head_tail = self.post_emb(edge_ctx).view(-1, 2, self.hidden_dim)
        pairs = self.global_pairs(objects, rel_pairs)
        prod = torch.cat(
            [head_tail[pairs[:, 0], 0], head_tail[pairs[:, 1], 1]], dim=1)
        rel_feats = self.post_cat(prod) * union_feats
        return RelationHeadOutput(rel_feats, obj_labels, obj_logits)
