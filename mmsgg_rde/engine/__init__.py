"""Training-loop components: hooks, LR schedulers, safe checkpoint loading,
the runner and optimizer wrapper constructor of the tools."""
from .checkpoint_loading import (HISTORY_BUFFER_METHODS,
                                 SAFE_CHECKPOINT_GLOBALS, CheckpointReadError,
                                 UnsafeCheckpointError,
                                 guard_checkpoint_loader,
                                 newest_intact_checkpoint,
                                 register_checkpoint_loaders)
from .hooks import (CheckpointMatchHook, CheckpointMismatchError,
                    DatasetPriorHook, PlateauStopHook, PredicateCountsHook,
                    check_checkpoint_match)
from .optimizers import SummaryOptimWrapperConstructor
from .runner import SceneGraphRunner
from .schedulers import DecayOnPlateauLR

__all__ = [
    'HISTORY_BUFFER_METHODS', 'SAFE_CHECKPOINT_GLOBALS', 'CheckpointReadError',
    'UnsafeCheckpointError', 'guard_checkpoint_loader',
    'newest_intact_checkpoint', 'register_checkpoint_loaders',
    'CheckpointMatchHook', 'CheckpointMismatchError', 'DatasetPriorHook',
    'PlateauStopHook', 'PredicateCountsHook', 'DecayOnPlateauLR',
    'SummaryOptimWrapperConstructor', 'SceneGraphRunner',
    'check_checkpoint_match'
]

# Importing mmsgg_rde (a config's custom_imports) makes mmengine's loaders
# read the checkpoints a Runner saves under torch's weights-only default,
# without trusting any other file (see checkpoint_loading).
register_checkpoint_loaders()
