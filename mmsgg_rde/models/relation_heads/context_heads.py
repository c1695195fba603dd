"""Relation heads whose predictor is one of the benchmark's context
encoders: VCTree, Transformer and IMP."""
import functools
from typing import List, Optional

from mmdet.registry import MODELS
from mmdet.structures import SampleList
from mmdet.structures.bbox import get_box_tensor
from mmdet.utils import ConfigType
from mmengine.structures import InstanceData
from torch import Tensor, nn

from ..layers import (RelationContextOutput, relatedness_targets,
                      tree_score_loss)
from .base_relation_head import BaseRelationHead, RelationClassifier

__all__ = ['ContextRelationHead', 'VCTreeHead', 'TransformerHead', 'IMPHead']


class ContextRelationHead(BaseRelationHead):
    """A head whose :meth:`forward` is a context encoder (``context``).

    The encoder's sizes default to the head's: ``in_channels`` the object
    feature size, ``union_channels`` the union feature size,
    ``rel_channels`` ``pooling_channels`` (the benchmark's
    ``CONTEXT_POOLING_DIM``), ``num_classes`` and ``mode`` the head's.

    Args:
        context (dict): Config of the context encoder.
        pooling_channels (int, optional): The benchmark's
            ``CONTEXT_POOLING_DIM``; defaults to the union feature size.
        **kwargs: Arguments of :class:`BaseRelationHead`; ``rel_channels``
            (the size of f_k) defaults to ``pooling_channels``.
    """

    def __init__(self,
                 context: ConfigType,
                 pooling_channels: Optional[int] = None,
                 **kwargs) -> None:
        if pooling_channels is not None:
            kwargs.setdefault('rel_channels', pooling_channels)
        super().__init__(**kwargs)
        union = self.union_feat_extractor.out_channels
        context = dict(context)
        context.setdefault('in_channels', self.obj_feat_extractor.out_channels)
        context.setdefault('rel_channels', pooling_channels or union)
        context.setdefault('union_channels', union)
        context.setdefault('num_classes', self.num_classes)
        context['mode'] = self.mode
        self.context = MODELS.build(context)

    def forward(self, obj_feats: Tensor, union_feats: Tensor,
                objects: List[InstanceData], rel_pairs: List[Tensor],
                batch_img_metas: List[dict]) -> RelationContextOutput:
        """The context encoder's output; see the base class."""
        return self.context(obj_feats, union_feats, objects, rel_pairs,
                            batch_img_metas)

    def _xavier_init(self, *layers: nn.Linear) -> None:
        """The benchmark's ``layer_init(xavier=True)``."""
        for layer in layers:
            nn.init.xavier_normal_(layer.weight)
            nn.init.zeros_(layer.bias)


@MODELS.register_module()
class VCTreeHead(ContextRelationHead):
    """VCTree (Tang et al., CVPR 2019): the benchmark's ``VCTreePredictor``.

    The predictor is :class:`VCTreeContext` (learned pair scores, a maximum
    spanning tree per image made binary, bidirectional TreeLSTMs for object
    and edge context; hidden 512, f_k 4096 at protocol sizes); its f_k is
    classified by a linear layer (the benchmark's ``ctx_compress``) plus
    the frequency bias. Training adds the tree-score loss ``loss_tree``
    (the benchmark's ``binary_loss``, weight 1): binary cross-entropy of
    the pair scores against "related in either direction" targets
    (:func:`relatedness_targets`; in SGDet through the sampler's
    detection-to-GT matches). ``DatasetPriorHook`` initialises the pair
    scorer's co-occurrence prior from the training statistics.

    Args:
        context (dict): Config of the :class:`VCTreeContext`.
        loss_tree_weight (float): Weight of ``loss_tree``. Defaults to 1.
        **kwargs: Arguments of :class:`ContextRelationHead`.
    """

    def __init__(self,
                 context: ConfigType = dict(type='VCTreeContext'),
                 loss_tree_weight: float = 1.0,
                 **kwargs) -> None:
        super().__init__(context=context, **kwargs)
        self.loss_tree_weight = loss_tree_weight

    def init_weights(self) -> None:
        """Xavier classifier, as the benchmark's ``ctx_compress``."""
        super().init_weights()
        self._xavier_init(self.rel_classifier)

    def _tree_targets(self, objects: List[InstanceData],
                      batch_data_samples: SampleList) -> List[Tensor]:
        """Per image (n, n) targets of the tree-score loss."""
        targets = []
        for obj, sample in zip(objects, batch_data_samples):
            gt_pairs = sample.gt_relations.pairs.long()
            matches = None
            if self.mode == 'sgdet':
                gt = sample.gt_instances
                matches = self.sampler.detection_matches(
                    obj.bboxes, obj.gt_labels, get_box_tensor(gt.bboxes),
                    gt.labels)
            targets.append(relatedness_targets(len(obj), gt_pairs, matches))
        return targets

    def loss_by_feat(self, out: RelationContextOutput, rel_logits: Tensor,
                     objects: List[InstanceData], rel_pairs: List[Tensor],
                     rel_labels: Tensor,
                     batch_data_samples: SampleList) -> dict:
        """The base losses plus ``loss_tree``; see the base class."""
        losses = super().loss_by_feat(out, rel_logits, objects, rel_pairs,
                                      rel_labels, batch_data_samples)
        losses['loss_tree'] = self.loss_tree_weight * tree_score_loss(
            out.tree_logits, self._tree_targets(objects, batch_data_samples))
        return losses


@MODELS.register_module()
class TransformerHead(ContextRelationHead):
    """The benchmark's ``TransformerPredictor``.

    The predictor is :class:`TransformerContext` (object context 4 layers,
    edge context 2 layers, 8 heads, key/value 64, inner 2048, dropout 0.1).
    Relation logits: ``rel_classifier(f_k) + ctx_classifier(pair_ctx)`` plus
    the frequency bias, ``pair_ctx`` being the concatenated subject head and
    object tail context; RDE's classifier carries the second term too.

    Args:
        context (dict): Config of the :class:`TransformerContext`.
        **kwargs: Arguments of :class:`ContextRelationHead`.
    """

    def __init__(self,
                 context: ConfigType = dict(type='TransformerContext'),
                 **kwargs) -> None:
        super().__init__(context=context, **kwargs)
        hidden = self.context.fusion.in_channels
        self.ctx_classifier = nn.Linear(2 * hidden, self.num_predicates)

    def init_weights(self) -> None:
        """Xavier classifiers, as the benchmark's."""
        super().init_weights()
        self._xavier_init(self.rel_classifier, self.ctx_classifier)

    def _classify_with_context(self, rel_feats: Tensor, pair_logits: Tensor,
                               sub_labels: Tensor,
                               obj_labels: Tensor) -> Tensor:
        """:meth:`classify_relations` plus the pairs' context logits."""
        return self.classify_relations(rel_feats, sub_labels,
                                       obj_labels) + pair_logits

    def relation_classifier(self, out: RelationContextOutput,
                            pairs: Tensor) -> RelationClassifier:
        """The base classifier plus ``ctx_classifier(pair_ctx)``."""
        return functools.partial(
            self._classify_with_context,
            pair_logits=self.ctx_classifier(out.pair_ctx),
            sub_labels=out.obj_labels[pairs[:, 0]],
            obj_labels=out.obj_labels[pairs[:, 1]])


@MODELS.register_module()
class IMPHead(ContextRelationHead):
    """Iterative message passing (Xu et al., CVPR 2017): the benchmark's
    ``IMPPredictor``.

    The predictor is :class:`IMPContext`; f_k is the final edge state
    (``hidden_channels``, 512), classified by a linear layer without
    frequency bias (the benchmark's ``rel_fc``). The benchmark trains IMP's
    feature extractors at a tenth of the learning rate: the configs set an
    ``optim_wrapper.paramwise_cfg`` for that.

    Args:
        context (dict): Config of the :class:`IMPContext`.
        use_freq_bias (bool): Defaults to False, as the benchmark.
        **kwargs: Arguments of :class:`ContextRelationHead`.
    """

    def __init__(self,
                 context: ConfigType = dict(type='IMPContext'),
                 use_freq_bias: bool = False,
                 **kwargs) -> None:
        context = dict(context)
        hidden = context.setdefault('hidden_channels', 512)
        kwargs.setdefault('rel_channels', hidden)
        super().__init__(
            context=context, use_freq_bias=use_freq_bias, **kwargs)

    def init_weights(self) -> None:
        """The benchmark's ``make_fc`` init of ``rel_fc``."""
        super().init_weights()
        nn.init.kaiming_uniform_(self.rel_classifier.weight, a=1)
        nn.init.zeros_(self.rel_classifier.bias)
