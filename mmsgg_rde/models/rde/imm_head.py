"""Information maintenance module of RDE (section 3.4, eq. 5)."""
from typing import Dict, Optional, Tuple

import torch
import torch.nn as nn
from mmdet.registry import MODELS
from mmengine.model import BaseModule
from torch import Tensor

__all__ = ['IMMHead']

IMM_TARGETS: Dict[str, Tuple[str, ...]] = {
    'subject_object': ('subject', 'object'),
    'predicate': ('predicate', ),
    'triplet': ('subject', 'object', 'predicate'),
}


@MODELS.register_module()
class IMMHead(BaseModule):
    """Classifiers ``w2 . ReLU(w1 . sigma)`` that keep visual cues in sigma.

    Each task has its own two-layer classifier:

    - 'subject': subject class from ``sigma^s`` only;
    - 'object': object class from ``sigma^o`` only;
    - 'predicate': predicate from ``[sigma^s; sigma^o]``.

    ``target`` picks the tasks, which sets the "GMM sparsity" of section
    3.4, the number of distinct distributions ``(mu, sigma)`` the
    supervision separates, with N predicates (one prototype each for
    ``mu``) and M object classes:

    - 'subject_object' (the paper's default): sigma^s and sigma^o are told
      the subject and object class, one distribution per relation triplet,
      M^2 N;
    - 'predicate': sigma only learns the predicate ``mu`` already carries,
      one distribution per predicate, N;
    - 'triplet': both classes and the predicate, M^2 N again (the predicate
      task is redundant with ``mu``).

    Args:
        in_channels (int): Width C of each sigma.
        num_classes (int): Object classes. Defaults to 150.
        num_predicates (int): Predicate classes, background included.
            Defaults to 51.
        target (str): 'subject_object', 'predicate' or 'triplet'.
            Defaults to 'subject_object'.
        hidden_channels (int, optional): Width of ``w1``. Defaults to None
            (``in_channels``; ours: the paper gives no width).
        init_cfg (dict, optional): Initialization config. Defaults to None.
    """

    def __init__(self,
                 in_channels: int,
                 num_classes: int = 150,
                 num_predicates: int = 51,
                 target: str = 'subject_object',
                 hidden_channels: Optional[int] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if target not in IMM_TARGETS:
            raise ValueError(f'IMMHead target must be one of '
                             f'{tuple(IMM_TARGETS)}, got {target!r}')
        self.target = target
        hidden_channels = hidden_channels or in_channels
        self.tasks = IMM_TARGETS[target]
        num_outputs = dict(
            subject=num_classes, object=num_classes, predicate=num_predicates)
        input_dims = dict(
            subject=in_channels, object=in_channels, predicate=2 * in_channels)
        self.classifiers = nn.ModuleDict({
            task:
            nn.Sequential(
                nn.Linear(input_dims[task], hidden_channels), nn.ReLU(),
                nn.Linear(hidden_channels, num_outputs[task]))
            for task in self.tasks
        })

    def forward(self, sigma_s: Tensor, sigma_o: Tensor) -> Dict[str, Tensor]:
        """Classify every enabled task.

        Args:
            sigma_s (Tensor): Subject variations, shape (K, C).
            sigma_o (Tensor): Object variations, shape (K, C).

        Returns:
            dict[str, Tensor]: Logits per task name, shape (K, classes).
        """
        inputs = dict(subject=sigma_s, object=sigma_o)
        if 'predicate' in self.tasks:
            inputs['predicate'] = torch.cat([sigma_s, sigma_o], dim=-1)
        return {
            task: classifier(inputs[task])
            for task, classifier in self.classifiers.items()
        }

    def get_targets(self, sub_labels: Tensor, obj_labels: Tensor,
                    rel_labels: Tensor) -> Dict[str, Tensor]:
        """Labels of every enabled task, keyed like :meth:`forward`.

        Args:
            sub_labels (Tensor): Subject classes, shape (K,).
            obj_labels (Tensor): Object classes, shape (K,).
            rel_labels (Tensor): Predicate classes, shape (K,).

        Returns:
            dict[str, Tensor]: Labels per task name.
        """
        labels = dict(
            subject=sub_labels, object=obj_labels, predicate=rel_labels)
        return {task: labels[task] for task in self.tasks}
