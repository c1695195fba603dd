from .modes import MODES, check_mode
from .scene_graph_data_sample import SceneGraphDataSample

__all__ = ['MODES', 'check_mode', 'SceneGraphDataSample']
