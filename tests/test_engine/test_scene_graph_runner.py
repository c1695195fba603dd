import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.model import BaseModel
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

from mmsgg_rde.engine import SceneGraphRunner


class _Model(BaseModel):

    def __init__(self) -> None:
        super().__init__()
        self.fc = torch.nn.Linear(2, 1)

    def forward(self, inputs=None, data_samples=None, mode='tensor'):
        return self.fc(inputs)


def _loader_cfg(num_workers):
    return dict(
        batch_size=2,
        num_workers=num_workers,
        persistent_workers=True,
        dataset=[torch.zeros(2)] * 4,
        sampler=dict(type='DefaultSampler', shuffle=False))


def test_persistent_workers_only_with_workers():
    init_default_scope('mmdet')
    cfg = _loader_cfg(0)
    with pytest.raises(ValueError, match='persistent_workers'):
        Runner.build_dataloader(cfg)
    loader = SceneGraphRunner.build_dataloader(cfg)
    assert loader.num_workers == 0 and not loader.persistent_workers
    assert cfg['persistent_workers'] is True
    assert len(list(loader)) == 2
    loader = SceneGraphRunner.build_dataloader(_loader_cfg(1))
    assert loader.num_workers == 1 and loader.persistent_workers


def test_terminal_shows_where_the_config_is(tmp_path, capsys):
    cfg = Config(dict(model=dict(type='_Model'), marker_setting=12345))
    runner = SceneGraphRunner(
        model=_Model(),
        work_dir=str(tmp_path),
        experiment_name=f'runner_log_{id(cfg)}',
        cfg=cfg)
    printed = capsys.readouterr().out
    log_file = runner.logger.log_file
    config_file = osp.join(str(tmp_path), f'{runner.timestamp}.py')
    assert (f'Config: written to {config_file} and to the log file '
            f'{log_file}\n') in printed
    assert f'Hooks: listed in the log file {log_file}\n' in printed
    assert 'marker_setting' not in printed
    assert 'before_train_iter:' not in printed
    with open(log_file) as f:
        logged = f.read()
    assert 'Config:\nmarker_setting = 12345' in logged
    assert 'Hooks will be executed in the following order:\n' in logged
    assert 'before_train_iter:' in logged
    assert 'marker_setting = 12345' in open(config_file).read()
