"""Building blocks shared by scene graph models."""
from .box_encoding import BoxPositionEmbedding, encode_box_info
from .box_overlaps import legacy_bbox_overlaps, per_class_overlaps
from .class_embedding import GLOVE_HELP, ClassEmbedding, load_glove_vectors
from .context_lstm import BiLSTMContext, HighwayLSTMDecoder, center_x_order
from .frequency_bias import FrequencyBias
from .object_label_nms import object_label_nms
from .relation_sampler import RelationSampler, all_pairs, unique_relations
from .roi_extractors import AllLevelsRoIExtractor, LegacySingleRoIExtractor
from .roi_feature_extractor import RoIFeatureExtractor, UnionFeatureExtractor
from .single_label_nms import single_label_nms
from .spatial_mask import SpatialMaskEncoder, pair_box_masks

__all__ = [
    'BoxPositionEmbedding', 'encode_box_info', 'legacy_bbox_overlaps',
    'per_class_overlaps', 'GLOVE_HELP', 'ClassEmbedding', 'load_glove_vectors',
    'BiLSTMContext', 'HighwayLSTMDecoder', 'center_x_order', 'FrequencyBias',
    'object_label_nms', 'RelationSampler', 'all_pairs', 'unique_relations',
    'AllLevelsRoIExtractor', 'LegacySingleRoIExtractor', 'RoIFeatureExtractor',
    'UnionFeatureExtractor', 'single_label_nms', 'SpatialMaskEncoder',
    'pair_box_masks'
]
