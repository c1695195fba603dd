"""Iterative message passing (Xu et al., CVPR 2017), as the benchmark."""
from typing import List, Optional

import torch
from mmdet.registry import MODELS
from mmengine.model import BaseModule
from mmengine.structures import InstanceData
from torch import Tensor, nn

from mmsgg_rde.structures import check_mode
from .relation_context import (ModeLayersMixin, RelationContextOutput,
                               batch_pairs, best_foreground)

__all__ = ['IMPContext']


def _gate(hidden_channels: int) -> nn.Linear:
    """A scalar gate from a (node state, edge state) pair."""
    return nn.Linear(2 * hidden_channels, 1)


@MODELS.register_module()
class IMPContext(ModeLayersMixin, BaseModule):
    """Node and edge GRUs exchanging gated messages over the pairs.

    This is the scene graph benchmark's ``IMPContext`` (with the optional
    ``up_dim`` of its ``IMPPredictor``): node states start from the RoI
    features, edge states from the union features (through ReLU); each of
    ``num_iters`` rounds updates every edge from its subject's and object's
    states, and every node from the messages of its outgoing and incoming
    edges, each message weighted by a sigmoid gate. The final edge state is
    the relation feature f_k (the benchmark classifies it with a linear
    layer and no frequency bias); in SGCls/SGDet a linear classifier on the
    final node states gives the object logits (background last) and the
    labels are their best foreground classes.

    Args:
        in_channels (int): RoI feature size (4096).
        rel_channels (int): Union feature size (the benchmark's
            ``CONTEXT_POOLING_DIM``, 4096).
        num_classes (int): Object classes (150).
        mode (str): 'predcls', 'sgcls' or 'sgdet'.
        hidden_channels (int): State size. Defaults to 512.
        num_iters (int): Message passing rounds. Defaults to 3.
        union_channels (int, optional): Size of the union features when it
            differs from ``rel_channels`` (a linear ``up_dim`` maps them).
        init_cfg (dict, optional): Initialisation config.
    """

    mode_layers = ('obj_classifier', )

    def __init__(self,
                 in_channels: int,
                 rel_channels: int,
                 num_classes: int,
                 mode: str,
                 hidden_channels: int = 512,
                 num_iters: int = 3,
                 union_channels: Optional[int] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.mode = check_mode(mode, 'model.relation_head.mode')
        self.num_classes = num_classes
        self.hidden_channels = hidden_channels
        self.num_iters = num_iters
        self.up_dim = None
        if union_channels is not None and union_channels != rel_channels:
            self.up_dim = nn.Linear(union_channels, rel_channels)
        self.obj_proj = nn.Linear(in_channels, hidden_channels)
        self.edge_proj = nn.Linear(rel_channels, hidden_channels)
        self.node_gru = nn.GRUCell(hidden_channels, hidden_channels)
        self.edge_gru = nn.GRUCell(hidden_channels, hidden_channels)
        self.sub_gate = _gate(hidden_channels)
        self.obj_gate = _gate(hidden_channels)
        self.out_gate = _gate(hidden_channels)
        self.in_gate = _gate(hidden_channels)
        self.obj_classifier = None
        if self.mode != 'predcls':
            self.obj_classifier = nn.Linear(hidden_channels, num_classes + 1)

    def init_weights(self) -> None:
        """The benchmark's ``make_fc`` init (Kaiming uniform, a=1, zero
        bias) of the projections and the classifier; Xavier ``up_dim``."""
        super().init_weights()
        for layer in (self.obj_proj, self.edge_proj, self.obj_classifier):
            if layer is not None:
                nn.init.kaiming_uniform_(layer.weight, a=1)
                nn.init.zeros_(layer.bias)
        if self.up_dim is not None:
            nn.init.xavier_normal_(self.up_dim.weight)
            nn.init.zeros_(self.up_dim.bias)

    @staticmethod
    def _gated(gate: nn.Linear, state: Tensor, edges: Tensor,
               value: Tensor) -> Tensor:
        """``sigmoid(gate([state, edges])) * value``."""
        return torch.sigmoid(gate(torch.cat([state, edges], 1))) * value

    def forward(self, obj_feats: Tensor, union_feats: Tensor,
                objects: List[InstanceData], rel_pairs: List[Tensor],
                batch_img_metas: List[dict]) -> RelationContextOutput:
        """Pass messages; see :meth:`VCTreeContext.forward`.

        Returns:
            RelationContextOutput: ``edge_ctx`` holds the final node states
            and ``rel_feats`` the final edge states.
        """
        if self.up_dim is not None:
            union_feats = self.up_dim(union_feats)
        pairs = batch_pairs([len(o) for o in objects], rel_pairs)
        nodes = self.node_gru(self.obj_proj(obj_feats))
        edges = self.edge_gru(self.edge_proj(union_feats).relu())
        for _ in range(self.num_iters):
            sub, obj = nodes[pairs[:, 0]], nodes[pairs[:, 1]]
            new_edges = self.edge_gru(
                self._gated(self.sub_gate, sub, edges, sub) +
                self._gated(self.obj_gate, obj, edges, obj), edges)
            messages = torch.zeros_like(nodes).index_add(
                0, pairs[:, 0],
                self._gated(self.out_gate, sub, edges, edges)).index_add(
                    0, pairs[:, 1], self._gated(self.in_gate, obj, edges,
                                                edges))
            nodes = self.node_gru(messages, nodes)
            edges = new_edges
        obj_logits = None
        if self.obj_classifier is None:
            obj_labels = torch.cat([o.labels for o in objects]).long()
        else:
            obj_logits = self.obj_classifier(nodes)
            obj_labels = best_foreground(obj_logits, self.num_classes)
        return RelationContextOutput(obj_labels, nodes, edges, obj_logits)
