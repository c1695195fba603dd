"""Loading scene graph annotations into the pipeline results."""
from typing import Optional

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS
from mmdet.structures.bbox import get_box_type

from mmsgg_rde.utils import UserError

__all__ = ['ImageSizeMismatchError', 'LoadSceneGraphAnnotations']


class ImageSizeMismatchError(UserError, ValueError):
    """A loaded image is not the size its annotations were made for."""


@TRANSFORMS.register_module()
class LoadSceneGraphAnnotations(BaseTransform):
    """Load the boxes, labels and relations of a ``VG150Dataset`` item.

    The data info keys differ from the ``gt_*`` results on purpose: a
    ``Resize`` placed before this transform (test pipelines, mmdet style)
    leaves them alone, so test GT stays in original pixels, while a
    ``Resize`` after it (training) rescales ``gt_bboxes``. Relations index
    boxes and are unaffected by geometric transforms.

    The boxes are in the pixels of the image size the dataset gives
    (``image_data.json`` for VG-150). When the image was loaded before this
    transform, its size as loaded (``ori_shape``) must be that size, or
    :class:`ImageSizeMismatchError` names the image: a resized copy of the
    images would shift every box against its object without any error.

    Required Keys:

    - bboxes (np.ndarray): (n, 4) xyxy.
    - bbox_labels (np.ndarray): (n,) object labels.
    - relations (np.ndarray): (R, 3) (subject, object, predicate).
    - width, height (int, optional): Image size of the boxes; checked
      against ``ori_shape`` when both are present.

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
        self._check_image_size(results)
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

    @staticmethod
    def _check_image_size(results: dict) -> None:
        """Raise if the loaded image is not the annotated size."""
        if 'ori_shape' not in results or 'width' not in results \
                or 'height' not in results:
            return
        loaded_h, loaded_w = results['ori_shape'][:2]
        width, height = int(results['width']), int(results['height'])
        if (loaded_w, loaded_h) == (width, height):
            return
        hint = ('a resized copy of the images (VG mirrors with smaller '
                'images exist) shifts every box; use the original images')
        if (loaded_w, loaded_h) == (height, width):
            hint = ('width and height are swapped: the JPEG probably has an '
                    'EXIF orientation, which the benchmark (PIL) ignores; '
                    "load it with LoadImageFromFile(color_type='color_ignore_"
                    "orientation')")
        raise ImageSizeMismatchError(
            f'Image {results.get("img_path", "?")} is {loaded_w}x{loaded_h} '
            f'(width x height) but its annotations (image_data.json) are '
            f'for {width}x{height}: {hint}.')

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(box_type='{self.box_type}')"
