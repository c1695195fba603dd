"""mmcv's compiled ops when mmcv has them, a fallback when it has none.

``import mmsgg_rde`` calls :func:`install_mmcv_ext_fallback` before it
imports any model code, so that with mmcv-lite ``mmcv.ops`` (and mmdet's
models) import and run on the kernels of :mod:`mmsgg_rde.ops.mmcv_ext`
(torchvision's, or plain torch). mmcv's compiled extension, where it
exists, is always used instead.
"""
from .mmcv_ext_finder import (MmcvExtFallbackFinder, install_mmcv_ext_fallback,
                              mmcv_ops_backend)

__all__ = [
    'MmcvExtFallbackFinder', 'install_mmcv_ext_fallback', 'mmcv_ops_backend'
]
