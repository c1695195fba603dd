"""The benchmark's MotifPredictor to our ``MotifsHead``."""
from typing import Dict, List, Tuple

from torch import Tensor

from ._rules import Rule, Skip, apply_rules

__all__ = ['convert_motif_predictor']

_CTX = r'predictor\.context_layer\.'

#: Benchmark names of the Motifs parts and ours.
RENAMES = {
    'obj_embed1': 'obj_embed',
    'obj_embed2': 'edge_embed',
    'obj_ctx_rnn': 'obj_context',
    'edge_ctx_rnn': 'edge_context',
    'lin_obj_h': 'obj_context',
    'lin_edge_h': 'edge_context',
    '0': 'fc_in',
    '1': 'norm',
    '2': 'fc_out',
}

RULES: List[Rule] = [
    (_CTX + r'(obj_embed1|obj_embed2)\.weight', '{0}.embedding.weight',
     'classes'),
    (_CTX + r'pos_embed\.([012])\.(\w+)', 'pos_embed.{0}.{1}', 'same'),
    (_CTX + r'(obj_ctx_rnn|edge_ctx_rnn)\.(\w+)', '{0}.lstm.{1}', 'same'),
    (_CTX + r'(lin_obj_h|lin_edge_h)\.(\w+)', '{0}.proj.{1}', 'same'),
    (_CTX + r'decoder_rnn\.obj_embed\.weight',
     'decoder.label_embed.embedding.weight', 'decoder_embed'),
    (_CTX + r'decoder_rnn\.(input_linearity|state_linearity)\.(\w+)',
     'decoder.{0}.{1}', 'same'),
    (_CTX + r'decoder_rnn\.out_obj\.(\w+)', 'decoder.classifier.{0}',
     'classes'),
    (r'predictor\.(post_emb|post_cat)\.(\w+)', '{0}.{1}', 'same'),
    (r'predictor\.rel_compress\.(\w+)', 'rel_classifier.{0}', 'same'),
    (r'predictor\.freq_bias\.obj_baseline\.weight',
     'freq_bias.obj_baseline.weight', 'pair_rows'),
]

SKIPS: List[Skip] = [
    (_CTX + r'untreated_\w+',
     'running means of the causal-analysis (TDE) variant, unused by '
     'MotifPredictor'),
]


def convert_motif_predictor(relation_state: Dict[str, Tensor]
                            ) -> Tuple[Dict[str, Tensor], List[str]]:
    """Convert the ``predictor.*`` tensors of a benchmark Motifs head.

    Targets: :class:`~mmsgg_rde.models.relation_heads.MotifsHead`'s class
    embeddings, position embedding, context LSTMs, label decoder,
    ``post_emb``/``post_cat``, ``rel_classifier`` (the benchmark's
    ``rel_compress``) and frequency bias. The (C + 1)-way layers and tables
    get background last. ``up_dim`` (only when ``CONTEXT_POOLING_DIM`` and
    ``MLP_HEAD_DIM`` differ, not in the benchmark's relation config) has no
    counterpart and fails.

    Args:
        relation_state (dict[str, Tensor]): The checkpoint's
            ``roi_heads.relation.*`` tensors, that prefix removed; the
            converted and skipped ``predictor.*`` ones are popped.

    Returns:
        tuple[dict[str, Tensor], list[str]]: Our tensors (keys relative to
        the relation head) and one note per skipped tensor.
    """
    return apply_rules(relation_state, RULES, SKIPS, 'MotifPredictor', RENAMES)
