"""The benchmark's Faster R-CNN tensors to mmdet's ``FasterRCNN`` names.

Maps the detector of the scene graph benchmark (maskrcnn-benchmark's
``GeneralizedRCNN``: ``backbone.body``/``backbone.fpn``/``rpn``/
``roi_heads.box``) onto the model of
``configs/_base_/models/faster-rcnn_x101-32x8d_fpn_vg150_sgb.py``.
"""
import re
from collections import OrderedDict
from typing import Dict, List, Tuple

from torch import Tensor

__all__ = ['DETECTOR_PREFIXES', 'convert_detector', 'move_background_last']

#: Key prefixes of the benchmark's detector (everything else is a head).
DETECTOR_PREFIXES = ('backbone.', 'rpn.', 'roi_heads.box.')

# (benchmark pattern, mmdet replacement) for tensors copied unchanged.
_RENAMES = (
    (r'^backbone\.body\.stem\.', 'backbone.'),
    (r'^backbone\.body\.(layer\d)\.', r'backbone.\1.'),
    (r'^rpn\.head\.conv\.', 'rpn_head.rpn_conv.'),
    (r'^rpn\.head\.cls_logits\.', 'rpn_head.rpn_cls.'),
    (r'^rpn\.head\.bbox_pred\.', 'rpn_head.rpn_reg.'),
    (r'^roi_heads\.box\.feature_extractor\.fc6\.',
     'roi_head.bbox_head.shared_fcs.0.'),
    (r'^roi_heads\.box\.feature_extractor\.fc7\.',
     'roi_head.bbox_head.shared_fcs.1.'),
)
_FPN = re.compile(r'^backbone\.fpn\.fpn_(inner|layer)(\d)\.(weight|bias)$')
_ANCHORS = re.compile(r'^rpn\.anchor_generator\.cell_anchors\.\d+$')
_CLS_SCORE = 'roi_heads.box.predictor.cls_score.'
_BBOX_PRED = 'roi_heads.box.predictor.bbox_pred.'


def move_background_last(tensor: Tensor, group: int = 1) -> Tensor:
    """Rows of class 0 (the benchmark's background) moved to the end.

    Args:
        tensor (Tensor): (num_classes * group, ...) class-indexed rows.
        group (int): Rows per class (4 for box regression).

    Returns:
        Tensor: The rows in the order classes 1..C-1, then class 0.
    """
    return tensor.roll(-group, dims=0).clone()


def _rename(key: str) -> str:
    """The mmdet name of a tensor copied unchanged, or ''."""
    for pattern, repl in _RENAMES:
        if re.match(pattern, key):
            return re.sub(pattern, repl, key)
    match = _FPN.match(key)
    if match:
        kind, level, param = match.groups()
        convs = 'lateral_convs' if kind == 'inner' else 'fpn_convs'
        return f'neck.{convs}.{int(level) - 1}.conv.{param}'
    return ''


def _convert_predictor(source: Dict[str, Tensor], out: Dict[str, Tensor],
                       notes: List[str]) -> None:
    """Box classifier (background last) and regressor (no background)."""
    for param in ('weight', 'bias'):
        key = _CLS_SCORE + param
        if key in source:
            out[f'roi_head.bbox_head.fc_cls.{param}'] = move_background_last(
                source.pop(key))
    for param in ('weight', 'bias'):
        key = _BBOX_PRED + param
        if key not in source:
            continue
        reg = source.pop(key)
        if reg.size(0) == 8:
            notes.append(f'{key}: class-agnostic regression, the foreground '
                         'rows kept (rows 0-3 are the background).')
        else:
            notes.append(f'{key}: the background class\'s 4 rows dropped '
                         '(mmdet regresses foreground classes only).')
        out[f'roi_head.bbox_head.fc_reg.{param}'] = reg[4:].clone()


def convert_detector(source: Dict[str, Tensor]
                     ) -> Tuple[Dict[str, Tensor], List[str]]:
    """Convert (and pop) the detector tensors of a benchmark state dict.

    Args:
        source (dict[str, Tensor]): The benchmark's state dict (no
            ``module.`` prefix). Detector tensors are removed from it.

    Returns:
        tuple[dict[str, Tensor], list[str]]: mmdet tensors and notes on the
        tensors not copied as they are.
    """
    out: Dict[str, Tensor] = OrderedDict()
    notes: List[str] = []
    anchors = []
    for key in [k for k in source if k.startswith(DETECTOR_PREFIXES)]:
        name = _rename(key)
        if name:
            out[name] = source.pop(key)
        elif _ANCHORS.match(key):
            anchors.append(key)
            source.pop(key)
    _convert_predictor(source, out, notes)
    if anchors:
        notes.append(f'{len(anchors)} rpn.anchor_generator.cell_anchors '
                     'skipped: DetectronAnchorGenerator computes them from '
                     'the config.')
    return out, notes
