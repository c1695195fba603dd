"""The benchmark's VCTreePredictor to our VCTree context and classifier."""
from typing import Dict, List, Tuple

import torch
from torch import Tensor

from ._rules import Rule, Skip, apply_rules

__all__ = ['convert_vctree_predictor']

_CTX = r'predictor\.context_layer\.'
_TREE = r'\.multi_layer_lstm\.(\d+)\.treeLSTM_(foreward|backward)\.treeLSTM'
_LINEAR = r'\.(px|ioffux|ioffuh_left|ioffuh_right|iofux|iofuh)\.(\w+)'

#: Benchmark names of the tree LSTM parts and ours.
RENAMES = {
    'foreward': 'up',
    'backward': 'down',
    'px': 'input_proj',
    'ioffux': 'gates_input',
    'iofux': 'gates_input',
    'ioffuh_left': 'gates_left',
    'ioffuh_right': 'gates_right',
    'iofuh': 'gates_parent',
    'obj_ctx_rnn': 'obj_context',
    'edge_ctx_rnn': 'edge_context',
    'pos_embed.0': 'fc_in',
    'pos_embed.1': 'norm',
    'pos_embed.2': 'fc_out',
}

RULES: List[Rule] = [
    (_CTX + r'obj_embed1\.weight', 'context.obj_embed.embedding.weight',
     'classes'),
    (_CTX + r'obj_embed2\.weight', 'context.edge_embed.embedding.weight',
     'classes'),
    (_CTX + r'(pos_embed\.[012])\.(\w+)', 'context.pos_embed.{0}.{1}', 'same'),
    (_CTX + r'(box_embed|overlap_embed)\.([01])\.(\w+)',
     'context.tree_scorer.{0}.{1}.{2}', 'same'),
    (_CTX + r'bi_freq_prior\.weight', 'context.tree_scorer.pair_prior',
     'pair_matrix'),
    (_CTX + r'(obj_reduce|emb_reduce|score_pre|score_sub|score_obj|'
     r'vision_prior)\.(\w+)', 'context.tree_scorer.{0}.{1}', 'same'),
    (_CTX + r'(obj_ctx_rnn|edge_ctx_rnn)' + _TREE + _LINEAR,
     'context.{0}.layers.{1}.{2}.{3}.{4}', 'same'),
    (_CTX + r'decoder_rnn\.obj_embed\.weight',
     'context.decoder.label_embed.embedding.weight', 'decoder_embed'),
    (_CTX + r'decoder_rnn\.out\.(\w+)', 'context.decoder.classifier.{0}',
     'classes'),
    (_CTX + r'decoder_rnn\.decoderLSTM' + _LINEAR,
     'context.decoder.cell.{0}.{1}', 'same'),
    (r'predictor\.(post_emb|post_cat|up_dim)\.(\w+)', 'context.fusion.{0}.{1}',
     'same'),
    (r'predictor\.ctx_compress\.(\w+)', 'rel_classifier.{0}', 'same'),
    (r'predictor\.freq_bias\.obj_baseline\.weight',
     'freq_bias.obj_baseline.weight', 'pair_rows'),
]

SKIPS: List[Skip] = [
    (_CTX + r'untreated_\w+',
     'running means of the causal-analysis (TDE) variant, unused by '
     'VCTreePredictor'),
    (_CTX + r'decoder_rnn\.decoderLSTM\.(embed_layer|embed_out_layer)\.\w+',
     'the decoder tree LSTM\'s references to decoder_rnn.obj_embed and '
     'decoder_rnn.out (the same tensors)'),
]


def convert_vctree_predictor(relation_state: Dict[str, Tensor]
                             ) -> Tuple[Dict[str, Tensor], List[str]]:
    """Convert the ``predictor.*`` tensors of a benchmark VCTree head.

    Targets: ``context.*`` (:class:`~mmsgg_rde.models.layers.VCTreeContext`;
    the head and tail projections included), ``rel_classifier.*`` (the
    benchmark's ``ctx_compress``) and ``freq_bias.obj_baseline.weight``.
    The (C + 1)-way layers and tables get background last.

    Args:
        relation_state (dict[str, Tensor]): The checkpoint's
            ``roi_heads.relation.*`` tensors, that prefix removed; the
            converted and skipped ``predictor.*`` ones are popped, the
            feature extractors' are left.

    Returns:
        tuple[dict[str, Tensor], list[str]]: Our tensors (keys relative to
        the relation head) and one note per skipped tensor.
    """
    decoder = 'predictor.context_layer.decoder_rnn.'
    for alias, original in (('decoderLSTM.embed_layer.weight',
                             'obj_embed.weight'),
                            ('decoderLSTM.embed_out_layer.weight',
                             'out.weight'),
                            ('decoderLSTM.embed_out_layer.bias', 'out.bias')):
        alias, original = decoder + alias, decoder + original
        if alias in relation_state and not torch.equal(
                relation_state[alias], relation_state.get(original)):
            raise ValueError(
                f'roi_heads.relation.{alias} differs from '
                f'roi_heads.relation.{original}; in the benchmark they are '
                'one tensor, so this is not a VCTreePredictor checkpoint.')
    return apply_rules(relation_state, RULES, SKIPS, 'VCTreePredictor',
                       RENAMES)
