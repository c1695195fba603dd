"""The benchmark's relation feature extractors to ours.

Every relation predictor of the benchmark sits in its ``ROIRelationHead``
beside two feature extractors: ``box_feature_extractor``
(``FPN2MLPFeatureExtractor``: fc6, fc7) and ``union_feature_extractor``
(``RelationFeatureExtractor``: its ``feature_extractor`` with the
all-level pooler's ``reduce_channel`` conv and fc6/fc7, and the ``rect_conv``
of the two-box masks). They become ``BaseRelationHead``'s
``obj_feat_extractor`` (``RoIFeatureExtractor``) and
``union_feat_extractor`` (``UnionFeatureExtractor`` with an
``AllLevelsRoIExtractor``).
"""
import re
from typing import Dict, List, Tuple

from torch import Tensor

__all__ = ['convert_relation_feature_extractors']

_UNION = r'union_feature_extractor\.'

#: (pattern of a benchmark key, our key template).
RULES = [
    (r'box_feature_extractor\.fc([67])\.(weight|bias)',
     'obj_feat_extractor.fcs.{fc}.{1}'),
    (_UNION + r'feature_extractor\.fc([67])\.(weight|bias)',
     'union_feat_extractor.fcs.{fc}.{1}'),
    (_UNION + r'feature_extractor\.pooler\.reduce_channel\.0\.(weight|bias)',
     'union_feat_extractor.roi_extractor.reduce_conv.{0}'),
    (_UNION + r'rect_conv\.([0246])\.(\w+)',
     'union_feat_extractor.mask_encoder.layers.{0}.{1}'),
]


def convert_relation_feature_extractors(
        relation_state: Dict[str,
                             Tensor]) -> Tuple[Dict[str, Tensor], List[str]]:
    """Convert (and pop) the feature extractors' tensors.

    Args:
        relation_state (dict[str, Tensor]): The checkpoint's
            ``roi_heads.relation.*`` tensors, that prefix removed; modified
            in place.

    Returns:
        tuple[dict[str, Tensor], list[str]]: Our tensors (keys relative to
        the relation head) and notes (none: every tensor maps).
    """
    converted = {}
    prefixes = ('box_feature_extractor.', 'union_feature_extractor.')
    for key in [k for k in relation_state if k.startswith(prefixes)]:
        for pattern, template in RULES:
            match = re.fullmatch(pattern, key)
            if match:
                groups = match.groups()
                fc = int(groups[0]) - 6 if '{fc}' in template else None
                converted[template.format(*groups, fc=fc)] = \
                    relation_state.pop(key).clone()
                break
        else:
            raise ValueError(
                f'roi_heads.relation.{key} is not a tensor of the '
                "benchmark's relation feature extractors (FPN2MLPFeature"
                'Extractor and RelationFeatureExtractor with '
                'POOLING_ALL_LEVELS, as configs/e2e_relation_X_101_32_8_FPN_'
                '1x.yaml sets them).')
    return converted, []
