"""LSTM context encoders over per-image object sequences (Motifs)."""
from typing import List, Optional, Tuple

import torch
from mmdet.registry import MODELS
from mmengine.model import BaseModule
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_sequence, pad_packed_sequence

__all__ = ['left_to_right_order', 'BiLSTMContext', 'GreedyLabelDecoder']


def left_to_right_order(bboxes: List[Tensor]) -> List[Tensor]:
    """Order each image's objects by box centre x, left to right.

    Args:
        bboxes (list[Tensor]): Per image, (N_i, 4) xyxy boxes.

    Returns:
        list[Tensor]: Per image, the (N_i,) long indices of its objects in
        the batch-wide concatenation, in sequence order.
    """
    orders, offset = [], 0
    for boxes in bboxes:
        centre_x = (boxes[:, 0] + boxes[:, 2]) / 2
        orders.append(torch.argsort(centre_x, stable=True) + offset)
        offset += boxes.size(0)
    return orders


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
                order (see :func:`left_to_right_order`).

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
class GreedyLabelDecoder(BaseModule):
    """An LSTM that labels a sequence of objects one by one (greedy).

    Each step sees the object's features and the embedding of the previous
    object's label (a learned start token first). In training the previous
    label is the GT label where known (teacher forcing), else the step's
    own argmax.

    Args:
        in_channels (int): Per-object input feature size.
        hidden_channels (int): LSTM hidden size.
        num_classes (int): Number of object classes.
        embed_dim (int): Size of the previous-label embedding.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 in_channels: int,
                 hidden_channels: int,
                 num_classes: int,
                 embed_dim: int,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.num_classes = num_classes
        self.label_embed = nn.Embedding(num_classes + 1, embed_dim)
        self.cell = nn.LSTMCell(in_channels + embed_dim, hidden_channels)
        self.cls = nn.Linear(hidden_channels, num_classes)

    def forward(self,
                feats: Tensor,
                orders: List[Tensor],
                teacher_labels: Optional[Tensor] = None
                ) -> Tuple[Tensor, Tensor]:
        """Decode object labels.

        Args:
            feats (Tensor): (N, in_channels) features of all objects.
            orders (list[Tensor]): Per image, object indices in sequence
                order.
            teacher_labels (Tensor, optional): (N,) labels fed back instead
                of the predictions where >= 0 (training).

        Returns:
            tuple[Tensor, Tensor]: (N, num_classes) logits and (N,) labels
            (the fed-back labels in training, the greedy argmax otherwise).
        """
        padded, valid = _pad(feats, orders)
        batch, length = valid.shape
        teacher = None
        if teacher_labels is not None:
            teacher = _pad(teacher_labels, orders, fill=-1)[0]
        state = None
        prev = feats.new_full((batch, ), self.num_classes, dtype=torch.long)
        logits, labels = [], []
        for t in range(length):
            inp = torch.cat([padded[:, t], self.label_embed(prev)], dim=1)
            state = self.cell(inp, state)
            step_logits = self.cls(state[0])
            prev = step_logits.argmax(dim=1)
            if teacher is not None:
                prev = torch.where(teacher[:, t] >= 0, teacher[:, t], prev)
            logits.append(step_logits)
            labels.append(prev)
        out_logits = feats.new_zeros(feats.size(0), self.num_classes)
        out_labels = feats.new_zeros(feats.size(0), dtype=torch.long)
        if length:
            index = (torch.cat(orders), )
            out_logits = out_logits.index_put(
                index,
                torch.stack(logits, 1)[valid].to(out_logits.dtype))
            out_labels = out_labels.index_put(index,
                                              torch.stack(labels, 1)[valid])
        return out_logits, out_labels
