"""Runner hooks of mmsgg_rde."""
from .dataset_prior_hook import DatasetPriorHook
from .predicate_counts_hook import PredicateCountsHook

__all__ = ['DatasetPriorHook', 'PredicateCountsHook']
