"""Parameter schedulers of mmsgg_rde."""
from .decay_on_plateau_lr import DecayOnPlateauLR

__all__ = ['DecayOnPlateauLR']
