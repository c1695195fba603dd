"""Pure numpy functions behind :class:`SceneGraphMetric`."""
from .box_iou import pixel_box_iou
from .confusion import NO_PAIR, predicate_confusion
from .matching import NO_MATCH, first_match_ranks
from .ranking import (best_predicates, foreground_max,
                      no_graph_constraint_topk, stable_topk, top_relations,
                      triplet_scores)
from .recall import (GROUP_NAMES, f_score, frequency_groups, image_mean_recall,
                     pair_accuracy, per_class_recall)
from .records import (RECORD_DTYPE, GTGraph, PredGraph, build_image_records,
                      encode_triplets, isin_sorted, record_rows)

__all__ = [
    'pixel_box_iou', 'NO_MATCH', 'first_match_ranks', 'stable_topk',
    'foreground_max', 'best_predicates', 'triplet_scores',
    'no_graph_constraint_topk', 'top_relations', 'image_mean_recall',
    'per_class_recall', 'pair_accuracy', 'f_score', 'RECORD_DTYPE', 'GTGraph',
    'PredGraph', 'encode_triplets', 'isin_sorted', 'build_image_records',
    'record_rows', 'GROUP_NAMES', 'frequency_groups', 'NO_PAIR',
    'predicate_confusion'
]
