"""Registered evaluation metrics."""
from .dump_scene_graph_results import (RESULTS_FORMAT, RESULTS_VERSION,
                                       DumpSceneGraphResults)
from .scene_graph_metric import SceneGraphMetric

__all__ = [
    'SceneGraphMetric', 'DumpSceneGraphResults', 'RESULTS_FORMAT',
    'RESULTS_VERSION'
]
