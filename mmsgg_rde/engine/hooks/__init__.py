"""Runner hooks of mmsgg_rde."""
from .checkpoint_match_hook import (CheckpointMatchHook,
                                    CheckpointMismatchError,
                                    check_checkpoint_match)
from .dataset_prior_hook import DatasetPriorHook
from .plateau_stop_hook import PlateauStopHook
from .predicate_counts_hook import PredicateCountsHook

__all__ = [
    'CheckpointMatchHook', 'CheckpointMismatchError', 'DatasetPriorHook',
    'PlateauStopHook', 'PredicateCountsHook', 'check_checkpoint_match'
]
