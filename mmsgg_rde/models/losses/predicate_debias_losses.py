"""Predicate losses that counter the long tail of the training set."""
from typing import Optional

import torch.nn.functional as F
from mmdet.models.losses.utils import weight_reduce_loss
from mmdet.registry import MODELS
from torch import Tensor

from ..debias.predicate_prior import Counts, PredicatePrior

__all__ = ['ReweightedCrossEntropyLoss', 'LogitAdjustedCrossEntropyLoss']


class _PredicateCrossEntropy(PredicatePrior):
    """Cross-entropy with mmdet's ``weight``/``avg_factor`` conventions.

    Args:
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        predicate_counts (Sequence[float], optional): See
            :class:`PredicatePrior`.
    """

    def __init__(self,
                 loss_weight: float = 1.0,
                 predicate_counts: Optional[Counts] = None) -> None:
        super().__init__(predicate_counts)
        self.loss_weight = loss_weight

    def _per_sample(self, cls_score: Tensor, label: Tensor) -> Tensor:
        """Unreduced loss of each sample."""
        raise NotImplementedError

    def forward(self,
                cls_score: Tensor,
                label: Tensor,
                weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None) -> Tensor:
        """Weighted mean loss.

        Args:
            cls_score (Tensor): Logits (N, P + 1).
            label (Tensor): Predicates (N,), 0 for background.
            weight (Tensor, optional): Per-sample weights (N,).
            avg_factor (float, optional): Divisor instead of N.

        Returns:
            Tensor: Scalar loss.
        """
        loss = self._per_sample(cls_score, label)
        if weight is not None:
            weight = weight.float()
        return self.loss_weight * weight_reduce_loss(
            loss, weight, reduction='mean', avg_factor=avg_factor)


@MODELS.register_module()
class ReweightedCrossEntropyLoss(_PredicateCrossEntropy):
    """Cross-entropy with predicate weights from training frequencies.

    A foreground predicate with ``n_p`` training relations weighs
    ``w_p = c * n_p ** -power``, with ``c`` such that the frequency-weighted
    mean of the weights is 1 (``sum_p n_p w_p = sum_p n_p``): the total
    weight of the foreground stays that of the plain loss and is moved from
    frequent to rare predicates; ``power=1`` gives every predicate the same
    total weight. Background weighs 1; predicates never seen weigh 0.

    Args:
        power (float): Exponent of the inverse frequency. Defaults to 1.0.
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        predicate_counts (Sequence[float], optional): See
            :class:`PredicatePrior`.
    """

    def __init__(self,
                 power: float = 1.0,
                 loss_weight: float = 1.0,
                 predicate_counts: Optional[Counts] = None) -> None:
        super().__init__(loss_weight, predicate_counts)
        if power < 0:
            raise ValueError(
                f'ReweightedCrossEntropyLoss power must be >= 0, got {power}')
        self.power = power

    def class_weights(self, num_classes: int) -> Tensor:
        """The weight of each predicate 0..P (0: background)."""
        fg = self._fg_counts(num_classes)
        seen = fg > 0
        weights = fg.new_zeros(num_classes)
        weights[seen] = fg[seen]**-self.power
        weights = weights * fg.sum() / (weights * fg).sum()
        weights[0] = 1
        return weights

    def _per_sample(self, cls_score: Tensor, label: Tensor) -> Tensor:
        weights = self.class_weights(cls_score.size(-1)).to(cls_score.dtype)
        return F.cross_entropy(
            cls_score, label, weight=weights, reduction='none')


@MODELS.register_module()
class LogitAdjustedCrossEntropyLoss(_PredicateCrossEntropy):
    """Logit-adjusted cross-entropy (Menon et al., 2021), train-time form.

    The loss sees ``logits + tau * log(n_p / n_max)`` (background and the
    most frequent predicate unchanged, rare predicates lowered), so the
    model must give rare predicates larger raw logits; prediction uses the
    raw logits. :class:`LogitAdjustment` is the post-hoc counterpart.

    Args:
        tau (float): Strength. Defaults to 1.0.
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        predicate_counts (Sequence[float], optional): See
            :class:`PredicatePrior`.
    """

    def __init__(self,
                 tau: float = 1.0,
                 loss_weight: float = 1.0,
                 predicate_counts: Optional[Counts] = None) -> None:
        super().__init__(loss_weight, predicate_counts)
        self.tau = tau

    def _per_sample(self, cls_score: Tensor, label: Tensor) -> Tensor:
        shift = self.tau * self.log_frequency_ratio(cls_score.size(-1))
        return F.cross_entropy(
            cls_score + shift.to(cls_score.dtype), label, reduction='none')
