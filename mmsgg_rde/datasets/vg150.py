"""The VG-150 scene graph dataset, read from the public benchmark's files.

Splits, filters and box conversion reproduce the public scene graph
benchmark exactly. One difference: boxes that are empty after clipping
(rare: a box at the very edge of an image) are kept; the benchmark drops
them from its training targets only. Annotations of a split are kept as a
few concatenated numpy arrays plus per-image offsets
(:class:`SceneGraphArrays`): the 1.1 M boxes of VG-150 load in seconds and
dataloader workers share the arrays instead of copying per-image objects.
"""
import copy
import hashlib
import json
import os
import os.path as osp
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple, Union

import h5py
import numpy as np
from mmdet.datasets import BaseDetDataset
from mmdet.registry import DATASETS
from mmengine.dataset import force_full_init
from mmengine.logging import print_log

from mmsgg_rde.utils import UserError
from .statistics import compute_frequency_statistics
from .vg150_io import (BOX_SCALE, CORRUPTED_IMAGE_IDS, DEFAULT_DICT_FILE,
                       load_vocabulary)

__all__ = [
    'VG150Dataset', 'VG150FormatError', 'EmptySplitError', 'SceneGraphArrays',
    'load_vg150_split', 'load_image_data', 'cxcywh_to_xyxy',
    'xyxy_1024_to_pixels'
]

SPLITS = ('train', 'val', 'test')
#: h5 split flag of each split (val is carved out of the train flag).
SPLIT_FLAGS = dict(train=0, val=0, test=2)
#: Bump when the statistics computation changes, to invalidate caches.
_STATISTICS_VERSION = 1


class VG150FormatError(UserError, ValueError):
    """A VG-150 file is present but its content is not what is expected."""


class EmptySplitError(UserError, ValueError):
    """The split settings leave a split without images."""


@dataclass
class SceneGraphArrays:
    """Scene graphs of a split as concatenated arrays.

    Image ``i`` owns box rows ``box_offsets[i]:box_offsets[i + 1]`` and
    relation rows ``rel_offsets[i]:rel_offsets[i + 1]``.

    Attributes:
        img_ids: (I,) image ids (file ``<img_id>.jpg``).
        widths: (I,) image widths from ``image_data.json``.
        heights: (I,) image heights from ``image_data.json``.
        box_offsets: (I + 1,) int64.
        rel_offsets: (I + 1,) int64.
        bboxes: (N, 4) xyxy boxes.
        labels: (N,) int64 object labels 0..149.
        relations: (R, 3) int64 (subject, object, predicate 1..50), subject
            and object local to their image.
    """
    img_ids: np.ndarray
    widths: np.ndarray
    heights: np.ndarray
    box_offsets: np.ndarray
    rel_offsets: np.ndarray
    bboxes: np.ndarray
    labels: np.ndarray
    relations: np.ndarray

    def __len__(self) -> int:
        return len(self.img_ids)

    def boxes_of(self, idx: int) -> slice:
        """Box rows of image ``idx``."""
        return slice(self.box_offsets[idx], self.box_offsets[idx + 1])

    def relations_of(self, idx: int) -> slice:
        """Relation rows of image ``idx``."""
        return slice(self.rel_offsets[idx], self.rel_offsets[idx + 1])

    def subset(self, indices: np.ndarray) -> 'SceneGraphArrays':
        """The images ``indices`` (in that order), as new arrays."""
        indices = np.asarray(indices, dtype=np.int64)
        box_rows, box_offsets = _gather_ranges(
            self.box_offsets[indices],
            np.diff(self.box_offsets)[indices])
        rel_rows, rel_offsets = _gather_ranges(
            self.rel_offsets[indices],
            np.diff(self.rel_offsets)[indices])
        return SceneGraphArrays(
            img_ids=self.img_ids[indices],
            widths=self.widths[indices],
            heights=self.heights[indices],
            box_offsets=box_offsets,
            rel_offsets=rel_offsets,
            bboxes=self.bboxes[box_rows],
            labels=self.labels[box_rows],
            relations=self.relations[rel_rows])


def _gather_ranges(starts: np.ndarray,
                   counts: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Rows of the concatenated ranges ``starts[i]:starts[i] + counts[i]``
    and the offsets of each range in the result."""
    counts = np.asarray(counts, dtype=np.int64)
    offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    rows = (
        np.repeat(np.asarray(starts, dtype=np.int64) - offsets[:-1], counts) +
        np.arange(offsets[-1]))
    return rows, offsets


def cxcywh_to_xyxy(boxes: np.ndarray) -> np.ndarray:
    """Convert the h5's int cx, cy, w, h to int32 xyxy like the benchmark.

    ``x1 = cx - w / 2`` is truncated toward zero (the benchmark assigns the
    float result back into its int32 array), then ``x2 = x1 + w``.
    """
    boxes = np.asarray(boxes, dtype=np.int32).reshape(-1, 4)
    top_left = np.trunc(boxes[:, :2] - boxes[:, 2:] / 2).astype(np.int32)
    return np.concatenate([top_left, top_left + boxes[:, 2:]], axis=1)


def xyxy_1024_to_pixels(boxes: np.ndarray, widths: np.ndarray,
                        heights: np.ndarray) -> np.ndarray:
    """Scale xyxy boxes at longer side 1024 to image pixels and clip them.

    Args:
        boxes: (N, 4) boxes from :func:`cxcywh_to_xyxy`.
        widths: (N,) width of each box's image.
        heights: (N,) height of each box's image.

    Returns:
        np.ndarray: (N, 4) float32, x in [0, W - 1], y in [0, H - 1].
    """
    widths = np.asarray(widths, dtype=np.float64)
    heights = np.asarray(heights, dtype=np.float64)
    scale = np.maximum(widths, heights)[:, None]
    out = np.asarray(boxes, dtype=np.float64) / BOX_SCALE * scale
    out[:, 0::2] = np.clip(out[:, 0::2], 0, (widths - 1)[:, None])
    out[:, 1::2] = np.clip(out[:, 1::2], 0, (heights - 1)[:, None])
    return out.astype(np.float32)


def _require_file(path: str, what: str, hint: str = '') -> None:
    """Raise a FileNotFoundError that says where ``path`` belongs."""
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{what} not found at "{path}". Download the VG-150 files and '
            'put them under the dataset data_root (VG-SGG-with-attri.h5, '
            'VG-SGG-dicts-with-attri.json, image_data.json and the images '
            f'in VG_100K/), or set the path in the dataset config.{hint}')


def load_image_data(image_file: str, num_images: int) -> Dict[str, np.ndarray]:
    """Read ``image_data.json`` and align it with the h5 rows.

    The four corrupted entries (:data:`CORRUPTED_IMAGE_IDS`) are dropped;
    the rest must line up row for row with the h5's images.

    Returns:
        dict: ``img_ids``, ``widths``, ``heights``, (num_images,) int64.
    """
    _require_file(image_file, 'image_data.json')
    with open(image_file) as f:
        records = json.load(f)
    if not isinstance(records, list):
        raise VG150FormatError(
            f'{image_file}: expected a list of image records, got '
            f'{type(records).__name__}')
    try:
        table = np.array([(r['image_id'], r['width'], r['height'])
                          for r in records],
                         dtype=np.int64).reshape(-1, 3)
    except (KeyError, TypeError) as e:
        raise VG150FormatError(
            f'{image_file}: every record needs "image_id", "width" and '
            f'"height" ({e!r}); is this the VG image_data.json?') from e
    table = table[~np.isin(table[:, 0], CORRUPTED_IMAGE_IDS)]
    if len(table) != num_images:
        raise VG150FormatError(
            f'{image_file} has {len(table)} images after dropping the '
            f'corrupted ids {CORRUPTED_IMAGE_IDS}, but the h5 has '
            f'{num_images}; they must line up row for row. Use the '
            'image_data.json released with this VG-SGG-with-attri.h5.')
    if np.any(table[:, 1:] <= 0):
        row = int(np.nonzero(np.any(table[:, 1:] <= 0, axis=1))[0][0])
        raise VG150FormatError(
            f'{image_file}: image {table[row, 0]} has a non-positive '
            'width or height; fix the record.')
    return dict(img_ids=table[:, 0], widths=table[:, 1], heights=table[:, 2])


_H5_KEYS = ('split', 'img_to_first_box', 'img_to_last_box', 'img_to_first_rel',
            'img_to_last_rel', 'labels', 'boxes_1024', 'predicates',
            'relationships')


def _read_h5(h5_file: str) -> Dict[str, np.ndarray]:
    """Read the needed h5 datasets, each in one go, and check their shapes."""
    _require_file(h5_file, 'VG-SGG-with-attri.h5')
    try:
        with h5py.File(h5_file, 'r') as f:
            missing = [k for k in _H5_KEYS if k not in f]
            if missing:
                raise VG150FormatError(
                    f'{h5_file}: missing datasets {missing}; the file is '
                    'truncated or not a VG-SGG-with-attri.h5. Download it '
                    'again.')
            arrays = {k: f[k][()] for k in _H5_KEYS}
    except OSError as e:
        raise VG150FormatError(
            f'{h5_file}: not a readable HDF5 file ({e}); download '
            'VG-SGG-with-attri.h5 again.') from e
    arrays['labels'] = arrays['labels'].reshape(-1)
    arrays['predicates'] = arrays['predicates'].reshape(-1)
    expected = dict(
        img_to_first_box=('split', 1),
        img_to_last_box=('split', 1),
        img_to_first_rel=('split', 1),
        img_to_last_rel=('split', 1),
        boxes_1024=('labels', 4),
        relationships=('predicates', 2))
    for key, (ref, width) in expected.items():
        shape = arrays[key].shape
        size = len(arrays[ref])
        if shape[0] != size or (width > 1 and shape[1:] != (width, )):
            raise VG150FormatError(
                f'{h5_file}: "{key}" has shape {shape} but "{ref}" has '
                f'{size} rows (expected ({size}'
                f'{", " + str(width) if width > 1 else ""})); the file is '
                'inconsistent, download it again.')
    return arrays


def _check_values(h5_file: str, arrays: Dict[str, np.ndarray],
                  num_classes: int, num_predicates: int) -> None:
    """Check the value ranges of labels, predicates and boxes."""
    checks = (
        ('labels', arrays['labels'], 1, num_classes),
        ('predicates', arrays['predicates'], 1, num_predicates),
    )
    for key, values, low, high in checks:
        bad = np.nonzero((values < low) | (values > high))[0]
        if bad.size:
            raise VG150FormatError(
                f'{h5_file}: "{key}" row {bad[0]} is {values[bad[0]]}, '
                f'outside {low}..{high} ({bad.size} bad rows); the file '
                'does not match the vocabulary VG-SGG-dicts-with-attri.json.')
    boxes = arrays['boxes_1024']
    bad = np.nonzero(
        np.any(boxes[:, :2] < 0, axis=1)
        | np.any(boxes[:, 2:] <= 0, axis=1))[0]
    if bad.size:
        raise VG150FormatError(
            f'{h5_file}: "boxes_1024" row {bad[0]} is {boxes[bad[0]]}; '
            'boxes must be cx, cy >= 0 and w, h > 0 '
            f'({bad.size} bad rows). Download the file again.')


def _select_images(h5_file: str, arrays: Dict[str, np.ndarray], split: str,
                   num_val_images: int, filter_empty_rels: bool) -> np.ndarray:
    """h5 rows of the images of ``split``, in file order.

    Raises:
        EmptySplitError: No image is left; the message says which setting
            removed the last ones.
    """
    flagged = arrays['split'] == SPLIT_FLAGS[split]
    keep = flagged & (arrays['img_to_first_box'] >= 0)
    if filter_empty_rels:
        keep &= arrays['img_to_first_rel'] >= 0
    index = np.nonzero(keep)[0]
    if num_val_images > 0 and split == 'val':
        index = index[:num_val_images]
    elif num_val_images > 0 and split == 'train':
        index = index[num_val_images:]
    if len(index) == 0:
        raise _empty_split_error(h5_file, split, int(flagged.sum()),
                                 int(keep.sum()), num_val_images,
                                 filter_empty_rels)
    return index


def _empty_split_error(h5_file: str, split: str, num_flagged: int,
                       num_kept: int, num_val_images: int,
                       filter_empty_rels: bool) -> EmptySplitError:
    """An :class:`EmptySplitError` naming the setting that emptied
    ``split``."""
    flag = f'split flag {SPLIT_FLAGS[split]}'
    prefix = f'Split \'{split}\' of {h5_file} has 0 images'
    if num_flagged == 0:
        return EmptySplitError(
            f'{prefix}: no image of the file has the {split} {flag}. Check '
            'that ann_file is a VG-SGG-with-attri.h5 with train and test '
            'images.')
    with_what = 'boxes and relations' if filter_empty_rels else 'boxes'
    if num_kept == 0:
        setting = (' (filter_empty_rels=True drops images without '
                   'relations)' if filter_empty_rels else '')
        return EmptySplitError(
            f'{prefix}: none of the {num_flagged} images with the {flag} has '
            f'{with_what}{setting}.')
    return EmptySplitError(
        f'{prefix} after num_val_images={num_val_images} took all '
        f'{num_kept} images with the {flag} and {with_what} for val. Lower '
        f'num_val_images below {num_kept} (in both train_dataloader.dataset '
        'and val_dataloader.dataset, e.g. --cfg-options '
        'train_dataloader.dataset.num_val_images=N '
        'val_dataloader.dataset.num_val_images=N).')


def _image_ranges(h5_file: str, arrays: Dict[str,
                                             np.ndarray], index: np.ndarray,
                  kind: str) -> Tuple[np.ndarray, np.ndarray]:
    """First rows and counts of ``kind`` ('box' or 'rel') of the images."""
    first = arrays[f'img_to_first_{kind}'][index].astype(np.int64)
    last = arrays[f'img_to_last_{kind}'][index].astype(np.int64)
    total = len(arrays['labels' if kind == 'box' else 'predicates'])
    present = first >= 0
    bad = np.nonzero(present & ((last < first) | (last >= total)))[0]
    if bad.size:
        i = index[bad[0]]
        raise VG150FormatError(
            f'{h5_file}: image row {i} has img_to_first_{kind}='
            f'{first[bad[0]]}, img_to_last_{kind}={last[bad[0]]} but there '
            f'are {total} rows; the file is truncated or corrupt.')
    counts = np.where(present, last - first + 1, 0)
    return np.where(present, first, 0), counts


def _filter_non_overlap(boxes: np.ndarray, relations: np.ndarray,
                        rel_offsets: np.ndarray,
                        box_offsets: np.ndarray) -> np.ndarray:
    """Mask of relations whose boxes intersect with the "+1" convention."""
    base = np.repeat(box_offsets[:-1], np.diff(rel_offsets))
    sub = boxes[relations[:, 0] + base].astype(np.int64)
    obj = boxes[relations[:, 1] + base].astype(np.int64)
    width = np.minimum(sub[:, 2], obj[:, 2]) - np.maximum(sub[:, 0], obj[:, 0])
    height = np.minimum(sub[:, 3], obj[:, 3]) - np.maximum(
        sub[:, 1], obj[:, 1])
    return (width + 1 > 0) & (height + 1 > 0)


def load_vg150_split(h5_file: str,
                     image_file: str,
                     split: str,
                     num_classes: int,
                     num_predicates: int,
                     num_val_images: int = 5000,
                     filter_empty_rels: bool = True,
                     filter_non_overlap: bool = False) -> SceneGraphArrays:
    """Load one split of VG-150 as the benchmark does.

    Args:
        h5_file: ``VG-SGG-with-attri.h5``.
        image_file: ``image_data.json``.
        split: 'train', 'val' or 'test'.
        num_classes: Object labels in the file are 1..num_classes.
        num_predicates: Predicates in the file are 1..num_predicates.
        num_val_images: val is the first ``num_val_images`` train-flag
            images (after the filters), train the rest.
        filter_empty_rels: Drop images without relations.
        filter_non_overlap: Keep only relations whose boxes overlap and drop
            images left without one (applied to train only, as the
            benchmark does).

    Returns:
        SceneGraphArrays: boxes are int32 xyxy at longer side 1024 (see
        :func:`xyxy_1024_to_pixels`), labels 0-based.
    """
    if split not in SPLITS:
        raise ValueError(f'split must be one of {SPLITS}, got "{split}"')
    arrays = _read_h5(h5_file)
    _check_values(h5_file, arrays, num_classes, num_predicates)
    image_data = load_image_data(image_file, len(arrays['split']))
    index = _select_images(h5_file, arrays, split, num_val_images,
                           filter_empty_rels)

    box_first, box_counts = _image_ranges(h5_file, arrays, index, 'box')
    rel_first, rel_counts = _image_ranges(h5_file, arrays, index, 'rel')
    box_rows, box_offsets = _gather_ranges(box_first, box_counts)
    rel_rows, rel_offsets = _gather_ranges(rel_first, rel_counts)
    pairs = arrays['relationships'][rel_rows].astype(np.int64)
    pairs -= np.repeat(box_first, rel_counts)[:, None]
    outside = np.any(
        (pairs < 0) | (pairs >= np.repeat(box_counts, rel_counts)[:, None]),
        axis=1)
    if outside.any():
        row = int(rel_rows[np.argmax(outside)])
        raise VG150FormatError(
            f'{h5_file}: "relationships" row {row} points outside the box '
            'rows of its image (img_to_first_box..img_to_last_box); the file '
            'is corrupt, download it again.')
    graphs = SceneGraphArrays(
        img_ids=image_data['img_ids'][index],
        widths=image_data['widths'][index],
        heights=image_data['heights'][index],
        box_offsets=box_offsets,
        rel_offsets=rel_offsets,
        bboxes=cxcywh_to_xyxy(arrays['boxes_1024'][box_rows]),
        labels=arrays['labels'][box_rows].astype(np.int64) - 1,
        relations=np.concatenate(
            [pairs, arrays['predicates'][rel_rows, None].astype(np.int64)],
            axis=1))
    if filter_non_overlap and split == 'train':
        graphs = _drop_non_overlapping(graphs)
        if len(graphs) == 0:
            raise EmptySplitError(
                f'Split \'train\' of {h5_file} has 0 images after '
                f'filter_non_overlap=True dropped all {len(index)}: none has '
                'a relation between overlapping boxes. Set '
                'filter_non_overlap=False.')
    return graphs


def _drop_non_overlapping(graphs: SceneGraphArrays) -> SceneGraphArrays:
    """Keep overlapping relations; drop images left without relations."""
    keep = _filter_non_overlap(graphs.bboxes, graphs.relations,
                               graphs.rel_offsets, graphs.box_offsets)
    image_of_rel = np.repeat(
        np.arange(len(graphs)), np.diff(graphs.rel_offsets))
    kept_counts = np.bincount(image_of_rel[keep], minlength=len(graphs))
    graphs.relations = graphs.relations[keep]
    graphs.rel_offsets = np.concatenate([[0], np.cumsum(kept_counts)])
    return graphs.subset(np.nonzero(kept_counts > 0)[0])


def _pick_one_predicate(relations: np.ndarray,
                        rng: Optional[np.random.Generator] = None
                        ) -> np.ndarray:
    """Keep one random predicate per (subject, object) pair.

    Pairs keep the order of their first occurrence. ``rng=None`` draws from
    numpy's global generator.
    """
    if len(relations) == 0:
        return relations
    keys = relations[:, 0] * (relations[:, :2].max() + 1) + relations[:, 1]
    permutation = np.random.permutation if rng is None else rng.permutation
    order = permutation(len(relations))
    _, chosen = np.unique(keys[order], return_index=True)
    _, first = np.unique(keys, return_index=True)
    return relations[order[chosen][np.argsort(first)]]


@DATASETS.register_module()
class VG150Dataset(BaseDetDataset):
    """Visual Genome VG-150 scene graphs (the public SGG benchmark split).

    Each item's data info holds ``img_path``, ``img_id``, ``width``,
    ``height``, ``bboxes`` (n, 4) float32 xyxy in original pixels,
    ``bbox_labels`` (n,) int64 0..149 and ``relations`` (R, 3) int64
    (subject, object, predicate 1..50); ``LoadSceneGraphAnnotations`` turns
    them into ``gt_*`` results.

    Class and predicate names are read from ``dict_file`` into
    ``metainfo['classes']`` and ``metainfo['predicates']``.

    Args:
        split: 'train', 'val' or 'test'.
        ann_file: The h5 file, relative to ``data_root``.
        dict_file: The vocabulary json, relative to ``data_root``.
        image_file: ``image_data.json``, relative to ``data_root``.
        data_prefix: ``img``: the image folder, relative to ``data_root``.
        num_val_images: Size of val, carved from the start of the train
            flag images.
        filter_empty_rels: Drop images without relations.
        filter_duplicate_rels: Keep one random predicate per (subject,
            object) pair. ``None``: on for train, off for val and test.
        duplicate_rels_seed: ``None`` draws the predicate anew at each
            access from numpy's global generator, like the benchmark (a
            different choice each epoch); an int makes the choice fixed per
            image (seeded by ``(seed, img_id)``), equal across epochs and
            ranks.
        filter_non_overlap: Keep only relations whose boxes overlap (train
            only, off in the standard setting).
        check_images: Check at init that every image of the split exists
            (one directory listing).
        img_suffix: Image file suffix.
        statistics_cache_dir: Where :meth:`get_statistics` caches its
            result. Defaults to ``~/.cache/mmsgg_rde``.
        statistics_filter_non_overlap: ``filter_non_overlap`` of the split
            the statistics are counted on. The benchmark builds that split
            with its default, True.
        statistics_must_overlap: Count only overlapping box pairs as
            background (see :func:`count_overlapping_pairs`).
        statistics_eps: ``eps`` of the log frequency bias.
        lazy_init: Defer loading the annotations to the first access.
        missing_files_hint: How to get the files when they are missing
            (e.g. SynthVG's generation command). ``None``: download VG-150.
        **kwargs: Passed to :class:`BaseDetDataset` (``data_root``,
            ``pipeline``, ``test_mode``, ``indices`` ...).
            ``serialize_data`` has no effect: the annotations are always
            kept as a few shared numpy arrays.
    """

    METAINFO: dict = dict(classes=(), predicates=())

    def __init__(self,
                 split: str = 'train',
                 ann_file: str = 'VG-SGG-with-attri.h5',
                 dict_file: str = 'VG-SGG-dicts-with-attri.json',
                 image_file: str = 'image_data.json',
                 data_prefix: dict = dict(img='VG_100K/'),
                 num_val_images: int = 5000,
                 filter_empty_rels: bool = True,
                 filter_duplicate_rels: Optional[bool] = None,
                 duplicate_rels_seed: Optional[int] = None,
                 filter_non_overlap: bool = False,
                 check_images: bool = True,
                 img_suffix: str = '.jpg',
                 statistics_cache_dir: Optional[str] = None,
                 statistics_filter_non_overlap: bool = True,
                 statistics_must_overlap: bool = True,
                 statistics_eps: float = 1e-3,
                 lazy_init: bool = False,
                 missing_files_hint: Optional[str] = None,
                 **kwargs) -> None:
        if split not in SPLITS:
            raise ValueError(f'VG150Dataset: split must be one of {SPLITS}, '
                             f'got "{split}"')
        if 'img' not in data_prefix:
            raise ValueError('VG150Dataset: data_prefix needs the image '
                             "folder as data_prefix['img']")
        self.split = split
        self.dict_file = dict_file
        self.image_file = image_file
        self.num_val_images = num_val_images
        self.filter_empty_rels = filter_empty_rels
        self.filter_duplicate_rels = (
            split == 'train'
            if filter_duplicate_rels is None else filter_duplicate_rels)
        self.duplicate_rels_seed = duplicate_rels_seed
        self.filter_non_overlap = filter_non_overlap
        self.check_images = check_images
        self.img_suffix = img_suffix
        self.missing_files_hint = missing_files_hint
        self.statistics_cache_dir = statistics_cache_dir or osp.join(
            osp.expanduser('~'), '.cache', 'mmsgg_rde')
        self.statistics_cfg = dict(
            filter_non_overlap=statistics_filter_non_overlap,
            must_overlap=statistics_must_overlap,
            eps=statistics_eps)
        self._graphs: Optional[SceneGraphArrays] = None
        self._statistics: Optional[Dict[str, np.ndarray]] = None
        super().__init__(
            ann_file=ann_file,
            data_prefix=data_prefix,
            lazy_init=True,
            **kwargs)
        self._check_files_exist()
        self._load_vocabulary()
        if not lazy_init:
            self.full_init()

    def _join_prefix(self) -> None:
        """Also join ``dict_file`` and ``image_file`` with ``data_root``."""
        super()._join_prefix()
        for key in ('dict_file', 'image_file'):
            path = getattr(self, key)
            if self.data_root and not osp.isabs(path):
                setattr(self, key, osp.join(self.data_root, path))

    def _check_files_exist(self) -> None:
        """Name every missing VG-150 file at once, with where it goes."""
        expected = ((self.ann_file, 'VG-SGG-with-attri.h5'),
                    (self.dict_file, 'VG-SGG-dicts-with-attri.json'),
                    (self.image_file, 'image_data.json'))
        missing = [(path, name) for path, name in expected
                   if not osp.isfile(path)]
        img_dir = self.data_prefix.get('img', '')
        if self.check_images and not osp.isdir(img_dir):
            missing.append((img_dir, 'the image folder VG_100K/'))
        if missing:
            lines = '\n'.join(f'  - {name}: expected at "{path}"'
                              for path, name in missing)
            raise FileNotFoundError(
                f'VG150Dataset ({self.split}): missing files (VG-150 '
                f'layout):\n{lines}\n{self._missing_files_advice()}')

    def _missing_files_advice(self) -> str:
        """Where the files come from and how to point the config at them."""
        data_root = self.data_root or ''
        where = f'data_root "{data_root}"'
        if not osp.isabs(data_root):
            where += f' (relative to the current folder, {os.getcwd()})'
        name = osp.basename(osp.normpath(data_root)) or 'DATASET'
        if self.missing_files_hint:
            get_files = self.missing_files_hint
        else:
            get_files = (
                'Download the VG-150 files of the public scene graph '
                'benchmark (see README "Preparing VG-150"). A copy of the '
                f'dicts file ships with mmsgg_rde: {DEFAULT_DICT_FILE}. To '
                'try the pipeline without VG-150, run `make demo` (SynthVG).')
        return (
            f'{get_files} The config reads {where}: put the files there, or '
            'set the environment variable MMSGG_RDE_DATA to the absolute '
            f'path of the folder holding them as {name}/ (the shipped '
            f'configs read $MMSGG_RDE_DATA/{name}/, default ./data/{name}/), '
            'or pass --cfg-options train_dataloader.dataset.data_root=DIR/ '
            'val_dataloader.dataset.data_root=DIR/ '
            'test_dataloader.dataset.data_root=DIR/ (or point ann_file / '
            'dict_file / image_file / data_prefix to them).')

    def _load_vocabulary(self) -> None:
        """Put the class and predicate names of ``dict_file`` in metainfo."""
        vocabulary = load_vocabulary(self.dict_file)
        for key, names in vocabulary.items():
            given = self._metainfo.get(key)
            if given and tuple(given) != names:
                raise ValueError(
                    f'VG150Dataset: metainfo["{key}"] differs from the names '
                    f'in {self.dict_file}; the names come from that file, '
                    'remove them from the config.')
            self._metainfo[key] = names

    @property
    def num_classes(self) -> int:
        """Number of object classes."""
        return len(self._metainfo['classes'])

    @property
    def num_predicates(self) -> int:
        """Number of predicates (without background)."""
        return len(self._metainfo['predicates'])

    def _load_split(self, split: str,
                    filter_non_overlap: bool) -> SceneGraphArrays:
        """Load ``split`` of this dataset's files."""
        return load_vg150_split(
            self.ann_file,
            self.image_file,
            split,
            num_classes=self.num_classes,
            num_predicates=self.num_predicates,
            num_val_images=self.num_val_images,
            filter_empty_rels=self.filter_empty_rels,
            filter_non_overlap=filter_non_overlap)

    def full_init(self) -> None:
        """Load the split's annotations into :class:`SceneGraphArrays`."""
        if self._fully_initialized:
            return
        graphs = self._load_split(self.split, self.filter_non_overlap)
        if self.check_images:
            self._check_images(graphs.img_ids)
        num_boxes = np.diff(graphs.box_offsets)
        graphs.bboxes = xyxy_1024_to_pixels(
            graphs.bboxes, np.repeat(graphs.widths, num_boxes),
            np.repeat(graphs.heights, num_boxes))
        if self._indices is not None:
            graphs = graphs.subset(
                self._resolve_indices(self._indices, len(graphs)))
        self._graphs = graphs
        self._fully_initialized = True
        print_log(
            f'VG150Dataset ({self.split}): {len(graphs)} images, '
            f'{len(graphs.labels)} boxes, {len(graphs.relations)} '
            'relations',
            logger='current')

    @staticmethod
    def _resolve_indices(indices: Union[int, Sequence[int]],
                         length: int) -> np.ndarray:
        """mmengine's ``indices``: first/last n images or explicit ones."""
        if isinstance(indices, int):
            all_indices = np.arange(length)
            return all_indices[:indices] if indices >= 0 else \
                all_indices[indices:]
        indices = np.asarray(indices, dtype=np.int64)
        if np.any((indices >= length) | (indices < -length)):
            raise IndexError(f'VG150Dataset: indices must be in '
                             f'[-{length}, {length}), got {indices.tolist()}')
        return indices % length if length else indices

    def _image_path(self, img_id: int) -> str:
        return osp.join(self.data_prefix['img'], f'{img_id}{self.img_suffix}')

    def _check_images(self, img_ids: np.ndarray) -> None:
        """Raise if images of the split are missing (one listing)."""
        img_dir = self.data_prefix['img']
        if not osp.isdir(img_dir):
            raise FileNotFoundError(
                f'VG150Dataset: image folder "{img_dir}" not found. Extract '
                'the VG images into VG_100K/ under data_root (or set '
                "data_prefix['img']), or pass check_images=False.")
        with os.scandir(img_dir) as entries:
            names = {entry.name for entry in entries}
        missing = [
            int(i) for i in img_ids if f'{i}{self.img_suffix}' not in names
        ]
        if missing:
            shown = ', '.join(self._image_path(i) for i in missing[:5])
            raise FileNotFoundError(
                f'VG150Dataset ({self.split}): {len(missing)} of '
                f'{len(img_ids)} images are missing in "{img_dir}", e.g. '
                f'{shown}. Extract all VG images (VG_100K/<image_id>.jpg), '
                'or pass check_images=False.')

    @force_full_init
    def __len__(self) -> int:
        return len(self._graphs)

    @force_full_init
    def get_data_info(self, idx: int) -> dict:
        """The annotations of image ``idx`` as fresh numpy arrays."""
        graphs = self._graphs
        sample_idx = idx if idx >= 0 else len(self) + idx
        img_id = int(graphs.img_ids[sample_idx])
        boxes = graphs.boxes_of(sample_idx)
        relations = graphs.relations[graphs.relations_of(sample_idx)]
        if self.filter_duplicate_rels:
            relations = _pick_one_predicate(relations, self._rng(img_id))
        return dict(
            img_path=self._image_path(img_id),
            img_id=img_id,
            width=int(graphs.widths[sample_idx]),
            height=int(graphs.heights[sample_idx]),
            bboxes=graphs.bboxes[boxes].copy(),
            bbox_labels=graphs.labels[boxes].copy(),
            relations=relations.copy(),
            sample_idx=sample_idx)

    def _rng(self, img_id: int) -> Optional[np.random.Generator]:
        """Generator of the duplicate filter for image ``img_id``."""
        if self.duplicate_rels_seed is None:
            return None
        return np.random.default_rng((self.duplicate_rels_seed, img_id))

    @force_full_init
    def get_cat_ids(self, idx: int) -> List[int]:
        """Object labels of image ``idx`` (for ClassBalancedDataset)."""
        return self._graphs.labels[self._graphs.boxes_of(idx)].tolist()

    @force_full_init
    def get_subset_(self, indices: Union[Sequence[int], int]) -> None:
        """Keep only the images ``indices`` (see mmengine's BaseDataset)."""
        self._graphs = self._graphs.subset(
            self._resolve_indices(indices, len(self)))

    @force_full_init
    def get_subset(self, indices: Union[Sequence[int], int]) -> 'VG150Dataset':
        """A copy holding only the images ``indices``."""
        subset = copy.copy(self)
        subset.pipeline = copy.deepcopy(self.pipeline)
        subset._metainfo = copy.deepcopy(self._metainfo)
        subset.get_subset_(indices)
        return subset

    def _statistics_key(self) -> Dict[str, object]:
        """What the train statistics depend on."""
        stat = os.stat(self.ann_file)
        return dict(
            h5_file=osp.abspath(self.ann_file),
            size=stat.st_size,
            mtime_ns=stat.st_mtime_ns,
            num_val_images=self.num_val_images,
            filter_empty_rels=self.filter_empty_rels,
            num_classes=self.num_classes,
            num_predicates=self.num_predicates,
            version=_STATISTICS_VERSION,
            **self.statistics_cfg)

    def get_statistics(self) -> Dict[str, np.ndarray]:
        """Frequency statistics counted on the train split (val excluded).

        The split is rebuilt like the benchmark does: no duplicate filter,
        ``statistics_filter_non_overlap``, integer boxes at scale 1024. The
        result is cached in ``statistics_cache_dir`` under a key of the h5
        path, size and mtime and the split options.

        Returns:
            dict: see :func:`compute_frequency_statistics`.
        """
        if self._statistics is not None:
            return self._statistics
        _require_file(self.ann_file, 'VG-SGG-with-attri.h5')
        key = self._statistics_key()
        digest = hashlib.sha1(json.dumps(
            key, sort_keys=True).encode()).hexdigest()[:16]
        cache_file = osp.join(self.statistics_cache_dir,
                              f'vg150_statistics_{digest}.npz')
        if osp.isfile(cache_file):
            with np.load(cache_file) as data:
                self._statistics = {k: data[k] for k in data.files}
            print_log(
                f'Loaded VG-150 statistics from {cache_file}',
                logger='current')
            return self._statistics
        try:
            graphs = self._load_split(
                'train', self.statistics_cfg['filter_non_overlap'])
        except EmptySplitError as error:
            raise EmptySplitError(
                'The frequency statistics are counted on the train split '
                '(with filter_non_overlap=statistics_filter_non_overlap='
                f'{self.statistics_cfg["filter_non_overlap"]}): '
                f'{error}') from error
        if len(graphs.relations) == 0:
            raise VG150FormatError(
                f'{self.ann_file}: the train split has no relation to count '
                f'statistics on (num_val_images={self.num_val_images} of the '
                'train-flag images go to val); lower num_val_images or check '
                'the split flags.')
        self._statistics = compute_frequency_statistics(
            graphs.labels,
            graphs.bboxes,
            graphs.relations,
            graphs.box_offsets,
            graphs.rel_offsets,
            num_classes=self.num_classes,
            num_predicates=self.num_predicates,
            must_overlap=self.statistics_cfg['must_overlap'],
            eps=self.statistics_cfg['eps'])
        self._save_statistics(cache_file)
        return self._statistics

    def _save_statistics(self, cache_file: str) -> None:
        """Write the statistics atomically (ranks may race)."""
        os.makedirs(osp.dirname(cache_file), exist_ok=True)
        tmp_file = f'{cache_file}.{os.getpid()}.tmp.npz'
        np.savez(tmp_file, **self._statistics)
        os.replace(tmp_file, cache_file)
        print_log(f'Saved VG-150 statistics to {cache_file}', logger='current')
