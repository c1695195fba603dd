"""End training when the LR schedule is exhausted."""
from typing import Dict, Optional

from mmdet.registry import HOOKS
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.runner import BaseLoop

__all__ = ['PlateauStopHook']


@HOOKS.register_module()
class PlateauStopHook(Hook):
    """Stop training once a scheduler reports ``exhausted``.

    After each validation (and after ``ParamSchedulerHook`` has stepped the
    schedulers with its metrics), training ends as soon as one parameter
    scheduler has an ``exhausted`` attribute that is True, e.g.
    :class:`~mmsgg_rde.engine.DecayOnPlateauLR` after its ``max_decays``
    decays: the scene graph benchmark stops at its third LR decay. Other
    schedulers leave training alone.
    """

    priority = 'VERY_LOW'

    def after_val_epoch(self,
                        runner,
                        metrics: Optional[Dict[str, float]] = None) -> None:
        """Set the train loop's ``stop_training`` if a schedule ended."""
        loop = getattr(runner, '_train_loop', None)
        if not isinstance(loop, BaseLoop):
            return
        schedulers = runner.param_schedulers or []
        if isinstance(schedulers, dict):
            schedulers = [s for group in schedulers.values() for s in group]
        for scheduler in schedulers:
            if getattr(scheduler, 'exhausted', False) is True:
                print_log(
                    f'{type(scheduler).__name__}: last LR decay done at '
                    f'iteration {runner.iter}; training stops.',
                    logger='current')
                loop.stop_training = True
                return
