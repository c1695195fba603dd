"""``tools/train.py`` with the benchmark's schedule mechanics (toy model):
the total batch size split over processes, and the stop at the last decay
on plateau."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config

CONFIG = """
default_scope = 'mmdet'
custom_imports = dict(
    imports=['toy_components', 'mmsgg_rde'], allow_failed_imports=False)
model = dict(type='ToyRegressionModel')
total_batch_size = 4
train_dataloader = dict(
    batch_size=1,
    num_workers=0,
    dataset=dict(type='ToyRegressionDataset', num_samples=16),
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'))
val_dataloader = dict(
    batch_size=2,
    num_workers=0,
    dataset=dict(type='ToyRegressionDataset', num_samples=6, seed=1),
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'))
val_evaluator = dict(type='ToyRegressionMetric')
val_cfg = dict(type='ValLoop')
train_cfg = dict(type='IterBasedTrainLoop', max_iters=10, val_interval=1)
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.05))
# num_samples never improves after the first validation.
param_scheduler = [
    dict(
        type='DecayOnPlateauLR',
        monitor='num_samples',
        rule='greater',
        factor=0.1,
        patience=1,
        max_decays=2,
        by_epoch=True)
]
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=1, by_epoch=False),
    logger=dict(type='LoggerHook', interval=1),
    plateau_stop=dict(type='PlateauStopHook'))
log_processor = dict(by_epoch=False)
randomness = dict(seed=0)
"""


def test_training_stops_at_the_last_decay(run_tool, tmp_path):
    config = tmp_path / 'toy_plateau.py'
    config.write_text(CONFIG)
    work_dir = tmp_path / 'work'
    run_tool('train', [str(config), '--work-dir', str(work_dir)])
    # Validations after iterations 1 (best), 2 (decay), 3 (decay, stop).
    saved = sorted(
        int(osp.basename(p)[5:-4])
        for p in glob.glob(str(work_dir / 'iter_*.pth')))
    assert saved == [1, 2, 3]
    checkpoint = torch.load(
        str(work_dir / 'iter_3.pth'), map_location='cpu', weights_only=True)
    # Saved before the validation of its iteration: one decay so far.
    assert checkpoint['optimizer']['param_groups'][0]['lr'] == \
        pytest.approx(0.005)
    dumped = Config.fromfile(str(work_dir / 'toy_plateau.py'))
    assert dumped.train_dataloader.batch_size == 4
    log, = glob.glob(str(work_dir / '*' / '*.log'))
    with open(log) as f:
        text = f.read()
    assert 'training stops' in text
