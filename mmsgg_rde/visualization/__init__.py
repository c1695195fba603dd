"""Pictures of scene graphs and plots of their evaluation."""
from .analysis_plots import plot_confusion_matrix, plot_predicate_recalls
from .local_visualizer import (NO_OBJECT_MESSAGE, DrawnGraph,
                               SceneGraphLocalVisualizer, circle_order,
                               object_colors)

__all__ = [
    'SceneGraphLocalVisualizer', 'DrawnGraph', 'object_colors', 'circle_order',
    'plot_predicate_recalls', 'plot_confusion_matrix', 'NO_OBJECT_MESSAGE'
]
