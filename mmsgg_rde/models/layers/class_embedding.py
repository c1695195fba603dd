"""Object class embeddings, optionally initialised from GloVe vectors."""
import logging
import os.path as osp
from typing import Dict, Optional, Sequence

import torch
from mmdet.registry import MODELS
from mmengine.logging import print_log
from mmengine.model import BaseModule
from torch import Tensor, nn

__all__ = ['load_glove_vectors', 'ClassEmbedding']


def _read_glove(glove_file: str, words: set, dim: int) -> Dict[str, Tensor]:
    """Read the vectors of ``words`` from a GloVe txt file."""
    vectors = {}
    with open(glove_file, encoding='utf8') as f:
        for line_no, line in enumerate(f, 1):
            word, _, rest = line.rstrip().partition(' ')
            if word not in words:
                continue
            values = rest.split(' ')
            if len(values) != dim:
                raise ValueError(
                    f'{glove_file}, line {line_no}: "{word}" has '
                    f'{len(values)} values, expected {dim}; use the '
                    f'glove.6B.{dim}d.txt file or change embed_dim.')
            vectors[word] = torch.tensor([float(v) for v in values])
    return vectors


def load_glove_vectors(glove_dir: str,
                       names: Sequence[str],
                       dim: int = 200) -> Tensor:
    """Build one GloVe vector per class name.

    A name is looked up as is, then lower-cased; a multi-word name missing
    from the vocabulary gets the mean of its words' vectors; a name with no
    known word keeps a random normal vector (and is logged).

    Args:
        glove_dir (str): Folder holding ``glove.6B.{dim}d.txt``.
        names (Sequence[str]): Class names, in class-id order.
        dim (int): Vector size. Defaults to 200.

    Returns:
        Tensor: (len(names), dim) float vectors.
    """
    glove_file = osp.join(glove_dir, f'glove.6B.{dim}d.txt')
    if not osp.isfile(glove_file):
        raise FileNotFoundError(
            f'{glove_file} not found; set glove_dir to the folder of the '
            'unzipped glove.6B vectors, or glove_dir=None to learn class '
            'embeddings from random init.')
    candidates = [[name, name.lower()] + name.lower().split()
                  for name in names]
    words = {w for cand in candidates for w in cand}
    vectors = _read_glove(glove_file, words, dim)
    out = torch.randn(len(names), dim)
    missing = []
    for i, (name, lower, *parts) in enumerate(candidates):
        if name in vectors:
            out[i] = vectors[name]
        elif lower in vectors:
            out[i] = vectors[lower]
        elif any(p in vectors for p in parts):
            out[i] = torch.stack([vectors[p] for p in parts
                                  if p in vectors]).mean(0)
        else:
            missing.append(name)
    if missing:
        print_log(
            f'{glove_file}: no vector for {missing}; random init for them.',
            logger='current')
    return out


@MODELS.register_module()
class ClassEmbedding(BaseModule):
    """An embedding of object classes.

    With ``glove_dir`` the table is initialised from GloVe vectors of the
    class names, which the ``DatasetPriorHook`` supplies from the dataset's
    ``metainfo['classes']`` (see :meth:`set_class_names`); otherwise it is
    learned from random normal init.

    Args:
        num_classes (int): Number of object classes.
        embed_dim (int): Embedding size. Defaults to 200.
        glove_dir (str, optional): Folder of ``glove.6B.{embed_dim}d.txt``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 num_classes: int,
                 embed_dim: int = 200,
                 glove_dir: Optional[str] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.num_classes = num_classes
        self.embed_dim = embed_dim
        self.glove_dir = glove_dir
        self.embedding = nn.Embedding(num_classes, embed_dim)
        self.class_names: Optional[Sequence[str]] = None

    @property
    def weight(self) -> Tensor:
        """Tensor: The (num_classes, embed_dim) table."""
        return self.embedding.weight

    def set_class_names(self, names: Sequence[str]) -> None:
        """Give the class names used to look up GloVe vectors."""
        if len(names) != self.num_classes:
            raise ValueError(
                f'{len(names)} class names given for {self.num_classes} '
                'classes; the dataset metainfo "classes" must match the '
                'relation head num_classes.')
        self.class_names = tuple(names)

    def init_weights(self) -> None:
        """Initialise from GloVe when ``glove_dir`` and names are known."""
        super().init_weights()
        if self.glove_dir is None:
            print_log(
                'ClassEmbedding: glove_dir is None, class embeddings are '
                'learned from random init.',
                logger='current')
            return
        if self.class_names is None:
            print_log(
                'ClassEmbedding: glove_dir is set but no class names were '
                'given (add DatasetPriorHook to custom_hooks); class '
                'embeddings are learned from random init.',
                logger='current',
                level=logging.WARNING)
            return
        vectors = load_glove_vectors(self.glove_dir, self.class_names,
                                     self.embed_dim)
        with torch.no_grad():
            self.embedding.weight.copy_(vectors)
        print_log(
            f'ClassEmbedding initialised from GloVe in {self.glove_dir}.',
            logger='current')

    def forward(self, labels: Tensor) -> Tensor:
        """Embed (N,) class ids into (N, embed_dim) vectors."""
        return self.embedding(labels.long())
