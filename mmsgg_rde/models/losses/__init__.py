"""Losses of RDE (the info and predicate terms use mmdet's CE loss) and the
predicate losses of the debiasing baselines."""
from .predicate_debias_losses import (LogitAdjustedCrossEntropyLoss,
                                      ReweightedCrossEntropyLoss)
from .prototype_contrastive_loss import (PrototypeContrastiveLoss,
                                         prototype_contrastive_loss)
from .reconstruction_loss import ReconstructionLoss, reconstruction_loss
from .utils import empty_safe_loss

__all__ = [
    'PrototypeContrastiveLoss', 'prototype_contrastive_loss',
    'ReconstructionLoss', 'reconstruction_loss', 'ReweightedCrossEntropyLoss',
    'LogitAdjustedCrossEntropyLoss', 'empty_safe_loss'
]
