"""mmsgg_rde: scene graph generation on VG-150 with RDE, an OpenMMLab plugin.

Importing the package registers every component in mmdet's registries, so a
config only needs ``custom_imports = dict(imports=['mmsgg_rde'])``. It first
lets ``mmcv.ops`` work on mmcv without compiled ops (mmcv-lite), see
:mod:`mmsgg_rde.ops`.
"""
import importlib.util

from .ops import install_mmcv_ext_fallback

# `pip install .` leaves the choice of mmcv to an extra (setup.py).
if importlib.util.find_spec('mmcv') is None:
    raise ModuleNotFoundError(
        'mmsgg_rde needs mmcv 2.1.0, which is not installed: install '
        "mmcv-lite==2.1.0 (pure Python, `pip install '.[mmcv-lite]'` in the "
        'checkout; mmsgg_rde/ops gives it the ops) or mmcv==2.1.0 built '
        'with its ops (`MMCV=full make install`)',
        name='mmcv')

install_mmcv_ext_fallback()

from . import (datasets, engine, evaluation, models, structures, utils,  # noqa
               visualization)
from .version import __version__  # noqa: E402

__all__ = ['__version__']
