"""mmsgg_rde: scene graph generation on VG-150 with RDE, an OpenMMLab plugin.

Importing the package registers every component in mmdet's registries, so a
config only needs ``custom_imports = dict(imports=['mmsgg_rde'])``. It first
lets ``mmcv.ops`` work on mmcv without compiled ops (mmcv-lite), see
:mod:`mmsgg_rde.ops`.
"""
from .ops import install_mmcv_ext_fallback

install_mmcv_ext_fallback()

from . import (datasets, engine, evaluation, models, structures, utils,  # noqa
               visualization)
from .version import __version__  # noqa: E402

__all__ = ['__version__']
