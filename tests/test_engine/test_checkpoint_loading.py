import datetime
import pickle
import subprocess
import sys
from collections import OrderedDict

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner import CheckpointLoader
from mmengine.runner.checkpoint import _load_checkpoint

from mmsgg_rde.engine import (CheckpointReadError, UnsafeCheckpointError,
                              register_checkpoint_loaders)


class _HistoryBufferUpdateRef:
    """Pickles as ``getattr(HistoryBuffer, 'update')``."""

    def __reduce__(self):
        return getattr, (HistoryBuffer, 'update')


def _stock_mmengine_checkpoint():
    """What an mmengine Runner saves."""
    return dict(
        meta=dict(iter=2, dataset_meta=dict(freq=np.ones((2, 2)))),
        state_dict=OrderedDict(weight=torch.arange(3.)),
        message_hub=dict(
            log_scalars=OrderedDict(loss=HistoryBuffer([1.0, 0.5], [1, 1])),
            runtime_info=OrderedDict(eta=np.float64(3.0)),
            resumed_keys=OrderedDict(loss=True, eta=True)))


@pytest.mark.parametrize('zipfile', [True, False])
def test_stock_mmengine_checkpoint_loads_safely(tmp_path, zipfile):
    path = str(tmp_path / 'stock.pth')
    torch.save(
        _stock_mmengine_checkpoint(),
        path,
        _use_new_zipfile_serialization=zipfile)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path)

    register_checkpoint_loaders()
    checkpoint = _load_checkpoint(path, map_location='cpu')

    history = checkpoint['message_hub']['log_scalars']['loss']
    assert isinstance(history, HistoryBuffer)
    assert history.mean() == pytest.approx(0.75)
    assert history.statistics('min') == pytest.approx(0.5)
    assert checkpoint['message_hub']['runtime_info']['eta'] == 3.0
    np.testing.assert_array_equal(checkpoint['meta']['dataset_meta']['freq'],
                                  np.ones((2, 2)))
    assert torch.equal(checkpoint['state_dict']['weight'], torch.arange(3.))


@pytest.mark.parametrize('zipfile', [True, False])
def test_unsafe_checkpoint_fails_with_clear_error(tmp_path, zipfile):
    path = str(tmp_path / 'foreign.pth')
    torch.save(
        dict(meta=dict(made=datetime.datetime(2024, 1, 2))),
        path,
        _use_new_zipfile_serialization=zipfile)
    register_checkpoint_loaders()
    with pytest.raises(UnsafeCheckpointError) as info:
        _load_checkpoint(path)
    message = str(info.value)
    assert path in message
    assert 'datetime.datetime' in message
    assert '--trust-checkpoint' in message


def test_trusted_unsafe_checkpoint_loads(tmp_path):
    path = str(tmp_path / 'foreign.pth')
    made = datetime.datetime(2024, 1, 2)
    torch.save(dict(meta=dict(made=made)), path)
    register_checkpoint_loaders(trust_checkpoint=True)
    assert _load_checkpoint(path)['meta']['made'] == made

    register_checkpoint_loaders(trust_checkpoint=False)
    with pytest.raises(UnsafeCheckpointError):
        _load_checkpoint(path)


def test_getattr_is_limited_to_history_buffer_statistics(tmp_path):
    path = str(tmp_path / 'sneaky.pth')
    torch.save(dict(method=_HistoryBufferUpdateRef()), path)
    register_checkpoint_loaders()
    with pytest.raises(UnsafeCheckpointError, match="'update'"):
        _load_checkpoint(path)


def test_registration_wraps_each_loader_once():
    # Importing mmsgg_rde guarded them already.
    guarded_at_import = dict(CheckpointLoader._schemes)
    originals = {
        prefix: loader.__wrapped__
        for prefix, loader in guarded_at_import.items()
    }
    register_checkpoint_loaders()
    register_checkpoint_loaders(trust_checkpoint=True)
    assert CheckpointLoader._schemes.keys() == originals.keys()
    for prefix, original in originals.items():
        guarded = CheckpointLoader._schemes[prefix]
        assert guarded is not guarded_at_import[prefix]
        assert guarded.__wrapped__ is original
        assert guarded.__name__ == original.__name__


def test_importing_mmsgg_rde_guards_the_loaders(tmp_path):
    """A fresh interpreter: ``import mmsgg_rde`` is all it takes."""
    path = str(tmp_path / 'stock.pth')
    torch.save(_stock_mmengine_checkpoint(), path)
    code = ('import mmsgg_rde; from mmengine.runner.checkpoint import '
            f'_load_checkpoint; c = _load_checkpoint({path!r}); '
            "print(c['message_hub']['log_scalars']['loss'].mean())")
    proc = subprocess.run([sys.executable, '-c', code],
                          capture_output=True,
                          text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split()[-1] == '0.75'


@pytest.mark.parametrize('zipfile', [True, False])
@pytest.mark.parametrize('fraction', [0, 0.3, 0.9])
def test_truncated_checkpoint_names_the_file(tmp_path, zipfile, fraction):
    whole = str(tmp_path / 'whole.pth')
    torch.save(
        _stock_mmengine_checkpoint(),
        whole,
        _use_new_zipfile_serialization=zipfile)
    with open(whole, 'rb') as f:
        data = f.read()
    path = str(tmp_path / 'cut.pth')
    with open(path, 'wb') as f:
        f.write(data[:int(len(data) * fraction)])
    with pytest.raises(CheckpointReadError) as info:
        _load_checkpoint(path)
    message = str(info.value)
    assert f'Cannot load checkpoint "{path}"' in message
    assert 'cut short' in message


def test_missing_checkpoint_keeps_mmengine_error(tmp_path):
    path = str(tmp_path / 'missing.pth')
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        _load_checkpoint(path)


def _save_run_checkpoints(work_dir, iterations, cut, zipfile=True):
    """``iter_<i>.pth`` for each iteration (those in ``cut`` cut to a third)
    and ``last_checkpoint`` naming the last, as the CheckpointHook does."""
    paths = {}
    for i in iterations:
        path = str(work_dir / f'iter_{i}.pth')
        torch.save(
            _stock_mmengine_checkpoint(),
            path,
            _use_new_zipfile_serialization=zipfile)
        if i in cut:
            with open(path, 'rb') as f:
                data = f.read()
            with open(path, 'wb') as f:
                f.write(data[:len(data) // 3])
        paths[i] = path
    (work_dir / 'last_checkpoint').write_text(paths[iterations[-1]])
    return paths


@pytest.mark.parametrize('zipfile', [True, False])
def test_truncated_last_checkpoint_names_the_intact_one(tmp_path, zipfile):
    # iter_10 is newer than iter_9 (by number, not by name); iter_11 is cut
    # too.
    paths = _save_run_checkpoints(
        tmp_path, [2, 9, 10, 11, 12], cut={11, 12}, zipfile=zipfile)
    register_checkpoint_loaders()
    with pytest.raises(CheckpointReadError) as info:
        _load_checkpoint(paths[12])
    message = str(info.value)
    assert f'Cannot load checkpoint "{paths[12]}"' in message
    assert f'last_checkpoint in {tmp_path} names this file.' in message
    assert (f'The newest intact checkpoint there is "{paths[10]}": resume '
            f'from it with `--resume {paths[10]}`') in message
    # The named checkpoint loads.
    assert _load_checkpoint(paths[10])['meta']['iter'] == 2


def test_no_intact_checkpoint_beside_a_truncated_one(tmp_path):
    paths = _save_run_checkpoints(tmp_path, [1, 2], cut={1, 2})
    (tmp_path / 'notes.pth').write_text('not a checkpoint name')
    register_checkpoint_loaders()
    with pytest.raises(CheckpointReadError) as info:
        _load_checkpoint(paths[1])
    message = str(info.value)
    assert message.endswith('Get the file again.')
    assert '--resume' not in message
