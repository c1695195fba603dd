from .predicate_balanced_dataset import (PredicateBalancedDataset,
                                         count_predicates, image_predicates,
                                         unwrap_dataset)
from .statistics import compute_frequency_statistics, count_overlapping_pairs
from .synthvg import ensure_synthvg, generate_synthvg
from .transforms import LoadSceneGraphAnnotations, PackSceneGraphInputs
from .vg150 import (EmptySplitError, SceneGraphArrays, VG150Dataset,
                    VG150FormatError, cxcywh_to_xyxy, load_image_data,
                    load_vg150_split, xyxy_1024_to_pixels)
from .vg150_io import (BOX_SCALE, CORRUPTED_IMAGE_IDS, DEFAULT_DICT_FILE,
                       DEFAULT_ZEROSHOT_FILE, load_vocabulary,
                       write_image_data, write_vg150_h5, xyxy_to_cxcywh_1024)

__all__ = [
    'VG150Dataset', 'VG150FormatError', 'EmptySplitError', 'SceneGraphArrays',
    'load_vg150_split', 'load_image_data', 'cxcywh_to_xyxy',
    'xyxy_1024_to_pixels', 'compute_frequency_statistics',
    'count_overlapping_pairs', 'LoadSceneGraphAnnotations',
    'PackSceneGraphInputs', 'BOX_SCALE', 'CORRUPTED_IMAGE_IDS',
    'DEFAULT_DICT_FILE', 'DEFAULT_ZEROSHOT_FILE', 'load_vocabulary',
    'write_image_data', 'write_vg150_h5', 'xyxy_to_cxcywh_1024',
    'generate_synthvg', 'ensure_synthvg', 'PredicateBalancedDataset',
    'count_predicates', 'image_predicates', 'unwrap_dataset'
]
