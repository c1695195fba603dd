"""Frequency bias: a learnable log-prior over predicates per class pair."""
import math
from typing import Optional, Union

import numpy as np
import torch
from mmdet.registry import MODELS
from mmengine.logging import print_log
from mmengine.model import BaseModule
from torch import Tensor, nn

__all__ = ['FrequencyBias']


@MODELS.register_module()
class FrequencyBias(BaseModule):
    """Predicate logits looked up by (subject class, object class).

    The table is an ``nn.Embedding`` of ``(num_classes + 1) ** 2`` rows (class
    pairs, including the background class ``num_classes``, mmdet's label
    for it, as the benchmark's 151 x 151 table) and ``num_predicates``
    columns, trained with the rest of the head. It starts at zero and is
    usually initialised from the training set's statistics
    (``log(fg / fg.sum(-1) + eps)``, see :meth:`set_prior`), which the
    ``DatasetPriorHook`` provides before weight initialisation.

    Args:
        num_classes (int): Number of object classes. Defaults to 150.
        num_predicates (int): Number of predicate classes including the
            background class 0. Defaults to 51.
        eps (float): The statistics' ``eps``: pairs with the background
            class, which have no counts, get ``log(1 + eps)`` for predicate
            0 and ``log(eps)`` for the others. Defaults to 1e-3.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 num_classes: int = 150,
                 num_predicates: int = 51,
                 eps: float = 1e-3,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.num_classes = num_classes
        self.num_predicates = num_predicates
        self.eps = eps
        self.obj_baseline = nn.Embedding((num_classes + 1)**2, num_predicates)
        nn.init.zeros_(self.obj_baseline.weight)
        self._prior: Optional[Tensor] = None

    def set_prior(self, pred_dist: Union[Tensor, np.ndarray]) -> None:
        """Give the (num_classes, num_classes, num_predicates) prior that
        :meth:`init_weights` starts the table from.

        The prior is an initialisation: it enters the table only in
        :meth:`init_weights` (run by mmengine's Runner after the
        ``before_run`` hooks and before loading a checkpoint, which
        therefore wins), never here, so that a trained table is not reset
        when a prior is given again (e.g. by the ``before_run`` of a
        ``Runner.test()`` after ``Runner.train()``).

        Args:
            pred_dist: Log-prior indexed by (subject, object, predicate), e.g.
                ``dataset.get_statistics()['pred_dist']``.
        """
        prior = torch.as_tensor(np.asarray(pred_dist), dtype=torch.float32)
        num = self.num_classes
        expected = (num, num, self.num_predicates)
        if tuple(prior.shape) != expected:
            raise ValueError(
                f'pred_dist has shape {tuple(prior.shape)}, expected '
                f'{expected}; check that the dataset statistics '
                '(get_statistics()["pred_dist"]) match num_classes and '
                'num_predicates of the relation head.')
        table = prior.new_full((num + 1, num + 1, self.num_predicates),
                               math.log(self.eps))
        table[..., 0] = math.log(1 + self.eps)
        table[:num, :num] = prior
        self._prior = table.reshape(-1, self.num_predicates)

    def init_weights(self) -> None:
        """Initialise, then apply the prior given by :meth:`set_prior`."""
        super().init_weights()
        if self._prior is not None:
            weight = self.obj_baseline.weight
            with torch.no_grad():
                weight.copy_(self._prior.to(weight.device, weight.dtype))
            print_log(
                'FrequencyBias initialised from dataset statistics.',
                logger='current')

    def forward(self, sub_labels: Tensor, obj_labels: Tensor) -> Tensor:
        """Look up the bias of each (subject, object) class pair.

        Args:
            sub_labels (Tensor): (K,) subject classes in 0..num_classes
                (num_classes: background).
            obj_labels (Tensor): (K,) object classes, likewise.

        Returns:
            Tensor: (K, num_predicates) logits.
        """
        return self.obj_baseline(sub_labels.long() * (self.num_classes + 1) +
                                 obj_labels.long())
