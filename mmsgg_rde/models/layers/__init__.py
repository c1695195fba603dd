"""Building blocks shared by scene graph models."""
from .box_encoding import BoxPositionEmbedding, encode_box_info
from .box_overlaps import per_class_overlaps
from .class_embedding import (DECODER_TOKENS, GLOVE_HELP, WITH_BACKGROUND,
                              ClassEmbedding, load_glove_vectors)
from .context_lstm import BiLSTMContext, HighwayLSTMDecoder, center_x_order
from .frequency_bias import FrequencyBias
from .greedy_label_nms import greedy_label_nms
from .imp_context import IMPContext
from .object_label_nms import object_label_nms
from .pair_fusion import PairContextFusion
from .relation_context import (ModeLayersMixin, RelationContextOutput,
                               batch_pairs)
from .relation_sampler import RelationSampler, all_pairs, unique_relations
from .roi_extractors import AllLevelsRoIExtractor
from .roi_feature_extractor import RoIFeatureExtractor, UnionFeatureExtractor
from .single_label_nms import single_label_nms
from .spatial_mask import SpatialMaskEncoder, pair_box_masks
from .transformer_context import TransformerContext
from .transformer_encoder import ObjectTransformer
from .tree_lstm import (BinaryForest, BiTreeLSTM, TreeLSTMDown,
                        TreeLSTMLabelDecoder, TreeLSTMUp, binary_forest)
from .vctree_context import VCTreeContext, relatedness_targets, tree_score_loss
from .vctree_tree import VCTreePairScorer, max_spanning_trees, overlap_info

__all__ = [
    'BoxPositionEmbedding', 'encode_box_info', 'per_class_overlaps',
    'GLOVE_HELP', 'WITH_BACKGROUND', 'DECODER_TOKENS', 'ClassEmbedding',
    'load_glove_vectors', 'BiLSTMContext', 'HighwayLSTMDecoder',
    'center_x_order', 'FrequencyBias', 'greedy_label_nms', 'IMPContext',
    'object_label_nms', 'PairContextFusion', 'ModeLayersMixin',
    'RelationContextOutput', 'batch_pairs', 'RelationSampler', 'all_pairs',
    'unique_relations', 'AllLevelsRoIExtractor', 'RoIFeatureExtractor',
    'UnionFeatureExtractor', 'single_label_nms', 'SpatialMaskEncoder',
    'pair_box_masks', 'TransformerContext', 'ObjectTransformer',
    'BinaryForest', 'BiTreeLSTM', 'TreeLSTMDown', 'TreeLSTMLabelDecoder',
    'TreeLSTMUp', 'binary_forest', 'VCTreeContext', 'relatedness_targets',
    'tree_score_loss', 'VCTreePairScorer', 'max_spanning_trees', 'overlap_info'
]
