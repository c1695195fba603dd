"""FDVAE: feature disentangling encoder/decoder of RDE (section 3.2)."""
import math
from typing import NamedTuple, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmdet.registry import MODELS
from mmengine.model import BaseModule
from torch import Tensor

__all__ = [
    'random_derangement', 'BranchLinear', 'ReferenceAttention',
    'ChannelAttention', 'FDVAEEncoderBlock', 'FDVAEOutput', 'FDVAE'
]

#: What the mean branch attends to: all prototypes (our reading of eq. 3)
#: or, channel-wise, the prototype of the pair's own predicate (literal).
MU_KEYS = ('prototypes', 'own')
#: What the variance branches attend to in the ``mu`` they gather from.
SIGMA_KEYS = ('tokens', 'batch', 'channel')
#: Which ``mu`` the variance branches gather from: the one the same block
#: just updated (our reading of Fig. 4) or the encoder's final ``mu_k``.
SIGMA_REFS = ('block', 'final')


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


class BranchLinear(nn.Module):
    """``num_branches`` independent linear layers run as one batched matmul.

    Branch ``b`` maps ``x[b]`` with its own weight (in, out) and bias; each
    branch is initialised like :class:`torch.nn.Linear`.

    Args:
        num_branches (int): Number of branches B.
        in_features (int): Input width.
        out_features (int): Output width.
    """

    def __init__(self, num_branches: int, in_features: int,
                 out_features: int) -> None:
        super().__init__()
        self.num_branches = num_branches
        self.in_features = in_features
        self.out_features = out_features
        self.weight = nn.Parameter(
            torch.empty(num_branches, in_features, out_features))
        self.bias = nn.Parameter(torch.empty(num_branches, out_features))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Uniform in +-1/sqrt(in_features), as nn.Linear's default."""
        bound = 1 / math.sqrt(self.in_features)
        nn.init.uniform_(self.weight, -bound, bound)
        nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x: Tensor) -> Tensor:
        """Map (B, ..., in) to (B, ..., out); a leading 1 is broadcast."""
        x = x.expand(self.num_branches, *x.shape[1:])
        flat = x.reshape(self.num_branches, -1, self.in_features)
        out = torch.baddbmm(self.bias[:, None], flat, self.weight)
        return out.reshape(*x.shape[:-1], self.out_features)


def _update_unit(embed_dims: int, num_branches: int = 1) -> nn.Sequential:
    """The basic non-linear unit g of eq. 3: Linear + ReLU (per branch)."""
    return nn.Sequential(
        BranchLinear(num_branches, embed_dims, embed_dims), nn.ReLU())


class ReferenceAttention(BaseModule):
    """Cross-attention whose values are the reference vectors themselves.

    Computes ``Attn(X, ref) . ref`` of eq. 3, where ``Attn`` is the softmax
    over references of scaled dot products of linear projections of ``X``
    and ``ref``. With ``complement=True`` the map is negated to
    ``1 - Attn(X, ref)``, which gathers what the attention does not pick;
    with ``normalize_complement`` it is divided by ``L_ref - 1`` so that
    each row sums to one like the softmax map. Several branches with their
    own projections run as one batched computation.

    Shapes: queries (B, N, Lq, C) and references (B or 1, N, Lr, C), where
    B is ``num_branches`` and N independent attention problems.

    Args:
        embed_dims (int): Width C of queries and references.
        attn_channels (int, optional): Width of the query/key projections.
            Defaults to None (``embed_dims``).
        num_heads (int): Heads; each uses a slice of the projections and of
            the reference channels. Defaults to 1.
        complement (bool): Use ``1 - Attn``. Defaults to False.
        normalize_complement (bool): Divide the complement map by
            ``L_ref - 1``. Defaults to True.
        num_branches (int): Independent branches B. Defaults to 1.
        init_cfg (dict, optional): Initialization config. Defaults to None.
    """

    def __init__(self,
                 embed_dims: int,
                 attn_channels: Optional[int] = None,
                 num_heads: int = 1,
                 complement: bool = False,
                 normalize_complement: bool = True,
                 num_branches: int = 1,
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
        self.num_branches = num_branches
        self.query_proj = BranchLinear(num_branches, embed_dims, attn_channels)
        self.key_proj = BranchLinear(num_branches, embed_dims, attn_channels)

    def _split_heads(self, x: Tensor) -> Tensor:
        """(B, N, L, C) -> (B, N, heads, L, C // heads)."""
        *lead, length, channels = x.shape
        return x.reshape(*lead, length, self.num_heads,
                         channels // self.num_heads).transpose(-3, -2)

    def _complement_scale(self, num_refs: int) -> float:
        """Factor applied to the complement map ``1 - Attn``."""
        if not self.normalize_complement:
            return 1.0
        return 1.0 / max(num_refs - 1, 1)

    def _qkv(self, query: Tensor,
             ref: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        """Per-head queries, keys and values."""
        ref = ref.expand(self.num_branches, *ref.shape[1:])
        return (self._split_heads(self.query_proj(query)),
                self._split_heads(self.key_proj(ref)), self._split_heads(ref))

    def attention_map(self, query: Tensor, ref: Tensor) -> Tensor:
        """The (possibly complemented) attention weights.

        Returns:
            Tensor: Weights of shape (B, N, heads, Lq, Lr).
        """
        q, k, _ = self._qkv(query, ref)
        attn = torch.softmax(q @ k.transpose(-2, -1) * q.size(-1)**-0.5, -1)
        if self.complement:
            attn = (1 - attn) * self._complement_scale(ref.size(-2))
        return attn

    def forward(self, query: Tensor, ref: Tensor) -> Tensor:
        """Gather the references with the attention weights.

        ``(1 - A) . V`` is computed as ``sum(V) - A . V`` so that no
        (Lq, Lr) map is stored, which matters for ``sigma_keys='batch'``.

        Returns:
            Tensor: Shape (B, N, Lq, C).
        """
        q, k, v = self._qkv(query, ref)
        if ref.size(-2) == 0:
            out = q.new_zeros(*q.shape[:-1], v.size(-1))
        else:
            out = F.scaled_dot_product_attention(q, k, v)
        if self.complement:
            out = (v.sum(dim=-2, keepdim=True) - out) * \
                self._complement_scale(ref.size(-2))
        out = out.transpose(-3, -2)
        return out.reshape(*out.shape[:-2], ref.size(-1))


class ChannelAttention(BaseModule):
    """Channel-wise attention ``A . ref`` with ``A = sigmoid(q(X) * k(ref))``.

    The literal reading of eq. 3's ``Attn(X, ref) . ref`` for a single
    reference vector: ``A`` weighs each channel of the reference in [0, 1]
    by the agreement of the projected query and reference in that channel;
    with ``complement=True`` the gate is ``1 - A``.

    Shapes: queries (B, N, C) and references (B or 1, N, C).

    Args:
        embed_dims (int): Width C.
        complement (bool): Use ``1 - A``. Defaults to False.
        num_branches (int): Independent branches B. Defaults to 1.
        init_cfg (dict, optional): Initialization config. Defaults to None.
    """

    def __init__(self,
                 embed_dims: int,
                 complement: bool = False,
                 num_branches: int = 1,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.complement = complement
        self.num_branches = num_branches
        self.query_proj = BranchLinear(num_branches, embed_dims, embed_dims)
        self.key_proj = BranchLinear(num_branches, embed_dims, embed_dims)

    def attention_map(self, query: Tensor, ref: Tensor) -> Tensor:
        """The (possibly complemented) channel gate, shape (B, N, C)."""
        gate = torch.sigmoid(self.query_proj(query) * self.key_proj(ref))
        return 1 - gate if self.complement else gate

    def forward(self, query: Tensor, ref: Tensor) -> Tensor:
        """The gated reference, shape (B, N, C)."""
        return self.attention_map(query, ref) * ref


class FDVAEEncoderBlock(BaseModule):
    """One encoder block of FDVAE (eq. 2-3, Fig. 4).

    ``mu += g(Attn(mu, P) . P)`` and ``sigma_x += g((1 - Attn(sigma_x, mu))
    . mu)`` for ``x`` in {s, o}. The two variance branches have their own
    weights and run as one batched computation on a (2, K, C) stack.

    Args:
        embed_dims (int): Latent width C.
        attn_channels (int, optional): Query/key width of the softmax
            attentions. Defaults to None (the query width).
        num_heads (int): Heads of the softmax attentions. Defaults to 1.
        with_sigma (bool): Build the two variance branches.
            Defaults to True.
        mu_keys (str): 'prototypes': softmax attention over all
            prototypes (our reading); 'own': channel-wise attention with the
            prototype of the pair's predicate (the literal ``P_k``).
            Defaults to 'prototypes'.
        sigma_keys (str): What the variance branches attend to. 'tokens':
            each sample's own ``mu``, cut into ``num_tokens`` tokens (its
            sigma is cut likewise); 'batch': the ``mu`` vectors of all
            samples in the batch; 'channel': channel-wise ``(1 - A) * mu``
            of the sample's own ``mu`` (the literal reading).
            Defaults to 'tokens'.
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
                 mu_keys: str = 'prototypes',
                 sigma_keys: str = 'tokens',
                 num_tokens: int = 8,
                 normalize_complement: bool = True,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if mu_keys not in MU_KEYS:
            raise ValueError(f'FDVAE mu_keys must be one of {MU_KEYS}, got '
                             f'{mu_keys!r}')
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
        self.mu_keys = mu_keys
        self.sigma_keys = sigma_keys
        self.num_tokens = num_tokens
        if mu_keys == 'prototypes':
            self.mu_attn = ReferenceAttention(embed_dims, attn_channels,
                                              num_heads)
        else:
            self.mu_attn = ChannelAttention(embed_dims)
        self.mu_update = _update_unit(embed_dims)
        if not with_sigma:
            return
        if sigma_keys == 'channel':
            self.sigma_attn = ChannelAttention(
                embed_dims, complement=True, num_branches=2)
        else:
            token_dims = embed_dims
            if sigma_keys == 'tokens':
                token_dims = embed_dims // num_tokens
            self.sigma_attn = ReferenceAttention(
                token_dims,
                attn_channels,
                num_heads,
                complement=True,
                normalize_complement=normalize_complement,
                num_branches=2)
        self.sigma_update = _update_unit(embed_dims, num_branches=2)

    def mu_delta(self, mu: Tensor, prototypes: Tensor) -> Tensor:
        """``g(Attn(mu, P) . P)``, the mean update of eq. 3, shape (K, C).

        Args:
            mu (Tensor): Mean vectors, shape (K, C).
            prototypes (Tensor): All prototypes (M, C) for
                ``mu_keys='prototypes'``, each pair's own (K, C) for 'own'.
        """
        if self.mu_keys == 'prototypes':
            gathered = self.mu_attn(mu[None, None], prototypes[None, None])
        else:
            gathered = self.mu_attn(mu[None], prototypes[None])
        return self.mu_update(gathered.reshape(1, *mu.shape))[0]

    def _as_sequences(self, x: Tensor) -> Tensor:
        """(B, K, C) -> (B, N, L, C') following ``sigma_keys``."""
        if self.sigma_keys == 'tokens':
            return x.reshape(*x.shape[:2], self.num_tokens,
                             self.embed_dims // self.num_tokens)
        if self.sigma_keys == 'batch':
            return x[:, None]
        return x

    def sigma_delta(self, sigma: Tensor, mu: Tensor) -> Tensor:
        """``g((1 - Attn(sigma, mu)) . mu)`` of eq. 3 for both branches.

        Args:
            sigma (Tensor): Variance vectors (subject, object), (2, K, C).
            mu (Tensor): Mean vectors they gather from, shape (K, C).

        Returns:
            Tensor: Updates of shape (2, K, C).
        """
        gathered = self.sigma_attn(
            self._as_sequences(sigma), self._as_sequences(mu[None]))
        return self.sigma_update(gathered.reshape(sigma.shape))

    def forward(self, mu: Tensor, sigma: Optional[Tensor],
                prototypes: Tensor) -> Tuple[Tensor, Optional[Tensor]]:
        """One residual update of every branch, mean branch first.

        Args:
            mu (Tensor): Mean branch X_mu, shape (K, C).
            sigma (Tensor, optional): Variance branches, (2, K, C).
            prototypes (Tensor): References of the mean branch, see
                :meth:`mu_delta`.

        Returns:
            tuple: Updated ``(mu, sigma)``; the variance branches gather
            from the updated ``mu``.
        """
        mu = mu + self.mu_delta(mu, prototypes)
        if self.with_sigma:
            sigma = sigma + self.sigma_delta(sigma, mu)
        return mu, sigma


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
    and the sigmas of another sample of the batch. Six blocks are the
    paper's; the 512-d latent, one head and the attention width are ours
    (the paper gives no value), with our readings of eq. 3 (docs/rde.md).

    Args:
        in_channels (int): Width D of the relation features.
        embed_dims (int): Latent width C; when it differs from D, linear
            layers project D -> C at the input and C -> D at the output.
            Defaults to 512 (ours: the paper gives no width).
        num_blocks (int): Encoder blocks. Defaults to 6 (the paper's).
        attn_channels (int, optional): Query/key width of the softmax
            attentions. Defaults to None (the query width; ours).
        num_heads (int): Attention heads. Defaults to 1 (ours).
        mu_keys (str): 'prototypes' or 'own', see
            :class:`FDVAEEncoderBlock`. Defaults to 'prototypes'.
        sigma_keys (str): 'tokens', 'batch' or 'channel', see
            :class:`FDVAEEncoderBlock`. Defaults to 'tokens'.
        sigma_ref (str): 'block': the variance branches of a block gather
            from the ``mu`` that block just updated; 'final': from the
            encoder's output ``mu_k`` (all mean updates first).
            Defaults to 'block'.
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
                 mu_keys: str = 'prototypes',
                 sigma_keys: str = 'tokens',
                 sigma_ref: str = 'block',
                 num_tokens: int = 8,
                 normalize_complement: bool = True,
                 with_sigma: bool = True,
                 with_decoder: bool = True,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_blocks < 1:
            raise ValueError(f'FDVAE num_blocks must be >= 1, got '
                             f'{num_blocks}')
        if sigma_ref not in SIGMA_REFS:
            raise ValueError(f'FDVAE sigma_ref must be one of {SIGMA_REFS}, '
                             f'got {sigma_ref!r}')
        if with_decoder and not with_sigma:
            raise ValueError('FDVAE with_decoder=True needs with_sigma=True: '
                             'the decoder recombines mu and sigma')
        self.in_channels = in_channels
        self.embed_dims = embed_dims
        self.mu_keys = mu_keys
        self.sigma_ref = sigma_ref
        self.with_sigma = with_sigma
        self.with_decoder = with_decoder
        self.input_proj = self._projection(in_channels, embed_dims)
        self.blocks = nn.ModuleList([
            FDVAEEncoderBlock(
                embed_dims,
                attn_channels=attn_channels,
                num_heads=num_heads,
                with_sigma=with_sigma,
                mu_keys=mu_keys,
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

    def _mean_references(self, prototypes: Tensor,
                         proto_index: Optional[Tensor], num: int) -> Tensor:
        """What the mean branch attends to (all or each pair's own)."""
        if self.mu_keys == 'prototypes':
            return prototypes
        if proto_index is None or proto_index.shape != (num, ):
            raise ValueError(
                "FDVAE mu_keys='own' needs proto_index, the prototype of "
                f'each of the {num} pairs')
        if num and proto_index.min() < 0:
            raise ValueError(
                "FDVAE mu_keys='own' needs a prototype for every pair: use "
                'RDE fg_only=True or bg_prototype=True')
        return prototypes[proto_index]

    def encode(self,
               feats: Tensor,
               prototypes: Tensor,
               proto_index: Optional[Tensor] = None
               ) -> Tuple[Tensor, Optional[Tensor]]:
        """Disentangle features into ``mu`` and the stacked sigmas.

        Args:
            feats (Tensor): Relation features f, shape (K, D).
            prototypes (Tensor): Predicate prototypes P, shape (M, C).
            proto_index (Tensor, optional): Prototype of each pair, (K,);
                needed for ``mu_keys='own'``.

        Returns:
            tuple: ``mu`` (K, C) and ``sigma`` (2, K, C) (subject, object),
            None without variance branches.
        """
        if feats.dim() != 2 or feats.size(1) != self.in_channels:
            raise ValueError(f'FDVAE expects features of shape (K, '
                             f'{self.in_channels}), got {tuple(feats.shape)}')
        refs = self._mean_references(prototypes, proto_index, feats.size(0))
        mu = self.input_proj(feats)
        sigma = mu[None].expand(2, *mu.shape) if self.with_sigma else None
        if self.sigma_ref == 'block':
            for block in self.blocks:
                mu, sigma = block(mu, sigma, refs)
            return mu, sigma
        for block in self.blocks:
            mu = mu + block.mu_delta(mu, refs)
        if sigma is not None:
            for block in self.blocks:
                sigma = sigma + block.sigma_delta(sigma, mu)
        return mu, sigma

    def _sigma_term(self, sigma: Tensor) -> Tensor:
        """``W [sigma_s; sigma_o]`` from the (2, K, C) stack."""
        return self.sigma_proj(torch.cat(sigma.unbind(0), dim=-1))

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
        return self.output_proj(
            mu + self._sigma_term(torch.stack([sigma_s, sigma_o])))

    def forward(self,
                feats: Tensor,
                prototypes: Tensor,
                shuffle: bool = False,
                proto_index: Optional[Tensor] = None) -> FDVAEOutput:
        """Encode, and decode when a decoder is built.

        Args:
            feats (Tensor): Relation features f, shape (K, D).
            prototypes (Tensor): Predicate prototypes P, shape (M, C).
            shuffle (bool): Also build the shuffled reconstructions f''
                (only when K > 1). Defaults to False.
            proto_index (Tensor, optional): Prototype of each pair, (K,);
                needed for ``mu_keys='own'``.

        Returns:
            FDVAEOutput: The parameters and reconstructions.
        """
        mu, sigma = self.encode(feats, prototypes, proto_index)
        sigma_s, sigma_o = (None, None) if sigma is None else sigma.unbind(0)
        if not self.with_decoder:
            return FDVAEOutput(mu, sigma_s, sigma_o)
        sigma_term = self._sigma_term(sigma)
        recon = self.output_proj(mu + sigma_term)
        if not shuffle or feats.size(0) < 2:
            return FDVAEOutput(mu, sigma_s, sigma_o, recon)
        index = random_derangement(feats.size(0), device=feats.device)
        shuffled = self.output_proj(mu + sigma_term[index])
        return FDVAEOutput(mu, sigma_s, sigma_o, recon, shuffled, index)
