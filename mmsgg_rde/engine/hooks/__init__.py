"""Runner hooks of mmsgg_rde."""
from .dataset_prior_hook import DatasetPriorHook
from .plateau_stop_hook import PlateauStopHook

__all__ = ['DatasetPriorHook', 'PlateauStopHook']
