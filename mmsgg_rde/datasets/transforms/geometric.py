"""Resize and flip as the scene graph benchmark's data pipeline does."""
from typing import Sequence, Tuple, Union

import numpy as np
from mmdet.datasets.transforms import RandomFlip, Resize
from mmdet.registry import TRANSFORMS
from mmdet.structures.bbox import autocast_box_type

__all__ = ['ShortSideResize', 'DetectronRandomFlip']


def short_side_size(width: int, height: int, min_size: int,
                    max_size: int) -> Tuple[int, int]:
    """(width, height) with the shorter side ``min_size``, longer <= max.

    The benchmark's rule (its ``Resize.get_size``): when the longer side
    would exceed ``max_size``, the shorter side becomes
    ``round(max_size * short / long)``; the longer side is then
    ``int(size * long / short)`` (truncated), and an image whose shorter
    side already has that size keeps its size.
    """
    short, long = float(min(width, height)), float(max(width, height))
    size = min_size
    if long / short * size > max_size:
        size = int(round(max_size * short / long))
    if (width <= height and width == size) or (height <= width
                                               and height == size):
        return width, height
    if width < height:
        return size, int(size * height / width)
    return int(size * width / height), size


@TRANSFORMS.register_module()
class ShortSideResize(Resize):
    """Resize to a shorter side of ``min_size`` (longer side <= max_size).

    The scene graph benchmark resizes every image (train and test) to a
    shorter side of 600 and a longer side of at most 1000 with the rounding
    of :func:`short_side_size`, with PIL's bilinear filter (which smooths
    when it shrinks). mmdet's ``Resize(scale=(1000, 600), keep_ratio=True)``
    rounds the sides differently (one pixel off for some sizes) and OpenCV's
    bilinear resize does not smooth. Boxes are scaled, not clipped.

    Args:
        min_size (int | Sequence[int]): Shorter side; one is drawn at random
            per image from a sequence (the benchmark's MIN_SIZE_TRAIN).
        max_size (int): Maximum longer side.
        backend (str): Resize backend. Defaults to 'pillow'.
        interpolation (str): Defaults to 'bilinear'.
    """

    def __init__(self,
                 min_size: Union[int, Sequence[int]] = 600,
                 max_size: int = 1000,
                 backend: str = 'pillow',
                 interpolation: str = 'bilinear') -> None:
        sizes = (min_size, ) if isinstance(min_size, int) else tuple(min_size)
        if not sizes:
            raise ValueError('ShortSideResize: min_size is empty.')
        super().__init__(
            scale=(max_size, sizes[0]),
            keep_ratio=False,
            clip_object_border=False,
            backend=backend,
            interpolation=interpolation)
        self.min_sizes = sizes
        self.max_size = max_size

    @autocast_box_type()
    def transform(self, results: dict) -> dict:
        """Resize ``img`` and ``gt_bboxes``; set ``scale_factor``."""
        height, width = results['img'].shape[:2]
        min_size = self.min_sizes[np.random.randint(len(self.min_sizes))]
        results['scale'] = short_side_size(width, height, min_size,
                                           self.max_size)
        self._resize_img(results)
        self._resize_bboxes(results)
        self._resize_masks(results)
        self._resize_seg(results)
        self._record_homography_matrix(results)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(min_size={self.min_sizes}, '
                f'max_size={self.max_size}, backend={self.backend}, '
                f'interpolation={self.interpolation})')


@TRANSFORMS.register_module()
class DetectronRandomFlip(RandomFlip):
    """Horizontal flip of inclusive pixel boxes: ``x -> W - 1 - x``.

    The benchmark flips a box ``(x1, y1, x2, y2)`` of an image ``W`` wide to
    ``(W - 1 - x2, y1, W - 1 - x1, y2)``: its boxes are inclusive pixel
    ranges (VG-150 boxes are clipped to ``W - 1``), where mmdet's
    ``RandomFlip`` maps them to ``(W - x2, ..., W - x1, ...)``, one pixel
    off. Only horizontal flips; ``prob`` as in ``RandomFlip``.
    """

    def __init__(self, prob: float = 0.5) -> None:
        super().__init__(prob=prob, direction='horizontal')

    def _flip(self, results: dict) -> None:
        """Flip the image and boxes (and masks/maps as mmdet does)."""
        super()._flip(results)
        if results.get('gt_bboxes', None) is not None:
            results['gt_bboxes'].translate_([-1, 0])
