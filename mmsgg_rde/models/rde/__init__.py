"""RDE: FDVAE, prototype bank, IMM head and the add-on that ties them."""
from .. import losses  # noqa: F401  (registers the losses RDE builds)
from .fdvae import (FDVAE, BranchLinear, ChannelAttention, FDVAEEncoderBlock,
                    FDVAEOutput, ReferenceAttention, random_derangement)
from .imm_head import IMMHead
from .prototype_bank import (PrototypeBank, load_word_vectors,
                             prototype_distance)
from .rde import RDE

__all__ = [
    'FDVAE', 'BranchLinear', 'ChannelAttention', 'FDVAEEncoderBlock',
    'FDVAEOutput', 'ReferenceAttention', 'random_derangement', 'IMMHead',
    'PrototypeBank', 'load_word_vectors', 'prototype_distance', 'RDE'
]
