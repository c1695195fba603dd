"""High-level entry points: the frequency prior, inference, pictures,
SynthVG experiments."""
from .dataset_pictures import draw_test_scene_graphs
from .experiment import (LOADERS, beats_prior, final_checkpoint, metric_table,
                         prepare_synthvg, synthvg_config, train_and_test,
                         train_or_reuse)
from .frequency_prior import (evaluate_frequency_prior,
                              frequency_prior_relations,
                              frequency_prior_sample)
from .inference_inputs import (IMG_EXTENSIONS, InferenceInput,
                               InferenceInputError, load_boxes_file)
from .scene_graph_inferencer import SceneGraphInferencer

__all__ = [
    'evaluate_frequency_prior', 'frequency_prior_sample',
    'frequency_prior_relations', 'SceneGraphInferencer', 'InferenceInput',
    'InferenceInputError', 'IMG_EXTENSIONS', 'load_boxes_file',
    'draw_test_scene_graphs', 'LOADERS', 'synthvg_config', 'prepare_synthvg',
    'train_and_test', 'final_checkpoint', 'train_or_reuse', 'metric_table',
    'beats_prior'
]
