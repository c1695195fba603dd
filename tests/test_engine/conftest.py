from collections import OrderedDict

import pytest
from mmengine.runner import CheckpointLoader


@pytest.fixture(autouse=True)
def restore_checkpoint_loaders():
    """Undo every checkpoint loader registration a test makes."""
    schemes = OrderedDict(CheckpointLoader._schemes)
    yield
    CheckpointLoader._schemes = schemes
