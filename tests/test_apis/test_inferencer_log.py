"""What the inferencer logs when it starts: no registry warning."""
import logging

from mmengine.dataset import pseudo_collate
from mmengine.logging import MMLogger

from mmsgg_rde.apis import SceneGraphInferencer


class _Records(logging.Handler):
    """Keep the messages of WARNING and above."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def test_no_registry_warning_and_the_runner_collate(tiny_sgg_config,
                                                    tiny_sgg_checkpoint):
    # mmengine's inferencer looked collate_fn up in an "mmdet" function
    # registry, which does not exist, and warned at every start.
    logger = MMLogger.get_instance('inferencer_log', log_level='INFO')
    records = _Records()
    logger.addHandler(records)
    try:
        inferencer = SceneGraphInferencer(
            tiny_sgg_config,
            weights=tiny_sgg_checkpoint,
            device='cpu',
            show_progress=False)
    finally:
        logger.removeHandler(records)
    assert records.messages == []
    # The config names no collate_fn: mmengine's default, as the Runner's.
    assert inferencer.collate_fn.func is pseudo_collate
    assert inferencer.collate_fn.keywords == {}
