import io
import pickle
from collections import OrderedDict, namedtuple

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer

from mmsgg_rde.utils import (TYPE_KEY, decode_checkpoint_objects,
                             encode_checkpoint_objects)

Pair = namedtuple('Pair', ['first', 'second'])


def _weights_only_round_trip(obj):
    """Save with torch.save and load back with weights_only=True."""
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    buffer.seek(0)
    return torch.load(buffer, weights_only=True)


def _mmengine_like_checkpoint():
    history = HistoryBuffer([0.5, 0.25, 0.125], [1, 2, 1], max_length=10)
    return dict(
        meta=dict(
            iter=3,
            dataset_meta=dict(
                classes=('a', 'b'),
                freq=np.arange(6, dtype=np.int64).reshape(2, 3),
                names=np.array(['x', 'yz']),
                mixed=np.array([1, 'a', None], dtype=object))),
        message_hub=dict(
            log_scalars=OrderedDict([('train/loss', history)]),
            runtime_info=OrderedDict(eta=np.float64(1.5), iter=3)),
        state_dict=OrderedDict(weight=torch.ones(2)),
        flags=(np.int32(7), [np.bool_(True)]))


def test_plain_weights_only_load_fails_on_mmengine_objects():
    with pytest.raises(pickle.UnpicklingError):
        _weights_only_round_trip(_mmengine_like_checkpoint())


def test_round_trip_restores_every_object():
    checkpoint = _mmengine_like_checkpoint()
    loaded = _weights_only_round_trip(encode_checkpoint_objects(checkpoint))
    decoded = decode_checkpoint_objects(loaded)

    history = decoded['message_hub']['log_scalars']['train/loss']
    assert isinstance(history, HistoryBuffer)
    assert history.max_length == 10
    np.testing.assert_array_equal(history.data[0], [0.5, 0.25, 0.125])
    np.testing.assert_array_equal(history.data[1], [1, 2, 1])
    # HistoryBuffer.mean = sum(values) / sum(counts) = 0.875 / 4.
    assert history.mean() == pytest.approx(0.21875)

    eta = decoded['message_hub']['runtime_info']['eta']
    assert type(eta) is np.float64 and eta == 1.5
    meta = decoded['meta']['dataset_meta']
    assert meta['freq'].dtype == np.int64
    np.testing.assert_array_equal(meta['freq'], [[0, 1, 2], [3, 4, 5]])
    assert meta['names'].dtype == np.dtype('<U2')
    assert meta['names'].tolist() == ['x', 'yz']
    assert meta['mixed'].dtype == object
    assert meta['mixed'].tolist() == [1, 'a', None]
    assert meta['classes'] == ('a', 'b')
    count, (flag, ) = decoded['flags']
    assert type(count) is np.int32 and count == 7
    assert type(flag) is np.bool_ and flag
    assert torch.equal(decoded['state_dict']['weight'], torch.ones(2))


def test_encoding_tags_and_tensor_storage():
    encoded = encode_checkpoint_objects(
        dict(a=np.array([[1., 2.]], dtype='>f4')))
    assert encoded['a'][TYPE_KEY] == 'ndarray'
    assert encoded['a']['dtype'] == '>f4'
    assert encoded['a']['shape'] == [1, 2]
    assert isinstance(encoded['a']['data'], torch.Tensor)
    decoded = decode_checkpoint_objects(encoded)['a']
    assert decoded.dtype == np.dtype('>f4')
    np.testing.assert_array_equal(decoded, [[1., 2.]])


def test_inputs_are_never_modified():
    array = np.zeros(3)
    dataset_meta = dict(freq=array, classes=['a'])
    checkpoint = dict(meta=dict(dataset_meta=dataset_meta))
    encoded = encode_checkpoint_objects(checkpoint)
    assert dataset_meta['freq'] is array
    assert checkpoint['meta']['dataset_meta'] is dataset_meta
    assert encoded['meta']['dataset_meta'] is not dataset_meta
    assert encoded['meta']['dataset_meta']['classes'] is dataset_meta[
        'classes']


def test_unchanged_containers_keep_identity_and_attributes():
    state_dict = OrderedDict(weight=torch.zeros(1))
    state_dict._metadata = OrderedDict(linear=dict(version=1))
    assert encode_checkpoint_objects(state_dict) is state_dict
    assert decode_checkpoint_objects(state_dict) is state_dict

    mixed = OrderedDict(weight=torch.zeros(1), step=np.int64(4))
    mixed._metadata = OrderedDict(linear=dict(version=1))
    encoded = encode_checkpoint_objects(mixed)
    assert type(encoded) is OrderedDict
    assert encoded._metadata == mixed._metadata
    assert encoded['weight'] is mixed['weight']


def test_named_tuples_keep_their_type():
    pair = Pair(np.int32(7), 'b')
    encoded = encode_checkpoint_objects(pair)
    assert isinstance(encoded, Pair)
    assert encoded.first[TYPE_KEY] == 'numpy_scalar'
    decoded = decode_checkpoint_objects(encoded)
    assert decoded == pair and type(decoded.first) is np.int32


def test_unknown_tag_names_the_problem():
    with pytest.raises(ValueError, match='future_type'):
        decode_checkpoint_objects({TYPE_KEY: 'future_type'})
