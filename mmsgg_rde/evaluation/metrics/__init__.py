"""Registered evaluation metrics."""
from .scene_graph_metric import SceneGraphMetric

__all__ = ['SceneGraphMetric']
