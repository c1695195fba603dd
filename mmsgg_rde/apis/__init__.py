"""High-level entry points: the frequency prior, SynthVG experiments."""
from .experiment import (LOADERS, final_checkpoint, prepare_synthvg,
                         synthvg_config, train_and_test)
from .frequency_prior import evaluate_frequency_prior, frequency_prior_sample

__all__ = [
    'evaluate_frequency_prior', 'frequency_prior_sample', 'LOADERS',
    'synthvg_config', 'prepare_synthvg', 'train_and_test', 'final_checkpoint'
]
