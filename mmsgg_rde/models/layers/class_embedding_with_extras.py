"""Class embeddings with extra rows (background, a decoder's start token)."""
from typing import Optional, Sequence

import torch
from mmdet.registry import MODELS
from mmengine.logging import print_log
from mmengine.model import BaseModule
from torch import nn

from .class_embedding import ClassEmbedding, load_glove_vectors

__all__ = ['ClassEmbeddingWithExtras']


@MODELS.register_module()
class ClassEmbeddingWithExtras(ClassEmbedding):
    """A :class:`ClassEmbedding` followed by one row per extra token.

    Rows ``0..num_classes-1`` are the classes (mmdet's labels), then the
    ``extra_tokens`` in order: the scene graph benchmark's 151-way class
    layers take ``('__background__', )`` (background at ``num_classes``,
    mmdet's background label) and its tree decoder ``('__background__',
    'start')``. ``set_class_names`` (``DatasetPriorHook``) takes the
    ``num_classes`` class names as for :class:`ClassEmbedding`; with
    ``glove_dir`` the class names and the extra tokens are looked up.

    Args:
        num_classes (int): Number of object classes.
        embed_dim (int): Embedding size. Defaults to 200.
        glove_dir (str, optional): Folder of ``glove.6B.{embed_dim}d.txt``.
        extra_tokens (Sequence[str]): Tokens of the rows after the classes.
            Defaults to ``('__background__', )``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 num_classes: int,
                 embed_dim: int = 200,
                 glove_dir: Optional[str] = None,
                 extra_tokens: Sequence[str] = ('__background__', ),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(num_classes, embed_dim, glove_dir, init_cfg)
        self.extra_tokens = tuple(extra_tokens)
        self.embedding = nn.Embedding(num_classes + len(self.extra_tokens),
                                      embed_dim)

    def init_weights(self) -> None:
        """Initialise from GloVe when ``glove_dir`` and names are known."""
        BaseModule.init_weights(self)
        if self.glove_dir is None:
            return
        if self.class_names is None:
            print_log(
                'ClassEmbeddingWithExtras: glove_dir is set but no class '
                'names were given (add DatasetPriorHook to custom_hooks); '
                'class embeddings are learned from random init.',
                logger='current')
            return
        vectors = load_glove_vectors(self.glove_dir,
                                     self.class_names + self.extra_tokens,
                                     self.embed_dim)
        with torch.no_grad():
            self.embedding.weight.copy_(vectors)
