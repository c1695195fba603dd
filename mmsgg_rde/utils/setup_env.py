"""Runtime setup shared by ``tools/train.py`` and ``tools/test.py``."""
from typing import Union

from mmengine.config import Config
from mmengine.hooks import Hook

from .checkpoint_hook import WeightsOnlyCheckpointHook
from .checkpoint_loading import register_checkpoint_loaders

__all__ = ['CHECKPOINT_HOOK_TYPE', 'setup_checkpoint_compat']

#: Registry type of :class:`~mmsgg_rde.utils.WeightsOnlyCheckpointHook`.
CHECKPOINT_HOOK_TYPE = 'mmdet.' + WeightsOnlyCheckpointHook.__name__


def _hook_type_name(hook: Union[dict, Hook]) -> str:
    """Return the class name of a hook or hook config, without scope."""
    if not isinstance(hook, dict):
        return type(hook).__name__
    hook_type = hook.get('type', '')
    if isinstance(hook_type, type):
        return hook_type.__name__
    return str(hook_type).split('.')[-1]


def setup_checkpoint_compat(cfg: Config,
                            trust_checkpoint: bool = False) -> None:
    """Make saving, ``load_from`` and ``resume`` work on torch >= 2.6.

    Adds :class:`~mmsgg_rde.utils.WeightsOnlyCheckpointHook` to
    ``cfg.custom_hooks`` unless the config already has it, and guards
    mmengine's checkpoint loaders (see
    :func:`~mmsgg_rde.utils.register_checkpoint_loaders`).

    Args:
        cfg: The config the runner will be built from; modified in place.
        trust_checkpoint: Allow full unpickling of checkpoints that need
            unsafe globals. Only for files the user trusts.
    """
    custom_hooks = list(cfg.get('custom_hooks') or [])
    wanted = WeightsOnlyCheckpointHook.__name__
    if not any(_hook_type_name(hook) == wanted for hook in custom_hooks):
        custom_hooks.append(dict(type=CHECKPOINT_HOOK_TYPE))
    cfg.custom_hooks = custom_hooks
    register_checkpoint_loaders(trust_checkpoint=trust_checkpoint)
