"""mmcv's compiled ops when mmcv has them, a fallback when it has none.

With mmcv-lite (mmcv without its compiled extension ``mmcv._ext``),
``import mmcv.ops`` fails, and so does every mmdet module that imports names
from it (``mmdet.models``, ``.datasets``, ``.engine``, ``.evaluation``,
``.apis``, ``.visualization``; ``mmdet.registry``, ``.structures`` and
``.utils`` do not). :func:`install_mmcv_ext_fallback` adds an import hook
that then supplies ``mmcv._ext`` from :mod:`mmsgg_rde.ops.mmcv_ext`
(torchvision's kernels, or plain torch); a compiled ``mmcv._ext`` is always
found first. The hook must be in place before the first of those imports:

- ``import mmsgg_rde`` installs it before it imports any model code, so
  configs (``custom_imports``), ``tools/train.py`` and ``tools/test.py``
  (which import only ``mmdet.registry`` and ``mmdet.utils`` before it),
  ``mim train/test`` and the benchmarks work;
- code that imports mmdet's models (or the others above) before
  ``mmsgg_rde`` needs the ``.pth`` file that ``tools/install.sh`` writes
  into the venv (``MMCV=lite``), which installs the hook at start-up
  (:func:`~mmsgg_rde.ops.mmcv_ext_finder.pth_line`).
"""
from .mmcv_ext_finder import (MmcvExtFallbackFinder, install_mmcv_ext_fallback,
                              mmcv_ops_backend)

__all__ = [
    'MmcvExtFallbackFinder', 'install_mmcv_ext_fallback', 'mmcv_ops_backend'
]
