"""Hook that keeps saved checkpoints loadable with ``weights_only=True``."""
from typing import Dict

from mmdet.registry import HOOKS
from mmengine.hooks import Hook

from .checkpoint_codec import (decode_checkpoint_objects,
                               encode_checkpoint_objects)

__all__ = ['WeightsOnlyCheckpointHook']


@HOOKS.register_module()
class WeightsOnlyCheckpointHook(Hook):
    """Encode non-tensor objects on save, restore them on load.

    Before a checkpoint is written, message-hub ``HistoryBuffer`` objects and
    numpy arrays or scalars anywhere in it are replaced by plain dicts of
    python values and tensors, so the file loads with
    ``torch.load(weights_only=True)`` and no allowlist. After a checkpoint
    is loaded (``load_from`` or ``resume``) the objects are restored before
    the runner uses them. Checkpoints without encoded objects pass through
    unchanged.

    The hook runs with ``VERY_LOW`` priority so that it encodes whatever the
    other hooks added to the checkpoint.
    """

    priority = 'VERY_LOW'

    def before_save_checkpoint(self, runner, checkpoint: Dict) -> None:
        """Encode the checkpoint in place.

        Args:
            runner (Runner): The runner saving the checkpoint.
            checkpoint (dict): The checkpoint about to be saved.
        """
        for key, value in checkpoint.items():
            checkpoint[key] = encode_checkpoint_objects(value)

    def after_load_checkpoint(self, runner, checkpoint: Dict) -> None:
        """Decode the checkpoint in place.

        Args:
            runner (Runner): The runner that loaded the checkpoint.
            checkpoint (dict): The loaded checkpoint.
        """
        for key, value in checkpoint.items():
            checkpoint[key] = decode_checkpoint_objects(value)
