"""Safe checkpoint loading for mmengine on torch >= 2.6.

torch >= 2.6 loads with ``weights_only=True`` by default, and checkpoints
written by a stock mmengine Runner fail that check: their message hub holds
:class:`~mmengine.logging.HistoryBuffer` objects (pickled with
``getattr(HistoryBuffer, 'min')`` and friends) and numpy arrays and scalars.

:func:`register_checkpoint_loaders` wraps every loader of mmengine's
:class:`~mmengine.runner.CheckpointLoader` (used by ``load_from``,
``resume`` and ``init_cfg=dict(type='Pretrained')``) so that

* the weights-only unpickler additionally accepts exactly the objects of
  such checkpoints (:data:`SAFE_CHECKPOINT_GLOBALS`): numpy array, dtype and
  scalar reconstruction, ``HistoryBuffer``, and ``getattr`` restricted to
  ``HistoryBuffer``'s statistics methods;
* any other global fails with :class:`UnsafeCheckpointError`, which names
  the file and the explicit opt-in for files the user trusts;
* a file that cannot be read (cut short, not a checkpoint) fails with
  :class:`CheckpointReadError`, which names the file and the newest intact
  checkpoint beside it (:func:`newest_intact_checkpoint`), to resume from.

Importing ``mmsgg_rde`` (a config's ``custom_imports``) calls it once with
``trust_checkpoint=False``, so ``load_from``, ``resume`` and ``Pretrained``
initialisation work the same in ``tools/``, in mmdet's tools and with
mmengine's Runner API, and checkpoints are saved exactly as mmengine saves
them.
"""
import functools
import logging
import os
import os.path as osp
import pickle
import pickletools
import re
import zipfile
from contextlib import contextmanager
from typing import Any, Callable, Iterator, List, Optional

import numpy as np
import torch
from mmengine.logging import HistoryBuffer, print_log
from mmengine.runner import CheckpointLoader

from mmsgg_rde.utils import UserError, one_line_message

__all__ = [
    'HISTORY_BUFFER_METHODS', 'SAFE_CHECKPOINT_GLOBALS', 'CheckpointReadError',
    'UnsafeCheckpointError', 'guard_checkpoint_loader',
    'newest_intact_checkpoint', 'register_checkpoint_loaders'
]

#: ``HistoryBuffer`` attributes a checkpoint may reference via ``getattr``.
HISTORY_BUFFER_METHODS = frozenset(('min', 'max', 'current', 'mean'))

_GUARD_MARK = '_mmsgg_rde_weights_only_guard'
_FORCE_UNSAFE_ENV = 'TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD'
# Text around the specific reason in torch's weights-only error message.
_UNPICKLER_MARK = 'WeightsUnpickler error:'
_TORCH_DOCS_MARK = 'Check the documentation of torch.load'

# Words of torch's errors for files that are cut short or not checkpoints.
_DAMAGE_MARKS = ('PytorchStreamReader', 'EOF', 'corrupt', 'truncated')
# Pickles at the start of a torch file saved without the zip format.
_LEGACY_PICKLES = 5
# Names of the checkpoints mmengine's CheckpointHook saves.
_CHECKPOINT_NAME = re.compile(r'(?:iter|epoch)_(\d+)\.pth')
# The file in which the CheckpointHook names the last checkpoint it saved.
_LAST_CHECKPOINT_FILE = 'last_checkpoint'


class UnsafeCheckpointError(UserError, RuntimeError):
    """A checkpoint needs unpickling beyond what is known to be safe."""


class CheckpointReadError(UserError, RuntimeError):
    """A checkpoint file cannot be read: cut short or not a checkpoint."""


def _history_buffer_getattr(owner: Any, name: str) -> Any:
    """Resolve ``getattr(HistoryBuffer, name)`` for statistics methods only.

    Stands in for ``builtins.getattr`` while unpickling, so that a
    checkpoint cannot reach any other attribute of any other object.
    """
    if owner is not HistoryBuffer or name not in HISTORY_BUFFER_METHODS:
        raise pickle.UnpicklingError(
            f'getattr({owner!r}, {name!r}) is not allowed: only '
            f'HistoryBuffer.{{{", ".join(sorted(HISTORY_BUFFER_METHODS))}}} '
            'may be referenced by a checkpoint.')
    return getattr(owner, name)


def _numpy_safe_globals() -> List[Any]:
    """Globals numpy uses to pickle arrays, dtypes and scalars."""
    reconstruct = np.ndarray.__reduce__(np.zeros(1))[0]
    scalar = np.float64(0).__reduce__()[0]
    safe: List[Any] = [np.ndarray, np.dtype]
    for module in ('numpy.core.multiarray', 'numpy._core.multiarray'):
        safe.append((reconstruct, f'{module}._reconstruct'))
        safe.append((scalar, f'{module}.scalar'))
    dtype_classes = getattr(np, 'dtypes', None)
    if dtype_classes is not None:
        safe.extend(
            cls for cls in vars(dtype_classes).values()
            if isinstance(cls, type) and issubclass(cls, np.dtype))
    return safe


#: Globals accepted in addition to torch's weights-only defaults.
SAFE_CHECKPOINT_GLOBALS: List[Any] = _numpy_safe_globals() + [
    HistoryBuffer,
    (_history_buffer_getattr, 'builtins.getattr'),
]


@contextmanager
def _full_unpickling() -> Iterator[None]:
    """Make ``torch.load`` calls without ``weights_only`` unpickle fully."""
    previous = os.environ.get(_FORCE_UNSAFE_ENV)
    os.environ[_FORCE_UNSAFE_ENV] = '1'
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(_FORCE_UNSAFE_ENV)
        else:
            os.environ[_FORCE_UNSAFE_ENV] = previous


def _describe_unsafe_content(filename: str,
                             error: pickle.UnpicklingError) -> str:
    """Name the globals that blocked loading, as precisely as possible."""
    path = osp.expanduser(filename)
    if osp.isfile(path):
        try:
            with torch.serialization.safe_globals(SAFE_CHECKPOINT_GLOBALS):
                unsafe = torch.serialization.get_unsafe_globals_in_checkpoint(
                    path)
        except (ValueError, RuntimeError):
            unsafe = []
        if unsafe:
            return 'unsafe globals: ' + ', '.join(sorted(unsafe))
    message = str(error)
    if _UNPICKLER_MARK in message:
        message = message.split(_UNPICKLER_MARK, 1)[1]
        message = message.split(_TORCH_DOCS_MARK, 1)[0]
    return ' '.join(message.split())


def _legacy_pickles_are_cut(path: str) -> bool:
    """Whether a pre-zip torch file ends inside one of its pickles.

    Such a file is a magic number, protocol version, system info, the
    objects and the storage keys, each a pickle, then raw storage bytes.
    The opcodes are parsed, never executed.
    """
    if zipfile.is_zipfile(path):
        return False
    with open(path, 'rb') as f:
        try:
            for _ in range(_LEGACY_PICKLES):
                for _opcode in pickletools.genops(f):
                    pass
        except ValueError:
            return True
    return False


def _is_complete(path: str) -> bool:
    """Whether a torch file is whole, from its structure only.

    A zip-format file must end with its central directory and hold every
    member it lists; a pre-zip file must hold all its pickles. No tensor
    is read and nothing is unpickled.
    """
    if zipfile.is_zipfile(path):
        size = osp.getsize(path)
        try:
            with zipfile.ZipFile(path) as archive:
                return all(info.header_offset + info.compress_size <= size
                           for info in archive.infolist())
        except (zipfile.BadZipFile, OSError):
            return False
    return not _legacy_pickles_are_cut(path)


def newest_intact_checkpoint(folder: str,
                             exclude: Optional[str] = None) -> Optional[str]:
    """The latest ``iter_<n>.pth`` or ``epoch_<n>.pth`` of ``folder`` that
    is complete.

    Args:
        folder: A work dir (where mmengine's CheckpointHook saves).
        exclude: A file to pass over (the one that failed).

    Returns:
        str | None: Its path (``folder`` joined with its name), or None.
    """
    if not osp.isdir(folder):
        return None
    found = []
    for name in os.listdir(folder):
        match = _CHECKPOINT_NAME.fullmatch(name)
        path = osp.join(folder, name)
        if match and osp.isfile(path):
            found.append((int(match.group(1)), name.startswith('iter'), path))
    excluded = osp.realpath(exclude) if exclude else None
    for _, _, path in sorted(found, reverse=True):
        if osp.realpath(path) != excluded and _is_complete(path):
            return path
    return None


def _named_by_last_checkpoint(path: str) -> bool:
    """Whether the ``last_checkpoint`` file beside ``path`` names it."""
    record = osp.join(osp.dirname(path), _LAST_CHECKPOINT_FILE)
    try:
        with open(record) as f:
            named = f.read().strip()
    except OSError:
        return False
    return bool(named) and osp.realpath(named) == osp.realpath(path)


def _resume_hint(filename: str) -> str:
    """Where to resume instead of the damaged ``filename``, or ''."""
    path = osp.expanduser(filename)
    folder = osp.dirname(path) or '.'
    intact = newest_intact_checkpoint(folder, exclude=path)
    named = (f' {_LAST_CHECKPOINT_FILE} in {folder} names this file.'
             if _named_by_last_checkpoint(path) else '')
    if intact is None:
        return named
    return (f'{named} The newest intact checkpoint there is "{intact}": '
            f'resume from it with `--resume {intact}` (tools/train.py; '
            f'Runner: resume=True, load_from="{intact}").')


def _is_unreadable(filename: str, error: Exception) -> bool:
    """Whether ``error`` says the local file is cut short or no checkpoint.
    """
    path = osp.expanduser(filename)
    if (not osp.isfile(path)
            or isinstance(error, (FileNotFoundError, PermissionError))):
        return False
    if isinstance(error, (EOFError, KeyError, OSError)):
        return True
    if isinstance(error, pickle.UnpicklingError):
        return _legacy_pickles_are_cut(path)
    return any(mark in str(error) for mark in _DAMAGE_MARKS)


def _read_error(filename: str, error: Exception) -> CheckpointReadError:
    """A :class:`CheckpointReadError` naming the file and torch's reason."""
    size = osp.getsize(osp.expanduser(filename))
    reason = one_line_message(error).split('. ', 1)[0].rstrip(': .')
    return CheckpointReadError(
        f'Cannot load checkpoint "{filename}" ({size} bytes; {reason}): the '
        'file is cut short (an interrupted download, copy or save) or is '
        'not a PyTorch checkpoint. Get the file again.' +
        _resume_hint(filename))


def guard_checkpoint_loader(loader: Callable,
                            trust_checkpoint: bool = False) -> Callable:
    """Wrap an mmengine checkpoint loader with the weights-only policy.

    Args:
        loader: A loader ``(filename, map_location) -> checkpoint`` as
            registered in :class:`~mmengine.runner.CheckpointLoader`.
        trust_checkpoint: Load checkpoints that need unsafe globals with full
            unpickling instead of raising. Only for trusted files.

    Returns:
        The wrapped loader (same ``__name__``, as mmengine logs it).
    """
    original = loader.__wrapped__ if getattr(loader, _GUARD_MARK,
                                             False) else loader

    @functools.wraps(original)
    def guarded(filename: str, map_location: Optional[Any] = None) -> Any:
        try:
            with torch.serialization.safe_globals(SAFE_CHECKPOINT_GLOBALS):
                return original(filename, map_location)
        except pickle.UnpicklingError as error:
            if _is_unreadable(filename, error):
                raise _read_error(filename, error) from error
            if not trust_checkpoint:
                raise UnsafeCheckpointError(
                    f'Refusing to load checkpoint "{filename}": it contains '
                    'objects that torch.load(weights_only=True) does not '
                    f'allow ({_describe_unsafe_content(filename, error)}). '
                    'Fully unpickling it can run arbitrary code. If you '
                    'trust where this file comes from, pass '
                    '--trust-checkpoint to tools/train.py, tools/test.py or '
                    'tools/infer.py (trust_checkpoint=True to '
                    'SceneGraphInferencer, or call mmsgg_rde.engine.'
                    'register_checkpoint_loaders(trust_checkpoint=True)).'
                ) from error
        except (EOFError, OSError, KeyError, ValueError,
                RuntimeError) as error:
            if _is_unreadable(filename, error):
                raise _read_error(filename, error) from error
            raise
        print_log(
            f'Checkpoint "{filename}" needs unsafe unpickling; loading it '
            'fully because trust_checkpoint is set.',
            logger='current',
            level=logging.WARNING)
        with _full_unpickling():
            return original(filename, map_location)

    setattr(guarded, _GUARD_MARK, True)
    return guarded


def register_checkpoint_loaders(trust_checkpoint: bool = False) -> None:
    """Guard every registered mmengine checkpoint loader.

    Safe to call repeatedly; the last call decides ``trust_checkpoint``.

    Args:
        trust_checkpoint: See :func:`guard_checkpoint_loader`.
    """
    for prefix, loader in list(CheckpointLoader._schemes.items()):
        CheckpointLoader.register_scheme(
            prefix,
            guard_checkpoint_loader(loader, trust_checkpoint),
            force=True)
