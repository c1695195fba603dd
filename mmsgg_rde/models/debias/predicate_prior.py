"""Training-set predicate frequencies for the debiasing components."""
from typing import Optional, Sequence, Union

import numpy as np
import torch
from torch import Tensor, nn

__all__ = ['PredicatePrior', 'Counts']

Counts = Union[Sequence[float], np.ndarray, Tensor]


class PredicatePrior(nn.Module):
    """A module that needs the predicate counts of the training set.

    The counts (index ``p`` for predicate ``p``, index 0 for background,
    whose count is ignored) come from
    :class:`~mmsgg_rde.engine.PredicateCountsHook`, which calls
    :meth:`set_predicate_counts` before training and testing, or from the
    ``predicate_counts`` argument. They are a non-persistent buffer: derived
    from the data, not learned, so checkpoints do not carry them and a
    checkpoint of a model without the component loads strictly.

    Args:
        predicate_counts (Sequence[float], optional): Counts of predicates
            0..P. Defaults to None (set later by the hook).
    """

    def __init__(self, predicate_counts: Optional[Counts] = None) -> None:
        super().__init__()
        self.register_buffer('counts', torch.zeros(0), persistent=False)
        if predicate_counts is not None:
            self.set_predicate_counts(predicate_counts)

    def set_predicate_counts(self, counts: Counts) -> None:
        """Set the training counts of predicates 0..P (0: background)."""
        counts = torch.as_tensor(
            np.asarray(counts, dtype=np.float64), dtype=torch.float32)
        if counts.dim() != 1 or counts.numel() < 2 or (counts < 0).any():
            raise ValueError(
                f'{type(self).__name__}: predicate counts must be a 1-D '
                'array of non-negative counts of predicates 0..P, got shape '
                f'{tuple(counts.shape)}')
        if counts[1:].sum() <= 0:
            raise ValueError(f'{type(self).__name__}: the predicate counts '
                             'have no foreground relation')
        self.counts = counts.to(self.counts.device)

    def _fg_counts(self, num_classes: int) -> Tensor:
        """Foreground counts (index 0 zeroed), checked against logits."""
        if self.counts.numel() == 0:
            raise RuntimeError(
                f'{type(self).__name__} has no predicate counts: add '
                "dict(type='PredicateCountsHook') to custom_hooks, or give "
                'predicate_counts in its config')
        if self.counts.numel() != num_classes:
            raise ValueError(
                f'{type(self).__name__}: {self.counts.numel()} predicate '
                f'counts for {num_classes} predicate logits')
        fg = self.counts.clone()
        fg[0] = 0
        return fg

    def log_frequency_ratio(self, num_classes: int) -> Tensor:
        """``log(n_p / n_max)`` per foreground predicate, 0 for background.

        Predicates never seen count as one relation (a finite, very low
        frequency).
        """
        fg = self._fg_counts(num_classes)
        ratio = fg.clamp(min=1) / fg.max()
        out = ratio.log()
        out[0] = 0
        return out
