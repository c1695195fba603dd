"""Prototype contrastive loss of RDE (section 3.3)."""
from typing import Optional

import torch
import torch.nn as nn
from mmdet.registry import MODELS
from torch import Tensor

__all__ = ['prototype_contrastive_loss', 'PrototypeContrastiveLoss']


def prototype_contrastive_loss(pos_dist: Tensor,
                               proto_dist: Tensor,
                               temperature: float = 1.0,
                               pull_weight: float = 1.0,
                               push_weight: float = 1.0,
                               avg_factor: Optional[float] = None) -> Tensor:
    """Pull features to their prototype, push prototypes apart.

    ``pull = mean_k D(mu_k, P_{y_k})`` (or the sum divided by
    ``avg_factor``) and
    ``push = mean_{i != j} exp(-D(P_i, P_j) / temperature)``.

    The push is a repulsive potential: 1 for coinciding prototypes, it
    decays with their distance but never reaches zero, so it acts at any
    initialisation and throughout training, strongest on the closest pairs,
    and cannot be lowered much further once prototypes are a few
    temperatures apart (no unbounded inflation).

    Args:
        pos_dist (Tensor): Distance of each feature to the prototype of its
            class, shape (N,).
        proto_dist (Tensor): Distances between all prototypes, shape (M, M);
            the diagonal is ignored.
        temperature (float): Distance scale of the push. Defaults to 1.0
            (ours: the paper gives no value).
        pull_weight (float): Weight of the pull term. Defaults to 1.0
            (ours).
        push_weight (float): Weight of the push term. Defaults to 1.0
            (ours).
        avg_factor (float, optional): Divisor of the summed pull instead of
            N. Defaults to None.

    Returns:
        Tensor: Scalar loss. Empty parts give zeros that stay in the autograd
        graph of their inputs.
    """
    if pos_dist.dim() != 1:
        raise ValueError('pos_dist must have shape (N,), got '
                         f'{tuple(pos_dist.shape)}')
    num_protos = proto_dist.size(0)
    if proto_dist.dim() != 2 or proto_dist.size(1) != num_protos:
        raise ValueError('proto_dist must have shape (M, M), got '
                         f'{tuple(proto_dist.shape)}')
    if avg_factor is not None:
        pull = pos_dist.sum() / max(float(avg_factor), 1.0)
    elif pos_dist.numel() > 0:
        pull = pos_dist.mean()
    else:
        pull = pos_dist.sum() * 0
    if num_protos > 1:
        off_diag = ~torch.eye(
            num_protos, dtype=torch.bool, device=proto_dist.device)
        push = torch.exp(-proto_dist[off_diag] / temperature).mean()
    else:
        push = proto_dist.sum() * 0
    return pull_weight * pull + push_weight * push


@MODELS.register_module()
class PrototypeContrastiveLoss(nn.Module):
    """Prototype learning loss ``L_proto``.

    It pulls each mean vector ``mu_k`` towards the prototype of its predicate
    and pushes the prototypes apart with the repulsive potential
    ``exp(-D / temperature)``, both in the distance ``D`` of eq. 4 (see
    :class:`PrototypeBank`).

    Args:
        temperature (float): Distance scale of the push. Defaults to 1.0.
        pull_weight (float): Weight of the feature-to-prototype term.
            Defaults to 1.0.
        push_weight (float): Weight of the prototype-to-prototype term.
            Defaults to 1.0.
        loss_weight (float): Weight of the whole loss. Defaults to 1.0.
    """

    def __init__(self,
                 temperature: float = 1.0,
                 pull_weight: float = 1.0,
                 push_weight: float = 1.0,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        if temperature <= 0:
            raise ValueError('PrototypeContrastiveLoss temperature must be '
                             f'> 0, got {temperature}')
        self.temperature = temperature
        self.pull_weight = pull_weight
        self.push_weight = push_weight
        self.loss_weight = loss_weight

    def forward(self,
                pos_dist: Tensor,
                proto_dist: Tensor,
                avg_factor: Optional[float] = None) -> Tensor:
        """Compute the weighted loss.

        Args:
            pos_dist (Tensor): Feature-to-own-prototype distances, (N,).
            proto_dist (Tensor): Prototype-to-prototype distances, (M, M).
            avg_factor (float, optional): Divisor of the summed pull
                instead of N. Defaults to None.

        Returns:
            Tensor: Scalar loss.
        """
        return self.loss_weight * prototype_contrastive_loss(
            pos_dist,
            proto_dist,
            temperature=self.temperature,
            pull_weight=self.pull_weight,
            push_weight=self.push_weight,
            avg_factor=avg_factor)
