"""The benchmark's MotifPredictor relation head to our ``MotifsHead``."""
import re
from typing import Callable, Dict, List, Tuple

import torch
from torch import Tensor

__all__ = ['convert_motif_predictor']

_CONTEXT = 'predictor.context_layer.'
_UNION = 'union_feature_extractor.'

#: (pattern of a benchmark key, our key template, row layout of the tensor).
#: Layouts: 'same'; 'classes' (rows are background, then the classes);
#: 'decoder_embed' ('start', background, then the classes); 'pairs'
#: (rows index (subject, object) pairs of such classes).
_RULES: List[Tuple[str, str, str]] = [
    (r'box_feature_extractor\.fc([67])\.(weight|bias)',
     'obj_feat_extractor.fcs.{fc}.{1}', 'same'),
    (_UNION + r'feature_extractor\.fc([67])\.(weight|bias)',
     'union_feat_extractor.fcs.{fc}.{1}', 'same'),
    (_UNION + r'feature_extractor\.pooler\.reduce_channel\.0\.(weight|bias)',
     'union_feat_extractor.roi_extractor.reduce_conv.{0}', 'same'),
    (_UNION + r'rect_conv\.(\d)\.(\w+)',
     'union_feat_extractor.mask_encoder.layers.{0}.{1}', 'same'),
    (_CONTEXT + r'obj_embed1\.weight', 'obj_embed.embedding.weight',
     'classes'),
    (_CONTEXT + r'obj_embed2\.weight', 'edge_embed.embedding.weight',
     'classes'),
    (_CONTEXT + r'pos_embed\.0\.(\w+)', 'pos_embed.fc_in.{0}', 'same'),
    (_CONTEXT + r'pos_embed\.1\.(\w+)', 'pos_embed.norm.{0}', 'same'),
    (_CONTEXT + r'pos_embed\.2\.(\w+)', 'pos_embed.fc_out.{0}', 'same'),
    (_CONTEXT + r'obj_ctx_rnn\.(\w+)', 'obj_context.lstm.{0}', 'same'),
    (_CONTEXT + r'lin_obj_h\.(\w+)', 'obj_context.proj.{0}', 'same'),
    (_CONTEXT + r'edge_ctx_rnn\.(\w+)', 'edge_context.lstm.{0}', 'same'),
    (_CONTEXT + r'lin_edge_h\.(\w+)', 'edge_context.proj.{0}', 'same'),
    (_CONTEXT + r'decoder_rnn\.obj_embed\.weight',
     'decoder.label_embed.embedding.weight', 'decoder_embed'),
    (_CONTEXT + r'decoder_rnn\.(input_linearity|state_linearity)\.(\w+)',
     'decoder.{0}.{1}', 'same'),
    (_CONTEXT + r'decoder_rnn\.out_obj\.(\w+)', 'decoder.classifier.{0}',
     'classes'),
    (r'predictor\.(post_emb|post_cat)\.(\w+)', '{0}.{1}', 'same'),
    (r'predictor\.rel_compress\.(\w+)', 'rel_classifier.{0}', 'same'),
    (r'predictor\.freq_bias\.obj_baseline\.weight',
     'freq_bias.obj_baseline.weight', 'pairs'),
]

#: Benchmark tensors that MotifsHead does not use, and why.
_SKIPPED = [
    (_CONTEXT + r'untreated_\w+',
     'running means of the causal-analysis (TDE) variant, unused by '
     'MotifPredictor'),
]


def _background_last(tensor: Tensor) -> Tensor:
    """Move the first row (background) to the end."""
    return torch.roll(tensor, -1, dims=0)


def _decoder_embedding(weight: Tensor) -> Tensor:
    """('start', background, classes) rows to (classes, background,
    'start')."""
    return torch.cat([weight[2:], weight[1:2], weight[:1]])


def _pair_table(weight: Tensor) -> Tensor:
    """Reorder a (C * C, P) class-pair table to background last."""
    num = int(round(weight.size(0)**0.5))
    if num * num != weight.size(0):
        raise ValueError(f'freq_bias.obj_baseline.weight has {weight.size(0)}'
                         ' rows, not the square of a class count.')
    table = torch.roll(weight.view(num, num, -1), (-1, -1), dims=(0, 1))
    return table.reshape(weight.shape)


_LAYOUTS: Dict[str, Callable[[Tensor], Tensor]] = {
    'same': lambda t: t,
    'classes': _background_last,
    'decoder_embed': _decoder_embedding,
    'pairs': _pair_table,
}


def _target_key(template: str, groups: Tuple[str, ...]) -> str:
    """Our key from a rule's template and the benchmark key's groups."""
    if '{fc}' in template:
        return template.format(*groups, fc=int(groups[0]) - 6)
    return template.format(*groups)


def convert_motif_predictor(relation_state: Dict[str, Tensor]
                            ) -> Tuple[Dict[str, Tensor], List[str]]:
    """Convert the relation head of a benchmark MotifPredictor checkpoint.

    The benchmark's 151-way layers put background first (class ``i`` at row
    ``i + 1``, and the decoder's ``'start'`` token before it); ours put it
    last, as mmdet (class ``i`` at row ``i``, background at 150), so those
    rows are reordered; everything else maps one to one.

    Args:
        relation_state (dict[str, Tensor]): The checkpoint's
            ``roi_heads.relation.*`` tensors, that prefix removed.

    Returns:
        tuple[dict[str, Tensor], list[str]]: Our ``relation_head.*`` tensors
        (prefix removed) and a message per skipped tensor.
    """
    converted, skipped = {}, []
    for key, value in relation_state.items():
        for pattern, reason in _SKIPPED:
            if re.fullmatch(pattern, key):
                skipped.append(f'roi_heads.relation.{key}: {reason}')
                break
        else:
            for pattern, template, layout in _RULES:
                match = re.fullmatch(pattern, key)
                if match:
                    converted[_target_key(template, match.groups())] = \
                        _LAYOUTS[layout](value).clone()
                    break
            else:
                raise ValueError(
                    f'roi_heads.relation.{key} is not a tensor of the '
                    'benchmark\'s MotifPredictor relation head (with '
                    'RelationFeatureExtractor, POOLING_ALL_LEVELS and equal '
                    'CONTEXT_POOLING_DIM and MLP_HEAD_DIM); convert a '
                    'MotifPredictor checkpoint of that configuration.')
    return converted, skipped
