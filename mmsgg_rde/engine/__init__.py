"""Training-loop components of mmsgg_rde: hooks and LR schedulers."""
from .hooks import DatasetPriorHook, PlateauStopHook
from .schedulers import DecayOnPlateauLR

__all__ = ['DatasetPriorHook', 'PlateauStopHook', 'DecayOnPlateauLR']
