"""Building blocks shared by scene graph models."""
from .box_encoding import BoxPositionEmbedding, encode_box_info
from .class_embedding import ClassEmbedding, load_glove_vectors
from .context_lstm import (BiLSTMContext, GreedyLabelDecoder,
                           left_to_right_order)
from .frequency_bias import FrequencyBias
from .relation_sampler import RelationSampler, all_pairs, match_detections
from .roi_feature_extractor import RoIFeatureExtractor, UnionFeatureExtractor
from .single_label_nms import single_label_nms
from .spatial_mask import SpatialMaskEncoder, pair_box_masks

__all__ = [
    'BoxPositionEmbedding', 'encode_box_info', 'ClassEmbedding',
    'load_glove_vectors', 'BiLSTMContext', 'GreedyLabelDecoder',
    'left_to_right_order', 'FrequencyBias', 'RelationSampler', 'all_pairs',
    'match_detections', 'RoIFeatureExtractor', 'UnionFeatureExtractor',
    'single_label_nms', 'SpatialMaskEncoder', 'pair_box_masks'
]
