"""Switch mmcv's op wrappers between the fallback and mmcv's kernels.

The comparisons need mmcv's compiled ops (``MMCV=full``, what CI installs);
with mmcv-lite they are skipped.
"""
import contextlib
import sys
from typing import Iterator

import pytest

import mmsgg_rde  # noqa: F401  (mmcv.ops imports with mmcv-lite too)
from mmsgg_rde.ops import mmcv_ext, mmcv_ops_backend

#: mmcv's modules whose wrappers the fallback serves.
WRAPPER_MODULES = ('mmcv.ops.roi_align', 'mmcv.ops.nms')

requires_compiled_mmcv = pytest.mark.skipif(
    mmcv_ops_backend() != 'mmcv',
    reason='needs mmcv with compiled ops (MMCV=full make install)')


@contextlib.contextmanager
def fallback_kernels() -> Iterator[None]:
    """Make mmcv's RoIAlign and NMS wrappers call :mod:`mmcv_ext`."""
    modules = [sys.modules[name] for name in WRAPPER_MODULES]
    saved = [module.ext_module for module in modules]
    for module in modules:
        module.ext_module = mmcv_ext
    try:
        yield
    finally:
        for module, ext in zip(modules, saved):
            module.ext_module = ext
