"""The benchmark's Transformer context encoder (object and edge context)."""
from typing import List, Optional

import torch
from mmdet.registry import MODELS
from mmengine.model import BaseModule
from mmengine.structures import InstanceData
from torch import Tensor, nn

from mmsgg_rde.structures import check_mode
from .class_embedding import WITH_BACKGROUND, ClassEmbedding
from .greedy_label_nms import greedy_label_nms
from .pair_fusion import PairContextFusion
from .relation_context import (ModeLayersMixin, RelationContextOutput,
                               batch_box_info, batch_pairs, best_foreground,
                               input_class_embedding)
from .transformer_encoder import ObjectTransformer

__all__ = ['TransformerContext']


@MODELS.register_module()
class TransformerContext(ModeLayersMixin, BaseModule):
    """Object and edge context by self-attention over each image's objects.

    This is the scene graph benchmark's ``TransformerContext`` with the head
    and tail projections of its ``TransformerPredictor``:

    1. Object context: an :class:`ObjectTransformer` (4 layers) over a
       linear map of [RoI feature, class embedding (GT label in PredCls,
       the detector's expectation otherwise), box embedding (9 box numbers
       through Linear-ReLU-Dropout twice)].
    2. SGCls/SGDet: a linear classifier gives object logits (background
       last); the labels are the best foreground classes, at SGDet test
       time chosen by :func:`greedy_label_nms` over the class boxes.
    3. Edge context: an :class:`ObjectTransformer` (2 layers) over a linear
       map of [RoI feature, object context, class embedding of the labels].
    4. :class:`PairContextFusion` gives each pair's f_k and its
       concatenated context ``pair_ctx``; the benchmark's relation logits
       are ``rel_compress(f_k) + ctx_compress(pair_ctx)`` + frequency bias.

    SGDet test inputs need ``bboxes_per_cls`` (N, C, 4) on the objects.

    Args:
        in_channels (int): RoI feature size (4096).
        rel_channels (int): Size of the union features and of f_k (4096).
        num_classes (int): Object classes (150).
        mode (str): 'predcls', 'sgcls' or 'sgdet'.
        embed_dim (int): Class embedding size. Defaults to 200.
        hidden_channels (int): Model width (``CONTEXT_HIDDEN_DIM``).
            Defaults to 512.
        num_obj_layers (int): Object context layers. Defaults to 4.
        num_edge_layers (int): Edge context layers. Defaults to 2.
        num_heads (int): Attention heads. Defaults to 8.
        key_dim (int): Query/key size per head. Defaults to 64.
        value_dim (int): Value size per head. Defaults to 64.
        feedforward_channels (int): Inner width. Defaults to 2048.
        dropout (float): Dropout of the attention layers. Defaults to 0.1.
        box_dropout (float): Dropout of the box embedding. Defaults to 0.1.
        nms_iou_threshold (float): IoU of the SGDet label NMS (the
            benchmark's ``TEST.RELATION.LATER_NMS_PREDICTION_THRES``).
            Defaults to 0.5.
        glove_dir (str, optional): GloVe folder of the class embeddings.
        union_channels (int, optional): Size of the union features when it
            differs from ``rel_channels``.
        init_cfg (dict, optional): Initialisation config.
    """

    mode_layers = ('obj_classifier', )

    def __init__(self,
                 in_channels: int,
                 rel_channels: int,
                 num_classes: int,
                 mode: str,
                 embed_dim: int = 200,
                 hidden_channels: int = 512,
                 num_obj_layers: int = 4,
                 num_edge_layers: int = 2,
                 num_heads: int = 8,
                 key_dim: int = 64,
                 value_dim: int = 64,
                 feedforward_channels: int = 2048,
                 dropout: float = 0.1,
                 box_dropout: float = 0.1,
                 nms_iou_threshold: float = 0.5,
                 glove_dir: Optional[str] = None,
                 union_channels: Optional[int] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.mode = check_mode(mode, 'model.relation_head.mode')
        self.num_classes = num_classes
        self.nms_iou_threshold = nms_iou_threshold
        self.obj_embed = ClassEmbedding(num_classes, embed_dim, glove_dir,
                                        WITH_BACKGROUND)
        self.edge_embed = ClassEmbedding(num_classes, embed_dim, glove_dir,
                                         WITH_BACKGROUND)
        self.box_embed = nn.Sequential(
            nn.Linear(9, 32), nn.ReLU(inplace=True), nn.Dropout(box_dropout),
            nn.Linear(32, 128), nn.ReLU(inplace=True), nn.Dropout(box_dropout))
        self.obj_proj = nn.Linear(in_channels + embed_dim + 128,
                                  hidden_channels)
        self.edge_proj = nn.Linear(in_channels + hidden_channels + embed_dim,
                                   hidden_channels)
        encoder = dict(
            embed_dims=hidden_channels,
            num_heads=num_heads,
            key_dim=key_dim,
            value_dim=value_dim,
            feedforward_channels=feedforward_channels,
            dropout=dropout)
        self.obj_context = ObjectTransformer(num_obj_layers, **encoder)
        self.edge_context = ObjectTransformer(num_edge_layers, **encoder)
        self.obj_classifier = None
        if self.mode != 'predcls':
            self.obj_classifier = nn.Linear(hidden_channels, num_classes + 1)
        self.fusion = PairContextFusion(hidden_channels, rel_channels,
                                        union_channels)

    def _object_labels(self, obj_logits: Tensor,
                       objects: List[InstanceData]) -> Tensor:
        """Best foreground classes; the label NMS at SGDet test time."""
        if self.mode != 'sgdet' or self.training:
            return best_foreground(obj_logits, self.num_classes)
        probs = obj_logits.softmax(dim=-1)
        return torch.cat([
            greedy_label_nms(p, o.bboxes_per_cls, self.nms_iou_threshold)
            for p, o in zip(probs.split([len(o) for o in objects]), objects)
        ])

    def forward(self, obj_feats: Tensor, union_feats: Tensor,
                objects: List[InstanceData], rel_pairs: List[Tensor],
                batch_img_metas: List[dict]) -> RelationContextOutput:
        """Encode a batch; see :meth:`VCTreeContext.forward`.

        Returns:
            RelationContextOutput: With ``pair_ctx``.
        """
        num_objs = [len(o) for o in objects]
        obj_embed = input_class_embedding(self.obj_embed, objects, self.mode,
                                          self.num_classes,
                                          'TransformerContext')
        box_embed = self.box_embed(batch_box_info(objects, batch_img_metas))
        obj_ctx = self.obj_context(
            self.obj_proj(torch.cat([obj_feats, obj_embed, box_embed], 1)),
            num_objs)
        obj_logits = None
        if self.obj_classifier is None:
            obj_labels = torch.cat([o.labels for o in objects]).long()
        else:
            obj_logits = self.obj_classifier(obj_ctx)
            obj_labels = self._object_labels(obj_logits, objects)
        edge_ctx = self.edge_context(
            self.edge_proj(
                torch.cat([obj_feats, obj_ctx,
                           self.edge_embed(obj_labels)], 1)), num_objs)
        rel_feats, pair_ctx = self.fusion(edge_ctx,
                                          batch_pairs(num_objs, rel_pairs),
                                          union_feats)
        return RelationContextOutput(obj_labels, edge_ctx, rel_feats,
                                     obj_logits, pair_ctx)
