"""Debiasing components driven by the training predicate frequencies."""
from .logit_adjustment import LogitAdjustment
from .predicate_prior import PredicatePrior

__all__ = ['PredicatePrior', 'LogitAdjustment']
