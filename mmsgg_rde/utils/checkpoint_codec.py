"""Encode checkpoint contents so that ``torch.load(weights_only=True)`` works.

mmengine puts :class:`~mmengine.logging.HistoryBuffer` objects, numpy arrays
and numpy scalars into a checkpoint (message hub, dataset meta). Unpickling
them needs globals that the weights-only unpickler rejects, ``getattr``
among them. :func:`encode_checkpoint_objects` replaces each such object by a
tagged dict of plain python values and tensors;
:func:`decode_checkpoint_objects` restores the original objects. Containers
are copied only where something changed, so shared objects (a dataset's
metainfo, a model's state dict) are never modified.
"""
import copy
from typing import Any, Callable, Dict

import numpy as np
import torch
from mmengine.logging import HistoryBuffer

__all__ = [
    'TYPE_KEY', 'encode_checkpoint_objects', 'decode_checkpoint_objects'
]

#: Key that marks a dict as an encoded object.
TYPE_KEY = '__mmsgg_rde_type__'

# numpy dtypes that round-trip exactly through a torch tensor.
_TENSOR_DTYPES = frozenset(
    np.dtype(name)
    for name in ('bool', 'uint8', 'int8', 'int16', 'int32', 'int64', 'float16',
                 'float32', 'float64', 'complex64', 'complex128'))


def _map_containers(obj: Any, leaf_fn: Callable[[Any], Any]) -> Any:
    """Apply ``leaf_fn`` through dicts, lists and tuples, copy on change.

    ``leaf_fn`` returns its argument unchanged for objects it does not
    handle; those objects are then searched recursively if they are
    containers.
    """
    mapped = leaf_fn(obj)
    if mapped is not obj:
        return mapped
    if isinstance(obj, dict):
        changed = {}
        for key, value in obj.items():
            new_value = _map_containers(value, leaf_fn)
            if new_value is not value:
                changed[key] = new_value
        if not changed:
            return obj
        new_obj = copy.copy(obj)
        new_obj.update(changed)
        return new_obj
    if isinstance(obj, (list, tuple)):
        items = [_map_containers(value, leaf_fn) for value in obj]
        if all(new is old for new, old in zip(items, obj)):
            return obj
        if isinstance(obj, tuple) and hasattr(obj, '_fields'):
            return type(obj)(*items)
        return type(obj)(items)
    return obj


def _encode_array(array: np.ndarray) -> Dict[str, Any]:
    """Encode a numpy array as a tensor (numeric) or a flat list."""
    native = array.astype(array.dtype.newbyteorder('='), copy=False)
    if native.dtype in _TENSOR_DTYPES:
        data = torch.from_numpy(np.array(native, copy=True, order='C'))
    else:
        data = _map_containers(array.ravel().tolist(), _encode_leaf)
    return {
        TYPE_KEY: 'ndarray',
        'dtype': array.dtype.str,
        'shape': list(array.shape),
        'data': data,
    }


def _encode_leaf(obj: Any) -> Any:
    """Encode one object that needs unsafe globals, else return it."""
    if isinstance(obj, HistoryBuffer):
        log_history, count_history = obj.data
        return {
            TYPE_KEY: 'HistoryBuffer',
            'max_length': obj.max_length,
            'log_history': _encode_array(log_history),
            'count_history': _encode_array(count_history),
        }
    if isinstance(obj, np.ndarray):
        return _encode_array(obj)
    if isinstance(obj, np.generic):
        return {
            TYPE_KEY: 'numpy_scalar',
            'dtype': obj.dtype.str,
            'value': obj.item()
        }
    return obj


def _decode_array(encoded: Dict[str, Any]) -> np.ndarray:
    """Rebuild a numpy array encoded by :func:`_encode_array`."""
    dtype = np.dtype(encoded['dtype'])
    data = encoded['data']
    if isinstance(data, torch.Tensor):
        return data.numpy().astype(dtype, copy=False).reshape(encoded['shape'])
    array = np.empty(len(data), dtype=dtype)
    for index, value in enumerate(data):
        array[index] = _map_containers(value, _decode_leaf)
    return array.reshape(encoded['shape'])


def _decode_leaf(obj: Any) -> Any:
    """Decode one tagged dict, else return the object unchanged."""
    if not isinstance(obj, dict) or TYPE_KEY not in obj:
        return obj
    kind = obj[TYPE_KEY]
    if kind == 'ndarray':
        return _decode_array(obj)
    if kind == 'numpy_scalar':
        return np.array(obj['value'], dtype=np.dtype(obj['dtype']))[()]
    if kind == 'HistoryBuffer':
        return HistoryBuffer(
            _decode_array(obj['log_history']),
            _decode_array(obj['count_history']),
            max_length=obj['max_length'])
    raise ValueError(
        f'Unknown encoded checkpoint object type {kind!r} under key '
        f'{TYPE_KEY!r}; the checkpoint was written by a newer mmsgg_rde, '
        'upgrade mmsgg_rde to load it.')


def encode_checkpoint_objects(obj: Any) -> Any:
    """Replace HistoryBuffers and numpy objects by weights-only-safe dicts.

    Args:
        obj: A checkpoint or any part of it.

    Returns:
        The encoded object; ``obj`` itself if nothing needed encoding.
    """
    return _map_containers(obj, _encode_leaf)


def decode_checkpoint_objects(obj: Any) -> Any:
    """Invert :func:`encode_checkpoint_objects`.

    Args:
        obj: A loaded checkpoint or any part of it.

    Returns:
        The decoded object; ``obj`` itself if nothing was encoded.
    """
    return _map_containers(obj, _decode_leaf)
