"""Resume, load_from and checkpoint safety of ``tools/train.py`` (toy model).

A deterministic toy model lets a resumed run be compared with an
uninterrupted one exactly.
"""
import datetime
import os.path as osp
import shutil

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import _load_checkpoint

from mmsgg_rde.engine import SAFE_CHECKPOINT_GLOBALS, UnsafeCheckpointError

MAX_ITERS = 4


def _load(path):
    """Load a checkpoint as the runner does (weights-only, allowlist)."""
    return _load_checkpoint(path, map_location='cpu')


def _assert_state_equal(actual, expected):
    assert actual.keys() == expected.keys()
    for key in expected:
        torch.testing.assert_close(actual[key], expected[key], msg=key)


def _momentum_buffers(optimizer_state):
    return [
        state['momentum_buffer']
        for _, state in sorted(optimizer_state['state'].items())
    ]


@pytest.fixture(scope='module')
def full_run(toy_config, run_tool, tmp_path_factory):
    """An uninterrupted run with checkpoints at iterations 2 and 4."""
    work_dir = str(tmp_path_factory.mktemp('full_run'))
    run_tool('train', [toy_config, '--work-dir', work_dir])
    return work_dir


def test_saved_checkpoints_load_with_weights_only(full_run):
    for name in ('iter_2.pth', f'iter_{MAX_ITERS}.pth'):
        path = osp.join(full_run, name)
        with torch.serialization.safe_globals(SAFE_CHECKPOINT_GLOBALS):
            checkpoint = torch.load(
                path, map_location='cpu', weights_only=True)
        assert {
            'meta', 'state_dict', 'message_hub', 'optimizer',
            'param_schedulers'
        } <= checkpoint.keys()
        history = checkpoint['message_hub']['log_scalars']['train/loss']
        assert isinstance(history, HistoryBuffer)
        assert len(history.data[0]) == checkpoint['meta']['iter']
        weights = checkpoint['meta']['dataset_meta']['weights']
        np.testing.assert_array_equal(weights, [1., -2.])


def test_resume_continues_the_interrupted_run(full_run, toy_config, run_tool,
                                              tmp_path):
    work_dir = str(tmp_path)
    resume_from = osp.join(full_run, 'iter_2.pth')
    run_tool('train',
             [toy_config, '--work-dir', work_dir, '--resume', resume_from])

    saved = _load(resume_from)
    start = torch.load(osp.join(work_dir, 'start_state.pth'))
    assert start['iter'] == 2
    _assert_state_equal(start['state_dict'], saved['state_dict'])
    start_momentum = _momentum_buffers(start['optimizer'])
    assert len(start_momentum) == 2
    for actual, expected in zip(start_momentum,
                                _momentum_buffers(saved['optimizer'])):
        torch.testing.assert_close(actual, expected)

    resumed = _load(osp.join(work_dir, f'iter_{MAX_ITERS}.pth'))
    uninterrupted = _load(osp.join(full_run, f'iter_{MAX_ITERS}.pth'))
    assert resumed['meta']['iter'] == MAX_ITERS
    _assert_state_equal(resumed['state_dict'], uninterrupted['state_dict'])
    for actual, expected in zip(
            _momentum_buffers(resumed['optimizer']),
            _momentum_buffers(uninterrupted['optimizer'])):
        torch.testing.assert_close(actual, expected)
    losses = [
        ckpt['message_hub']['log_scalars']['train/loss'].data[0]
        for ckpt in (resumed, uninterrupted)
    ]
    np.testing.assert_allclose(losses[0], losses[1])


def test_auto_resume_finds_the_latest_checkpoint(full_run, toy_config,
                                                 run_tool, tmp_path):
    latest = str(tmp_path / 'iter_2.pth')
    shutil.copy(osp.join(full_run, 'iter_2.pth'), latest)
    (tmp_path / 'last_checkpoint').write_text(latest)
    run_tool('train', [toy_config, '--work-dir', str(tmp_path), '--resume'])
    assert torch.load(str(tmp_path / 'start_state.pth'))['iter'] == 2
    assert _load(str(tmp_path / f'iter_{MAX_ITERS}.pth'))['meta']['iter'] \
        == MAX_ITERS


def test_load_from_starts_a_new_run(full_run, toy_config, run_tool, tmp_path):
    checkpoint = osp.join(full_run, f'iter_{MAX_ITERS}.pth')
    run_tool(
        'train',
        [toy_config, '--work-dir', str(tmp_path)],
        cfg_options=[f'load_from={checkpoint}', 'train_cfg.max_iters=1'])
    start = torch.load(osp.join(str(tmp_path), 'start_state.pth'))
    assert start['iter'] == 0
    _assert_state_equal(start['state_dict'], _load(checkpoint)['state_dict'])
    assert start['optimizer']['state'] == {}


def test_foreign_checkpoint_needs_opt_in(full_run, toy_config, run_tool,
                                         tmp_path):
    checkpoint = _load(osp.join(full_run, 'iter_2.pth'))
    checkpoint['meta']['created'] = datetime.datetime(2024, 1, 2)
    foreign = str(tmp_path / 'foreign.pth')
    torch.save(checkpoint, foreign)
    args = [
        toy_config, '--work-dir',
        str(tmp_path / 'work'), '--resume', foreign
    ]

    with pytest.raises(UnsafeCheckpointError) as refused:
        run_tool('train', args)
    message = str(refused.value)
    assert f'Refusing to load checkpoint "{foreign}"' in message
    assert 'datetime.datetime' in message
    assert '--trust-checkpoint' in message

    run_tool('train', args + ['--trust-checkpoint'])
    start = torch.load(str(tmp_path / 'work' / 'start_state.pth'))
    assert start['iter'] == 2
    _assert_state_equal(start['state_dict'], checkpoint['state_dict'])
