"""Supply ``mmcv._ext`` from :mod:`mmsgg_rde.ops.mmcv_ext` when mmcv has none.

mmcv-lite (and a mmcv build without ops) has every Python module of
``mmcv.ops`` but not the compiled extension ``mmcv._ext`` that each of them
loads at import time, so ``import mmcv.ops`` (and with it ``mmdet.models``)
fails. :class:`MmcvExtFallbackFinder` is an import hook placed at the end
of ``sys.meta_path``: Python asks it for ``mmcv._ext`` only after its own
finders found no compiled extension, and it then loads the file
``mmcv_ext.py`` beside this one under the name ``mmcv._ext``. mmcv's own
wrappers (``RoIAlign``, ``nms``, ``batched_nms``, ...) thus run unchanged on
the kernels of that file, and a compiled ``mmcv._ext`` stays first choice.

This file uses the standard library only and never imports the
``mmsgg_rde`` package, so that the hook can load ``mmcv_ext.py`` while
``mmcv.ops`` is half imported, and so that ``tools/install.sh`` can register
it at interpreter start-up from a ``.pth`` file (:func:`pth_line`), which
makes ``import mmdet.models`` work before ``import mmsgg_rde``. Run as a
script, it prints that line.
"""
import importlib.abc
import importlib.machinery
import importlib.util
import os.path as osp
import sys
from typing import Optional, Sequence

__all__ = [
    'EXT_NAME', 'FALLBACK_FILE', 'MmcvExtFallbackFinder',
    'install_mmcv_ext_fallback', 'mmcv_ops_backend', 'pth_line'
]

#: The module that every ``mmcv.ops`` module loads its kernels from.
EXT_NAME = 'mmcv._ext'
#: The fallback kernels, loaded as ``mmcv._ext`` when mmcv has none.
FALLBACK_FILE = osp.join(osp.dirname(osp.abspath(__file__)), 'mmcv_ext.py')


class MmcvExtFallbackFinder(importlib.abc.MetaPathFinder):
    """Meta path finder that answers only for ``mmcv._ext``."""

    #: Marks instances across copies of this module (``.pth`` and package).
    is_mmsgg_rde_mmcv_ext_finder = True

    def find_spec(
        self,
        fullname: str,
        path: Optional[Sequence[str]] = None,
        target: Optional[object] = None
    ) -> Optional[importlib.machinery.ModuleSpec]:
        """Spec of :data:`FALLBACK_FILE` for ``mmcv._ext``, else ``None``."""
        if fullname != EXT_NAME:
            return None
        return importlib.util.spec_from_file_location(fullname, FALLBACK_FILE)


def install_mmcv_ext_fallback() -> None:
    """Append :class:`MmcvExtFallbackFinder` to ``sys.meta_path`` once.

    Cheap and idempotent: nothing is imported until something imports
    ``mmcv._ext`` and no compiled one exists. ``import mmsgg_rde`` calls it
    before it imports any mmcv/mmdet model code.
    """
    if not any(
            getattr(finder, 'is_mmsgg_rde_mmcv_ext_finder', False)
            for finder in sys.meta_path):
        sys.meta_path.append(MmcvExtFallbackFinder())


def mmcv_ops_backend() -> str:
    """The kernels behind ``mmcv.ops`` in this process.

    Returns:
        str: ``'mmcv'`` for mmcv's compiled extension, else the fallback's
        backend, ``'torchvision'`` or ``'torch'``.

    Raises:
        ImportError: If mmcv is not installed, or has no compiled ops and
            the fallback is not installed.
    """
    ext = importlib.import_module(EXT_NAME)
    return getattr(ext, 'BACKEND', 'mmcv')


def pth_line() -> str:
    """A ``.pth`` line that loads this file and installs the finder.

    Python runs ``.pth`` lines that start with ``import`` at start-up; this
    one loads this file by path (not the ``mmsgg_rde`` package, whose
    import is heavy) and calls :func:`install_mmcv_ext_fallback`.
    """
    path = osp.abspath(__file__)
    name = 'mmsgg_rde_mmcv_ext_finder'
    return ('import importlib.util as u; '
            f's = u.spec_from_file_location({name!r}, {path!r}); '
            'm = u.module_from_spec(s); s.loader.exec_module(m); '
            'm.install_mmcv_ext_fallback()')


if __name__ == '__main__':
    print(pth_line())
