"""Test-only components that the tool tests load via ``custom_imports``.

``StateRecorderHook`` records what the runner holds when training starts
(after ``load_from`` / ``resume``), so a test can compare it with the
checkpoint it came from. The toy regression model, dataset and metric give
the tools a deterministic, seconds-long job.
"""
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmdet.registry import DATASETS, HOOKS, METRICS, MODELS
from mmengine.evaluator import BaseMetric
from mmengine.hooks import Hook
from mmengine.model import BaseModel, is_model_wrapper
from torch import nn
from torch.utils.data import Dataset

__all__ = [
    'StateRecorderHook', 'ToyRegressionDataset', 'ToyRegressionModel',
    'ToyRegressionMetric'
]


@HOOKS.register_module()
class StateRecorderHook(Hook):
    """Save the state a run starts from, after ``load_from`` / ``resume``.

    Rank 0 saves ``dict(iter, state_dict, optimizer)`` in the work dir at
    ``before_train`` and ``dict(state_dict)`` at ``before_test``.

    Args:
        train_file (str): File name of the training record.
        test_file (str): File name of the testing record.
    """

    def __init__(self,
                 train_file: str = 'start_state.pth',
                 test_file: str = 'test_state.pth') -> None:
        self.train_file = train_file
        self.test_file = test_file

    @staticmethod
    def _state_dict(runner) -> Dict:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        return model.state_dict()

    def before_train(self, runner) -> None:
        """Record the state training starts from."""
        if runner.rank == 0:
            torch.save(
                dict(
                    iter=runner.iter,
                    state_dict=self._state_dict(runner),
                    optimizer=runner.optim_wrapper.state_dict()),
                osp.join(runner.work_dir, self.train_file))

    def before_test(self, runner) -> None:
        """Record the weights testing uses."""
        if runner.rank == 0:
            torch.save(
                dict(state_dict=self._state_dict(runner)),
                osp.join(runner.work_dir, self.test_file))


@DATASETS.register_module()
class ToyRegressionDataset(Dataset):
    """Points ``x`` in R^2 with target ``x . (1, -2) + 0.5``.

    Args:
        num_samples (int): Dataset length.
        seed (int): Seed of the generated points.
    """

    def __init__(self, num_samples: int = 16, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.inputs = rng.standard_normal((num_samples, 2)).astype(np.float32)
        self.targets = self.inputs @ np.array([1., -2.], np.float32) + .5

    @property
    def metainfo(self) -> Dict:
        """Metainfo with numpy content, as real datasets may have."""
        return dict(
            classes=('point', ),
            weights=np.array([1., -2.]),
            bias=np.float64(.5))

    def __len__(self) -> int:
        return len(self.inputs)

    def __getitem__(self, index: int) -> Dict[str, torch.Tensor]:
        return dict(
            inputs=torch.from_numpy(self.inputs[index]),
            targets=torch.tensor(self.targets[index]))


@MODELS.register_module()
class ToyRegressionModel(BaseModel):
    """A linear regressor with the mmengine model interface."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self,
                inputs: torch.Tensor,
                targets: Optional[torch.Tensor] = None,
                mode: str = 'tensor'):
        """Return losses, predictions or raw outputs, by ``mode``."""
        outputs = self.linear(inputs).squeeze(-1)
        if mode == 'loss':
            return dict(loss=((outputs - targets)**2).mean())
        if mode == 'predict':
            return [
                dict(pred=pred, target=target)
                for pred, target in zip(outputs, targets)
            ]
        return outputs


@METRICS.register_module()
class ToyRegressionMetric(BaseMetric):
    """Mean squared error and mean prediction over the dataset."""

    default_prefix = 'toy'

    def process(self, data_batch: Dict, data_samples: Sequence[Dict]) -> None:
        """Keep (prediction, target) pairs."""
        for sample in data_samples:
            self.results.append(
                (float(sample['pred']), float(sample['target'])))

    def compute_metrics(self, results: List) -> Dict[str, float]:
        """Compute the metrics over all samples."""
        preds, targets = np.array(results).T
        return dict(
            mse=float(((preds - targets)**2).mean()),
            mean_pred=float(preds.mean()),
            num_samples=float(len(results)))
