"""Training-loop components (hooks) of mmsgg_rde."""
from .hooks import DatasetPriorHook

__all__ = ['DatasetPriorHook']
