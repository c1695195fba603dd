"""Inputs of :class:`SceneGraphInferencer`: images and user-given boxes.

Boxes file (``--boxes``, or ``boxes=`` in Python), a JSON object keyed by
image (the path as given, or its file name)::

    {
      "street.jpg": {"bboxes": [[10, 20, 200, 310], [150, 40, 380, 300]],
                     "labels": ["man", "horse"]},
      "kitchen.jpg": {"bboxes": [[0, 0, 64, 48]]}
    }

``bboxes`` are ``x1, y1, x2, y2`` in pixels of the original image (four
numbers each); ``labels`` are class names of the model's vocabulary, or
0-based class ids (integers; ``true``/``false`` are not ids). PredCls needs
both; SGCls uses only the boxes (the model labels them); SGDet takes no
boxes.
"""
import json
import os.path as osp
from typing import Dict, List, NamedTuple, Optional, Sequence, Union

import cv2
import mmcv
import numpy as np
from mmengine.fileio import get
from mmengine.utils import scandir

from mmsgg_rde.utils import UserError

__all__ = [
    'IMG_EXTENSIONS', 'InferenceInputError', 'InferenceInput', 'list_images',
    'load_boxes_file', 'attach_boxes', 'read_image', 'check_boxes'
]

IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif',
                  '.tiff', '.webp')

ImageSource = Union[str, np.ndarray]
BoxesArg = Union[None, str, Dict[str, dict], Sequence[Optional[dict]]]


class InferenceInputError(UserError, ValueError):
    """An input image (or its boxes) that cannot be used; the message names
    the image and what is wrong."""


class InferenceInput(NamedTuple):
    """One image to infer on.

    Attributes:
        source: Image path, or a (H, W, 3) BGR uint8 array.
        name: How results and messages name it: the path, or for an array
            ``'<index>.jpg'``, its 8-digit position among the inputs of
            the inferencer (counted over its calls).
        boxes: ``{'bboxes': ..., 'labels': ...}`` given by the user, or None.
    """

    source: ImageSource
    name: str
    boxes: Optional[dict]


def list_images(inputs: Union[ImageSource, Sequence[ImageSource]],
                start_index: int = 0) -> List[InferenceInput]:
    """Expand a path, folder, array or list of them into single images.

    Args:
        inputs: Image path, folder (its image files, sorted), array, or a
            list of paths and arrays.
        start_index: Position of the first input (names arrays).

    Returns:
        list[InferenceInput]: One per image, without boxes.
    """
    if isinstance(inputs, str) and osp.isdir(inputs):
        names = sorted(scandir(inputs, IMG_EXTENSIONS, case_sensitive=False))
        if not names:
            raise InferenceInputError(
                f'The folder "{inputs}" has no image files '
                f'({", ".join(IMG_EXTENSIONS)}).')
        inputs = [osp.join(inputs, name) for name in names]
    if isinstance(inputs, (str, np.ndarray)):
        inputs = [inputs]
    if len(inputs) == 0:
        raise InferenceInputError('No input images were given.')
    items = []
    for i, source in enumerate(inputs):
        if isinstance(source, str):
            name = source
        elif isinstance(source, np.ndarray):
            name = f'{start_index + i:08d}.jpg'
        else:
            raise InferenceInputError(
                f'Input {i} is a {type(source).__name__}; give image paths, '
                'folders or (H, W, 3) BGR uint8 arrays.')
        items.append(InferenceInput(source, name, None))
    return items


def load_boxes_file(path: str) -> Dict[str, dict]:
    """Read a boxes JSON file (layout in this module's docstring)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'Boxes file "{path}" not found.')
    try:
        with open(path) as f:
            boxes = json.load(f)
    except json.JSONDecodeError as e:
        raise InferenceInputError(
            f'Boxes file "{path}" is not valid JSON ({e}).') from e
    if not isinstance(boxes, dict) or not all(
            isinstance(v, dict) for v in boxes.values()):
        raise InferenceInputError(
            f'Boxes file "{path}" must be a JSON object mapping each image '
            '(path or file name) to {"bboxes": [[x1, y1, x2, y2], ...], '
            '"labels": [...]}.')
    return boxes


def attach_boxes(items: List[InferenceInput],
                 boxes: BoxesArg) -> List[InferenceInput]:
    """Give each image its boxes.

    Args:
        items: Images from :func:`list_images`.
        boxes: None; a boxes file path; a dict keyed by image path or file
            name; or a list with one entry (or None) per image.

    Returns:
        list[InferenceInput]: The images, ``boxes`` set where given.
    """
    if boxes is None:
        return items
    if isinstance(boxes, str):
        boxes = load_boxes_file(boxes)
    if isinstance(boxes, dict):
        return [
            item._replace(
                boxes=boxes.get(item.name, boxes.get(osp.basename(item.name))))
            for item in items
        ]
    if len(boxes) != len(items):
        raise InferenceInputError(
            f'Got {len(boxes)} box entries for {len(items)} images; give one '
            'per image (None for none) or a dict keyed by image.')
    return [item._replace(boxes=b) for item, b in zip(items, boxes)]


def read_image(item: InferenceInput) -> np.ndarray:
    """The (H, W, 3) BGR uint8 image of an input, or a clear error."""
    if isinstance(item.source, np.ndarray):
        img = item.source
        if img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8:
            raise InferenceInputError(
                f'{item.name}: an image array must be (H, W, 3) uint8 BGR, '
                f'got {img.shape} {img.dtype}.')
        return img
    try:
        content = get(item.source)
    except FileNotFoundError as e:
        raise InferenceInputError(f'{item.name}: image file not found.') from e
    if not content:
        raise InferenceInputError(f'{item.name}: the image file is empty.')
    try:
        img = mmcv.imfrombytes(content)
    except cv2.error as e:
        raise InferenceInputError(
            f'{item.name}: cannot decode the image ({e}).') from e
    if img is None:
        raise InferenceInputError(
            f'{item.name}: not a readable image (cannot decode it).')
    if img.ndim == 2:
        img = mmcv.gray2bgr(img)
    return img


def check_boxes(item: InferenceInput, width: int, height: int,
                classes: Sequence[str], need_labels: bool) -> dict:
    """Check an input's boxes against its image and the vocabulary.

    Args:
        item: The image, with ``boxes``.
        width: Image width.
        height: Image height.
        classes: Class names of the model.
        need_labels: Labels are required (PredCls).

    Returns:
        dict: ``bboxes`` (n, 4) float32 and ``bbox_labels`` (n,) int64
        (zeros when labels are not needed and not given).
    """
    mode = 'PredCls' if need_labels else 'SGCls'
    if item.boxes is not None and not isinstance(item.boxes, dict):
        raise InferenceInputError(
            f'{item.name}: its boxes entry is a {type(item.boxes).__name__}; '
            'give {"bboxes": [[x1, y1, x2, y2], ...], "labels": [...]}.')
    if item.boxes is None or item.boxes.get('bboxes') is None:
        raise InferenceInputError(
            f'{item.name}: no boxes given; {mode} needs the boxes'
            f'{" and labels" if need_labels else ""} of every image '
            '(--boxes FILE, layout in docs/inference.md).')
    bboxes = _box_array(item.name, item.boxes['bboxes'])
    bad = ~np.isfinite(bboxes).all(1) | (bboxes[:, 2] <= bboxes[:, 0]) | (
        bboxes[:, 3] <= bboxes[:, 1])
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InferenceInputError(
            f'{item.name}: box {i} {bboxes[i].tolist()} needs x1 < x2 and '
            'y1 < y2 (x1, y1, x2, y2 in pixels).')
    outside = (bboxes[:, :2] < 0).any(1) | (bboxes[:, 2] > width) | (
        bboxes[:, 3] > height)
    if outside.any():
        i = int(np.flatnonzero(outside)[0])
        raise InferenceInputError(
            f'{item.name}: box {i} {bboxes[i].tolist()} lies outside the '
            f'{width}x{height} image (x in [0, {width}], y in [0, '
            f'{height}]); boxes are in pixels of the original image.')
    labels = item.boxes.get('labels')
    if labels is None:
        if need_labels:
            raise InferenceInputError(
                f'{item.name}: no "labels"; PredCls needs a class for each '
                'box.')
        labels = np.zeros(len(bboxes), dtype=np.int64)
    else:
        labels = _label_ids(item.name, labels, classes, len(bboxes))
    return dict(bboxes=bboxes.astype(np.float32), bbox_labels=labels)


def _is_number(value: object) -> bool:
    """A real number that is not a boolean."""
    return isinstance(value, (int, float, np.integer, np.floating)) and \
        not isinstance(value, (bool, np.bool_))


def _box_array(name: str, bboxes: object) -> np.ndarray:
    """A boxes list as an (n, 4) float64 array, or an error naming the
    first entry that is not four numbers."""
    if isinstance(bboxes, np.ndarray):
        bboxes = bboxes.tolist()
    if not isinstance(bboxes, (list, tuple)) or len(bboxes) == 0:
        raise InferenceInputError(
            f'{name}: "bboxes" must be a non-empty list of [x1, y1, x2, y2], '
            f'got {bboxes!r:.60}.')
    for i, box in enumerate(bboxes):
        if isinstance(box, np.ndarray):
            box = box.tolist()
        if not (isinstance(box, (list, tuple)) and len(box) == 4
                and all(_is_number(v) for v in box)):
            raise InferenceInputError(
                f'{name}: box {i} {box!r:.60} must be [x1, y1, x2, y2], four '
                'numbers in pixels.')
    return np.asarray(bboxes, dtype=np.float64)


def _label_ids(name: str, labels: Sequence[Union[str, int]],
               classes: Sequence[str], num_boxes: int) -> np.ndarray:
    """Class names or ids as 0-based ids."""
    if isinstance(labels, np.ndarray):
        labels = labels.tolist()
    if not isinstance(labels, (list, tuple)):
        raise InferenceInputError(
            f'{name}: "labels" must be a list with a class name or id per '
            f'box, got {labels!r:.60}.')
    if len(labels) != num_boxes:
        raise InferenceInputError(
            f'{name}: {len(labels)} labels for {num_boxes} boxes; give one '
            'per box.')
    index = {c: i for i, c in enumerate(classes)}
    ids = []
    for i, label in enumerate(labels):
        if isinstance(label, str):
            if label not in index:
                raise InferenceInputError(
                    f'{name}: label "{label}" of box {i} is not a class of '
                    "the model (its dataset_meta['classes']).")
            ids.append(index[label])
        elif isinstance(label, (int, np.integer)) and not isinstance(
                label, bool) and 0 <= label < len(classes):
            ids.append(int(label))
        else:
            raise InferenceInputError(
                f'{name}: label {label!r} of box {i} must be a class name or '
                f'an id in 0..{len(classes) - 1}.')
    return np.asarray(ids, dtype=np.int64)
