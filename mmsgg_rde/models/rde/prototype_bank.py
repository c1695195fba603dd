"""Learnable predicate prototypes and the distance of eq. 4."""
import os.path as osp
from typing import Optional, Union

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmdet.registry import MODELS
from mmengine.model import BaseModule
from torch import Tensor

__all__ = ['prototype_distance', 'load_word_vectors', 'PrototypeBank']

COSINE_MODES = ('distance', 'similarity')
WordVectors = Union[str, Tensor, np.ndarray]


def prototype_distance(x: Tensor,
                       y: Tensor,
                       cosine_weight: float = 1.0,
                       euclidean_weight: float = 1.0,
                       cosine_mode: str = 'distance',
                       normalize: bool = True) -> Tensor:
    """Distance ``D`` of eq. 4 between vectors, broadcast over leading dims.

    ``D(x, y) = cosine_weight * c(x, y) + euclidean_weight * e(x, y)``
    where ``c = 1 - L2(x) . L2(y)`` for ``cosine_mode='distance'`` (a true
    dissimilarity, zero for equal vectors) and ``c = L2(x) . L2(y)`` for
    ``cosine_mode='similarity'`` (eq. 4 as printed); ``e = ||L2(x) -
    L2(y)||_2`` with ``normalize=True``, the Euclidean distance of the
    normalised vectors (in [0, 2] whatever the width and scale; it grows
    like the angle near zero, where ``1 - cos`` is flat), and ``e = ||x -
    y||_2`` with ``normalize=False`` (as printed, growing with the width
    and the scale of the vectors).

    Args:
        x (Tensor): Vectors of shape (..., C).
        y (Tensor): Vectors of shape (..., C), broadcastable with ``x``.
        cosine_weight (float): Weight of the cosine term. Defaults to 1.0.
        euclidean_weight (float): Weight of the Euclidean term.
            Defaults to 1.0.
        cosine_mode (str): 'distance' or 'similarity'.
            Defaults to 'distance'.
        normalize (bool): Euclidean term between L2-normalised vectors.
            Defaults to True.

    Returns:
        Tensor: Distances of the broadcast leading shape.
    """
    if cosine_mode not in COSINE_MODES:
        raise ValueError(f'cosine_mode must be one of {COSINE_MODES}, '
                         f'got {cosine_mode!r}')
    unit_x, unit_y = F.normalize(x, dim=-1), F.normalize(y, dim=-1)
    cosine = (unit_x * unit_y).sum(dim=-1)
    if cosine_mode == 'distance':
        cosine = 1 - cosine
    if normalize:
        x, y = unit_x, unit_y
    euclidean = torch.linalg.vector_norm(x - y, dim=-1)
    return cosine_weight * cosine + euclidean_weight * euclidean


def load_word_vectors(word_vectors: WordVectors) -> Tensor:
    """Read word vectors from a tensor, an array or a .npy/.pt/.pth file.

    Args:
        word_vectors (str | Tensor | np.ndarray): The vectors, shape (M, E),
            or the path of a file holding them.

    Returns:
        Tensor: Float32 CPU tensor of shape (M, E).
    """
    if isinstance(word_vectors, str):
        path = word_vectors
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'PrototypeBank word_vectors file {path!r} does not exist; '
                'give a .npy/.pt/.pth file of shape (num_prototypes, dims) '
                'or set word_vectors=None for random prototypes')
        if path.endswith('.npy'):
            word_vectors = np.load(path)
        elif path.endswith(('.pt', '.pth')):
            word_vectors = torch.load(
                path, map_location='cpu', weights_only=True)
        else:
            raise ValueError(
                f'PrototypeBank word_vectors file {path!r} must end with '
                '.npy, .pt or .pth')
    vectors = torch.as_tensor(word_vectors).detach().float().cpu()
    if vectors.dim() != 2:
        raise ValueError('PrototypeBank word_vectors must have shape '
                         f'(num_prototypes, dims), got {tuple(vectors.shape)}')
    return vectors


@MODELS.register_module()
class PrototypeBank(BaseModule):
    """Learnable semantic prototypes ``P`` of the predicates (section 3.3).

    Args:
        num_prototypes (int): Number of prototypes M.
        embed_dims (int): Dimension C of each prototype (FDVAE's latent
            dimension).
        init_std (float, optional): Std of the random normal
            initialisation. Defaults to None: ``1 / sqrt(embed_dims)``, unit
            norm on average at any width, so that SGD turns the prototypes
            at the same rate whatever the width (the gradients of the
            normalised distance scale as ``1 / norm``).
        word_vectors (str | Tensor | np.ndarray, optional): Initial
            prototypes of shape (M, E), or a .npy/.pt/.pth file holding them.
            When E differs from ``embed_dims`` they are mapped to it by a
            random Gaussian projection (scaled to keep norms on average).
            Defaults to None (random initialisation).
        cosine_weight (float): Weight of the cosine term of eq. 4.
            Defaults to 1.0.
        euclidean_weight (float): Weight of the Euclidean term of eq. 4.
            Defaults to 1.0.
        cosine_mode (str): 'distance' uses ``1 - cos`` (default), 'similarity'
            uses ``cos`` as eq. 4 is printed. See :func:`prototype_distance`.
        normalize (bool): Euclidean term between L2-normalised vectors
            (default) or, with False, between the raw vectors as printed.
            See :func:`prototype_distance`.
        init_cfg (dict, optional): Initialization config. Defaults to None.
    """

    def __init__(self,
                 num_prototypes: int,
                 embed_dims: int,
                 init_std: Optional[float] = None,
                 word_vectors: Optional[WordVectors] = None,
                 cosine_weight: float = 1.0,
                 euclidean_weight: float = 1.0,
                 cosine_mode: str = 'distance',
                 normalize: bool = True,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_prototypes < 1 or embed_dims < 1:
            raise ValueError('PrototypeBank needs num_prototypes >= 1 and '
                             f'embed_dims >= 1, got {num_prototypes} and '
                             f'{embed_dims}')
        if cosine_mode not in COSINE_MODES:
            raise ValueError(f'PrototypeBank cosine_mode must be one of '
                             f'{COSINE_MODES}, got {cosine_mode!r}')
        self.num_prototypes = num_prototypes
        self.embed_dims = embed_dims
        self.cosine_weight = cosine_weight
        self.euclidean_weight = euclidean_weight
        self.cosine_mode = cosine_mode
        self.normalize = normalize
        if init_std is None:
            init_std = embed_dims**-0.5
        if word_vectors is None:
            init = torch.randn(num_prototypes, embed_dims) * init_std
        else:
            init = self._project_word_vectors(load_word_vectors(word_vectors))
        self.prototypes = nn.Parameter(init)

    def _project_word_vectors(self, vectors: Tensor) -> Tensor:
        """Check the word vectors' rows and map them to ``embed_dims``."""
        if vectors.size(0) != self.num_prototypes:
            raise ValueError(
                f'PrototypeBank word_vectors have {vectors.size(0)} rows but '
                f'the bank has {self.num_prototypes} prototypes (one per '
                'foreground predicate, plus one for background when RDE has '
                'bg_prototype=True); add or drop the background row')
        if vectors.size(1) == self.embed_dims:
            return vectors.clone()
        projection = torch.randn(vectors.size(1),
                                 self.embed_dims) / self.embed_dims**0.5
        return vectors @ projection

    def forward(self) -> Tensor:
        """Return the prototypes, shape (M, C)."""
        return self.prototypes

    def distance(self, x: Tensor, y: Tensor) -> Tensor:
        """Eq. 4 with this bank's weights, broadcast over leading dims."""
        return prototype_distance(
            x,
            y,
            cosine_weight=self.cosine_weight,
            euclidean_weight=self.euclidean_weight,
            cosine_mode=self.cosine_mode,
            normalize=self.normalize)

    def distance_to(self, feats: Tensor, index: Tensor) -> Tensor:
        """Distance of each feature to one chosen prototype.

        Args:
            feats (Tensor): Features of shape (N, C).
            index (Tensor): Prototype index of each feature, shape (N,).

        Returns:
            Tensor: Distances of shape (N,).
        """
        return self.distance(feats, self.prototypes[index])

    def pairwise_distances(self) -> Tensor:
        """Distances between all prototypes, shape (M, M)."""
        return self.distance(self.prototypes[:, None], self.prototypes[None])
