"""Refuse checkpoints that hold too few of the model's weights."""
import re
from typing import Dict, Tuple

from mmdet.registry import HOOKS
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmsgg_rde.utils import UserError

__all__ = [
    'CheckpointMismatchError', 'CheckpointMatchHook', 'check_checkpoint_match'
]


class CheckpointMismatchError(UserError, ValueError):
    """A checkpoint is not a checkpoint of the model it is loaded into."""


def _count_matching_weights(model_state: Dict,
                            state_dict: Dict) -> Tuple[int, int, int]:
    """Compare a checkpoint's state dict with a model's.

    Args:
        model_state: The model's ``state_dict()``.
        state_dict: The checkpoint's state dict (``module.`` prefixes are
            ignored, as mmengine's loader strips them).

    Returns:
        tuple[int, int, int]: Model entries found with the same shape, found
        with another shape, and missing.
    """
    shapes = {
        re.sub(r'^module\.', '', key): tuple(getattr(value, 'shape', ()))
        for key, value in state_dict.items()
    }
    matched = mismatched = 0
    for key, value in model_state.items():
        if key not in shapes:
            continue
        if shapes[key] == tuple(value.shape):
            matched += 1
        else:
            mismatched += 1
    return matched, mismatched, len(model_state) - matched - mismatched


def check_checkpoint_match(model_state: Dict,
                           checkpoint: Dict,
                           filename: str,
                           min_fraction: float = 0.5) -> None:
    """Raise when a checkpoint holds too few of a model's weights.

    Args:
        model_state: The model's ``state_dict()``.
        checkpoint: The loaded checkpoint (a dict with ``state_dict``, or
            a state dict).
        filename: How the error names the checkpoint.
        min_fraction: Smallest accepted fraction of the model's state-dict
            entries present in the checkpoint with the right shape; 0
            accepts any checkpoint. Defaults to 0.5.

    Raises:
        CheckpointMismatchError: Naming the file and the counts.
    """
    state_dict = checkpoint.get('state_dict', checkpoint)
    matched, mismatched, missing = _count_matching_weights(
        model_state, state_dict)
    total = len(model_state)
    if total == 0 or matched >= min_fraction * total:
        return
    raise CheckpointMismatchError(
        f'Checkpoint "{filename}" is not a checkpoint of this model: it '
        f'holds {matched} of the model\'s {total} weights ({missing} '
        f'missing, {mismatched} with another shape; it has '
        f'{len(state_dict)} entries). Pass a checkpoint that tools/'
        'train.py saved for this config; to load a partial checkpoint '
        'on purpose, lower default_hooks.checkpoint_match.min_fraction.')


@HOOKS.register_module()
class CheckpointMatchHook(Hook):
    """Fail when a loaded checkpoint lacks most of the model's weights.

    mmengine loads ``load_from`` and ``resume`` checkpoints non-strictly
    and only logs missing keys, so a checkpoint of another model (a
    backbone, a random state dict) would silently leave the model at its
    initialisation. In ``after_load_checkpoint``, before the weights go into
    the model, this hook counts the model's state-dict entries that the
    checkpoint holds with the right shape and raises
    :class:`CheckpointMismatchError` (naming the file and the counts) when
    they are fewer than ``min_fraction`` of them.

    Args:
        min_fraction (float): Smallest accepted fraction of the model's
            state-dict entries present in the checkpoint. 0 disables the
            check. Defaults to 0.5.
    """

    priority = 'VERY_HIGH'

    def __init__(self, min_fraction: float = 0.5) -> None:
        if not 0 <= min_fraction <= 1:
            raise ValueError('CheckpointMatchHook: min_fraction must be in '
                             f'[0, 1], got {min_fraction}.')
        self.min_fraction = min_fraction

    def after_load_checkpoint(self, runner, checkpoint: Dict) -> None:
        """Check the checkpoint against the model.

        Args:
            runner (Runner): The runner loading the checkpoint.
            checkpoint (dict): The loaded checkpoint.
        """
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        filename = getattr(
            runner, '_load_from',
            None) or (f'the latest checkpoint in {runner.work_dir}')
        check_checkpoint_match(model.state_dict(), checkpoint, filename,
                               self.min_fraction)
