"""SynthVG rules compiled against the VG-150 vocabulary; predicate quotas."""
import json
import math
from functools import lru_cache
from typing import Dict, List, NamedTuple, Sequence, Tuple

import numpy as np

from ..vg150_io import CORRUPTED_IMAGE_IDS, DEFAULT_DICT_FILE, load_vocabulary
from .geometry import GEOMETRIES
from .world import (CLASS_GROUPS, CLASS_STYLES, DUPLICATE_ALIASES,
                    PREDICATE_RULES, ObjectStyle)

__all__ = [
    'PredicateCells', 'compile_predicate_cells', 'synthvg_predicate_weights',
    'predicate_quota', 'synthvg_image_ids'
]


class PredicateCells(NamedTuple):
    """The (geometry, subject, object) cells labelled with one predicate.

    Attributes:
        geometry: (C,) indices into ``tuple(GEOMETRIES)``.
        subject: (C,) subject labels 1..150.
        object: (C,) object labels 1..150.
    """
    geometry: np.ndarray
    subject: np.ndarray
    object: np.ndarray


def _expand(names: Sequence[str]) -> List[str]:
    """Class names of groups and classes, in order, without repeats."""
    classes: List[str] = []
    for name in names:
        members = CLASS_GROUPS.get(name, (name, ))
        for cls in members:
            if cls not in CLASS_STYLES:
                raise KeyError(f'SynthVG rules: "{name}" is neither a class '
                               'group nor a class of CLASS_STYLES')
            if cls not in classes:
                classes.append(cls)
    return classes


@lru_cache(maxsize=None)
def compile_predicate_cells(dict_file: str = DEFAULT_DICT_FILE
                            ) -> Dict[int, PredicateCells]:
    """Resolve :data:`PREDICATE_RULES` into cells per predicate id.

    Args:
        dict_file: The vocabulary json that maps names to ids.

    Returns:
        dict: predicate id (1..50) -> :class:`PredicateCells`.
    """
    vocab = load_vocabulary(dict_file)
    label_ids = {name: i + 1 for i, name in enumerate(vocab['classes'])}
    predicate_ids = {name: i + 1 for i, name in enumerate(vocab['predicates'])}
    missing = sorted(set(CLASS_STYLES) - set(label_ids))
    if missing:
        raise KeyError(f'SynthVG: classes {missing} are not in {dict_file}')
    geometry_index = {name: i for i, name in enumerate(GEOMETRIES)}
    claimed: Dict[Tuple[int, int, int], int] = {}
    for predicate, geometry, subjects, objects in PREDICATE_RULES:
        if predicate not in predicate_ids:
            raise KeyError(f'SynthVG rules: predicate "{predicate}" is not '
                           f'in {dict_file}')
        g = geometry_index[geometry]
        for s in _expand(subjects):
            for o in _expand(objects):
                claimed.setdefault((g, label_ids[s], label_ids[o]),
                                   predicate_ids[predicate])
    cells: Dict[int, PredicateCells] = {}
    for pid in predicate_ids.values():
        rows = np.array([key for key, p in claimed.items() if p == pid],
                        dtype=np.int64).reshape(-1, 3)
        if len(rows) == 0:
            raise ValueError(
                f'SynthVG rules: predicate "{vocab["predicates"][pid - 1]}" '
                'labels no cell; give it a rule before the general rules '
                'of its geometry')
        cells[pid] = PredicateCells(rows[:, 0], rows[:, 1], rows[:, 2])
    return cells


class _WorldVocabulary(NamedTuple):
    """The world's classes and predicates as ids of the VG-150 vocabulary.

    Attributes:
        styles: label id (1..150) -> style, for the world's classes.
        alias_ids: predicate id -> id of its :data:`DUPLICATE_ALIASES` alias.
    """
    styles: Dict[int, ObjectStyle]
    alias_ids: Dict[int, int]


@lru_cache(maxsize=None)
def _world_vocabulary(dict_file: str = DEFAULT_DICT_FILE) -> _WorldVocabulary:
    """The world's classes and aliases resolved against ``dict_file``."""
    vocab = load_vocabulary(dict_file)
    predicate_ids = {name: i + 1 for i, name in enumerate(vocab['predicates'])}
    styles = {
        vocab['classes'].index(name) + 1: style
        for name, style in CLASS_STYLES.items()
    }
    alias_ids = {
        predicate_ids[k]: predicate_ids[v]
        for k, v in DUPLICATE_ALIASES.items()
    }
    return _WorldVocabulary(styles, alias_ids)


def synthvg_predicate_weights(long_tail_ratio: float,
                              dict_file: str = DEFAULT_DICT_FILE
                              ) -> np.ndarray:
    """Relative frequency of each predicate, 1 for the most frequent.

    The real VG-150 counts (``predicate_count`` of ``dict_file``) are raised
    to the power that maps their head/tail ratio to ``long_tail_ratio``,
    which keeps the real order and shape of the long tail.

    Returns:
        np.ndarray: (50,) weights, index ``p - 1`` for predicate ``p``.
    """
    vocab = load_vocabulary(dict_file)
    with open(dict_file) as f:
        real = json.load(f).get('predicate_count')
    if not real or set(real) != set(vocab['predicates']):
        raise KeyError(f'{dict_file}: "predicate_count" must give a count '
                       'for every predicate; use the VG-150 dicts file')
    counts = np.array([real[p] for p in vocab['predicates']], dtype=float)
    if counts.min() <= 0:
        raise ValueError(f'{dict_file}: "predicate_count" must be positive')
    spread = counts.max() / counts.min()
    gamma = math.log(long_tail_ratio) / math.log(spread) if spread > 1 else 0
    return (counts / counts.max())**gamma


def predicate_quota(total: int, weights: np.ndarray,
                    min_count: int) -> np.ndarray:
    """Split ``total`` relations over predicates in proportion to weights.

    Every predicate gets at least ``min_count``; the result sums to
    ``max(total, len(weights) * min_count)``.

    Returns:
        np.ndarray: (P,) int64 counts.
    """
    share = np.asarray(weights, dtype=float) / np.sum(weights) * total
    counts = np.maximum(np.floor(share).astype(np.int64), min_count)
    target = max(total, len(counts) * min_count)
    missing = target - counts.sum()
    if missing > 0:
        order = np.argsort(-(share - np.floor(share)), kind='stable')
        counts[order[:missing]] += 1
    while counts.sum() > target:
        counts[np.argmax(counts)] -= 1
    return counts


def synthvg_image_ids(num_images: int, min_id_range: int) -> np.ndarray:
    """Image ids of the h5 rows: increasing, never a corrupted id.

    Ids are ``1 .. num_images + 4`` without the corrupted ids when that
    range reaches past them, else spread evenly over ``1 .. min_id_range``.
    """
    top = max(num_images + len(CORRUPTED_IMAGE_IDS), min_id_range)
    candidates = np.setdiff1d(np.arange(1, top + 1), CORRUPTED_IMAGE_IDS)
    pick = np.round(np.linspace(0, len(candidates) - 1, num_images))
    return candidates[pick.astype(np.int64)]
