"""FDVAE: feature disentangling encoder/decoder of RDE (section 3.2)."""
from typing import NamedTuple, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmdet.registry import MODELS
from mmengine.model import BaseModule
from torch import Tensor

__all__ = [
    'random_derangement', 'ReferenceAttention', 'FDVAEEncoderBlock',
    'FDVAEOutput', 'FDVAE'
]

SIGMA_KEYS = ('tokens', 'batch')


def random_derangement(num: int,
                       device: Optional[torch.device] = None) -> Tensor:
    """Draw a uniform random derangement (no ``perm[i] == i``).

    Random permutations are drawn until one has no fixed point (about e
    draws on average). The draws use a private :class:`torch.Generator`
    seeded from the global RNG, hence follow mmengine's ``randomness.seed``.

    Args:
        num (int): Number of elements, at least 2.
        device (torch.device, optional): Device of the result.
            Defaults to None (CPU).

    Returns:
        Tensor: Long tensor ``perm`` of shape (num,) with ``perm[i] != i``.
    """
    if num < 2:
        raise ValueError(f'a derangement needs num >= 2, got {num}')
    generator = torch.Generator()
    generator.manual_seed(int(torch.randint(0, 2**62, (1, )).item()))
    identity = torch.arange(num)
    perm = torch.randperm(num, generator=generator)
    while (perm == identity).any():
        perm = torch.randperm(num, generator=generator)
    return perm.to(device)


def _update_unit(embed_dims: int) -> nn.Sequential:
    """The basic non-linear unit g of eq. 3: Linear + ReLU."""
    return nn.Sequential(nn.Linear(embed_dims, embed_dims), nn.ReLU())


class ReferenceAttention(BaseModule):
    """Cross-attention whose values are the reference vectors themselves.

    Computes ``Attn(X, ref) . ref`` of eq. 3, where ``Attn`` is the softmax
    over references of scaled dot products of linear projections of ``X``
    and ``ref``. With ``complement=True`` the map is negated to
    ``1 - Attn(X, ref)``, which gathers what the attention does not pick;
    with ``normalize_complement`` it is divided by ``L_ref - 1`` so that
    each row sums to one like the softmax map.

    Args:
        embed_dims (int): Width C of queries and references.
        attn_channels (int, optional): Width of the query/key projections.
            Defaults to None (``embed_dims``).
        num_heads (int): Heads; each uses a slice of the projections and of
            the reference channels. Defaults to 1.
        complement (bool): Use ``1 - Attn``. Defaults to False.
        normalize_complement (bool): Divide the complement map by
            ``L_ref - 1``. Defaults to True.
        init_cfg (dict, optional): Initialization config. Defaults to None.
    """

    def __init__(self,
                 embed_dims: int,
                 attn_channels: Optional[int] = None,
                 num_heads: int = 1,
                 complement: bool = False,
                 normalize_complement: bool = True,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        attn_channels = attn_channels or embed_dims
        if embed_dims % num_heads or attn_channels % num_heads:
            raise ValueError(
                f'num_heads={num_heads} must divide the attention width '
                f'{embed_dims} and attn_channels={attn_channels}')
        self.embed_dims = embed_dims
        self.attn_channels = attn_channels
        self.num_heads = num_heads
        self.complement = complement
        self.normalize_complement = normalize_complement
        self.query_proj = nn.Linear(embed_dims, attn_channels)
        self.key_proj = nn.Linear(embed_dims, attn_channels)

    def _split_heads(self, x: Tensor) -> Tensor:
        """(B, L, C) -> (B, heads, L, C // heads)."""
        batch, length, channels = x.shape
        return x.reshape(batch, length, self.num_heads,
                         channels // self.num_heads).transpose(1, 2)

    def _complement_scale(self, num_refs: int) -> float:
        """Factor applied to the complement map ``1 - Attn``."""
        if not self.normalize_complement:
            return 1.0
        return 1.0 / max(num_refs - 1, 1)

    def attention_map(self, query: Tensor, ref: Tensor) -> Tensor:
        """The (possibly complemented) attention weights.

        Args:
            query (Tensor): Shape (B, Lq, C).
            ref (Tensor): Shape (B, Lr, C).

        Returns:
            Tensor: Weights of shape (B, heads, Lq, Lr).
        """
        q = self._split_heads(self.query_proj(query))
        k = self._split_heads(self.key_proj(ref))
        attn = torch.softmax(q @ k.transpose(-2, -1) * q.size(-1)**-0.5, -1)
        if self.complement:
            attn = (1 - attn) * self._complement_scale(ref.size(1))
        return attn

    def forward(self, query: Tensor, ref: Tensor) -> Tensor:
        """Gather the references with the attention weights.

        ``(1 - A) . V`` is computed as ``sum(V) - A . V`` so that no
        (Lq, Lr) map is stored, which matters for ``sigma_keys='batch'``.

        Args:
            query (Tensor): Shape (B, Lq, C).
            ref (Tensor): Shape (B, Lr, C).

        Returns:
            Tensor: Shape (B, Lq, C).
        """
        q = self._split_heads(self.query_proj(query))
        k = self._split_heads(self.key_proj(ref))
        v = self._split_heads(ref)
        if ref.size(1) == 0:
            out = q.new_zeros(*q.shape[:-1], v.size(-1))
        else:
            out = F.scaled_dot_product_attention(q, k, v)
        if self.complement:
            out = (v.sum(dim=-2, keepdim=True) - out) * \
                self._complement_scale(ref.size(1))
        return out.transpose(1, 2).reshape(*query.shape[:-1], ref.size(-1))


class FDVAEEncoderBlock(BaseModule):
    """One encoder block of FDVAE (eq. 2-3, Fig. 4).

    ``mu += g(Attn(mu, P) . P)`` then, with the updated ``mu``,
    ``sigma_x += g((1 - Attn(sigma_x, mu)) . mu)`` for ``x`` in {s, o}.

    Args:
        embed_dims (int): Latent width C.
        attn_channels (int, optional): Query/key width of every attention.
            Defaults to None (the query width).
        num_heads (int): Attention heads. Defaults to 1.
        with_sigma (bool): Build and update the two variance branches.
            Defaults to True.
        sigma_keys (str): What the variance branches attend to. 'tokens':
            each sample's own ``mu``, cut into ``num_tokens`` tokens (its
            sigma is cut likewise); 'batch': the ``mu`` vectors of all
            samples in the batch. Defaults to 'tokens'.
        num_tokens (int): Tokens per vector for ``sigma_keys='tokens'``.
            Defaults to 8.
        normalize_complement (bool): See :class:`ReferenceAttention`.
            Defaults to True.
        init_cfg (dict, optional): Initialization config. Defaults to None.
    """

    def __init__(self,
                 embed_dims: int,
                 attn_channels: Optional[int] = None,
                 num_heads: int = 1,
                 with_sigma: bool = True,
                 sigma_keys: str = 'tokens',
                 num_tokens: int = 8,
                 normalize_complement: bool = True,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if sigma_keys not in SIGMA_KEYS:
            raise ValueError(f'FDVAE sigma_keys must be one of {SIGMA_KEYS}, '
                             f'got {sigma_keys!r}')
        if sigma_keys == 'tokens' and (num_tokens < 2
                                       or embed_dims % num_tokens):
            raise ValueError(
                f'FDVAE num_tokens={num_tokens} must be >= 2 and divide '
                f'embed_dims={embed_dims} (with one token 1 - Attn is 0)')
        self.embed_dims = embed_dims
        self.with_sigma = with_sigma
        self.sigma_keys = sigma_keys
        self.num_tokens = num_tokens
        self.mu_attn = ReferenceAttention(embed_dims, attn_channels, num_heads)
        self.mu_update = _update_unit(embed_dims)
        if with_sigma:
            token_dims = embed_dims
            if sigma_keys == 'tokens':
                token_dims = embed_dims // num_tokens
            sigma_attn = dict(
                embed_dims=token_dims,
                attn_channels=attn_channels,
                num_heads=num_heads,
                complement=True,
                normalize_complement=normalize_complement)
            self.sigma_s_attn = ReferenceAttention(**sigma_attn)
            self.sigma_s_update = _update_unit(embed_dims)
            self.sigma_o_attn = ReferenceAttention(**sigma_attn)
            self.sigma_o_update = _update_unit(embed_dims)

    def _as_sequences(self, x: Tensor) -> Tensor:
        """(K, C) -> (B, L, C') following ``sigma_keys``."""
        if self.sigma_keys == 'tokens':
            return x.reshape(
                x.size(0), self.num_tokens, self.embed_dims // self.num_tokens)
        return x[None]

    def mu_delta(self, mu: Tensor, prototypes: Tensor) -> Tensor:
        """``g(Attn(mu, P) . P)``, the mean update of eq. 3, shape (K, C)."""
        gathered = self.mu_attn(mu[None], prototypes[None])[0]
        return self.mu_update(gathered)

    def sigma_delta(self, branch: str, sigma: Tensor, mu: Tensor) -> Tensor:
        """``g((1 - Attn(sigma, mu)) . mu)`` of eq. 3, shape (K, C).

        Args:
            branch (str): 's' (subject) or 'o' (object) variance branch.
            sigma (Tensor): Current variance vectors, shape (K, C).
            mu (Tensor): Mean vectors of this block, shape (K, C).
        """
        attn = getattr(self, f'sigma_{branch}_attn')
        update = getattr(self, f'sigma_{branch}_update')
        gathered = attn(self._as_sequences(sigma), self._as_sequences(mu))
        return update(gathered.reshape(sigma.shape))

    def forward(self, mu: Tensor, sigma_s: Optional[Tensor],
                sigma_o: Optional[Tensor], prototypes: Tensor
                ) -> Tuple[Tensor, Optional[Tensor], Optional[Tensor]]:
        """Apply one residual update to every branch.

        Args:
            mu (Tensor): Mean branch X_mu, shape (K, C).
            sigma_s (Tensor, optional): Subject variance branch, (K, C).
            sigma_o (Tensor, optional): Object variance branch, (K, C).
            prototypes (Tensor): Predicate prototypes P, shape (M, C).

        Returns:
            tuple: Updated ``(mu, sigma_s, sigma_o)``.
        """
        mu = mu + self.mu_delta(mu, prototypes)
        if self.with_sigma:
            sigma_s = sigma_s + self.sigma_delta('s', sigma_s, mu)
            sigma_o = sigma_o + self.sigma_delta('o', sigma_o, mu)
        return mu, sigma_s, sigma_o


class FDVAEOutput(NamedTuple):
    """What :meth:`FDVAE.forward` returns.

    Attributes:
        mu (Tensor): Means, shape (K, C).
        sigma_s (Tensor | None): Subject variations, (K, C).
        sigma_o (Tensor | None): Object variations, (K, C).
        recon (Tensor | None): Reconstructions f', shape (K, D).
        shuffled_recon (Tensor | None): f'' from ``mu_k`` and the sigmas of
            sample ``shuffle_index[k]``, shape (K, D).
        shuffle_index (Tensor | None): The derangement used, shape (K,).
    """
    mu: Tensor
    sigma_s: Optional[Tensor] = None
    sigma_o: Optional[Tensor] = None
    recon: Optional[Tensor] = None
    shuffled_recon: Optional[Tensor] = None
    shuffle_index: Optional[Tensor] = None


@MODELS.register_module()
class FDVAE(BaseModule):
    """Feature Disentangling VAE (section 3.2), a training-only neck.

    The encoder maps a relation feature ``f_k`` to a mean ``mu_k`` and the
    subject/object variations ``sigma^s_k``, ``sigma^o_k`` (eq. 1) through
    ``num_blocks`` residual blocks (eq. 2-3); all three branches start from
    ``X(0) = f_k`` (projected to ``embed_dims``). The decoder has no random
    sampler: ``f'_k = out(mu_k + W [sigma^s_k; sigma^o_k])``, where ``out``
    maps back to ``in_channels``; the shuffle builds ``f''_k`` from ``mu_k``
    and the sigmas of another sample of the batch.

    Args:
        in_channels (int): Width D of the relation features.
        embed_dims (int): Latent width C; when it differs from D, linear
            layers project D -> C at the input and C -> D at the output.
            Defaults to 512.
        num_blocks (int): Encoder blocks. Defaults to 6.
        attn_channels (int, optional): Query/key width of every attention.
            Defaults to None (the query width).
        num_heads (int): Attention heads. Defaults to 1.
        sigma_keys (str): 'tokens' or 'batch', see
            :class:`FDVAEEncoderBlock`. Defaults to 'tokens'.
        num_tokens (int): Tokens per vector for 'tokens'. Defaults to 8.
        normalize_complement (bool): Divide ``1 - Attn`` by the number of
            keys minus one. Defaults to True.
        with_sigma (bool): Build the variance branches. Defaults to True.
        with_decoder (bool): Build the decoder (needs ``with_sigma``).
            Defaults to True.
        init_cfg (dict, optional): Initialization config. Defaults to None.
    """

    def __init__(self,
                 in_channels: int,
                 embed_dims: int = 512,
                 num_blocks: int = 6,
                 attn_channels: Optional[int] = None,
                 num_heads: int = 1,
                 sigma_keys: str = 'tokens',
                 num_tokens: int = 8,
                 normalize_complement: bool = True,
                 with_sigma: bool = True,
                 with_decoder: bool = True,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_blocks < 1:
            raise ValueError(f'FDVAE num_blocks must be >= 1, got '
                             f'{num_blocks}')
        if with_decoder and not with_sigma:
            raise ValueError('FDVAE with_decoder=True needs with_sigma=True: '
                             'the decoder recombines mu and sigma')
        self.in_channels = in_channels
        self.embed_dims = embed_dims
        self.with_sigma = with_sigma
        self.with_decoder = with_decoder
        self.input_proj = self._projection(in_channels, embed_dims)
        self.blocks = nn.ModuleList([
            FDVAEEncoderBlock(
                embed_dims,
                attn_channels=attn_channels,
                num_heads=num_heads,
                with_sigma=with_sigma,
                sigma_keys=sigma_keys,
                num_tokens=num_tokens,
                normalize_complement=normalize_complement)
            for _ in range(num_blocks)
        ])
        if with_decoder:
            self.sigma_proj = nn.Linear(2 * embed_dims, embed_dims)
            self.output_proj = self._projection(embed_dims, in_channels)

    @staticmethod
    def _projection(in_dims: int, out_dims: int) -> nn.Module:
        """A linear map, or the identity when the widths agree."""
        if in_dims == out_dims:
            return nn.Identity()
        return nn.Linear(in_dims, out_dims)

    def encode(self, feats: Tensor, prototypes: Tensor
               ) -> Tuple[Tensor, Optional[Tensor], Optional[Tensor]]:
        """Disentangle features into ``(mu, sigma_s, sigma_o)``.

        Args:
            feats (Tensor): Relation features f, shape (K, D).
            prototypes (Tensor): Predicate prototypes P, shape (M, C).

        Returns:
            tuple: ``mu``, ``sigma_s``, ``sigma_o`` of shape (K, C); the
            sigmas are None without variance branches.
        """
        if feats.dim() != 2 or feats.size(1) != self.in_channels:
            raise ValueError(f'FDVAE expects features of shape (K, '
                             f'{self.in_channels}), got {tuple(feats.shape)}')
        mu = self.input_proj(feats)
        sigma_s = sigma_o = mu if self.with_sigma else None
        for block in self.blocks:
            mu, sigma_s, sigma_o = block(mu, sigma_s, sigma_o, prototypes)
        return mu, sigma_s, sigma_o

    def _recombine(self, mu: Tensor, sigma_term: Tensor) -> Tensor:
        """``out(mu + sigma_term)``."""
        return self.output_proj(mu + sigma_term)

    def decode(self, mu: Tensor, sigma_s: Tensor, sigma_o: Tensor) -> Tensor:
        """Reconstruct ``f' = out(mu + W [sigma_s; sigma_o])`` (no noise).

        Args:
            mu (Tensor): Means, shape (K, C).
            sigma_s (Tensor): Subject variations, shape (K, C).
            sigma_o (Tensor): Object variations, shape (K, C).

        Returns:
            Tensor: Reconstructed features, shape (K, D).
        """
        if not self.with_decoder:
            raise RuntimeError('this FDVAE was built with with_decoder=False')
        sigma_term = self.sigma_proj(torch.cat([sigma_s, sigma_o], dim=-1))
        return self._recombine(mu, sigma_term)

    def forward(self,
                feats: Tensor,
                prototypes: Tensor,
                shuffle: bool = False) -> FDVAEOutput:
        """Encode, and decode when a decoder is built.

        Args:
            feats (Tensor): Relation features f, shape (K, D).
            prototypes (Tensor): Predicate prototypes P, shape (M, C).
            shuffle (bool): Also build the shuffled reconstructions f''
                (only when K > 1). Defaults to False.

        Returns:
            FDVAEOutput: The parameters and reconstructions.
        """
        mu, sigma_s, sigma_o = self.encode(feats, prototypes)
        if not self.with_decoder:
            return FDVAEOutput(mu, sigma_s, sigma_o)
        sigma_term = self.sigma_proj(torch.cat([sigma_s, sigma_o], dim=-1))
        recon = self._recombine(mu, sigma_term)
        if not shuffle or feats.size(0) < 2:
            return FDVAEOutput(mu, sigma_s, sigma_o, recon)
        index = random_derangement(feats.size(0), device=feats.device)
        shuffled = self._recombine(mu, sigma_term[index])
        return FDVAEOutput(mu, sigma_s, sigma_o, recon, shuffled, index)
