"""RDE: relationship representation diversity enhancement (training only)."""
import copy
from typing import Callable, Dict, List, Optional

import torch
from mmdet.registry import MODELS
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig
from mmengine.model import BaseModule
from torch import Tensor

from .fdvae import FDVAEOutput

__all__ = ['RDE']

Classifier = Callable[[Tensor], Tensor]


@MODELS.register_module()
class RDE(BaseModule):
    """Training-only add-on of a relation head (section 3, eq. 1-6).

    The FDVAE disentangles each relation feature ``f_k`` into a mean
    ``mu_k`` and the variations ``sigma^s_k``, ``sigma^o_k``; the prototype
    bank supervises ``mu`` (``loss_proto``), the IMM head keeps visual cues
    in the sigmas (``loss_info``), the decoder must give ``f_k`` back
    (``loss_re``), and the head's own classifier must still classify the
    reconstructions ``f'`` and the shuffled ``f''`` (``loss_rde_pred``).
    A loss config set to None switches that term off, and modules only that
    term would use are not built (no unused parameters under DDP).

    Args:
        in_channels (int): Width D of the relation features.
        num_predicates (int): Predicate classes, background (0) included.
            Defaults to 51.
        num_classes (int): Object classes. Defaults to 150.
        encoder (dict): FDVAE config (``type`` defaults to 'FDVAE');
            ``in_channels``, ``with_sigma`` and ``with_decoder`` are filled
            in here.
        prototypes (dict): PrototypeBank config; ``num_prototypes`` and
            ``embed_dims`` are filled in here.
        imm (dict): IMMHead config, built only with ``loss_info``;
            ``in_channels``, ``num_classes``, ``num_predicates`` are filled
            in here.
        loss_proto (dict, optional): Prototype loss, key ``loss_proto``.
        loss_re (dict, optional): Reconstruction loss, key ``loss_re``.
        loss_info (dict, optional): IMM classification loss (summed over the
            IMM tasks), key ``loss_info``.
        loss_pred (dict, optional): Loss of the head's classifier on the
            reconstructions, key ``loss_rde_pred``.
        shuffle (bool): Also classify the shuffled reconstructions ``f''``.
            Defaults to True.
        fg_only (bool): Feed only foreground pairs (label > 0) to RDE.
            Defaults to True.
        bg_prototype (bool): Keep a prototype for the background predicate
            and pull background pairs to it (only matters with
            ``fg_only=False``). Defaults to False.
        init_cfg (dict or list[dict], optional): Initialization config.
            Defaults to None.
    """

    def __init__(self,
                 in_channels: int,
                 num_predicates: int = 51,
                 num_classes: int = 150,
                 encoder: ConfigType = dict(
                     type='FDVAE', embed_dims=512, num_blocks=6),
                 prototypes: ConfigType = dict(type='PrototypeBank'),
                 imm: ConfigType = dict(
                     type='IMMHead',
                     target='subject_object',
                     hidden_channels=512),
                 loss_proto: OptConfigType = dict(
                     type='PrototypeContrastiveLoss', loss_weight=1.0),
                 loss_re: OptConfigType = dict(
                     type='ReconstructionLoss', loss_weight=1.0),
                 loss_info: OptConfigType = dict(
                     type='CrossEntropyLoss', loss_weight=1.0),
                 loss_pred: OptConfigType = dict(
                     type='CrossEntropyLoss', loss_weight=1.0),
                 shuffle: bool = True,
                 fg_only: bool = True,
                 bg_prototype: bool = False,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if all(
                cfg is None
                for cfg in (loss_proto, loss_re, loss_info, loss_pred)):
            raise ValueError('RDE needs at least one of loss_proto, loss_re, '
                             'loss_info, loss_pred; set rde=None in the '
                             'relation head to train without RDE')
        if num_predicates < 2:
            raise ValueError('RDE num_predicates counts the background '
                             f'class and must be >= 2, got {num_predicates}')
        self.in_channels = in_channels
        self.num_predicates = num_predicates
        self.num_classes = num_classes
        self.shuffle = shuffle
        self.fg_only = fg_only
        self.bg_prototype = bg_prototype
        self.proto_offset = 0 if bg_prototype else 1

        with_decoder = loss_re is not None or loss_pred is not None
        encoder = copy.deepcopy(encoder)
        encoder.setdefault('type', 'FDVAE')
        encoder.update(
            in_channels=in_channels,
            with_sigma=with_decoder or loss_info is not None,
            with_decoder=with_decoder)
        self.fdvae = MODELS.build(encoder)
        embed_dims = self.fdvae.embed_dims

        prototypes = copy.deepcopy(prototypes)
        prototypes.setdefault('type', 'PrototypeBank')
        prototypes.update(
            num_prototypes=num_predicates - self.proto_offset,
            embed_dims=embed_dims)
        self.prototype_bank = MODELS.build(prototypes)

        self.imm = None
        if loss_info is not None:
            imm = copy.deepcopy(imm)
            imm.setdefault('type', 'IMMHead')
            imm.update(
                in_channels=embed_dims,
                num_classes=num_classes,
                num_predicates=num_predicates)
            self.imm = MODELS.build(imm)
        self.loss_proto = self._build_loss(loss_proto)
        self.loss_re = self._build_loss(loss_re)
        self.loss_info = self._build_loss(loss_info)
        self.loss_pred = self._build_loss(loss_pred)

    @staticmethod
    def _build_loss(cfg: OptConfigType) -> Optional[torch.nn.Module]:
        """Build a loss from its config, or return None when switched off."""
        return None if cfg is None else MODELS.build(cfg)

    def forward(self, rel_feats: Tensor) -> FDVAEOutput:
        """Disentangle relation features (for analysis; no shuffle).

        Args:
            rel_feats (Tensor): Relation features, shape (K, D).

        Returns:
            FDVAEOutput: ``mu``, sigmas and, with a decoder, ``f'``.
        """
        return self.fdvae(rel_feats, self.prototype_bank())

    def loss(self, rel_feats: Tensor, rel_labels: Tensor, sub_labels: Tensor,
             obj_labels: Tensor, classifier: Classifier) -> Dict[str, Tensor]:
        """Compute the RDE losses of eq. 6 for the sampled pairs.

        Args:
            rel_feats (Tensor): Relation features f_k, shape (K, D).
            rel_labels (Tensor): Predicates 0..num_predicates-1 (0 is
                background), shape (K,).
            sub_labels (Tensor): Subject classes, shape (K,).
            obj_labels (Tensor): Object classes, shape (K,).
            classifier (Callable): The head's predicate classifier mapping
                (K, D) features of these K pairs, in this order, to
                (K, num_predicates) logits.

        Returns:
            dict[str, Tensor]: Weighted losses ``loss_proto``, ``loss_re``,
            ``loss_info``, ``loss_rde_pred`` (those switched on).
        """
        self._check_inputs(rel_feats, rel_labels, sub_labels, obj_labels)
        keep = None
        feats, labels = rel_feats, rel_labels
        if self.fg_only:
            keep = (rel_labels > 0).nonzero(as_tuple=True)[0]
            feats, labels = rel_feats[keep], rel_labels[keep]
            sub_labels, obj_labels = sub_labels[keep], obj_labels[keep]
        outputs = self.fdvae(
            feats,
            self.prototype_bank(),
            shuffle=self.shuffle and self.loss_pred is not None)

        losses = dict()
        if self.loss_proto is not None:
            losses['loss_proto'] = self._proto_loss(outputs.mu, labels)
        if self.loss_re is not None:
            losses['loss_re'] = self.loss_re(outputs.recon, feats)
        if self.loss_info is not None:
            losses['loss_info'] = self._info_loss(outputs, sub_labels,
                                                  obj_labels, labels)
        if self.loss_pred is not None:
            losses['loss_rde_pred'] = self._pred_loss(outputs, rel_feats, keep,
                                                      labels, classifier)
        return losses

    def _check_inputs(self, rel_feats: Tensor, rel_labels: Tensor,
                      sub_labels: Tensor, obj_labels: Tensor) -> None:
        """Raise a clear error when the seam's tensors do not line up."""
        if rel_feats.dim() != 2 or rel_feats.size(1) != self.in_channels:
            raise ValueError(
                f'RDE expects rel_feats of shape (K, {self.in_channels}), got '
                f'{tuple(rel_feats.shape)}; set rde.in_channels to the '
                "relation head's feature width")
        num_pairs = rel_feats.size(0)
        for name, labels in (('rel_labels', rel_labels),
                             ('sub_labels', sub_labels), ('obj_labels',
                                                          obj_labels)):
            if labels.shape != (num_pairs, ):
                raise ValueError(f'RDE expects {name} of shape ({num_pairs},) '
                                 f'like rel_feats, got {tuple(labels.shape)}')

    @staticmethod
    def _cross_entropy(loss: torch.nn.Module, logits: Tensor,
                       labels: Tensor) -> Tensor:
        """Cross-entropy that gives a graph-connected zero when empty."""
        if labels.numel() == 0:
            return logits.sum() * 0
        return loss(logits, labels)

    def _proto_loss(self, mu: Tensor, labels: Tensor) -> Tensor:
        """``L_proto``: pull ``mu`` to its prototype, push prototypes apart."""
        has_proto = labels >= self.proto_offset
        pos_dist = self.prototype_bank.distance_to(
            mu[has_proto], labels[has_proto] - self.proto_offset)
        return self.loss_proto(pos_dist,
                               self.prototype_bank.pairwise_distances())

    def _info_loss(self, outputs: FDVAEOutput, sub_labels: Tensor,
                   obj_labels: Tensor, rel_labels: Tensor) -> Tensor:
        """``L_info`` of eq. 5, summed over the IMM tasks."""
        logits = self.imm(outputs.sigma_s, outputs.sigma_o)
        targets = self.imm.get_targets(sub_labels, obj_labels, rel_labels)
        return sum(
            self._cross_entropy(self.loss_info, logits[task], targets[task])
            for task in self.imm.tasks)

    def _pred_loss(self, outputs: FDVAEOutput, rel_feats: Tensor,
                   keep: Optional[Tensor], labels: Tensor,
                   classifier: Classifier) -> Tensor:
        """``L_pred`` on ``f'`` and ``f''``, both with ``mu_k``'s label.

        The classifier is bound to the bias labels of all K pairs, so with
        ``keep`` (the rows fed to RDE; None for all) the reconstructions are
        written into a detached copy of ``rel_feats`` and only their rows of
        the logits are kept.
        """
        recons: List[Tensor] = [outputs.recon]
        if outputs.shuffled_recon is not None:
            recons.append(outputs.shuffled_recon)
        logits = []
        for recon in recons:
            if keep is None:
                logits.append(classifier(recon))
            else:
                feats = rel_feats.detach().index_put((keep, ),
                                                     recon.to(rel_feats.dtype))
                logits.append(classifier(feats)[keep])
        return self._cross_entropy(self.loss_pred, torch.cat(logits),
                                   labels.repeat(len(recons)))
