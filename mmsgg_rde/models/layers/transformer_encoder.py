"""A post-norm self-attention encoder over each image's objects."""
from typing import List, Optional, Sequence

import torch
from mmdet.registry import MODELS
from mmengine.model import BaseModule, ModuleDict, ModuleList
from torch import Tensor, nn
from torch.nn import functional as F
from torch.nn.utils.rnn import pad_sequence

__all__ = ['ObjectSelfAttention', 'ObjectFeedForward', 'ObjectTransformer']


class ObjectSelfAttention(BaseModule):
    """Multi-head self-attention with residual and layer norm (post-norm).

    As the scene graph benchmark's ``MultiHeadAttention``: separate query,
    key and value projections of ``num_heads x key_dim`` (``value_dim``),
    scaled dot products (by sqrt(key_dim)) over the valid objects of the
    image, dropout on the attention weights and on the output projection.

    Args:
        embed_dims (int): Model width.
        num_heads (int): Number of heads.
        key_dim (int): Query/key size per head.
        value_dim (int): Value size per head.
        dropout (float): Dropout. Defaults to 0.1.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 embed_dims: int,
                 num_heads: int,
                 key_dim: int,
                 value_dim: int,
                 dropout: float = 0.1,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.num_heads = num_heads
        self.key_dim = key_dim
        self.value_dim = value_dim
        self.dropout = dropout
        self.q_proj = nn.Linear(embed_dims, num_heads * key_dim)
        self.k_proj = nn.Linear(embed_dims, num_heads * key_dim)
        self.v_proj = nn.Linear(embed_dims, num_heads * value_dim)
        self.out_proj = nn.Linear(num_heads * value_dim, embed_dims)
        self.out_drop = nn.Dropout(dropout)
        self.norm = nn.LayerNorm(embed_dims)

    def init_weights(self) -> None:
        """The benchmark's init: normal projections (std sqrt(2 / (width +
        head size))), Xavier normal output projection."""
        super().init_weights()
        width = self.q_proj.in_features
        for layer, dim in ((self.q_proj, self.key_dim),
                           (self.k_proj, self.key_dim), (self.v_proj,
                                                         self.value_dim)):
            nn.init.normal_(layer.weight, std=(2.0 / (width + dim))**0.5)
        nn.init.xavier_normal_(self.out_proj.weight)

    def _heads(self, x: Tensor, dim: int) -> Tensor:
        """(B, T, heads * dim) to (B, heads, T, dim)."""
        return x.view(x.size(0), x.size(1), self.num_heads,
                      dim).transpose(1, 2)

    def forward(self, x: Tensor, valid: Tensor) -> Tensor:
        """Attend over the valid steps of padded (B, T, D) inputs.

        Args:
            x (Tensor): (B, T, embed_dims) padded sequences.
            valid (Tensor): (B, T) bool, True for real objects.
        """
        out = F.scaled_dot_product_attention(
            self._heads(self.q_proj(x), self.key_dim),
            self._heads(self.k_proj(x), self.key_dim),
            self._heads(self.v_proj(x), self.value_dim),
            attn_mask=valid[:, None, None, :],
            dropout_p=self.dropout if self.training else 0.0)
        out = out.transpose(1, 2).reshape(x.size(0), x.size(1), -1)
        return self.norm(self.out_drop(self.out_proj(out)) + x)


class ObjectFeedForward(BaseModule):
    """Position-wise feed-forward block with residual and layer norm.

    Args:
        embed_dims (int): Model width.
        feedforward_channels (int): Inner width.
        dropout (float): Dropout on the block's output. Defaults to 0.1.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 embed_dims: int,
                 feedforward_channels: int,
                 dropout: float = 0.1,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.fc1 = nn.Linear(embed_dims, feedforward_channels)
        self.fc2 = nn.Linear(feedforward_channels, embed_dims)
        self.drop = nn.Dropout(dropout)
        self.norm = nn.LayerNorm(embed_dims)

    def forward(self, x: Tensor) -> Tensor:
        """Transform (..., embed_dims) inputs."""
        return self.norm(self.drop(self.fc2(self.fc1(x).relu())) + x)


@MODELS.register_module()
class ObjectTransformer(BaseModule):
    """Self-attention layers over the objects of each image.

    The scene graph benchmark's ``TransformerEncoder``: each layer is
    :class:`ObjectSelfAttention` then :class:`ObjectFeedForward`; objects
    attend only to objects of their own image.

    Args:
        num_layers (int): Number of layers.
        embed_dims (int): Model width.
        num_heads (int): Attention heads. Defaults to 8.
        key_dim (int): Query/key size per head. Defaults to 64.
        value_dim (int): Value size per head. Defaults to 64.
        feedforward_channels (int): Inner width of the feed-forward blocks.
            Defaults to 2048.
        dropout (float): Dropout. Defaults to 0.1.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 num_layers: int,
                 embed_dims: int,
                 num_heads: int = 8,
                 key_dim: int = 64,
                 value_dim: int = 64,
                 feedforward_channels: int = 2048,
                 dropout: float = 0.1,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.layers = ModuleList()
        for _ in range(num_layers):
            self.layers.append(
                ModuleDict(
                    dict(
                        attn=ObjectSelfAttention(embed_dims, num_heads,
                                                 key_dim, value_dim, dropout),
                        ffn=ObjectFeedForward(embed_dims, feedforward_channels,
                                              dropout))))

    def forward(self, feats: Tensor, num_objs: Sequence[int]) -> Tensor:
        """Encode (N, embed_dims) object features, images concatenated.

        Args:
            feats (Tensor): (N, embed_dims) features of all objects.
            num_objs (Sequence[int]): Objects per image.

        Returns:
            Tensor: (N, embed_dims) encoded features, same order.
        """
        # Images without objects are left out (all their keys masked).
        chunks: List[Tensor] = [
            c for c in feats.split(list(num_objs)) if c.size(0)
        ]
        if not chunks:
            return feats
        x = pad_sequence(chunks, batch_first=True)
        lengths = torch.tensor([c.size(0) for c in chunks],
                               device=feats.device)
        valid = torch.arange(x.size(1), device=feats.device) < lengths[:, None]
        for layer in self.layers:
            x = layer['ffn'](layer['attn'](x, valid))
        return x[valid]
