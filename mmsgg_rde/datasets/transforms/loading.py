"""Loading scene graph annotations into the pipeline results."""
from typing import Optional

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS
from mmdet.structures.bbox import get_box_type

__all__ = ['LoadSceneGraphAnnotations']


@TRANSFORMS.register_module()
class LoadSceneGraphAnnotations(BaseTransform):
    """Load the boxes, labels and relations of a ``VG150Dataset`` item.

    The data info keys differ from the ``gt_*`` results on purpose: a
    ``Resize`` placed before this transform (test pipelines, mmdet style)
    leaves them alone, so test GT stays in original pixels, while a
    ``Resize`` after it (training) rescales ``gt_bboxes``. Relations index
    boxes and are unaffected by geometric transforms.

    Required Keys:

    - bboxes (np.ndarray): (n, 4) xyxy.
    - bbox_labels (np.ndarray): (n,) object labels.
    - relations (np.ndarray): (R, 3) (subject, object, predicate).

    Added Keys:

    - gt_bboxes (BaseBoxes[torch.float32])
    - gt_bboxes_labels (np.int64)
    - gt_ignore_flags (bool): all False.
    - gt_relations (np.int64): (R, 3).

    Args:
        box_type: Box type of ``gt_bboxes`` (mmdet's box registry).
            Defaults to 'hbox'.
    """

    def __init__(self, box_type: Optional[str] = 'hbox') -> None:
        self.box_type = box_type

    def transform(self, results: dict) -> dict:
        """Add the ``gt_*`` keys to ``results``."""
        missing = [
            key for key in ('bboxes', 'bbox_labels', 'relations')
            if key not in results
        ]
        if missing:
            raise KeyError(
                f'LoadSceneGraphAnnotations: results lack {missing}; use it '
                'on items of VG150Dataset (or a dataset with these keys).')
        bboxes = np.asarray(results['bboxes'], dtype=np.float32)
        bboxes = bboxes.reshape(-1, 4)
        if self.box_type is None:
            results['gt_bboxes'] = bboxes
        else:
            _, box_type_cls = get_box_type(self.box_type)
            results['gt_bboxes'] = box_type_cls(bboxes, dtype=torch.float32)
        results['gt_bboxes_labels'] = np.asarray(
            results['bbox_labels'], dtype=np.int64)
        results['gt_ignore_flags'] = np.zeros(len(bboxes), dtype=bool)
        results['gt_relations'] = np.asarray(
            results['relations'], dtype=np.int64).reshape(-1, 3)
        return results

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(box_type='{self.box_type}')"
