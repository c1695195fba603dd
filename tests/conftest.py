"""Run the CPU tests single-threaded; select CUDA tests only with CUDA.

The tiny models of the tests spend their time in thread synchronisation
when the machine is shared; one thread is several times faster.

Tests marked ``cuda`` need a CUDA device: without one they are deselected
(``pytest -m cuda`` selects them alone, for ``tools/gpu_check.sh``).

``mmsgg_rde`` is imported first: test modules import mmdet before it (isort
order), and with mmcv-lite mmdet's models need the ops it registers.
"""
import torch

import mmsgg_rde  # noqa: F401

torch.set_num_threads(1)


def pytest_collection_modifyitems(config, items):
    """Deselect the ``cuda`` tests when there is no CUDA device."""
    if torch.cuda.is_available():
        return
    cuda = [item for item in items if item.get_closest_marker('cuda')]
    if cuda:
        config.hook.pytest_deselected(items=cuda)
        items[:] = [
            item for item in items if not item.get_closest_marker('cuda')
        ]
