"""Object class embeddings, optionally initialised from GloVe vectors."""
import os.path as osp
from typing import Dict, Optional, Sequence

import torch
from mmdet.registry import MODELS
from mmengine.logging import print_log
from mmengine.model import BaseModule
from torch import Tensor, nn

__all__ = [
    'GLOVE_HELP', 'WITH_BACKGROUND', 'DECODER_TOKENS', 'load_glove_vectors',
    'ClassEmbedding'
]

#: Extra tokens of the benchmark's 151-way class layers (background at
#: ``num_classes``, mmdet's background label).
WITH_BACKGROUND = ('__background__', )
#: Extra tokens of its label decoders' embeddings (then 'start').
DECODER_TOKENS = ('__background__', 'start')
#: How to get the GloVe vectors the relation heads are initialised from.
GLOVE_HELP = ('download http://nlp.stanford.edu/data/glove.6B.zip (822 MB) '
              'and unzip glove.6B.{dim}d.txt from it')


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
                       tokens: Sequence[str],
                       dim: int = 200) -> Tensor:
    """Build one GloVe vector per token, by the scene graph benchmark's rule.

    A token is looked up as is; if it is missing, its longest word (the
    first of the longest, splitting on spaces) is; a token with neither keeps
    a random normal vector (and is logged).

    Args:
        glove_dir (str): Folder holding ``glove.6B.{dim}d.txt``.
        tokens (Sequence[str]): Class names (and extra tokens such as
            ``'start'``), in row order.
        dim (int): Vector size. Defaults to 200.

    Returns:
        Tensor: (len(tokens), dim) float vectors.
    """
    glove_file = osp.join(glove_dir, f'glove.6B.{dim}d.txt')
    if not osp.isfile(glove_file):
        raise FileNotFoundError(
            f'{glove_file} not found: {GLOVE_HELP.format(dim=dim)} into '
            f'{glove_dir}, or point glove_dir at the folder that has it.')
    longest = [max(tok.split(' '), key=len) for tok in tokens]
    vectors = _read_glove(glove_file, set(tokens) | set(longest), dim)
    out = torch.randn(len(tokens), dim)
    missing = []
    for i, (token, word) in enumerate(zip(tokens, longest)):
        if token in vectors:
            out[i] = vectors[token]
        elif word in vectors:
            out[i] = vectors[word]
        else:
            missing.append(token)
    if missing:
        print_log(
            f'{glove_file}: no vector for {missing}; random normal init for '
            'them.',
            logger='current')
    return out


@MODELS.register_module()
class ClassEmbedding(BaseModule):
    """An embedding of object classes, plus optional extra tokens.

    Rows ``0..num_classes-1`` are the classes, followed by one row per extra
    token (e.g. ``'__background__'`` at ``num_classes``, mmdet's background
    label, and a decoder's ``'start'``). With ``glove_dir`` the table is
    initialised from GloVe vectors of the class names, which the
    ``DatasetPriorHook`` supplies from the dataset's ``metainfo['classes']``
    (see :meth:`set_class_names`), and of the extra tokens; otherwise it
    keeps its random normal init.

    Args:
        num_classes (int): Number of object classes.
        embed_dim (int): Embedding size. Defaults to 200.
        glove_dir (str, optional): Folder of ``glove.6B.{embed_dim}d.txt``.
        extra_tokens (Sequence[str]): Tokens of the rows after the classes.
            Defaults to ().
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 num_classes: int,
                 embed_dim: int = 200,
                 glove_dir: Optional[str] = None,
                 extra_tokens: Sequence[str] = (),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.num_classes = num_classes
        self.embed_dim = embed_dim
        self.glove_dir = glove_dir
        self.extra_tokens = tuple(extra_tokens)
        self.embedding = nn.Embedding(num_classes + len(self.extra_tokens),
                                      embed_dim)
        self.class_names: Optional[Sequence[str]] = None

    @property
    def weight(self) -> Tensor:
        """Tensor: The (num_classes + len(extra_tokens), embed_dim) table."""
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
        """Initialise from GloVe when ``glove_dir`` is set."""
        super().init_weights()
        if self.glove_dir is None:
            return
        if self.class_names is None:
            raise RuntimeError(
                'ClassEmbedding: glove_dir is set but no class names were '
                'given; add dict(type="DatasetPriorHook") to custom_hooks so '
                'that the dataset\'s class names reach the model.')
        vectors = load_glove_vectors(self.glove_dir,
                                     self.class_names + self.extra_tokens,
                                     self.embed_dim)
        with torch.no_grad():
            self.embedding.weight.copy_(vectors)
        print_log(
            f'ClassEmbedding initialised from GloVe in {self.glove_dir}.',
            logger='current')

    def forward(self, labels: Tensor) -> Tensor:
        """Embed (N,) row ids into (N, embed_dim) vectors."""
        return self.embedding(labels.long())
