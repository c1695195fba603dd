"""LSTM context encoders over per-image object sequences (Motifs)."""
from typing import List, Optional, Tuple

import torch
from mmdet.registry import MODELS
from mmengine.model import BaseModule
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_sequence, pad_packed_sequence

from .class_embedding import DECODER_TOKENS, ClassEmbedding

__all__ = ['center_x_order', 'BiLSTMContext', 'HighwayLSTMDecoder']


def center_x_order(bboxes: List[Tensor],
                   per_image: bool = False) -> List[Tensor]:
    """Sequence order of objects for context LSTMs, as the Motifs benchmark.

    Each image's objects are ordered by box centre x, **right to left**:
    the benchmark sorts scores ``cx / (max cx of the batch + 1)``, offset per
    image by ``2 * (2 * n_i * B + i)``, in descending order (the float32
    rounding of that sum is kept, so near-equal centres tie as they do
    there). The sequences come in the benchmark's packing order: images with
    more objects first, ties broken by the later image first; a recurrent
    dropout mask drawn per sequence follows that order.

    Args:
        bboxes (list[Tensor]): Per image, (N_i, 4) xyxy boxes.
        per_image (bool): Order each image as a batch of its own (the
            benchmark tests one image at a time) and keep the image order.
            Defaults to False.

    Returns:
        list[Tensor]: One (N_i,) long tensor per image with objects, the
        indices of its objects in the batch-wide concatenation, in sequence
        order.
    """
    if per_image:
        orders, offset = [], 0
        for boxes in bboxes:
            orders += [o + offset for o in center_x_order([boxes])]
            offset += boxes.size(0)
        return orders
    sizes = [b.size(0) for b in bboxes]
    num_imgs = len(sizes)
    boxes = torch.cat(bboxes)
    if boxes.numel() == 0:
        return []
    centre_x = 0.5 * (boxes[:, 0] + boxes[:, 2])
    scores = centre_x / (centre_x.max() + 1)
    offsets = torch.cat([
        scores.new_full((n, ), 2.0 * float(n * 2 * num_imgs + i))
        for i, n in enumerate(sizes)
    ])
    _, perm = torch.sort(scores + offsets, 0, descending=True)
    img_order = sorted((i for i in range(num_imgs) if sizes[i]),
                       key=lambda i: (sizes[i], i),
                       reverse=True)
    return list(perm.split([sizes[i] for i in img_order]))


def _valid_mask(orders: List[Tensor], device: torch.device) -> Tensor:
    """(B, T) bool mask of the steps of each padded sequence."""
    lengths = torch.tensor([len(o) for o in orders], device=device)
    steps = torch.arange(
        int(lengths.max()) if len(orders) else 0, device=device)
    return steps[None] < lengths[:, None]


def _pad(feats: Tensor,
         orders: List[Tensor],
         fill: float = 0.0) -> Tuple[Tensor, Tensor]:
    """Gather (N, ...) rows into a padded (B, T, ...) batch of sequences.

    Returns:
        tuple[Tensor, Tensor]: The padded batch and the (B, T) bool mask of
        valid steps.
    """
    valid = _valid_mask(orders, feats.device)
    padded = feats.new_full(valid.shape + feats.shape[1:], fill)
    padded[valid] = feats[torch.cat(orders)]
    return padded, valid


@MODELS.register_module()
class BiLSTMContext(BaseModule):
    """A bidirectional LSTM over each image's object sequence.

    The two directions' outputs are concatenated and projected back to
    ``hidden_channels``.

    Args:
        in_channels (int): Input feature size.
        hidden_channels (int): LSTM hidden size and output size.
        num_layers (int): LSTM layers. Defaults to 1.
        dropout (float): Dropout between LSTM layers. Defaults to 0.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 hidden_channels: int,
                 num_layers: int = 1,
                 dropout: float = 0.0,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.hidden_channels = hidden_channels
        self.lstm = nn.LSTM(
            in_channels,
            hidden_channels,
            num_layers=num_layers,
            dropout=dropout if num_layers > 1 else 0.0,
            bidirectional=True)
        self.proj = nn.Linear(2 * hidden_channels, hidden_channels)

    def forward(self, feats: Tensor, orders: List[Tensor]) -> Tensor:
        """Encode objects in context.

        Args:
            feats (Tensor): (N, in_channels) features of all objects.
            orders (list[Tensor]): Per image, object indices in sequence
                order (see :func:`center_x_order`).

        Returns:
            Tensor: (N, hidden_channels) context features, in the input
            object order.
        """
        out = feats.new_zeros(feats.size(0), 2 * self.hidden_channels)
        orders = [o for o in orders if len(o) > 0]
        if orders:
            packed = pack_sequence([feats[o] for o in orders],
                                   enforce_sorted=False)
            padded, _ = pad_packed_sequence(
                self.lstm(packed)[0], batch_first=True)
            valid = _valid_mask(orders, feats.device)
            # .to(): under autocast the LSTM returns half precision.
            out = out.index_put((torch.cat(orders), ),
                                padded[valid].to(out.dtype))
        return self.proj(out)


@MODELS.register_module()
class HighwayLSTMDecoder(BaseModule):
    """Motifs' object label decoder: a highway LSTM labelling a sequence.

    Each step sees an object's features and the class embedding of the
    previous object's label (a ``'start'`` token first) and outputs
    ``num_classes + 1`` logits, background last (mmdet's order). The cell is
    an LSTM whose output mixes in a projection of its input through a
    highway gate; in training its output is multiplied by a dropout mask
    drawn once per sequence (recurrent dropout). In training the label fed
    back is the teacher label, or, where that is background, the step's own
    best foreground class; otherwise it is the best foreground class of the
    softmax.

    The class embedding (``num_classes`` classes, then ``'__background__'``
    and ``'start'``) is a :class:`ClassEmbedding`, GloVe-initialised when
    ``glove_dir`` is set.

    Args:
        in_channels (int): Per-object input feature size.
        hidden_channels (int): LSTM hidden size.
        num_classes (int): Number of object classes (without background).
        embed_dim (int): Size of the previous-label embedding.
        glove_dir (str, optional): GloVe folder of the embedding.
        dropout (float): Recurrent dropout probability. Defaults to 0.2.
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
        self.hidden_channels = hidden_channels
        self.num_classes = num_classes
        self.dropout = dropout
        self.label_embed = ClassEmbedding(
            num_classes, embed_dim, glove_dir, extra_tokens=DECODER_TOKENS)
        self.input_linearity = nn.Linear(in_channels + embed_dim,
                                         6 * hidden_channels)
        self.state_linearity = nn.Linear(hidden_channels, 5 * hidden_channels)
        self.classifier = nn.Linear(hidden_channels, num_classes + 1)

    def init_weights(self) -> None:
        """Default init with zero LSTM biases, as the benchmark."""
        super().init_weights()
        nn.init.zeros_(self.input_linearity.bias)
        nn.init.zeros_(self.state_linearity.bias)

    def _dropout_mask(self, num_seqs: int, like: Tensor) -> Optional[Tensor]:
        """A (num_seqs, hidden) mask drawn on the CPU generator (training)."""
        if not self.training or self.dropout == 0:
            return None
        keep = torch.rand((num_seqs, self.hidden_channels)) > self.dropout
        return keep.to(like).div(1.0 - self.dropout)

    def _step(self, projected_input: Tensor, state: Tensor,
              memory: Tensor) -> Tuple[Tensor, Tensor]:
        """One highway LSTM step from the projected input."""
        h = self.hidden_channels
        gates = projected_input[:, :5 * h] + self.state_linearity(state)
        input_gate = torch.sigmoid(gates[:, :h])
        forget_gate = torch.sigmoid(gates[:, h:2 * h])
        memory_init = torch.tanh(gates[:, 2 * h:3 * h])
        output_gate = torch.sigmoid(gates[:, 3 * h:4 * h])
        memory = input_gate * memory_init + forget_gate * memory
        output = output_gate * torch.tanh(memory)
        highway_gate = torch.sigmoid(gates[:, 4 * h:5 * h])
        output = highway_gate * output + (
            1 - highway_gate) * projected_input[:, 5 * h:]
        return output, memory

    def forward(self,
                feats: Tensor,
                orders: List[Tensor],
                teacher_labels: Optional[Tensor] = None
                ) -> Tuple[Tensor, Tensor]:
        """Decode object labels.

        Args:
            feats (Tensor): (N, in_channels) features of all objects.
            orders (list[Tensor]): Per sequence, object indices in sequence
                order (see :func:`center_x_order`).
            teacher_labels (Tensor, optional): (N,) labels fed back in
                training, ``num_classes`` for background.

        Returns:
            tuple[Tensor, Tensor]: (N, num_classes + 1) logits and (N,)
            labels: the fed-back labels with teacher labels, the greedy best
            foreground class otherwise.
        """
        num_classes = self.num_classes
        out_logits = feats.new_zeros(feats.size(0), num_classes + 1)
        out_labels = feats.new_zeros(feats.size(0), dtype=torch.long)
        orders = [o for o in orders if len(o) > 0]
        if not orders:
            return out_logits, out_labels
        padded, valid = _pad(feats, orders)
        batch, length = valid.shape
        teacher = None
        if teacher_labels is not None:
            teacher = _pad(teacher_labels, orders, fill=num_classes)[0]
        # The input projection of the features is computed for all steps at
        # once; only the previous label's part runs step by step.
        weight = self.input_linearity.weight
        feat_proj = nn.functional.linear(padded, weight[:, :self.in_channels],
                                         self.input_linearity.bias)
        embed_weight = weight[:, self.in_channels:]
        state = feats.new_zeros(batch, self.hidden_channels)
        memory = torch.zeros_like(state)
        mask = self._dropout_mask(batch, state)
        prev = feats.new_full((batch, ), num_classes + 1, dtype=torch.long)
        logits, labels = [], []
        for t in range(length):
            projected = feat_proj[:, t] + nn.functional.linear(
                self.label_embed(prev), embed_weight)
            state, memory = self._step(projected, state, memory)
            if mask is not None:
                state = state * mask
            step_logits = self.classifier(state)
            if teacher is not None:
                best_fg = step_logits[:, :num_classes].max(1)[1]
                prev = torch.where(teacher[:, t] == num_classes, best_fg,
                                   teacher[:, t])
            else:
                prev = step_logits.softmax(1)[:, :num_classes].max(1)[1]
            logits.append(step_logits)
            labels.append(prev)
        index = (torch.cat(orders), )
        # .to(): under autocast the steps' logits are half precision.
        out_logits = out_logits.index_put(
            index,
            torch.stack(logits, 1)[valid].to(out_logits.dtype))
        out_labels = out_labels.index_put(index, torch.stack(labels, 1)[valid])
        return out_logits, out_labels
