"""Predicate counts of a scene graph dataset; repeat-factor resampling."""
import copy
import math
from typing import Dict, List

import numpy as np
from mmdet.registry import DATASETS
from mmengine.dataset import BaseDataset, ClassBalancedDataset

__all__ = [
    'image_predicates', 'count_predicates', 'unwrap_dataset',
    'PredicateBalancedDataset', 'ROUNDINGS'
]

#: How :class:`PredicateBalancedDataset` turns repeat factors into counts.
ROUNDINGS = ('ceil', 'stochastic')


def unwrap_dataset(dataset: object) -> object:
    """The innermost dataset of mmengine wrappers (``.dataset`` chains)."""
    while hasattr(dataset, 'dataset'):
        dataset = dataset.dataset
    return dataset


def _all_relations(dataset: BaseDataset) -> BaseDataset:
    """A view of ``dataset`` whose data infos keep duplicate pairs."""
    if not getattr(dataset, 'filter_duplicate_rels', False):
        return dataset
    view = copy.copy(dataset)
    view.filter_duplicate_rels = False
    return view


def _relations(dataset: BaseDataset, idx: int) -> np.ndarray:
    """(R, 3) GT relations (subject, object, predicate) of image ``idx``."""
    relations = dataset.get_data_info(idx).get('relations')
    if relations is None:
        raise KeyError(
            f'{type(dataset).__name__}.get_data_info() has no "relations"; '
            'predicate counts and resampling need a scene graph dataset '
            '(e.g. VG150Dataset)')
    return np.asarray(relations, dtype=np.int64).reshape(-1, 3)


def image_predicates(dataset: BaseDataset, idx: int) -> np.ndarray:
    """Predicate ids (1..P) of all GT relations of image ``idx``.

    Duplicate pairs keep all their predicates (the dataset's training
    filter, which keeps one at random, is bypassed), so the result does not
    depend on random draws.
    """
    return _relations(_all_relations(dataset), idx)[:, 2]


def count_predicates(dataset: BaseDataset) -> np.ndarray:
    """Expected training relations of each predicate over ``dataset``.

    A pair annotated with ``k`` predicates, of which a dataset that filters
    duplicates (``filter_duplicate_rels``) trains on one at random, counts
    ``1 / k`` for each; otherwise every relation counts 1. Deterministic.

    Args:
        dataset (BaseDataset): A scene graph dataset with
            ``metainfo['predicates']`` (wrappers are looked through).

    Returns:
        np.ndarray: (P + 1,) float counts, index 0 (background) is 0.
    """
    dataset = unwrap_dataset(dataset)
    keep_one = getattr(dataset, 'filter_duplicate_rels', False)
    view = _all_relations(dataset)
    num_predicates = len(dataset.metainfo['predicates'])
    counts = np.zeros(num_predicates + 1)
    for idx in range(len(view)):
        relations = _relations(view, idx)
        weights = np.ones(len(relations))
        if keep_one and len(relations):
            _, pair, per_pair = np.unique(
                relations[:, :2],
                axis=0,
                return_inverse=True,
                return_counts=True)
            weights = 1.0 / per_pair[pair.reshape(-1)]
        counts += np.bincount(
            relations[:, 2], weights, minlength=num_predicates + 1)
    return counts


@DATASETS.register_module()
class PredicateBalancedDataset(ClassBalancedDataset):
    """Repeat training images by their rarest predicate (repeat factors).

    The LVIS repeat-factor rule over predicates: with ``f_p`` the fraction
    of images that have a relation of predicate ``p``, ``r_p = max(1,
    sqrt(oversample_thr / f_p))``, and an image is repeated
    ``ceil(max_p r_p)`` times over its predicates (once without relations).
    Object classes play no part.

    ``rounding='stochastic'`` is LVIS's rounding instead (Gupta et al.,
    2019, as detectron2's ``RepeatFactorTrainingSampler``): a factor ``r``
    gives ``floor(r)`` repeats plus one more with probability
    ``r - floor(r)``, so an image is seen ``r`` times in expectation where
    ``ceil`` over-samples it by up to one. The draw is made once, from
    ``seed``, when the dataset is built; detectron2 draws again every epoch.

    Statistics (``get_statistics``, used for the frequency bias) are those
    of the wrapped dataset, without repeats.

    Args:
        dataset (BaseDataset | dict): The scene graph dataset to wrap.
        oversample_thr (float): Image fraction below which a predicate's
            images are repeated. Defaults to 0.1.
        rounding (str): 'ceil' (mmengine's ``ClassBalancedDataset``) or
            'stochastic' (LVIS's). Defaults to 'ceil'.
        seed (int): Seed of the stochastic rounding. Defaults to 0.
        lazy_init (bool): Defer the repeat factors to first use.
            Defaults to False.
    """

    def __init__(self,
                 dataset: BaseDataset,
                 oversample_thr: float = 0.1,
                 rounding: str = 'ceil',
                 seed: int = 0,
                 lazy_init: bool = False) -> None:
        if not 0 < oversample_thr <= 1:
            raise ValueError('PredicateBalancedDataset oversample_thr must '
                             f'be in (0, 1], got {oversample_thr}')
        if rounding not in ROUNDINGS:
            raise ValueError('PredicateBalancedDataset rounding must be one '
                             f'of {ROUNDINGS}, got {rounding!r}')
        self.rounding = rounding
        self.seed = seed
        super().__init__(dataset, oversample_thr, lazy_init)

    def full_init(self) -> None:
        """Compute the repeat factors and the repeated indices."""
        if self._fully_initialized:
            return
        self.dataset.full_init()
        factors = np.asarray(
            self._get_repeat_factors(self.dataset, self.oversample_thr))
        if self.rounding == 'ceil':
            repeats = np.ceil(factors)
        else:
            whole = np.floor(factors)
            draws = np.random.default_rng(self.seed).random(len(factors))
            repeats = whole + (draws < factors - whole)
        self.repeat_indices = np.repeat(
            np.arange(len(factors)), repeats.astype(np.int64)).tolist()
        self._fully_initialized = True

    def _get_repeat_factors(self, dataset: BaseDataset,
                            repeat_thr: float) -> List[float]:
        """Repeat factor of each image from its rarest predicate."""
        predicates = [
            set(image_predicates(dataset, idx).tolist())
            for idx in range(len(dataset))
        ]
        images_with: Dict[int, int] = {}
        for image in predicates:
            for p in image:
                images_with[p] = images_with.get(p, 0) + 1
        repeat = {
            p: max(1.0, math.sqrt(repeat_thr * len(dataset) / n))
            for p, n in images_with.items()
        }
        return [
            max((repeat[p] for p in image), default=1.0)
            for image in predicates
        ]

    def get_statistics(self) -> Dict[str, np.ndarray]:
        """The wrapped dataset's statistics (no repeats)."""
        return self.dataset.get_statistics()
