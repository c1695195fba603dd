"""Scene graph detectors."""
from .scene_graph_rcnn import SceneGraphRCNN

__all__ = ['SceneGraphRCNN']
