"""RDE: relationship representation diversity enhancement (training only)."""
import copy
from typing import Callable, Dict, List, Optional

import torch
from mmdet.registry import MODELS
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig
from mmengine.model import BaseModule
from torch import Tensor

from ..losses.utils import empty_safe_loss
from .fdvae import FDVAEOutput

__all__ = ['RDE']

Classifier = Callable[[Tensor], Tensor]
#: Pairs the loss on the reconstructions covers, see :class:`RDE`.
PRED_PAIRS = ('rde', 'all')
#: What the per-pair RDE losses are averaged over, see :class:`RDE`.
AVG_OVER = ('sampled', 'covered')


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

    The paper states eq. 6's equal loss weights and six encoder blocks,
    and these are the defaults. The other defaults are ours, where the
    paper gives no value: the 512-d latent (``encoder.embed_dims``), the
    push temperature T = 1 and the pull/push weights of ``loss_proto``,
    one attention head, the attention width and the IMM hidden width (both
    the input width), with the readings of docs/rde.md. So
    ``rde=dict(type='RDE')`` is RDE as we read the paper, not a setting the
    paper publishes in full.

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
        loss_proto (dict, optional): Prototype loss, key ``loss_proto``
            (``type`` defaults to 'PrototypeContrastiveLoss').
        loss_re (dict, optional): Reconstruction loss, key ``loss_re``
            (``type`` defaults to 'ReconstructionLoss').
        loss_info (dict, optional): IMM classification loss, averaged over
            the IMM tasks, key ``loss_info`` (``type`` defaults to
            'CrossEntropyLoss').
        loss_pred (dict, optional): Loss of the head's classifier on the
            reconstructions, key ``loss_rde_pred`` (``type`` defaults to
            'CrossEntropyLoss').
        shuffle (bool): Also classify the shuffled reconstructions ``f''``.
            Defaults to True.
        fg_only (bool): Feed only foreground pairs (label > 0) to RDE.
            Defaults to True.
        bg_prototype (bool): Keep a prototype for the background predicate
            and pull background pairs to it (only matters with
            ``fg_only=False``). Defaults to False.
        pred_pairs (str): Pairs ``loss_rde_pred`` covers. 'rde': those fed
            to RDE (foreground only by default); 'all': every sampled pair,
            background included, as the head's own predicate loss (FDVAE
            then encodes all pairs; the other losses keep the pairs of
            ``fg_only``). 'all' is the control that tells an RDE gain from
            the extra foreground-only cross-entropy. Defaults to 'rde'.
        avg_over (str): Divisor of the per-pair losses (the pull of
            ``loss_proto``, ``loss_re``, ``loss_info``, ``loss_rde_pred``).
            'sampled': the number K of pairs the head sampled, the divisor
            of the head's own predicate loss, so that a pair weighs the same
            in every term of eq. 6 whatever the foreground share (pairs RDE
            does not cover add zero); 'covered': the number of pairs each
            loss covers (a plain mean). Defaults to 'sampled'.
        init_cfg (dict or list[dict], optional): Initialization config.
            Defaults to None.
    """

    def __init__(self,
                 in_channels: int,
                 num_predicates: int = 51,
                 num_classes: int = 150,
                 encoder: ConfigType = dict(type='FDVAE'),
                 prototypes: ConfigType = dict(type='PrototypeBank'),
                 imm: ConfigType = dict(type='IMMHead'),
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
                 pred_pairs: str = 'rde',
                 avg_over: str = 'sampled',
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
        if pred_pairs not in PRED_PAIRS:
            raise ValueError(f'RDE pred_pairs must be one of {PRED_PAIRS}, '
                             f'got {pred_pairs!r}')
        if avg_over not in AVG_OVER:
            raise ValueError(f'RDE avg_over must be one of {AVG_OVER}, got '
                             f'{avg_over!r}')
        self.in_channels = in_channels
        self.num_predicates = num_predicates
        self.num_classes = num_classes
        self.shuffle = shuffle
        self.fg_only = fg_only
        self.bg_prototype = bg_prototype
        self.pred_pairs = pred_pairs
        self.avg_over = avg_over
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
        self.loss_proto = self._build_loss(loss_proto,
                                           'PrototypeContrastiveLoss')
        self.loss_re = self._build_loss(loss_re, 'ReconstructionLoss')
        self.loss_info = self._build_loss(loss_info, 'CrossEntropyLoss')
        self.loss_pred = self._build_loss(loss_pred, 'CrossEntropyLoss')

    @staticmethod
    def _build_loss(cfg: OptConfigType,
                    default_type: str) -> Optional[torch.nn.Module]:
        """Build a loss (``type`` defaults to the paper's), None if off."""
        if cfg is None:
            return None
        cfg = copy.deepcopy(cfg)
        cfg.setdefault('type', default_type)
        return MODELS.build(cfg)

    def _proto_index(self, labels: Tensor) -> Tensor:
        """Prototype of each predicate label (-1: background, none)."""
        return labels - self.proto_offset

    def forward(self,
                rel_feats: Tensor,
                rel_labels: Optional[Tensor] = None) -> FDVAEOutput:
        """Disentangle relation features (for analysis; no shuffle).

        Args:
            rel_feats (Tensor): Relation features, shape (K, D).
            rel_labels (Tensor, optional): Predicates of the pairs, (K,);
                needed when the encoder has ``mu_keys='own'``.

        Returns:
            FDVAEOutput: ``mu``, sigmas and, with a decoder, ``f'``.
        """
        index = None if rel_labels is None else self._proto_index(rel_labels)
        return self.fdvae(rel_feats, self.prototype_bank(), proto_index=index)

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
        # ``encoded``: the rows FDVAE sees; ``keep``: those of them the
        # losses other than loss_rde_pred use (None: all).
        encoded = keep = None
        if self.fg_only:
            keep = (rel_labels > 0).nonzero(as_tuple=True)[0]
            if self.pred_pairs == 'rde' or self.loss_pred is None:
                encoded, keep = keep, None
        feats, labels = self._rows(encoded, rel_feats, rel_labels)
        outputs = self.fdvae(
            feats,
            self.prototype_bank(),
            shuffle=self.shuffle and self.loss_pred is not None,
            proto_index=self._proto_index(labels))

        avg_factor = None
        if self.avg_over == 'sampled':
            avg_factor = rel_feats.size(0)
        losses = dict()
        if self.loss_pred is not None:
            losses['loss_rde_pred'] = self._pred_loss(outputs, rel_feats,
                                                      encoded, labels,
                                                      classifier, avg_factor)
        mu, sigma_s, sigma_o, recon, labels, target, sub_labels, obj_labels = \
            self._rows(keep, outputs.mu, outputs.sigma_s, outputs.sigma_o,
                       outputs.recon, labels, feats,
                       *self._rows(encoded, sub_labels, obj_labels))
        if self.loss_proto is not None:
            losses['loss_proto'] = self._proto_loss(mu, labels, avg_factor)
        if self.loss_re is not None:
            losses['loss_re'] = self.loss_re(
                recon, target, avg_factor=avg_factor)
        if self.loss_info is not None:
            losses['loss_info'] = self._info_loss(sigma_s, sigma_o, sub_labels,
                                                  obj_labels, labels,
                                                  avg_factor)
        return losses

    @staticmethod
    def _rows(index: Optional[Tensor], *tensors: Optional[Tensor]) -> list:
        """``tensors`` restricted to the rows ``index`` (None: all)."""
        if index is None:
            return list(tensors)
        return [None if t is None else t[index] for t in tensors]

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

    def _proto_loss(self, mu: Tensor, labels: Tensor,
                    avg_factor: Optional[float]) -> Tensor:
        """``L_proto``: pull ``mu`` to its prototype, push prototypes apart."""
        has_proto = labels >= self.proto_offset
        pos_dist = self.prototype_bank.distance_to(
            mu[has_proto], self._proto_index(labels[has_proto]))
        return self.loss_proto(
            pos_dist,
            self.prototype_bank.pairwise_distances(),
            avg_factor=avg_factor)

    def _info_loss(self, sigma_s: Tensor, sigma_o: Tensor, sub_labels: Tensor,
                   obj_labels: Tensor, rel_labels: Tensor,
                   avg_factor: Optional[float]) -> Tensor:
        """``L_info`` of eq. 5, averaged over the IMM tasks."""
        logits = self.imm(sigma_s, sigma_o)
        targets = self.imm.get_targets(sub_labels, obj_labels, rel_labels)
        return sum(
            empty_safe_loss(
                self.loss_info,
                logits[task],
                targets[task],
                avg_factor=avg_factor)
            for task in self.imm.tasks) / len(self.imm.tasks)

    def _pred_loss(self, outputs: FDVAEOutput, rel_feats: Tensor,
                   encoded: Optional[Tensor], labels: Tensor,
                   classifier: Classifier,
                   avg_factor: Optional[float]) -> Tensor:
        """``L_pred`` on ``f'`` and ``f''``, both with ``mu_k``'s label.

        The classifier is bound to the bias labels of all K pairs, so with
        ``encoded`` (the rows FDVAE saw; None for all) the reconstructions
        are written into a detached copy of ``rel_feats`` and only their
        rows of the logits are kept.
        """
        recons: List[Tensor] = [outputs.recon]
        if outputs.shuffled_recon is not None:
            recons.append(outputs.shuffled_recon)
        logits = []
        for recon in recons:
            if encoded is None:
                logits.append(classifier(recon))
            else:
                feats = rel_feats.detach().index_put((encoded, ),
                                                     recon.to(rel_feats.dtype))
                logits.append(classifier(feats)[encoded])
        if avg_factor is not None:
            avg_factor = avg_factor * len(recons)
        return empty_safe_loss(
            self.loss_pred,
            torch.cat(logits),
            labels.repeat(len(recons)),
            avg_factor=avg_factor)
