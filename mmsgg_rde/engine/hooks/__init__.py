"""Runner hooks of mmsgg_rde."""
from .checkpoint_match_hook import CheckpointMatchHook, CheckpointMismatchError
from .dataset_prior_hook import DatasetPriorHook

__all__ = [
    'CheckpointMatchHook', 'CheckpointMismatchError', 'DatasetPriorHook'
]
