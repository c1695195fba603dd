"""Building blocks shared by scene graph models."""
from .box_encoding import BoxPositionEmbedding, encode_box_info
from .class_embedding import ClassEmbedding, load_glove_vectors
from .class_embedding_with_extras import ClassEmbeddingWithExtras
from .context_lstm import (BiLSTMContext, GreedyLabelDecoder,
                           left_to_right_order)
from .frequency_bias import FrequencyBias
from .greedy_label_nms import greedy_label_nms
from .imp_context import IMPContext
from .pair_fusion import PairContextFusion
from .relation_context import (ModeLayersMixin, RelationContextOutput,
                               batch_pairs)
from .relation_sampler import RelationSampler, all_pairs, match_detections
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
    'BoxPositionEmbedding', 'encode_box_info', 'ClassEmbedding',
    'load_glove_vectors', 'BiLSTMContext', 'GreedyLabelDecoder',
    'left_to_right_order', 'FrequencyBias', 'RelationSampler', 'all_pairs',
    'match_detections', 'RoIFeatureExtractor', 'UnionFeatureExtractor',
    'single_label_nms', 'SpatialMaskEncoder', 'pair_box_masks',
    'ClassEmbeddingWithExtras', 'greedy_label_nms', 'IMPContext',
    'PairContextFusion', 'ModeLayersMixin', 'RelationContextOutput',
    'batch_pairs', 'TransformerContext', 'ObjectTransformer', 'BinaryForest',
    'BiTreeLSTM', 'TreeLSTMDown', 'TreeLSTMLabelDecoder', 'TreeLSTMUp',
    'binary_forest', 'VCTreeContext', 'relatedness_targets', 'tree_score_loss',
    'VCTreePairScorer', 'max_spanning_trees', 'overlap_info'
]
