"""Tree LSTMs over binary forests (VCTree), computed level by level.

The scene graph benchmark runs its tree LSTMs node by node in Python
recursion. Here a :class:`BinaryForest` holds the trees of a whole batch
as index tensors with a schedule of levels: the leaves-to-root pass
processes all nodes of equal height at once, the root-to-leaves pass all
nodes of equal depth; each node sees exactly the states the recursion gives
it, so the results are the same.
"""
from typing import List, NamedTuple, Optional, Sequence, Tuple

import numpy as np
import torch
from mmdet.registry import MODELS
from mmengine.model import BaseModule, ModuleDict, ModuleList
from torch import Tensor, nn

from .class_embedding import DECODER_TOKENS, ClassEmbedding

__all__ = [
    'BinaryForest', 'binary_forest', 'TreeLSTMUp', 'TreeLSTMDown',
    'BiTreeLSTM', 'TreeLSTMLabelDecoder'
]


class BinaryForest(NamedTuple):
    """Binary trees over the objects of a batch, with a level schedule.

    Node ids index the batch-wide concatenation of objects. ``left``,
    ``right`` and ``parent`` use ``num_nodes`` for "none", the index of an
    all-zero state row.

    Attributes:
        left (Tensor): (N,) left child of each node.
        right (Tensor): (N,) right child of each node.
        parent (Tensor): (N,) parent of each node in the binary tree.
        image (Tensor): (N,) image index of each node.
        num_images (int): Number of images of the batch.
        up_levels (list[Tensor]): Nodes by height, leaves first: a node's
            children are in earlier levels.
        down_levels (list[Tensor]): Nodes by depth, roots first: a node's
            parent is in the previous level.
    """
    left: Tensor
    right: Tensor
    parent: Tensor
    image: Tensor
    num_images: int
    up_levels: List[Tensor]
    down_levels: List[Tensor]

    @property
    def num_nodes(self) -> int:
        """int: Number of nodes N."""
        return self.left.numel()


def _levels(values: np.ndarray, device: torch.device) -> List[Tensor]:
    """Node ids grouped by equal value, in increasing value order."""
    if values.size == 0:
        return []
    order = np.argsort(values, kind='stable')
    counts = np.bincount(values).tolist()
    nodes = torch.from_numpy(order).to(device)
    return [level for level in nodes.split(counts) if level.numel()]


def binary_forest(trees: Sequence[Tuple[np.ndarray, np.ndarray]],
                  device: torch.device) -> BinaryForest:
    """Turn per-image trees into one :class:`BinaryForest`.

    Each tree of any arity becomes a binary tree the way the scene graph
    benchmark converts VCTree's trees: a node's first child (in insertion
    order) is its left child, and each further child is the right child of
    the child inserted before it.

    Args:
        trees (Sequence[tuple[ndarray, ndarray]]): Per image, the node
            insertion order (local ids, root first) and each node's parent
            (local id, -1 for the root).
        device (torch.device): Device of the index tensors.

    Returns:
        BinaryForest: The forest over all nodes of the batch.
    """
    sizes = [len(order) for order, _ in trees]
    total = sum(sizes)
    left = np.full(total, total, dtype=np.int64)
    right = np.full(total, total, dtype=np.int64)
    parent = np.full(total, total, dtype=np.int64)
    depth = np.zeros(total, dtype=np.int64)
    height = np.zeros(total, dtype=np.int64)
    image = np.repeat(np.arange(len(sizes)), sizes)
    offset = 0
    for (order, tree_parent), size in zip(trees, sizes):
        last_child = {}
        for node in order[1:].tolist():
            arb_parent = int(tree_parent[node]) + offset
            node += offset
            prev = last_child.get(arb_parent)
            if prev is None:
                left[arb_parent] = node
                parent[node] = arb_parent
            else:
                right[prev] = node
                parent[node] = prev
            last_child[arb_parent] = node
            depth[node] = depth[parent[node]] + 1
        # Binary children come later in the insertion order than their
        # parent, so the reversed order visits children first.
        for node in (order[::-1] + offset).tolist():
            kids = [k for k in (left[node], right[node]) if k != total]
            height[node] = 1 + max(height[k] for k in kids) if kids else 0
        offset += size

    def tensor(values: np.ndarray) -> Tensor:
        return torch.from_numpy(values).to(device)

    return BinaryForest(
        tensor(left), tensor(right), tensor(parent), tensor(image), len(sizes),
        _levels(height, device), _levels(depth, device))


def _block_orthogonal_(weight: Tensor, block_rows: int) -> None:
    """Orthogonal init of each ``block_rows`` rows block of ``weight``."""
    rows, cols = weight.shape
    size = max(block_rows, cols)
    with torch.no_grad():
        for start in range(0, rows, block_rows):
            block = weight.new_empty(size, size)
            nn.init.orthogonal_(block)
            weight[start:start + block_rows] = block[:block_rows, :cols]


def dropout_masks(num_images: int, channels: int, p: float,
                  like: Tensor) -> Tensor:
    """One inverted-dropout mask per image (drawn on the CPU generator)."""
    keep = torch.rand((num_images, channels)) > p
    return keep.to(like).div(1.0 - p)


class _TreeLSTMCell(BaseModule):
    """Shared parts of the tree LSTM cells: the highway input projection.

    The state of a node is ``c`` and ``h_out = r * h + (1 - r) * proj(x)``
    (a highway connection), times the image's dropout mask in training.
    """

    num_gates = 0

    def __init__(self,
                 in_channels: int,
                 hidden_channels: int,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.in_channels = in_channels
        self.hidden_channels = hidden_channels
        self.input_proj = nn.Linear(in_channels, hidden_channels)
        self.gates_input = nn.Linear(in_channels,
                                     self.num_gates * hidden_channels)

    def _highway(self, gates: Tensor, cell: Tensor, proj: Tensor,
                 mask: Optional[Tensor]) -> Tensor:
        """``h_out`` from the output and highway gates (last chunk)."""
        hidden = self.hidden_channels
        out = torch.sigmoid(gates[:, hidden:2 * hidden]) * torch.tanh(cell)
        highway = torch.sigmoid(gates[:, -hidden:])
        out = highway * out + (1 - highway) * proj
        if mask is not None:
            out = out * mask
        return out


@MODELS.register_module()
class TreeLSTMUp(_TreeLSTMCell):
    """Leaves-to-root binary tree LSTM (the benchmark's "foreward").

    A node's gates (input, output, two forget gates, update, highway) come
    from its input and its left and right children's outputs; its memory
    adds both children's memories through their forget gates.

    Args:
        in_channels (int): Input size.
        hidden_channels (int): State size.
        init_cfg (dict, optional): Initialisation config.
    """

    num_gates = 6

    def __init__(self,
                 in_channels: int,
                 hidden_channels: int,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(in_channels, hidden_channels, init_cfg)
        self.gates_left = nn.Linear(hidden_channels, 6 * hidden_channels)
        self.gates_right = nn.Linear(hidden_channels, 6 * hidden_channels)

    def init_weights(self) -> None:
        """The benchmark's init: block-orthogonal weights, zero biases but
        0.5 for the forget gates of the children's states."""
        super().init_weights()
        hidden = self.hidden_channels
        for layer in (self.input_proj, self.gates_input, self.gates_left,
                      self.gates_right):
            _block_orthogonal_(layer.weight, hidden)
            nn.init.zeros_(layer.bias)
        for layer in (self.gates_left, self.gates_right):
            nn.init.constant_(layer.bias[2 * hidden:4 * hidden], 0.5)

    def forward(self,
                feats: Tensor,
                forest: BinaryForest,
                mask: Optional[Tensor] = None) -> Tensor:
        """Run from the leaves to the roots.

        Args:
            feats (Tensor): (N, in_channels) node inputs.
            forest (BinaryForest): The trees.
            mask (Tensor, optional): (num_images, hidden) dropout masks.

        Returns:
            Tensor: (N, hidden_channels) outputs.
        """
        num, hidden = feats.size(0), self.hidden_channels
        proj = self.input_proj(feats)
        gates_x = self.gates_input(feats)
        cells = feats.new_zeros(num + 1, hidden)
        outs = feats.new_zeros(num + 1, hidden)
        for nodes in forest.up_levels:
            left, right = forest.left[nodes], forest.right[nodes]
            gates = gates_x[nodes] + self.gates_left(
                outs[left]) + self.gates_right(outs[right])
            cell = (
                torch.sigmoid(gates[:, :hidden]) *
                torch.tanh(gates[:, 4 * hidden:5 * hidden]) +
                torch.sigmoid(gates[:, 2 * hidden:3 * hidden]) * cells[left] +
                torch.sigmoid(gates[:, 3 * hidden:4 * hidden]) * cells[right])
            out = self._highway(
                gates, cell, proj[nodes],
                None if mask is None else mask[forest.image[nodes]])
            cells = cells.index_copy(0, nodes, cell)
            outs = outs.index_copy(0, nodes, out)
        return outs[:num]


@MODELS.register_module()
class TreeLSTMDown(_TreeLSTMCell):
    """Root-to-leaves binary tree LSTM (the benchmark's "backward").

    A node's gates (input, output, forget, update, highway) come from its
    input and its parent's output; its memory adds the parent's memory.

    Args:
        in_channels (int): Input size.
        hidden_channels (int): State size.
        init_cfg (dict, optional): Initialisation config.
    """

    num_gates = 5

    def __init__(self,
                 in_channels: int,
                 hidden_channels: int,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(in_channels, hidden_channels, init_cfg)
        self.gates_parent = nn.Linear(hidden_channels, 5 * hidden_channels)

    def init_weights(self) -> None:
        """The benchmark's init: block-orthogonal weights, zero biases but
        1 for the forget gate of the parent's state."""
        super().init_weights()
        hidden = self.hidden_channels
        for layer in (self.input_proj, self.gates_input, self.gates_parent):
            _block_orthogonal_(layer.weight, hidden)
            nn.init.zeros_(layer.bias)
        nn.init.constant_(self.gates_parent.bias[2 * hidden:3 * hidden], 1.0)

    def step(self, gates_x: Tensor, proj: Tensor, parent_cell: Tensor,
             parent_out: Tensor,
             mask: Optional[Tensor]) -> Tuple[Tensor, Tensor]:
        """One level: memories and outputs from the parents' states.

        Args:
            gates_x (Tensor): (n, 5 * hidden) input part of the gates.
            proj (Tensor): (n, hidden) highway projection of the input.
            parent_cell (Tensor): (n, hidden) parents' memories.
            parent_out (Tensor): (n, hidden) parents' outputs.
            mask (Tensor, optional): (n, hidden) dropout masks.
        """
        hidden = self.hidden_channels
        gates = gates_x + self.gates_parent(parent_out)
        cell = (
            torch.sigmoid(gates[:, :hidden]) *
            torch.tanh(gates[:, 3 * hidden:4 * hidden]) +
            torch.sigmoid(gates[:, 2 * hidden:3 * hidden]) * parent_cell)
        return cell, self._highway(gates, cell, proj, mask)

    def forward(self,
                feats: Tensor,
                forest: BinaryForest,
                mask: Optional[Tensor] = None) -> Tensor:
        """Run from the roots to the leaves; see :meth:`TreeLSTMUp.forward`.
        """
        num, hidden = feats.size(0), self.hidden_channels
        proj = self.input_proj(feats)
        gates_x = self.gates_input(feats)
        cells = feats.new_zeros(num + 1, hidden)
        outs = feats.new_zeros(num + 1, hidden)
        for nodes in forest.down_levels:
            parent = forest.parent[nodes]
            cell, out = self.step(
                gates_x[nodes], proj[nodes], cells[parent], outs[parent],
                None if mask is None else mask[forest.image[nodes]])
            cells = cells.index_copy(0, nodes, cell)
            outs = outs.index_copy(0, nodes, out)
        return outs[:num]


@MODELS.register_module()
class BiTreeLSTM(BaseModule):
    """Stacked bidirectional tree LSTMs (VCTree's object and edge context).

    Each layer concatenates a leaves-to-root and a root-to-leaves pass of
    ``out_channels / 2`` each. In training each pass multiplies its outputs
    by a dropout mask drawn per image (``dropout``; the benchmark uses it
    only with more than one layer).

    Args:
        in_channels (int): Input size.
        out_channels (int): Output size (even).
        num_layers (int): Number of layers. Defaults to 1.
        dropout (float): Recurrent dropout. Defaults to 0.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 num_layers: int = 1,
                 dropout: float = 0.0,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if out_channels % 2:
            raise ValueError(f'BiTreeLSTM out_channels={out_channels} must '
                             'be even (two directions of half the size).')
        if num_layers < 1 or not 0 <= dropout < 1:
            raise ValueError(f'BiTreeLSTM needs num_layers >= 1 (got '
                             f'{num_layers}) and 0 <= dropout < 1 (got '
                             f'{dropout}).')
        self.out_channels = out_channels
        self.dropout = dropout
        half = out_channels // 2
        self.layers = ModuleList()
        for i in range(num_layers):
            layer_in = in_channels if i == 0 else out_channels
            self.layers.append(
                ModuleDict(
                    dict(
                        up=TreeLSTMUp(layer_in, half),
                        down=TreeLSTMDown(layer_in, half))))

    def _mask(self, forest: BinaryForest, like: Tensor) -> Optional[Tensor]:
        if not self.training or self.dropout == 0:
            return None
        return dropout_masks(forest.num_images, self.out_channels // 2,
                             self.dropout, like)

    def forward(self, feats: Tensor, forest: BinaryForest) -> Tensor:
        """Encode (N, in_channels) node features to (N, out_channels)."""
        for layer in self.layers:
            feats = torch.cat([
                layer['up'](feats, forest, self._mask(forest, feats)),
                layer['down'](feats, forest, self._mask(forest, feats))
            ], 1)
        return feats


@MODELS.register_module()
class TreeLSTMLabelDecoder(BaseModule):
    """VCTree's object label decoder: a root-to-leaves tree LSTM.

    Each node's input is its features and the class embedding of its
    parent's label (a ``'start'`` token at the roots); it outputs
    ``num_classes + 1`` logits, background last. The label passed on to
    the children is the best foreground class of the softmax, or in
    training a class drawn from the foreground softmax. The returned labels
    are the best foreground classes. In training the outputs are multiplied
    by a dropout mask drawn per image.

    The class embedding has ``num_classes`` classes, then
    ``'__background__'`` and ``'start'``.

    Args:
        in_channels (int): Node feature size.
        hidden_channels (int): State size.
        num_classes (int): Number of object classes (without background).
        embed_dim (int): Size of the label embedding.
        glove_dir (str, optional): GloVe folder of the embedding.
        dropout (float): Recurrent dropout. Defaults to 0.2.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 hidden_channels: int,
                 num_classes: int,
                 embed_dim: int,
                 glove_dir: Optional[str] = None,
                 dropout: float = 0.2,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if not 0 <= dropout < 1:
            raise ValueError(f'dropout={dropout} must be in [0, 1).')
        self.in_channels = in_channels
        self.num_classes = num_classes
        self.dropout = dropout
        self.label_embed = ClassEmbedding(
            num_classes, embed_dim, glove_dir, extra_tokens=DECODER_TOKENS)
        self.cell = TreeLSTMDown(in_channels + embed_dim, hidden_channels)
        self.classifier = nn.Linear(hidden_channels, num_classes + 1)

    def _split_input(self, layer: nn.Linear,
                     feats: Tensor) -> Tuple[Tensor, Tensor]:
        """The feature part of ``layer(cat(feats, embed))`` and the weight
        of the embedding part."""
        weight = layer.weight
        return (nn.functional.linear(feats, weight[:, :self.in_channels],
                                     layer.bias), weight[:, self.in_channels:])

    def forward(self, feats: Tensor,
                forest: BinaryForest) -> Tuple[Tensor, Tensor]:
        """Decode object labels.

        Args:
            feats (Tensor): (N, in_channels) node features.
            forest (BinaryForest): The trees.

        Returns:
            tuple[Tensor, Tensor]: (N, num_classes + 1) logits and (N,)
            labels (best foreground class of each node).
        """
        num, hidden = feats.size(0), self.cell.hidden_channels
        # The feature part of the input projections runs on all nodes at
        # once; only the parent label's part runs level by level.
        proj_x, proj_w = self._split_input(self.cell.input_proj, feats)
        gates_x, gates_w = self._split_input(self.cell.gates_input, feats)
        mask = None
        if self.training and self.dropout > 0:
            mask = dropout_masks(forest.num_images, hidden, self.dropout,
                                 feats)
        cells = feats.new_zeros(num + 1, hidden)
        outs = feats.new_zeros(num + 1, hidden)
        logits = feats.new_zeros(num, self.num_classes + 1)
        labels = feats.new_zeros(num, dtype=torch.long)
        # Label passed to the children; row num (no parent) is 'start'.
        passed = feats.new_full((num + 1, ),
                                self.num_classes + 1,
                                dtype=torch.long)
        for nodes in forest.down_levels:
            parent = forest.parent[nodes]
            embed = self.label_embed(passed[parent])
            cell, out = self.cell.step(
                gates_x[nodes] + nn.functional.linear(embed, gates_w),
                proj_x[nodes] + nn.functional.linear(embed, proj_w),
                cells[parent], outs[parent],
                None if mask is None else mask[forest.image[nodes]])
            cells = cells.index_copy(0, nodes, cell)
            outs = outs.index_copy(0, nodes, out)
            node_logits = self.classifier(out)
            probs = node_logits.softmax(dim=1)[:, :self.num_classes]
            best = probs.argmax(dim=1)
            logits = logits.index_copy(0, nodes, node_logits)
            labels[nodes] = best
            if self.training:
                passed[nodes] = torch.multinomial(probs.detach(), 1)[:, 0]
            else:
                passed[nodes] = best
        return logits, labels
