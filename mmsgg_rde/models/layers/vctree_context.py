"""VCTree's context encoder (Tang et al., CVPR 2019), as the benchmark."""
from typing import List, Optional, Sequence

import torch
from mmdet.registry import MODELS
from mmengine.model import BaseModule
from mmengine.structures import InstanceData
from torch import Tensor
from torch.nn import functional as F

from mmsgg_rde.structures import check_mode
from .box_encoding import BoxPositionEmbedding
from .class_embedding import WITH_BACKGROUND, ClassEmbedding
from .pair_fusion import PairContextFusion
from .relation_context import (ModeLayersMixin, RelationContextOutput,
                               batch_box_info, batch_pairs, detector_logits,
                               input_class_embedding)
from .tree_lstm import BiTreeLSTM, TreeLSTMLabelDecoder, binary_forest
from .vctree_tree import VCTreePairScorer, max_spanning_trees, overlap_info

__all__ = ['VCTreeContext', 'relatedness_targets', 'tree_score_loss']


@MODELS.register_module()
class VCTreeContext(ModeLayersMixin, BaseModule):
    """VCTree: context over a learned tree of the objects of each image.

    This is the scene graph benchmark's ``VCTreeLSTMContext`` with the
    head and tail projections of its ``VCTreePredictor``:

    1. :class:`VCTreePairScorer` scores every ordered pair of objects from
       detached RoI features, class embeddings, box numbers and overlaps;
       :func:`max_spanning_trees` grows a tree per image on the sigmoid of
       the scores, which becomes binary (:func:`binary_forest`).
    2. Object context: a :class:`BiTreeLSTM` over [RoI feature, class
       embedding (GT label in PredCls, the detector's expectation
       otherwise), box position embedding]. In SGCls/SGDet a
       :class:`TreeLSTMLabelDecoder` relabels the objects (no NMS: the
       benchmark applies its later NMS only to the final output).
    3. Edge context: a :class:`BiTreeLSTM` over [class embedding of the
       labels, RoI feature, object context].
    4. :class:`PairContextFusion` (with ReLU) gives each pair's f_k.

    The pair logits (``tree_logits``) train the scorer through
    :func:`tree_score_loss`; the benchmark adds it to the losses with
    weight 1.

    Args:
        in_channels (int): RoI feature size (4096).
        rel_channels (int): Size of the union features and of f_k (4096).
        num_classes (int): Object classes (150).
        mode (str): 'predcls', 'sgcls' or 'sgdet'.
        embed_dim (int): Class embedding size. Defaults to 200.
        hidden_channels (int): Context size (the benchmark's
            ``CONTEXT_HIDDEN_DIM``). Defaults to 512.
        num_obj_layers (int): Object context layers. Defaults to 1.
        num_edge_layers (int): Edge context layers. Defaults to 1.
        dropout (float): Dropout of the label decoder, and of the context
            layers when they have more than one layer. Defaults to 0.2.
        glove_dir (str, optional): GloVe folder of the class embeddings.
        union_channels (int, optional): Size of the union features when it
            differs from ``rel_channels``.
        init_cfg (dict, optional): Initialisation config.
    """

    mode_layers = ('decoder', )

    def __init__(self,
                 in_channels: int,
                 rel_channels: int,
                 num_classes: int,
                 mode: str,
                 embed_dim: int = 200,
                 hidden_channels: int = 512,
                 num_obj_layers: int = 1,
                 num_edge_layers: int = 1,
                 dropout: float = 0.2,
                 glove_dir: Optional[str] = None,
                 union_channels: Optional[int] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.mode = check_mode(mode, 'model.relation_head.mode')
        self.num_classes = num_classes
        self.obj_embed = ClassEmbedding(num_classes, embed_dim, glove_dir,
                                        WITH_BACKGROUND)
        self.edge_embed = ClassEmbedding(num_classes, embed_dim, glove_dir,
                                         WITH_BACKGROUND)
        self.pos_embed = BoxPositionEmbedding()
        self.tree_scorer = VCTreePairScorer(in_channels, embed_dim,
                                            hidden_channels, num_classes)
        obj_in = in_channels + embed_dim + self.pos_embed.out_channels
        self.obj_context = BiTreeLSTM(obj_in, hidden_channels, num_obj_layers,
                                      dropout if num_obj_layers > 1 else 0.0)
        self.decoder = None
        if self.mode != 'predcls':
            self.decoder = TreeLSTMLabelDecoder(
                obj_in + hidden_channels,
                hidden_channels,
                num_classes,
                embed_dim,
                glove_dir=glove_dir,
                dropout=dropout)
        self.edge_context = BiTreeLSTM(
            embed_dim + hidden_channels + in_channels, hidden_channels,
            num_edge_layers, dropout if num_edge_layers > 1 else 0.0)
        self.fusion = PairContextFusion(
            hidden_channels, rel_channels, union_channels, relu=True)

    def forward(self, obj_feats: Tensor, union_feats: Tensor,
                objects: List[InstanceData], rel_pairs: List[Tensor],
                batch_img_metas: List[dict]) -> RelationContextOutput:
        """Encode a batch.

        Args:
            obj_feats (Tensor): (N, in_channels) RoI features of the objects.
            union_feats (Tensor): (K, rel_channels) union features.
            objects (list[InstanceData]): Per image objects (``bboxes``,
                ``labels``; ``logits`` outside PredCls).
            rel_pairs (list[Tensor]): Per image (K_i, 2) pairs.
            batch_img_metas (list[dict]): Per image metas (``img_shape``).

        Returns:
            RelationContextOutput: With ``tree_logits``.
        """
        num_objs = [len(o) for o in objects]
        box_info = batch_box_info(objects, batch_img_metas)
        obj_embed = input_class_embedding(self.obj_embed, objects, self.mode,
                                          self.num_classes, 'VCTreeContext')
        if self.mode == 'predcls':
            class_probs = F.one_hot(
                torch.cat([o.labels for o in objects]).long(),
                self.num_classes + 1).to(obj_feats)
        else:
            class_probs = detector_logits(objects, self.num_classes,
                                          'VCTreeContext').detach().softmax(-1)
        tree_logits = self.tree_scorer(
            obj_feats.detach(), obj_embed.detach(), box_info,
            torch.cat([overlap_info(o.bboxes) for o in objects]), class_probs,
            num_objs)
        forest = binary_forest(
            max_spanning_trees([torch.sigmoid(t) for t in tree_logits]),
            obj_feats.device)
        obj_inp = torch.cat([obj_feats, obj_embed,
                             self.pos_embed(box_info)], 1)
        obj_ctx = self.obj_context(obj_inp, forest)
        obj_logits = None
        if self.decoder is None:
            obj_labels = torch.cat([o.labels for o in objects]).long()
        else:
            obj_logits, obj_labels = self.decoder(
                torch.cat([obj_inp, obj_ctx], 1), forest)
        edge_ctx = self.edge_context(
            torch.cat([self.edge_embed(obj_labels), obj_feats, obj_ctx], 1),
            forest)
        rel_feats, pair_ctx = self.fusion(edge_ctx,
                                          batch_pairs(num_objs, rel_pairs),
                                          union_feats)
        return RelationContextOutput(obj_labels, edge_ctx, rel_feats,
                                     obj_logits, pair_ctx, tree_logits)


def relatedness_targets(num_objs: int,
                        gt_pairs: Tensor,
                        gt_to_obj: Optional[Tensor] = None) -> Tensor:
    """Targets of VCTree's tree-score loss for one image.

    Entry (a, b) is 1 when objects a and b are related in either direction:
    a GT relation links the GT boxes they stand for. With GT boxes
    (PredCls/SGCls) the objects are the GT boxes; in SGDet ``gt_to_obj``
    says which detections stand for which GT box (the benchmark's
    ``is_match``: same label and IoU above the sampler's threshold).

    Args:
        num_objs (int): Number of objects n.
        gt_pairs (Tensor): (R, 2) (subject, object) GT box indices of the
            image's GT relations.
        gt_to_obj (Tensor, optional): (num_gt, n) bool matches.

    Returns:
        Tensor: (n, n) float targets.
    """
    num_gt = num_objs if gt_to_obj is None else gt_to_obj.size(0)
    adjacency = gt_pairs.new_zeros(num_gt, num_gt, dtype=torch.float)
    adjacency[gt_pairs[:, 0], gt_pairs[:, 1]] = 1.0
    adjacency[gt_pairs[:, 1], gt_pairs[:, 0]] = 1.0
    if gt_to_obj is None:
        return adjacency
    match = gt_to_obj.to(adjacency)
    return (match.t() @ adjacency @ match > 0).to(adjacency)


def tree_score_loss(tree_logits: Sequence[Tensor],
                    targets: Sequence[Tensor]) -> Tensor:
    """VCTree's auxiliary loss: per-image binary cross-entropy, averaged.

    Args:
        tree_logits (Sequence[Tensor]): Per image (n, n) pair logits
            (:class:`VCTreeContext` output ``tree_logits``).
        targets (Sequence[Tensor]): Per image (n, n)
            :func:`relatedness_targets`.

    Returns:
        Tensor: The mean over images of the mean binary cross-entropy.
    """
    losses = [
        F.binary_cross_entropy_with_logits(logits, target.to(logits))
        for logits, target in zip(tree_logits, targets)
    ]
    return sum(losses) / len(losses)
