"""mmengine's default optimizer wrapper constructor with a short log."""
import logging
from collections import OrderedDict
from typing import Dict, List

import torch.nn as nn
from mmdet.registry import OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.logging import MMLogger, print_log
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapper
from torch.optim import Optimizer

__all__ = ['SummaryOptimWrapperConstructor', 'summarize_param_groups']

#: Starts of the per-parameter lines of mmengine's ``add_params``.
PARAMWISE_OPTIONS_PREFIX = 'paramwise_options -- '
#: End of its warning for each frozen parameter.
FROZEN_SUFFIX = 'is skipped since its requires_grad=False'


class _PerParameterLines(logging.Filter):
    """Lower the per-parameter lines of ``add_params`` to DEBUG; count
    the frozen parameters they report."""

    def __init__(self) -> None:
        super().__init__()
        self.num_frozen = 0

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.msg if isinstance(record.msg, str) else ''
        frozen = message.endswith(FROZEN_SUFFIX)
        if frozen or message.startswith(PARAMWISE_OPTIONS_PREFIX):
            self.num_frozen += frozen
            record.levelno = logging.DEBUG
            record.levelname = logging.getLevelName(logging.DEBUG)
        return True


def _count(num: float) -> str:
    """``1234567`` as ``'1.23M'``."""
    for unit, size in (('G', 1e9), ('M', 1e6), ('k', 1e3)):
        if num >= size:
            return f'{num / size:.3g}{unit}'
    return str(int(num))


def _setting(key: str, value: object, bases: Dict[str, float]) -> str:
    """``key x<factor>`` of a base value, else ``key=value``."""
    base = bases.get(key)
    if base and isinstance(value, (int, float)):
        return f'{key} x{value / base:g}'
    return f'{key}={value:g}' if isinstance(value, float) else f'{key}={value}'


def summarize_param_groups(optimizer: Optimizer,
                           bases: Dict[str, float],
                           num_frozen: int = 0) -> str:
    """One line describing the parameter groups of ``optimizer``.

    Groups with the same settings are merged. The learning rate and the
    optimizer's defaults that differ between groups are shown, as factors
    of ``bases`` where it has them (the configured values, which mmengine's
    ``auto_scale_lr`` may scale afterwards).

    Args:
        optimizer: The built optimizer.
        bases: The configured ``lr`` and ``weight_decay`` (None if unset).
        num_frozen: Parameters left out because they are frozen.

    Returns:
        str: E.g. for the demo PredCls model: ``'SGD, base lr=0.12
        weight_decay=0.0001, on 143 parameters (4.88M values) in 2
        settings: lr x1 weight_decay x1 for 82 (3.7M values); lr x1
        weight_decay x0 for 61 (1.17M values)'``.
    """
    groups = optimizer.param_groups
    keys = ['lr'] + [
        key for key in optimizer.defaults
        if key != 'lr' and len({repr(g.get(key))
                                for g in groups}) > 1
    ]
    # setting text -> [parameters, values]
    settings: Dict[str, List[int]] = OrderedDict()
    for group in groups:
        setting = ' '.join(
            _setting(key, group.get(key), bases) for key in keys)
        totals = settings.setdefault(setting, [0, 0])
        totals[0] += len(group['params'])
        totals[1] += sum(p.numel() for p in group['params'])
    num_params = sum(t[0] for t in settings.values())
    num_values = sum(t[1] for t in settings.values())
    parts = [
        f'{setting} for {totals[0]} ({_count(totals[1])} values)'
        for setting, totals in settings.items()
    ]
    base = ' '.join(f'{key}={value:g}' for key, value in bases.items()
                    if value is not None)
    frozen = f'; {num_frozen} frozen parameters left out' if num_frozen \
        else ''
    return (f'{type(optimizer).__name__}, base {base}, on {num_params} '
            f'parameters ({_count(num_values)} values) in {len(settings)} '
            f'setting{"s" if len(settings) > 1 else ""}: '
            f'{"; ".join(parts)}{frozen}')


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class SummaryOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """mmengine's :class:`DefaultOptimWrapperConstructor` with a one-line
    log of the parameter groups.

    The default constructor logs one INFO line per option of each parameter
    that ``paramwise_cfg`` touches (``paramwise_options -- ...``, about 190
    lines for a scene graph model) and one WARNING per frozen parameter.
    Here those lines are logged at DEBUG level (``log_level='DEBUG'`` shows
    them) and one INFO line summarizes the groups
    (:func:`summarize_param_groups`). The optimizer is the same.

    Use it with ``optim_wrapper = dict(constructor=
    'SummaryOptimWrapperConstructor', ...)``; same arguments as the default
    constructor.
    """

    def __call__(self, model: nn.Module) -> OptimWrapper:
        """Build the optimizer wrapper of ``model``."""
        logger = MMLogger.get_current_instance()
        lines = _PerParameterLines()
        logger.addFilter(lines)
        try:
            optim_wrapper = super().__call__(model)
        finally:
            logger.removeFilter(lines)
        bases = dict(lr=self.base_lr, weight_decay=self.base_wd)
        print_log(
            'Optimizer: ' + summarize_param_groups(optim_wrapper.optimizer,
                                                   bases, lines.num_frozen),
            logger='current')
        return optim_wrapper
