"""The benchmark detector's Detectron-era conventions as mmdet components.

The scene graph benchmark's Faster R-CNN (maskrcnn-benchmark) keeps
Detectron's conventions: inclusive pixel boxes ("+1" sizes and areas),
anchors rounded on the stride-sized cell, per-level RPN proposal selection,
the FPN level of a RoI from its "+1" area. mmdet's built-in components
differ on each point by up to a few pixels, so with them a converted
benchmark checkpoint would not compute what it computes in the benchmark.
Each module reproduces one convention; the frozen batch norm without
epsilon is mmdet's ``FrozenBN`` with ``eps=0``.
"""
from .anchor_generator import DetectronAnchorGenerator
from .bbox_coder import DetectronDeltaXYWHBBoxCoder
from .proposal_labels import assign_proposal_labels, pixel_box_iou
from .roi_extractor import DetectronRoIExtractor
from .rpn_head import DetectronRPNHead

__all__ = [
    'DetectronAnchorGenerator', 'DetectronDeltaXYWHBBoxCoder',
    'assign_proposal_labels', 'pixel_box_iou', 'DetectronRoIExtractor',
    'DetectronRPNHead'
]
