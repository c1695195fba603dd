"""The benchmark's TransformerPredictor to our Transformer context."""
from typing import Dict, List, Tuple

from torch import Tensor

from ._rules import Rule, Skip, apply_rules

__all__ = ['convert_transformer_predictor']

_CTX = r'predictor\.context_layer\.'
_LAYER = _CTX + r'(context_obj|context_edge)\.layer_stack\.(\d+)\.'

#: Benchmark names and ours.
RENAMES = {
    'context_obj': 'obj_context',
    'context_edge': 'edge_context',
    'w_qs': 'q_proj',
    'w_ks': 'k_proj',
    'w_vs': 'v_proj',
    'fc': 'out_proj',
    'layer_norm': 'norm',
    'w_1': 'fc1',
    'w_2': 'fc2',
    'lin_obj': 'obj_proj',
    'lin_edge': 'edge_proj',
    'bbox_embed': 'box_embed',
}

RULES: List[Rule] = [
    (_CTX + r'obj_embed1\.weight', 'context.obj_embed.embedding.weight',
     'classes'),
    (_CTX + r'obj_embed2\.weight', 'context.edge_embed.embedding.weight',
     'classes'),
    (_CTX + r'(bbox_embed)\.([03])\.(\w+)', 'context.{0}.{1}.{2}', 'same'),
    (_CTX + r'(lin_obj|lin_edge)\.(\w+)', 'context.{0}.{1}', 'same'),
    (_CTX + r'out_obj\.(\w+)', 'context.obj_classifier.{0}', 'classes'),
    (_LAYER + r'slf_attn\.(w_qs|w_ks|w_vs|fc|layer_norm)\.(\w+)',
     'context.{0}.layers.{1}.attn.{2}.{3}', 'same'),
    (_LAYER + r'pos_ffn\.(w_1|w_2)\.(weight)',
     'context.{0}.layers.{1}.ffn.{2}.{3}', 'conv1x1'),
    (_LAYER + r'pos_ffn\.(w_1|w_2|layer_norm)\.(\w+)',
     'context.{0}.layers.{1}.ffn.{2}.{3}', 'same'),
    (r'predictor\.(post_emb|post_cat|up_dim)\.(\w+)', 'context.fusion.{0}.{1}',
     'same'),
    (r'predictor\.rel_compress\.(\w+)', 'rel_classifier.{0}', 'same'),
    (r'predictor\.ctx_compress\.(\w+)', 'ctx_classifier.{0}', 'same'),
    (r'predictor\.freq_bias\.obj_baseline\.weight',
     'freq_bias.obj_baseline.weight', 'pair_rows'),
]


def convert_transformer_predictor(relation_state: Dict[str, Tensor]
                                  ) -> Tuple[Dict[str, Tensor], List[str]]:
    """Convert the ``predictor.*`` tensors of a benchmark Transformer head.

    Targets: ``context.*``
    (:class:`~mmsgg_rde.models.layers.TransformerContext`; the head and
    tail projections included), ``rel_classifier.*`` (the benchmark's
    ``rel_compress``, on f_k), ``ctx_classifier.*`` (its ``ctx_compress``,
    on the pair context) and ``freq_bias.obj_baseline.weight``. The
    (C + 1)-way layers and tables get background last; the 1x1 convolutions
    of the feed-forward blocks become linear weights.

    Args:
        relation_state (dict[str, Tensor]): See
            :func:`~mmsgg_rde.utils.sgb_conversion.convert_vctree_predictor`.

    Returns:
        tuple[dict[str, Tensor], list[str]]: Our tensors and notes.
    """
    skips: List[Skip] = []
    return apply_rules(relation_state, RULES, skips, 'TransformerPredictor',
                       RENAMES)
