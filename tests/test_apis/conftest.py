from collections import OrderedDict

import pytest
from mmengine.runner import CheckpointLoader


@pytest.fixture(autouse=True)
def restore_checkpoint_loaders():
    """The inferencer guards mmengine's checkpoint loaders; undo it."""
    schemes = OrderedDict(CheckpointLoader._schemes)
    yield
    CheckpointLoader._schemes = schemes
