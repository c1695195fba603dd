"""Neural Motifs relation head (Zellers et al., CVPR 2018)."""
from typing import List, Optional, Tuple

import torch
from mmdet.registry import MODELS
from mmengine.structures import InstanceData
from torch import Tensor, nn

from ..layers import (GLOVE_HELP, WITH_BACKGROUND, BiLSTMContext,
                      BoxPositionEmbedding, ClassEmbedding, HighwayLSTMDecoder,
                      RelationContextOutput, batch_pairs, center_x_order,
                      encode_box_info, object_label_nms)
from .base_relation_head import BaseRelationHead

__all__ = ['MotifsHead']

#: Ways to initialise the class embeddings.
EMBED_INITS = ('glove', 'random')


@MODELS.register_module()
class MotifsHead(BaseRelationHead):
    """Motifs: object and edge context BiLSTMs over objects ordered by x.

    This is the scene graph benchmark's ``MotifPredictor`` (with its
    ``LSTMContext``). Objects are ordered by box centre x
    (:func:`center_x_order`). Object context: a BiLSTM over [RoI feature,
    class embedding, box position embedding]; the class embedding is that
    of the GT label in PredCls and the expectation under the detector's
    softmax (background included) otherwise. In SGCls/SGDet a highway LSTM
    decoder relabels the objects (:class:`HighwayLSTMDecoder`, 151-way with
    background, teacher-forced in training); at SGDet test time its labels
    go through :func:`object_label_nms`. Edge context: a BiLSTM over
    [class embedding of the labels, RoI feature, object context]. Each
    pair's relation feature is ``post_cat([head(sub), tail(obj)]) *
    union_feature`` (the RDE f_k), classified by a linear layer plus the
    frequency bias of the two labels.

    The three class embeddings (object input, edge input, decoder) are
    initialised from GloVe 6B vectors of the class names (``glove_dir``) by
    default, as in the benchmark; ``embed_init='random'`` learns them from
    random init instead.

    Args:
        embed_dim (int): Class embedding size. Defaults to 200.
        glove_dir (str, optional): Folder of ``glove.6B.{embed_dim}d.txt``;
            needed with ``embed_init='glove'`` when weights are initialised
            (training).
        embed_init (str): 'glove' or 'random'. Defaults to 'glove'.
        pos_embed (dict): Kwargs of :class:`BoxPositionEmbedding`.
        hidden_dim (int): Hidden size of the context LSTMs. Defaults to 512.
        num_obj_layers (int): Object context LSTM layers. Defaults to 1.
        num_edge_layers (int): Edge context LSTM layers. Defaults to 1.
        dropout (float): Dropout between LSTM layers and recurrent dropout
            of the decoder. Defaults to 0.2.
        **kwargs: Arguments of :class:`BaseRelationHead`.
    """

    def __init__(self,
                 embed_dim: int = 200,
                 glove_dir: Optional[str] = None,
                 embed_init: str = 'glove',
                 pos_embed: dict = dict(hidden_channels=32, out_channels=128),
                 hidden_dim: int = 512,
                 num_obj_layers: int = 1,
                 num_edge_layers: int = 1,
                 dropout: float = 0.2,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if embed_init not in EMBED_INITS:
            raise ValueError(f'embed_init={embed_init!r} is not one of '
                             f'{EMBED_INITS} (relation_head config).')
        self.embed_init = embed_init
        self.glove_dir = glove_dir
        glove = glove_dir if embed_init == 'glove' else None
        obj_dim = self.obj_feat_extractor.out_channels
        self.hidden_dim = hidden_dim
        self.obj_embed = ClassEmbedding(self.num_classes, embed_dim, glove,
                                        WITH_BACKGROUND)
        self.edge_embed = ClassEmbedding(self.num_classes, embed_dim, glove,
                                         WITH_BACKGROUND)
        self.pos_embed = BoxPositionEmbedding(**pos_embed)
        obj_in = obj_dim + embed_dim + self.pos_embed.out_channels
        self.obj_context = BiLSTMContext(obj_in, hidden_dim, num_obj_layers,
                                         dropout)
        self.decoder = None
        if self.mode != 'predcls':
            self.decoder = HighwayLSTMDecoder(
                obj_in + hidden_dim,
                hidden_dim,
                self.num_classes,
                embed_dim,
                glove_dir=glove,
                dropout=dropout)
        self.edge_context = BiLSTMContext(embed_dim + obj_dim + hidden_dim,
                                          hidden_dim, num_edge_layers, dropout)
        self.post_emb = nn.Linear(hidden_dim, 2 * hidden_dim)
        self.post_cat = nn.Linear(2 * hidden_dim, self.rel_feat_dim)

    def init_weights(self) -> None:
        """Motifs' init: GloVe embeddings, scaled normal post_emb, Xavier
        post_cat/classifier."""
        if self.embed_init == 'glove' and self.glove_dir is None:
            raise ValueError(
                'MotifsHead initialises its class embeddings from GloVe '
                f'(embed_init="glove") but glove_dir is not set: '
                f'{GLOVE_HELP.format(dim=self.obj_embed.embed_dim)} into a '
                'folder and set model.relation_head.glove_dir to it, or set '
                'model.relation_head.embed_init="random" to learn them from '
                'random init.')
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
        logits = torch.cat([o.logits for o in objects]).detach()
        if logits.size(1) != self.num_classes + 1:
            raise ValueError(
                f'objects have logits of {logits.size(1)} classes; '
                f'MotifsHead needs the detector\'s {self.num_classes + 1} '
                'class logits, background last (mmdet\'s cls_score).')
        return logits.softmax(dim=-1) @ self.obj_embed.weight

    def _decode_objects(self, feats: Tensor, objects: List[InstanceData],
                        orders: List[Tensor]) -> Tuple[Tensor, Tensor]:
        """Object logits and labels from the decoder (SGCls/SGDet)."""
        teacher = None
        if self.training:
            teacher = torch.cat([o.gt_labels for o in objects])
        obj_logits, obj_labels = self.decoder(feats, orders, teacher)
        if self.mode == 'sgdet' and not self.training:
            probs = obj_logits.softmax(dim=-1)
            sizes = [len(o) for o in objects]
            obj_labels = torch.cat([
                object_label_nms(p, o.bboxes_per_cls, self.later_nms_thr)
                for p, o in zip(probs.split(sizes), objects)
            ])
        return obj_logits, obj_labels

    def forward(self, obj_feats: Tensor, union_feats: Tensor,
                objects: List[InstanceData], rel_pairs: List[Tensor],
                batch_img_metas: List[dict]) -> RelationContextOutput:
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
        # The benchmark trains on batches and tests one image at a time.
        orders = center_x_order([o.bboxes for o in objects],
                                per_image=not self.training)
        obj_ctx = self.obj_context(obj_inp, orders)
        obj_logits = None
        if self.decoder is None:
            obj_labels = torch.cat([o.labels for o in objects]).long()
        else:
            obj_logits, obj_labels = self._decode_objects(
                torch.cat([obj_inp, obj_ctx], 1), objects, orders)
        edge_ctx = self.edge_context(
            torch.cat([self.edge_embed(obj_labels), obj_feats, obj_ctx], 1),
            orders)
        head_tail = self.post_emb(edge_ctx).view(-1, 2, self.hidden_dim)
        pairs = batch_pairs([len(o) for o in objects], rel_pairs)
        prod = torch.cat(
            [head_tail[pairs[:, 0], 0], head_tail[pairs[:, 1], 1]], dim=1)
        rel_feats = self.post_cat(prod) * union_feats
        return RelationContextOutput(obj_labels, edge_ctx, rel_feats,
                                     obj_logits)

    def _load_from_state_dict(self, state_dict: dict, prefix: str, *args,
                              **kwargs) -> None:
        """Drop ``decoder.*`` weights in PredCls, which has no decoder.

        The benchmark's checkpoints carry the decoder in every mode.
        """
        if self.decoder is None:
            self._drop_weights(state_dict, prefix, 'decoder',
                               'PredCls uses GT labels, not the decoder.')
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
