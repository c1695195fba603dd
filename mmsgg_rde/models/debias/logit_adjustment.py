"""Post-hoc logit adjustment of predicate logits (Menon et al., 2021)."""
from typing import Optional

from mmdet.registry import MODELS
from torch import Tensor

from .predicate_prior import Counts, PredicatePrior

__all__ = ['LogitAdjustment']


@MODELS.register_module()
class LogitAdjustment(PredicatePrior):
    """Subtract ``tau * log(n_p / n_max)`` from each predicate logit.

    Applied by a relation head at prediction time when its
    ``test_cfg.logit_adjustment`` is set. Rare predicates gain up to
    ``tau * log(n_max / n_min)``; the most frequent one and background are
    unchanged (the background's frequency depends on the pair sampler, not
    on the data). It only changes predictions, so it works on any trained
    checkpoint.

    Args:
        tau (float): Strength. Defaults to 1.0.
        predicate_counts (Sequence[float], optional): See
            :class:`PredicatePrior`.
    """

    def __init__(self,
                 tau: float = 1.0,
                 predicate_counts: Optional[Counts] = None) -> None:
        super().__init__(predicate_counts)
        self.tau = tau

    def forward(self, logits: Tensor) -> Tensor:
        """Adjusted logits of shape (K, P + 1)."""
        return logits - self.tau * self.log_frequency_ratio(
            logits.size(-1)).to(logits.dtype)
