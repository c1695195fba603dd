"""mmengine's Runner with a terminal log kept to what helps a user."""
import copy
import logging
import os.path as osp
from typing import Dict, Optional, Union

from mmdet.registry import RUNNERS
from mmengine.logging import MMLogger
from mmengine.runner import Runner
from torch.utils.data import DataLoader

__all__ = ['CONFIG_RECORD_PREFIX', 'HOOKS_RECORD_PREFIX', 'SceneGraphRunner']

#: How mmengine's Runner starts the log record that holds the whole config.
CONFIG_RECORD_PREFIX = 'Config:\n'
#: How it starts the record that lists the hooks of each stage.
HOOKS_RECORD_PREFIX = 'Hooks will be executed in the following order:\n'


class _LongRecordsAsOneLine(logging.Formatter):
    """A console formatter that shows some long records as one line.

    Records whose message starts with a key of ``lines`` are shown as its
    value; the others are formatted by the wrapped formatter. The record
    itself is left untouched for the other handlers (the log file).
    """

    def __init__(self, formatter: logging.Formatter, lines: Dict[str,
                                                                 str]) -> None:
        super().__init__()
        self.formatter = formatter
        self.lines = lines

    def format(self, record: logging.LogRecord) -> str:
        message = record.msg if isinstance(record.msg, str) else ''
        for prefix, line in self.lines.items():
            if message.startswith(prefix):
                record = logging.makeLogRecord(
                    dict(record.__dict__, msg=line, args=None))
                break
        return self.formatter.format(record)


def _is_console(handler: logging.Handler) -> bool:
    """Whether ``handler`` writes to a stream other than a file."""
    return isinstance(handler, logging.StreamHandler) and not isinstance(
        handler, logging.FileHandler)


@RUNNERS.register_module()
class SceneGraphRunner(Runner):
    """mmengine's :class:`~mmengine.runner.Runner` as ``tools/train.py`` and
    ``tools/test.py`` use it.

    Two differences, both about what a user sees:

    * The terminal shows one line saying where the config is instead of the
      whole config, and one line instead of the list of hooks; the log file
      keeps both in full, as with mmengine's Runner (and the work dir the
      dumped config).
    * A dataloader with ``num_workers=0`` gets ``persistent_workers=False``
      (torch refuses persistent workers without workers), so that
      ``--cfg-options train_dataloader.num_workers=0`` just works.
    """

    def _dumped_config_file(self) -> str:
        """Where :meth:`dump_config` writes the config."""
        if self.cfg.filename is not None:
            filename = osp.basename(self.cfg.filename)
        else:
            filename = f'{self.timestamp}.py'
        return osp.join(self.work_dir, filename)

    def build_logger(self,
                     log_level: Union[int, str] = 'INFO',
                     log_file: Optional[str] = None,
                     **kwargs) -> MMLogger:
        """mmengine's logger, whose terminal shows the config and the hook
        list as one line each.

        Same arguments as :meth:`Runner.build_logger`.
        """
        logger = super().build_logger(
            log_level=log_level, log_file=log_file, **kwargs)
        config = f'Config: written to {self._dumped_config_file()}'
        hooks = 'Hooks: listed in the log file'
        if logger.log_file is not None:
            config += f' and to the log file {logger.log_file}'
            hooks += f' {logger.log_file}'
        lines = {CONFIG_RECORD_PREFIX: config, HOOKS_RECORD_PREFIX: hooks}
        for handler in logger.handlers:
            if _is_console(handler) and not isinstance(handler.formatter,
                                                       _LongRecordsAsOneLine):
                handler.setFormatter(
                    _LongRecordsAsOneLine(handler.formatter, lines))
        return logger

    @staticmethod
    def build_dataloader(dataloader: Union[DataLoader, Dict],
                         seed: Optional[int] = None,
                         diff_rank_seed: bool = False) -> DataLoader:
        """:meth:`Runner.build_dataloader`, with ``persistent_workers``
        turned off when there are no workers."""
        if (isinstance(dataloader, dict)
                and dataloader.get('persistent_workers', False)
                and not dataloader.get('num_workers', 0)):
            dataloader = copy.copy(dataloader)
            dataloader['persistent_workers'] = False
        return Runner.build_dataloader(
            dataloader, seed=seed, diff_rank_seed=diff_rank_seed)
