"""What the relation context encoders share: their output and input helpers.

A context encoder (:class:`VCTreeContext`, :class:`TransformerContext`,
:class:`IMPContext`) turns the objects of a batch (RoI features, boxes and,
outside PredCls, the detector's class logits) and the candidate pairs
(their union features) into the relation feature f_k of every pair, and,
outside PredCls, into refined object logits and labels. Conventions: one
``InstanceData`` per image with ``bboxes`` (xyxy, network input frame),
``labels`` (0..C-1), ``logits`` (N, C + 1, background last: mmdet's
``cls_score``) outside PredCls and ``bboxes_per_cls`` (N, C, 4) in SGDet;
the benchmark's 151-way layers are (C + 1)-way here with background last.
"""
from typing import List, NamedTuple, Optional, Sequence, Tuple

import torch
from mmengine.logging import print_log
from mmengine.structures import InstanceData
from torch import Tensor, nn

from .box_encoding import encode_box_info

__all__ = [
    'RelationContextOutput', 'batch_box_info', 'batch_pairs',
    'detector_logits', 'input_class_embedding', 'best_foreground',
    'ModeLayersMixin'
]


class RelationContextOutput(NamedTuple):
    """What a relation context encoder returns for a batch.

    Attributes:
        obj_labels (Tensor): (N,) object labels that the relation
            classifier's frequency bias uses: GT labels in PredCls, the
            encoder's predictions otherwise (0..C-1; C, background, only
            where the Transformer's SGDet label NMS leaves an object
            unlabelled).
        edge_ctx (Tensor): (N, H) per-object context the pair features are
            built from (IMP: the final node states).
        rel_feats (Tensor): (K, D) relation feature f_k of each pair, the
            input of the predicate classifier (where RDE attaches).
        obj_logits (Tensor, optional): (N, C + 1) refined object logits,
            background last; None in PredCls.
        pair_ctx (Tensor, optional): (K, 2H) concatenated subject/object
            context of each pair (the Transformer's second classifier reads
            it); None for IMP.
        tree_logits (list[Tensor], optional): VCTree only: per image the
            (n_i, n_i) pair scores before the sigmoid, the logits of its
            auxiliary tree-score loss.
    """
    obj_labels: Tensor
    edge_ctx: Tensor
    rel_feats: Tensor
    obj_logits: Optional[Tensor] = None
    pair_ctx: Optional[Tensor] = None
    tree_logits: Optional[List[Tensor]] = None


def batch_box_info(objects: List[InstanceData],
                   batch_img_metas: List[dict]) -> Tensor:
    """The 9 box numbers of every object of the batch (N, 9)."""
    return torch.cat([
        encode_box_info(o.bboxes, meta['img_shape'])
        for o, meta in zip(objects, batch_img_metas)
    ])


def batch_pairs(num_objs: Sequence[int], rel_pairs: List[Tensor]) -> Tensor:
    """(K, 2) pairs indexing the batch-wide concatenation of objects."""
    offsets = [0]
    for num in num_objs[:-1]:
        offsets.append(offsets[-1] + num)
    return torch.cat(
        [pairs + offset for pairs, offset in zip(rel_pairs, offsets)])


def detector_logits(objects: List[InstanceData], num_classes: int,
                    owner: str) -> Tensor:
    """The detector's (N, num_classes + 1) class logits of the batch."""
    logits = torch.cat([o.logits for o in objects])
    if logits.size(1) != num_classes + 1:
        raise ValueError(
            f'objects have logits of {logits.size(1)} classes; {owner} '
            f"needs the detector's {num_classes + 1} class logits, "
            "background last (mmdet's cls_score).")
    return logits


def input_class_embedding(embedding: nn.Module, objects: List[InstanceData],
                          mode: str, num_classes: int, owner: str) -> Tensor:
    """Class embedding of the objects as a context encoder's input.

    PredCls: the embedding of the GT labels. Otherwise the expectation of
    the embedding under the detector's softmax (background included),
    without gradient to the detector.
    """
    if mode == 'predcls':
        return embedding(torch.cat([o.labels for o in objects]))
    logits = detector_logits(objects, num_classes, owner).detach()
    return logits.softmax(dim=-1) @ embedding.weight


def best_foreground(logits: Tensor, num_classes: int) -> Tensor:
    """(N,) index of the highest foreground logit (background last)."""
    return logits[:, :num_classes].argmax(dim=1)


class ModeLayersMixin:
    """Load checkpoints that hold layers this mode does not build.

    The benchmark's checkpoints carry every layer in every mode; a layer
    used only outside PredCls (listed in ``mode_layers``) is None in
    PredCls here, and its weights are dropped on loading.
    """

    #: Attributes holding layers that only some modes build.
    mode_layers: Tuple[str, ...] = ()

    def _load_from_state_dict(self, state_dict: dict, prefix: str, *args,
                              **kwargs) -> None:
        absent = [n for n in self.mode_layers if getattr(self, n) is None]
        keys = [
            k for k in state_dict if any(
                k.startswith(f'{prefix}{name}.') for name in absent)
        ]
        for key in keys:
            state_dict.pop(key)
        if keys:
            print_log(
                f'{len(keys)} weights of {[prefix + n for n in absent]} '
                f'dropped: mode {self.mode} does not use them.',
                logger='current')
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
