"""Small shims: safe checkpoints on new torch, CPU dist, total batch size."""
from .batch_size import apply_total_batch_size, launcher_world_size
from .checkpoint_codec import (TYPE_KEY, decode_checkpoint_objects,
                               encode_checkpoint_objects)
from .checkpoint_hook import WeightsOnlyCheckpointHook
from .checkpoint_loading import (HISTORY_BUFFER_METHODS,
                                 SAFE_CHECKPOINT_GLOBALS,
                                 UnsafeCheckpointError,
                                 guard_checkpoint_loader,
                                 register_checkpoint_loaders)
from .dist_utils import setup_cpu_distributed
from .setup_env import CHECKPOINT_HOOK_TYPE, setup_checkpoint_compat

__all__ = [
    'apply_total_batch_size', 'launcher_world_size', 'TYPE_KEY',
    'decode_checkpoint_objects', 'encode_checkpoint_objects',
    'WeightsOnlyCheckpointHook', 'HISTORY_BUFFER_METHODS',
    'SAFE_CHECKPOINT_GLOBALS', 'UnsafeCheckpointError',
    'guard_checkpoint_loader', 'register_checkpoint_loaders',
    'setup_cpu_distributed', 'CHECKPOINT_HOOK_TYPE', 'setup_checkpoint_compat'
]
