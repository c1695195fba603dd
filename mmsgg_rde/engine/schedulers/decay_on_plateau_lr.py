"""The scene graph benchmark's LR decay on a validation plateau."""
from typing import Dict, Optional

from mmdet.registry import PARAM_SCHEDULERS
from mmengine.optim import ReduceOnPlateauLR

__all__ = ['DecayOnPlateauLR']


@PARAM_SCHEDULERS.register_module()
class DecayOnPlateauLR(ReduceOnPlateauLR):
    """Multiply the LR by ``factor`` on a plateau, at most ``max_decays`` x.

    The benchmark's ``WarmupReduceLROnPlateau`` without its warm-up (use
    ``LinearLR`` before it), stepped after every validation
    (``by_epoch=True``). It differs from mmengine's ``ReduceOnPlateauLR``
    in three ways:

    - the LR decays at the ``patience``-th validation in a row without
      improvement (mmengine's at the one after);
    - ``best`` starts at ``initial_best`` (the benchmark's constructor steps
      once with a metric of 0, so its best starts at 0);
    - after ``max_decays`` decays :attr:`exhausted` is True and
      :class:`~mmsgg_rde.engine.PlateauStopHook` ends training, as the
      benchmark stops at its ``MAX_DECAY_STEP``.

    ``monitor`` may omit the metric prefix: 'R@100' follows the model's mode
    ('predcls/R@100', 'sgcls/R@100' or 'sgdet/R@100'), and matching several
    keys is an error.

    Args:
        optimizer: Wrapped optimizer.
        monitor (str): Metric name or its suffix after '/'.
        max_decays (int): Decays before training stops (<= 0: never).
        initial_best (float, optional): Starting best value; None for
            mmengine's (the worst value of ``rule``).
        **kwargs: ``ReduceOnPlateauLR`` arguments (``rule``, ``factor``,
            ``patience``, ``threshold``, ``threshold_rule``, ``cooldown``,
            ...).
    """

    def __init__(self,
                 optimizer,
                 monitor: str = 'R@100',
                 max_decays: int = 3,
                 initial_best: Optional[float] = 0.,
                 **kwargs) -> None:
        super().__init__(optimizer, monitor=monitor, **kwargs)
        self.max_decays = max_decays
        self.num_decays = 0
        if initial_best is not None:
            self.best = float(initial_best)

    @property
    def exhausted(self) -> bool:
        """Whether ``max_decays`` decays have happened."""
        return 0 < self.max_decays <= self.num_decays

    def _monitored_value(self, metrics: Dict[str, float]) -> float:
        """The value of ``monitor`` (exact key, or unique '<x>/' + key)."""
        if self.monitor in metrics:
            return float(metrics[self.monitor])
        keys = [k for k in metrics if k.split('/')[-1] == self.monitor]
        if len(keys) != 1:
            raise KeyError(
                f'DecayOnPlateauLR monitors {self.monitor!r}, which matches '
                f'{keys or "none"} of the validation metrics {list(metrics)}; '
                'set param_scheduler monitor to one metric name.')
        return float(metrics[keys[0]])

    def step(self, metrics: Optional[Dict[str, float]] = None) -> None:
        """Update after a validation (``metrics``) or count a step (None)."""
        if metrics is None:
            self._global_step += 1
            return
        if not isinstance(metrics, dict):
            raise TypeError(f'metrics must be a dict, not {type(metrics)}.')
        if self.begin <= self._global_step < self.end:
            self.last_step += 1
            metric = self._monitored_value(metrics)
            if self._is_better(metric, self.best):
                self.best = metric
                self.num_bad_epochs = 0
            else:
                self.num_bad_epochs += 1
            if self._in_cooldown():
                self.cooldown_counter -= 1
                self.num_bad_epochs = 0
            if self.num_bad_epochs >= self.patience:
                for i, (group, value) in enumerate(
                        zip(self.optimizer.param_groups, self._get_value())):
                    if group[self.param_name] - value > self.eps:
                        group[self.param_name] = value
                        self.print_value(self.verbose, i, value)
                self.cooldown_counter = self.cooldown
                self.num_bad_epochs = 0
                self.num_decays += 1
        self._last_value = [
            group[self.param_name] for group in self.optimizer.param_groups
        ]
