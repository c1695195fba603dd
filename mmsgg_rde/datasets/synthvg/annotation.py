"""Annotation bias of SynthVG: specific predicates written as generic ones.

A relation whose true predicate ``p`` has a generic parent ``g``
(:data:`GENERIC_PARENTS`) is annotated as ``g`` with probability
``annotation_bias * (w_g / w_max) ** annotation_bias_exponent``, where ``w``
are the world's predicate weights (:func:`synthvg_predicate_weights`): the
more frequent the generic predicate, the more often annotators reach for it.
The same holds in train and test, as in VG-150. The draws use their own
random stream, so a biased world has the images, boxes and true predicates
of the unbiased world of the same seed; only the annotations differ.
"""
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from ..vg150_io import DEFAULT_DICT_FILE, load_vocabulary
from .vocabulary import synthvg_predicate_weights
from .world import GENERIC_PARENTS

__all__ = [
    'AnnotationBias', 'annotation_bias_model', 'annotate_predicates',
    'ANNOTATION_STREAM'
]

#: Second element of the seed of the annotation's random stream.
ANNOTATION_STREAM = 1


class AnnotationBias(NamedTuple):
    """How predicates are annotated, indexed by predicate id 0..50.

    Attributes:
        parent: (51,) int64 generic parent of each predicate, 0 for none.
        prob: (51,) probability that a relation of the predicate is
            annotated with its parent (0 for predicates without one).
    """
    parent: np.ndarray
    prob: np.ndarray


@lru_cache(maxsize=None)
def _parent_ids(dict_file: str) -> np.ndarray:
    """(P + 1,) generic parent id of each predicate id, 0 for none."""
    predicates = load_vocabulary(dict_file)['predicates']
    ids = {name: i + 1 for i, name in enumerate(predicates)}
    parent = np.zeros(len(predicates) + 1, dtype=np.int64)
    for child, generic in GENERIC_PARENTS.items():
        if child not in ids or generic not in ids:
            raise KeyError(f'SynthVG GENERIC_PARENTS: "{child}" -> '
                           f'"{generic}" names a predicate that is not in '
                           f'{dict_file}')
        if generic in GENERIC_PARENTS:
            raise ValueError(f'SynthVG GENERIC_PARENTS: "{generic}" is a '
                             'parent and must not have a parent itself')
        parent[ids[child]] = ids[generic]
    return parent


def annotation_bias_model(annotation_bias: float,
                          exponent: float,
                          long_tail_ratio: float,
                          dict_file: str = DEFAULT_DICT_FILE
                          ) -> AnnotationBias:
    """The relabelling probabilities of a world.

    Args:
        annotation_bias: Probability for a child of the most frequent
            generic predicate; 0 switches the bias off.
        exponent: How fast the probability falls with the parent's
            frequency.
        long_tail_ratio: The world's head/tail ratio (sets the weights).
        dict_file: The vocabulary json.

    Returns:
        AnnotationBias: Parents and probabilities per predicate id.
    """
    parent = _parent_ids(dict_file)
    weights = np.concatenate([[0.0],
                              synthvg_predicate_weights(
                                  long_tail_ratio, dict_file)])
    prob = np.where(
        parent > 0,
        annotation_bias * (weights[parent] / weights.max())**exponent, 0.0)
    return AnnotationBias(parent, prob)


def annotate_predicates(predicates: np.ndarray, bias: AnnotationBias,
                        rng: np.random.Generator) -> np.ndarray:
    """Annotate true predicates: each independently becomes its parent.

    Args:
        predicates: (R,) true predicate ids 1..50.
        bias: The world's :class:`AnnotationBias`.
        rng: The annotation's random stream (one draw per relation).

    Returns:
        np.ndarray: (R,) annotated predicate ids.
    """
    predicates = np.asarray(predicates, dtype=np.int64)
    relabel = rng.random(predicates.shape) < bias.prob[predicates]
    return np.where(relabel, bias.parent[predicates], predicates)
