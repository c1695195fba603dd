"""Runner hooks of mmsgg_rde."""
from .dataset_prior_hook import DatasetPriorHook

__all__ = ['DatasetPriorHook']
