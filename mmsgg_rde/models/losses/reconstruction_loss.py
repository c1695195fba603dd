"""Reconstruction loss of RDE (section 3.5): MSE plus cosine distance."""
from typing import Optional

import torch.nn as nn
import torch.nn.functional as F
from mmdet.registry import MODELS
from torch import Tensor

__all__ = ['reconstruction_loss', 'ReconstructionLoss']


def reconstruction_loss(pred: Tensor,
                        target: Tensor,
                        mse_weight: float = 1.0,
                        cosine_weight: float = 1.0,
                        avg_factor: Optional[float] = None) -> Tensor:
    """Weighted sum of the mean squared error and ``1 - cos(pred, target)``.

    The squared error is averaged over the feature dimension and the cosine
    distance is taken per row; both are then averaged over rows (or divided
    by ``avg_factor``).

    Args:
        pred (Tensor): Reconstructed features, shape (N, D).
        target (Tensor): Features to reconstruct, shape (N, D).
        mse_weight (float): Weight of the MSE term. Defaults to 1.0.
        cosine_weight (float): Weight of the cosine term. Defaults to 1.0.
        avg_factor (float, optional): Divisor of the summed per-row loss
            instead of N. Defaults to None.

    Returns:
        Tensor: Scalar loss. An empty input gives a zero that stays in the
        autograd graph of ``pred``.
    """
    if pred.shape != target.shape:
        raise ValueError('reconstruction_loss needs pred and target of the '
                         f'same shape, got {tuple(pred.shape)} and '
                         f'{tuple(target.shape)}')
    if pred.numel() == 0:
        return pred.sum() * 0
    per_row = pred.new_zeros(pred.size(0))
    if mse_weight:
        per_row = per_row + mse_weight * F.mse_loss(
            pred, target, reduction='none').mean(dim=-1)
    if cosine_weight:
        per_row = per_row + cosine_weight * (
            1 - F.cosine_similarity(pred, target, dim=-1))
    if avg_factor is None:
        return per_row.mean()
    return per_row.sum() / max(float(avg_factor), 1.0)


@MODELS.register_module()
class ReconstructionLoss(nn.Module):
    """Reconstruction loss ``L_re`` between FDVAE's output f' and its input f.

    Args:
        mse_weight (float): Weight of the mean squared error. Defaults to 1.0.
        cosine_weight (float): Weight of ``1 - cosine similarity``.
            Defaults to 1.0.
        detach_target (bool): Stop the gradient into the target features, so
            that ``L_re`` trains the FDVAE to invert itself and cannot shrink
            the relation head's features to make them easy to reconstruct.
            Defaults to True.
        loss_weight (float): Weight of the whole loss. Defaults to 1.0.
    """

    def __init__(self,
                 mse_weight: float = 1.0,
                 cosine_weight: float = 1.0,
                 detach_target: bool = True,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        if mse_weight < 0 or cosine_weight < 0:
            raise ValueError('ReconstructionLoss weights must be >= 0, got '
                             f'mse_weight={mse_weight}, '
                             f'cosine_weight={cosine_weight}')
        self.mse_weight = mse_weight
        self.cosine_weight = cosine_weight
        self.detach_target = detach_target
        self.loss_weight = loss_weight

    def forward(self,
                pred: Tensor,
                target: Tensor,
                avg_factor: Optional[float] = None) -> Tensor:
        """Compute the weighted loss.

        Args:
            pred (Tensor): Reconstructions f', shape (N, D).
            target (Tensor): Original features f, shape (N, D).
            avg_factor (float, optional): Divisor instead of N.
                Defaults to None.

        Returns:
            Tensor: Scalar loss.
        """
        if self.detach_target:
            target = target.detach()
        return self.loss_weight * reconstruction_loss(
            pred,
            target,
            mse_weight=self.mse_weight,
            cosine_weight=self.cosine_weight,
            avg_factor=avg_factor)
