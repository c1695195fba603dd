from types import SimpleNamespace
from unittest.mock import MagicMock

import numpy as np
import pytest
import torch
from mmengine.model import BaseModel
from mmengine.runner import BaseLoop, Runner
from torch.utils.data import Dataset

from mmsgg_rde.engine import DatasetPriorHook
from mmsgg_rde.models.layers import ClassEmbedding, FrequencyBias

NUM_CLASSES, NUM_PREDICATES = 3, 4
PRIOR = np.arange(
    NUM_CLASSES * NUM_CLASSES * NUM_PREDICATES,
    dtype=np.float32).reshape(NUM_CLASSES, NUM_CLASSES, NUM_PREDICATES)


class TinyStatsDataset(Dataset):
    metainfo = dict(classes=('man', 'dog', 'tree'))

    def __len__(self):
        return 2

    def __getitem__(self, idx):
        return dict(inputs=torch.zeros(1))

    def get_statistics(self):
        return dict(pred_dist=PRIOR)


class TinyModel(BaseModel):

    def __init__(self):
        super().__init__()
        self.bias = FrequencyBias(NUM_CLASSES, NUM_PREDICATES)
        self.embed = ClassEmbedding(NUM_CLASSES, embed_dim=4)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        out = self.bias(torch.tensor([0]), torch.tensor([1])).sum()
        return dict(loss=out * 0 + self.embed.weight.sum() * 0)


def run(tmp_path, load_from=None):
    model = TinyModel()
    runner = Runner(
        model=model,
        work_dir=str(tmp_path),
        train_dataloader=dict(
            dataset=TinyStatsDataset(),
            sampler=dict(type='DefaultSampler', shuffle=False),
            batch_size=1,
            num_workers=0),
        train_cfg=dict(by_epoch=False, max_iters=1),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.0)),
        custom_hooks=[dict(type='DatasetPriorHook')],
        default_hooks=dict(checkpoint=None, logger=None),
        default_scope='mmdet',
        load_from=load_from,
        experiment_name=f'prior_hook_{load_from is not None}')
    runner.train()
    return model


def test_hook_initialises_frequency_bias_and_names(tmp_path):
    model = run(tmp_path)
    table = model.bias.obj_baseline.weight.view(NUM_CLASSES + 1,
                                                NUM_CLASSES + 1, -1)
    assert torch.allclose(table[:NUM_CLASSES, :NUM_CLASSES],
                          torch.from_numpy(PRIOR))
    assert model.embed.class_names == ('man', 'dog', 'tree')


def test_loaded_checkpoint_wins(tmp_path):
    state = TinyModel().state_dict()
    state['bias.obj_baseline.weight'] = torch.full_like(
        state['bias.obj_baseline.weight'], 7.)
    path = str(tmp_path / 'ckpt.pth')
    torch.save(dict(state_dict=state), path)
    model = run(tmp_path, load_from=path)
    assert (model.bias.obj_baseline.weight == 7).all()


def fake_runner(train_loop, dataset):
    return SimpleNamespace(
        model=TinyModel(),
        _train_loop=train_loop,
        train_dataloader=SimpleNamespace(dataset=dataset))


def test_no_op_outside_training():
    runner = fake_runner(None, TinyStatsDataset())
    DatasetPriorHook().before_run(runner)
    assert runner.model.bias.obj_baseline.weight.abs().sum() == 0


def test_hook_after_training_keeps_the_trained_bias():
    """``Runner.test()`` after ``Runner.train()`` runs ``before_run``
    again: the trained frequency bias must stay as trained, so that testing
    after training equals testing the saved checkpoint."""
    runner = fake_runner(MagicMock(spec=BaseLoop), TinyStatsDataset())
    DatasetPriorHook().before_run(runner)
    runner.model.init_weights()
    weight = runner.model.bias.obj_baseline.weight
    with torch.no_grad():
        weight.fill_(7.)
    DatasetPriorHook().before_run(runner)
    assert (weight == 7).all()


def test_dataset_without_statistics_is_reported():

    class NoStats(Dataset):
        metainfo = TinyStatsDataset.metainfo

    runner = fake_runner(MagicMock(spec=BaseLoop), NoStats())
    with pytest.raises(TypeError, match='get_statistics'):
        DatasetPriorHook().before_run(runner)
    runner = fake_runner(MagicMock(spec=BaseLoop), TinyStatsDataset())
    with pytest.raises(KeyError, match='statistics_key'):
        DatasetPriorHook(statistics_key='fg_counts').before_run(runner)
