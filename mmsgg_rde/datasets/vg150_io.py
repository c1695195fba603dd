"""Reading and writing the raw VG-150 files (``VG-SGG-with-attri.h5`` etc.).

The layout is the one of the public scene graph benchmark; see
``docs/vg150_format.md``. Only the writer lives here; :mod:`.vg150` reads.
"""
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np

__all__ = [
    'BOX_SCALE', 'CORRUPTED_IMAGE_IDS', 'DEFAULT_DICT_FILE',
    'DEFAULT_ZEROSHOT_FILE', 'load_vocabulary', 'xyxy_to_cxcywh_1024',
    'write_vg150_h5', 'write_image_data'
]

#: The longer image side that ``boxes_1024`` is expressed at.
BOX_SCALE = 1024
#: image_data.json entries that the benchmark skips (their files are broken).
CORRUPTED_IMAGE_IDS = (1592, 1722, 4616, 4617)

_DATA_DIR = osp.join(osp.dirname(osp.dirname(__file__)), 'data', 'vg150')
#: The real VG-150 vocabulary file, shipped with the package.
DEFAULT_DICT_FILE = osp.join(_DATA_DIR, 'VG-SGG-dicts-with-attri.json')
#: Test triplets never seen in training, (subject, object, predicate), 1-based.
DEFAULT_ZEROSHOT_FILE = osp.join(_DATA_DIR, 'zeroshot_triplets.npy')


def load_vocabulary(dict_file: str = DEFAULT_DICT_FILE) -> Dict[str, tuple]:
    """Read object and predicate names from a VG-SGG dicts file.

    Returns:
        dict: ``classes`` (150 names, id 1..150 in the file -> index 0..149)
        and ``predicates`` (50 names, ids 1..50 -> index 0..49).
    """
    with open(dict_file) as f:
        info = json.load(f)
    for key in ('idx_to_label', 'idx_to_predicate'):
        if key not in info:
            raise KeyError(f'{dict_file}: missing key "{key}"; is this a '
                           'VG-SGG-dicts-with-attri.json file?')
    classes = tuple(info['idx_to_label'][str(i)]
                    for i in range(1,
                                   len(info['idx_to_label']) + 1))
    predicates = tuple(info['idx_to_predicate'][str(i)]
                       for i in range(1,
                                      len(info['idx_to_predicate']) + 1))
    return dict(classes=classes, predicates=predicates)


def xyxy_to_cxcywh_1024(boxes: np.ndarray, width: int,
                        height: int) -> np.ndarray:
    """Express xyxy pixel boxes as the h5's int32 cx, cy, w, h at scale 1024.

    Inverse of the loader's conversion up to its integer rounding.
    """
    scale = BOX_SCALE / max(width, height)
    b = np.asarray(boxes, dtype=np.float64) * scale
    w = b[:, 2] - b[:, 0]
    h = b[:, 3] - b[:, 1]
    out = np.stack([b[:, 0] + w / 2, b[:, 1] + h / 2, w, h], axis=1)
    return np.round(out).astype(np.int32)


def write_vg150_h5(path: str,
                   split: Sequence[int],
                   num_boxes: Sequence[int],
                   boxes_1024: np.ndarray,
                   labels: np.ndarray,
                   num_rels: Sequence[int],
                   relationships: np.ndarray,
                   predicates: np.ndarray,
                   attributes: Optional[np.ndarray] = None) -> None:
    """Write a ``VG-SGG-with-attri.h5`` file.

    Args:
        path: Output file.
        split: (I,) split flag per image, 0 train, 2 test.
        num_boxes: (I,) number of boxes of each image.
        boxes_1024: (N, 4) int cx, cy, w, h at longer side 1024, images in
            order.
        labels: (N,) object class ids 1..150.
        num_rels: (I,) number of relations of each image.
        relationships: (R, 2) subject/object indices **local** to their
            image; stored as global rows like the original file.
        predicates: (R,) predicate ids 1..50.
        attributes: optional (N, 10) attribute ids, zeros when omitted.
    """
    import h5py

    num_boxes = np.asarray(num_boxes, dtype=np.int64)
    num_rels = np.asarray(num_rels, dtype=np.int64)
    box_start = np.concatenate([[0], np.cumsum(num_boxes)[:-1]])
    rel_start = np.concatenate([[0], np.cumsum(num_rels)[:-1]])
    first_box = np.where(num_boxes > 0, box_start, -1)
    last_box = np.where(num_boxes > 0, box_start + num_boxes - 1, -1)
    first_rel = np.where(num_rels > 0, rel_start, -1)
    last_rel = np.where(num_rels > 0, rel_start + num_rels - 1, -1)
    rel_offset = np.repeat(box_start, num_rels)
    relationships = np.asarray(relationships, dtype=np.int64).reshape(-1, 2)
    boxes_1024 = np.asarray(boxes_1024, dtype=np.int32).reshape(-1, 4)
    n = boxes_1024.shape[0]
    if attributes is None:
        attributes = np.zeros((n, 10), dtype=np.int64)
    with h5py.File(path, 'w') as f:
        f['split'] = np.asarray(split, dtype=np.int32)
        f['img_to_first_box'] = first_box.astype(np.int32)
        f['img_to_last_box'] = last_box.astype(np.int32)
        f['img_to_first_rel'] = first_rel.astype(np.int32)
        f['img_to_last_rel'] = last_rel.astype(np.int32)
        f['labels'] = np.asarray(labels, dtype=np.int64).reshape(-1, 1)
        f['boxes_1024'] = boxes_1024
        f['boxes_512'] = (boxes_1024 // 2).astype(np.int32)
        f['predicates'] = np.asarray(predicates, dtype=np.int64).reshape(-1, 1)
        f['relationships'] = (relationships +
                              rel_offset[:, None]).astype(np.int32)
        f['attributes'] = np.asarray(attributes, dtype=np.int64)
        f['active_object_mask'] = np.ones((n, 1), dtype=bool)


def write_image_data(path: str, records: List[dict]) -> None:
    """Write ``image_data.json``: a list of {image_id, url, width, height,
    coco_id, flickr_id}."""
    with open(path, 'w') as f:
        json.dump(records, f)
