"""``tools/train.py`` with the benchmark's schedule mechanics (toy model):
the total batch size split over processes, and the stop at the last decay
on plateau."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.runner.checkpoint import _load_checkpoint

import mmsgg_rde  # noqa: F401  (weights-only loading of saved checkpoints)


def plateau_config(toy_config, path):
    """The toy config with validation after every iteration, a total batch
    size and a decay on plateau of a metric that never improves."""
    cfg = Config.fromfile(toy_config)
    cfg.custom_imports.imports.append('mmsgg_rde')
    cfg.total_batch_size = 4
    cfg.train_dataloader.batch_size = 1
    cfg.val_dataloader = cfg.test_dataloader
    cfg.val_evaluator = cfg.test_evaluator
    cfg.val_cfg = dict(type='ValLoop')
    cfg.train_cfg = dict(
        type='IterBasedTrainLoop', max_iters=10, val_interval=1)
    # num_samples never improves after the first validation.
    cfg.param_scheduler = [
        dict(
            type='DecayOnPlateauLR',
            monitor='num_samples',
            rule='greater',
            factor=0.1,
            patience=1,
            max_decays=2,
            by_epoch=True)
    ]
    cfg.default_hooks.checkpoint.interval = 1
    cfg.default_hooks.plateau_stop = dict(type='PlateauStopHook')
    cfg.custom_hooks = []
    cfg.dump(path)


def test_training_stops_at_the_last_decay(toy_config, run_tool, tmp_path):
    config = tmp_path / 'toy_plateau.py'
    plateau_config(toy_config, str(config))
    work_dir = tmp_path / 'work'
    run_tool('train', [str(config), '--work-dir', str(work_dir)])
    # Validations after iterations 1 (best), 2 (decay), 3 (decay, stop).
    saved = sorted(
        int(osp.basename(p)[5:-4])
        for p in glob.glob(str(work_dir / 'iter_*.pth')))
    assert saved == [1, 2, 3]
    checkpoint = _load_checkpoint(
        str(work_dir / 'iter_3.pth'), map_location='cpu')
    # Saved before the validation of its iteration: one decay so far.
    assert checkpoint['optimizer']['param_groups'][0]['lr'] == \
        pytest.approx(0.005)
    dumped = Config.fromfile(str(work_dir / 'toy_plateau.py'))
    assert dumped.train_dataloader.batch_size == 4
    log, = glob.glob(str(work_dir / '*' / '*.log'))
    with open(log) as f:
        text = f.read()
    assert 'training stops' in text
