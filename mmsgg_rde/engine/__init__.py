"""Training-loop components (hooks) of mmsgg_rde."""
from .hooks import DatasetPriorHook, PredicateCountsHook

__all__ = ['DatasetPriorHook', 'PredicateCountsHook']
