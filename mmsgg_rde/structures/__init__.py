from .scene_graph_data_sample import SceneGraphDataSample

__all__ = ['SceneGraphDataSample']
