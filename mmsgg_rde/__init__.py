"""mmsgg_rde: scene graph generation on VG-150 with RDE, an OpenMMLab plugin.

Importing the package registers every component in mmdet's registries, so a
config only needs ``custom_imports = dict(imports=['mmsgg_rde'])``.
"""
from . import (datasets, engine, evaluation, models, structures, utils,  # noqa
               visualization)
from .version import __version__

__all__ = ['__version__']
