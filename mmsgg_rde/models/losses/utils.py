"""Helpers shared by the losses of relation heads and RDE."""
from torch import Tensor, nn

__all__ = ['empty_safe_loss']


def empty_safe_loss(loss_fn: nn.Module, logits: Tensor, targets: Tensor,
                    **kwargs) -> Tensor:
    """``loss_fn(logits, targets, **kwargs)``; a graph-connected zero when
    there are no targets (mmdet's losses give NaN on empty inputs).

    Args:
        loss_fn (nn.Module): e.g. mmdet's ``CrossEntropyLoss``.
        logits (Tensor): (K, C) logits.
        targets (Tensor): (K,) class targets.
        **kwargs: e.g. ``avg_factor``.
    """
    if targets.numel() == 0:
        return logits.sum() * 0
    return loss_fn(logits, targets, **kwargs)
