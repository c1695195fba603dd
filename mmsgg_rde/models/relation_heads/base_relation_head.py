"""The base of every relation head: pairs, features, classifier, losses."""
import functools
from abc import ABCMeta, abstractmethod
from typing import Callable, List, Optional, Sequence, Tuple

import torch
from mmdet.registry import MODELS, TASK_UTILS
from mmdet.structures import SampleList
from mmdet.structures.bbox import bbox2roi, get_box_tensor
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig
from mmengine.logging import print_log
from mmengine.model import BaseModule
from mmengine.structures import InstanceData
from torch import Tensor, nn

from mmsgg_rde.structures import check_mode
from ..layers import (FrequencyBias, RelationContextOutput, all_pairs,
                      batch_pairs, object_label_nms)
from ..losses import empty_safe_loss

__all__ = ['BaseRelationHead', 'RelationClassifier']

#: Maps (K, D) relation features of K pairs to (K, num_predicates) logits.
RelationClassifier = Callable[[Tensor], Tensor]


class BaseRelationHead(BaseModule, metaclass=ABCMeta):
    """Shared plumbing of relation heads.

    The head API in mmdet 3.x terms. Orchestration, shared by every head:
    :meth:`loss` (object targets, training pairs from the sampler,
    features, :meth:`forward`, :meth:`loss_by_feat`) and :meth:`predict`
    (every candidate pair, features, :meth:`forward`,
    :meth:`predict_by_feat`); :meth:`forward_pairs` is the part they share
    (also the detector's ``tensor`` mode). The predictor, written by each
    head, is :meth:`forward`: from object RoI features, union features of
    the pairs and the objects it returns a :class:`RelationContextOutput`
    (object labels and logits, the relation feature f_k of each pair).
    :meth:`relation_classifier` maps f_k to predicate logits (by default a
    linear layer plus the frequency bias of the pair's labels); a head with
    more terms (the Transformer's context classifier) or more losses
    (VCTree's tree score) overrides it or :meth:`loss_by_feat`.
    ``tests/test_models/test_relation_heads/test_head_contract.py`` has a
    minimal head a new one can start from.

    Objects come from :class:`SceneGraphRCNN` as one ``InstanceData`` per
    image with ``bboxes`` (network input frame), ``labels``, ``scores`` and,
    in SGCls/SGDet, the detector's ``logits`` (N, num_classes + 1),
    background last (mmdet's ``cls_score``). SGDet detections also carry
    ``bboxes_per_cls`` (N, num_classes, 4), the box regressed for each
    class, and in training ``assigned_labels`` (N,), their class targets.

    Post-processing follows the scene graph benchmark: object scores are the
    softmax of ``obj_logits`` (1 in PredCls); SGCls labels are its best
    class; SGDet labels come from :func:`object_label_nms` (threshold
    ``test_cfg['later_nms_thr']``) and each box is the detection's box of
    its new class. Relations of a pair are ranked by best foreground
    predicate score x subject score x object score.

    RDE seam: with ``rde`` set, :meth:`loss_by_feat` adds
    ``self.rde.loss(rel_feats, rel_labels, sub_labels, obj_labels,
    classifier)`` where ``classifier`` is :meth:`relation_classifier` of the
    same pairs. :meth:`predict` never uses ``rde``, and ``rde.*`` weights
    are dropped when loading into a head without RDE.

    Args:
        obj_feat_extractor (dict): Config of the object feature extractor
            (e.g. ``RoIFeatureExtractor``).
        union_feat_extractor (dict): Config of the union feature extractor
            (e.g. ``UnionFeatureExtractor``).
        num_classes (int): Object classes. Defaults to 150.
        num_predicates (int): Predicate classes including background 0.
            Defaults to 51.
        mode (str): 'predcls', 'sgcls' or 'sgdet'; set by the detector.
            Defaults to 'predcls'.
        use_freq_bias (bool): Add a :class:`FrequencyBias` to the predicate
            logits. Defaults to True.
        rel_channels (int, optional): Size D of the relation feature f_k;
            defaults to the union feature extractor's ``out_channels``.
        loss_rel (dict): Predicate loss config.
        loss_obj (dict, optional): Object loss config, used when the head
            classifies objects (SGCls/SGDet).
        rde (dict, optional): Config of a training-only RDE module;
            ``in_channels``, ``num_predicates`` and ``num_classes`` default
            to the head's.
        train_cfg (dict, optional): ``sampler``: config of the
            ``RelationSampler``.
        test_cfg (dict, optional): ``later_nms_thr``: IoU of the SGDet
            relabelling (default 0.5, the benchmark's
            ``LATER_NMS_PREDICTION_THRES``); ``max_pairs``: keep at most this
            many candidate pairs per image, those of highest subject x object
            score (not in the benchmark); None (default) keeps all.
            ``logit_adjustment``: config of a module applied to the
            predicate logits in :meth:`predict` (e.g.
            ``dict(type='LogitAdjustment')``, the post-hoc debiasing
            baseline); None (default) for none.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 obj_feat_extractor: ConfigType,
                 union_feat_extractor: ConfigType,
                 num_classes: int = 150,
                 num_predicates: int = 51,
                 mode: str = 'predcls',
                 use_freq_bias: bool = True,
                 rel_channels: Optional[int] = None,
                 loss_rel: ConfigType = dict(
                     type='CrossEntropyLoss',
                     use_sigmoid=False,
                     loss_weight=1.0),
                 loss_obj: OptConfigType = dict(
                     type='CrossEntropyLoss',
                     use_sigmoid=False,
                     loss_weight=1.0),
                 rde: OptConfigType = None,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.num_classes = num_classes
        self.num_predicates = num_predicates
        self.mode = check_mode(mode, 'model.relation_head.mode')
        self.train_cfg = train_cfg or {}
        self.test_cfg = test_cfg or {}
        self.later_nms_thr = self.test_cfg.get('later_nms_thr', 0.5)
        self.sampler = TASK_UTILS.build(
            self.train_cfg.get('sampler', dict(type='RelationSampler')))
        self.obj_feat_extractor = MODELS.build(obj_feat_extractor)
        self.union_feat_extractor = MODELS.build(union_feat_extractor)
        self.rel_feat_dim = rel_channels or \
            self.union_feat_extractor.out_channels
        self.rel_classifier = nn.Linear(self.rel_feat_dim, num_predicates)
        self.freq_bias = FrequencyBias(
            num_classes, num_predicates) if use_freq_bias else None
        self.loss_rel = MODELS.build(loss_rel)
        self.loss_obj = MODELS.build(loss_obj) if loss_obj else None
        self.rde = None
        if rde is not None:
            rde = dict(rde)
            rde.setdefault('in_channels', self.rel_feat_dim)
            rde.setdefault('num_predicates', num_predicates)
            rde.setdefault('num_classes', num_classes)
            self.rde = MODELS.build(rde)
        # Post-hoc logit adjustment, applied in predict() only.
        self.logit_adjustment = None
        if self.test_cfg.get('logit_adjustment') is not None:
            self.logit_adjustment = MODELS.build(
                self.test_cfg['logit_adjustment'])

    @abstractmethod
    def forward(self, obj_feats: Tensor, union_feats: Tensor,
                objects: List[InstanceData], rel_pairs: List[Tensor],
                batch_img_metas: List[dict]) -> RelationContextOutput:
        """The predictor: relation features (and object predictions).

        Args:
            obj_feats (Tensor): (N, C) features of all objects of the batch.
            union_feats (Tensor): (K, D') union features of all pairs.
            objects (list[InstanceData]): Per image objects; in training
                also ``gt_labels`` (N_i,), the object targets
                (``num_classes``: background).
            rel_pairs (list[Tensor]): Per image (K_i, 2) pairs indexing the
                image's objects.
            batch_img_metas (list[dict]): Per image meta information.

        Returns:
            RelationContextOutput: Object labels (those of the frequency
            bias), per-object context, f_k, and object logits outside
            PredCls.
        """

    def classify_relations(self, rel_feats: Tensor, sub_labels: Tensor,
                           obj_labels: Tensor) -> Tensor:
        """Predicate logits of pairs: linear layer plus frequency bias.

        Args:
            rel_feats (Tensor): (K, D) relation features.
            sub_labels (Tensor): (K,) subject classes used for the bias.
            obj_labels (Tensor): (K,) object classes used for the bias.

        Returns:
            Tensor: (K, num_predicates) logits.
        """
        logits = self.rel_classifier(rel_feats)
        if self.freq_bias is not None:
            logits = logits + self.freq_bias(sub_labels, obj_labels)
        return logits

    def relation_classifier(self, out: RelationContextOutput,
                            pairs: Tensor) -> RelationClassifier:
        """The predicate classifier of the pairs, as a function of f_k.

        RDE classifies its reconstructions of the same pairs with it.

        Args:
            out (RelationContextOutput): :meth:`forward`'s output.
            pairs (Tensor): (K, 2) pairs indexing the batch's objects
                (:func:`batch_pairs`).

        Returns:
            Callable: (K, D) features -> (K, num_predicates) logits, the
            frequency bias indexed by the head's labels of the two objects.
        """
        return functools.partial(
            self.classify_relations,
            sub_labels=out.obj_labels[pairs[:, 0]],
            obj_labels=out.obj_labels[pairs[:, 1]])

    def load_box_head_fcs(self, fcs: Sequence[nn.Linear]) -> None:
        """Initialise the feature extractors' FCs from a detector box head.

        Args:
            fcs (Sequence[nn.Linear]): The box head's shared FC layers.
        """
        for name in ('obj_feat_extractor', 'union_feat_extractor'):
            if getattr(self, name).load_fcs_from(fcs):
                print_log(
                    f'{name}: FC layers copied from the box head.',
                    logger='current')

    def extract_features(self, x: Tuple[Tensor], objects: List[InstanceData],
                         rel_pairs: List[Tensor],
                         batch_img_metas: List[dict]) -> Tuple[Tensor, Tensor]:
        """Object RoI features and union features of the pairs.

        Returns:
            tuple[Tensor, Tensor]: (N, C) object and (K, D) union features.
        """
        obj_feats = self.obj_feat_extractor(
            x, bbox2roi([o.bboxes for o in objects]))
        union_feats = self.union_feat_extractor(
            x, [o.bboxes[p[:, 0]] for o, p in zip(objects, rel_pairs)],
            [o.bboxes[p[:, 1]] for o, p in zip(objects, rel_pairs)],
            [meta['img_shape'] for meta in batch_img_metas])
        return obj_feats, union_feats

    def object_targets(self, objects: List[InstanceData],
                       batch_data_samples: SampleList) -> List[Tensor]:
        """Class targets of objects for training (``num_classes``: bg).

        PredCls/SGCls objects are the GT objects. SGDet detections carry
        theirs (``assigned_labels``, from :class:`SceneGraphRCNN`): the
        class of the GT box their proposal overlaps most, whatever class the
        detector gave them, as the benchmark labels its proposals.
        """
        if self.mode != 'sgdet':
            return [s.gt_instances.labels.long() for s in batch_data_samples]
        if not all('assigned_labels' in obj for obj in objects):
            raise KeyError(
                'SGDet training needs the detections\' assigned_labels (the '
                'GT class of their proposals), which SceneGraphRCNN sets in '
                'training with train_cfg.sgdet.')
        return [obj.assigned_labels.long() for obj in objects]

    def sample_pairs(self, objects: List[InstanceData],
                     batch_data_samples: SampleList
                     ) -> Tuple[List[Tensor], List[Tensor]]:
        """Sample training pairs and their predicate labels per image."""
        pairs, labels = [], []
        for obj, sample in zip(objects, batch_data_samples):
            gt_rels = sample.gt_relations
            if self.mode == 'sgdet':
                gt = sample.gt_instances
                p, lab = self.sampler.sample_detections(
                    obj.bboxes, obj.gt_labels, get_box_tensor(gt.bboxes),
                    gt.labels, gt_rels.pairs, gt_rels.labels, self.num_classes)
            else:
                p, lab = self.sampler.sample(
                    len(obj), gt_rels.pairs, gt_rels.labels)
            pairs.append(p)
            labels.append(lab)
        return pairs, labels

    def test_pairs(self, obj: InstanceData) -> Tensor:
        """Candidate pairs of one image: every ordered pair i != j.

        A single object gets the pair (0, 0), as in the benchmark. With
        ``test_cfg['max_pairs']`` only the pairs of highest subject x object
        score are kept.
        """
        pairs = all_pairs(len(obj), obj.bboxes.device)
        if len(obj) == 1:
            pairs = pairs.new_zeros(1, 2)
        max_pairs = self.test_cfg.get('max_pairs')
        if max_pairs is not None and pairs.size(0) > max_pairs:
            score = obj.scores[pairs[:, 0]] * obj.scores[pairs[:, 1]]
            keep = score.argsort(descending=True, stable=True)[:max_pairs]
            pairs = pairs[keep.sort().values]
        return pairs

    def _rde_class_labels(self, objects: List[InstanceData]) -> Tensor:
        """Classes of objects for RDE: GT classes; detections' in SGDet."""
        if self.mode == 'sgdet':
            return torch.cat([o.labels for o in objects]).long()
        return torch.cat([o.gt_labels for o in objects])

    def forward_pairs(self, x: Tuple[Tensor], objects: List[InstanceData],
                      rel_pairs: List[Tensor], batch_img_metas: List[dict]
                      ) -> Tuple[RelationContextOutput, Tensor]:
        """Features, predictor and relation logits of the given pairs.

        Args:
            x (tuple[Tensor]): Multi-level image features.
            objects (list[InstanceData]): Per image objects.
            rel_pairs (list[Tensor]): Per image (K_i, 2) pairs.
            batch_img_metas (list[dict]): Per image meta information.

        Returns:
            tuple[RelationContextOutput, Tensor]: :meth:`forward`'s output
            and the (K, num_predicates) relation logits.
        """
        obj_feats, union_feats = self.extract_features(x, objects, rel_pairs,
                                                       batch_img_metas)
        out = self(obj_feats, union_feats, objects, rel_pairs, batch_img_metas)
        pairs = batch_pairs([len(o) for o in objects], rel_pairs)
        return out, self.relation_classifier(out, pairs)(out.rel_feats)

    def loss(self, x: Tuple[Tensor], objects: List[InstanceData],
             batch_data_samples: SampleList) -> dict:
        """Sample pairs, run the head and compute its losses.

        Args:
            x (tuple[Tensor]): Multi-level image features.
            objects (list[InstanceData]): Per image objects, boxes in the
                network input frame.
            batch_data_samples (list[SceneGraphDataSample]): Samples with
                ``gt_instances`` (input frame) and ``gt_relations``.

        Returns:
            dict[str, Tensor]: See :meth:`loss_by_feat`.
        """
        for obj, target in zip(
                objects, self.object_targets(objects, batch_data_samples)):
            obj.gt_labels = target
        rel_pairs, rel_labels = self.sample_pairs(objects, batch_data_samples)
        batch_img_metas = [s.metainfo for s in batch_data_samples]
        out, rel_logits = self.forward_pairs(x, objects, rel_pairs,
                                             batch_img_metas)
        return self.loss_by_feat(out, rel_logits, objects, rel_pairs,
                                 torch.cat(rel_labels), batch_data_samples)

    def loss_by_feat(self, out: RelationContextOutput, rel_logits: Tensor,
                     objects: List[InstanceData], rel_pairs: List[Tensor],
                     rel_labels: Tensor,
                     batch_data_samples: SampleList) -> dict:
        """Losses of the head's outputs on the sampled pairs.

        Args:
            out (RelationContextOutput): :meth:`forward`'s output.
            rel_logits (Tensor): (K, num_predicates) relation logits.
            objects (list[InstanceData]): Per image objects with their
                class targets ``gt_labels``.
            rel_pairs (list[Tensor]): Per image (K_i, 2) sampled pairs.
            rel_labels (Tensor): (K,) their predicate targets.
            batch_data_samples (list[SceneGraphDataSample]): The samples.

        Returns:
            dict[str, Tensor]: ``loss_rel``, ``loss_obj`` when the head
            classifies objects, and RDE's losses when ``rde`` is set.
        """
        losses = dict(
            loss_rel=empty_safe_loss(self.loss_rel, rel_logits, rel_labels))
        if out.obj_logits is not None and self.loss_obj is not None:
            losses['loss_obj'] = empty_safe_loss(
                self.loss_obj, out.obj_logits,
                torch.cat([o.gt_labels for o in objects]))
        if self.rde is not None:
            pairs = batch_pairs([len(o) for o in objects], rel_pairs)
            classes = self._rde_class_labels(objects)
            losses.update(
                self.rde.loss(out.rel_feats, rel_labels, classes[pairs[:, 0]],
                              classes[pairs[:, 1]],
                              self.relation_classifier(out, pairs)))
        return losses

    def predict(
        self, x: Tuple[Tensor], objects: List[InstanceData],
        batch_data_samples: SampleList
    ) -> Tuple[List[InstanceData], List[InstanceData]]:
        """Predict objects and relations of every candidate pair.

        Returns:
            tuple[list[InstanceData], list[InstanceData]]: See
            :meth:`predict_by_feat`.
        """
        batch_img_metas = [s.metainfo for s in batch_data_samples]
        rel_pairs = [self.test_pairs(obj) for obj in objects]
        out, rel_logits = self.forward_pairs(x, objects, rel_pairs,
                                             batch_img_metas)
        return self.predict_by_feat(out, rel_logits, objects, rel_pairs)

    def predict_by_feat(self, out: RelationContextOutput, rel_logits: Tensor,
                        objects: List[InstanceData], rel_pairs: List[Tensor]
                        ) -> Tuple[List[InstanceData], List[InstanceData]]:
        """Post-process the head's outputs into per image results.

        Args:
            out (RelationContextOutput): :meth:`forward`'s output.
            rel_logits (Tensor): (K, num_predicates) relation logits.
            objects (list[InstanceData]): Per image input objects.
            rel_pairs (list[Tensor]): Per image (K_i, 2) candidate pairs.

        Returns:
            tuple[list[InstanceData], list[InstanceData]]: Per image, the
            objects (``bboxes`` in the input frame, ``labels``, ``scores``)
            and the relations (``pairs``, ``scores`` (P, num_predicates)
            softmax, ``labels`` argmax over 1.., rows sorted by triplet
            score descending).
        """
        if self.logit_adjustment is not None:
            rel_logits = self.logit_adjustment(rel_logits)
        rel_logits = rel_logits.split([len(p) for p in rel_pairs])
        obj_logits = [None] * len(objects)
        if out.obj_logits is not None:
            obj_logits = out.obj_logits.split([len(o) for o in objects])
        obj_results, rel_results = [], []
        for obj, obj_logits_i, pairs_i, rel_logits_i in zip(
                objects, obj_logits, rel_pairs, rel_logits):
            obj_result = self._object_predictions(obj, obj_logits_i)
            obj_results.append(obj_result)
            rel_results.append(
                self._pack_relations(pairs_i, rel_logits_i.softmax(dim=-1),
                                     obj_result.scores))
        return obj_results, rel_results

    def _object_predictions(self, obj: InstanceData,
                            obj_logits: Optional[Tensor]) -> InstanceData:
        """Final boxes, labels and scores of one image's objects."""
        if obj_logits is None:
            return InstanceData(
                bboxes=obj.bboxes,
                labels=obj.labels.long(),
                scores=obj.bboxes.new_ones(len(obj)))
        probs = obj_logits.softmax(dim=-1)
        probs[:, self.num_classes] = 0
        bboxes = obj.bboxes
        if self.mode != 'sgdet':
            labels = probs[:, :self.num_classes].max(dim=1)[1]
        else:
            labels = object_label_nms(probs, obj.bboxes_per_cls,
                                      self.later_nms_thr)
            fg = labels < self.num_classes
            bboxes = bboxes.clone()
            bboxes[fg] = obj.bboxes_per_cls[fg, labels[fg]]
        scores = probs.gather(1, labels[:, None])[:, 0]
        return InstanceData(bboxes=bboxes, labels=labels, scores=scores)

    @staticmethod
    def _pack_relations(pairs: Tensor, rel_scores: Tensor,
                        obj_scores: Tensor) -> InstanceData:
        """Sort one image's pairs by triplet score and pack them."""
        fg_scores, fg_labels = rel_scores[:, 1:].max(dim=1)
        triplet = fg_scores * obj_scores[pairs[:, 0]] * obj_scores[pairs[:, 1]]
        order = triplet.argsort(descending=True, stable=True)
        return InstanceData(
            pairs=pairs[order],
            scores=rel_scores[order],
            labels=fg_labels[order] + 1)

    @staticmethod
    def _drop_weights(state_dict: dict, prefix: str, part: str,
                      reason: str) -> None:
        """Remove the ``{prefix}{part}.*`` weights of a part the head lacks."""
        keys = [k for k in state_dict if k.startswith(f'{prefix}{part}.')]
        for key in keys:
            state_dict.pop(key)
        if keys:
            print_log(
                f'{len(keys)} weights ({prefix}{part}.*) dropped: {reason}',
                logger='current')

    def _load_from_state_dict(self, state_dict: dict, prefix: str, *args,
                              **kwargs) -> None:
        """Drop ``rde.*`` weights when this head has no RDE (inference)."""
        if self.rde is None:
            self._drop_weights(state_dict, prefix, 'rde',
                               'RDE is training-only and this head has none.')
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
