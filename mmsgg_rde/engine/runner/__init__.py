"""Runners of mmsgg_rde."""
from .scene_graph_runner import (CONFIG_RECORD_PREFIX, HOOKS_RECORD_PREFIX,
                                 SceneGraphRunner)

__all__ = ['CONFIG_RECORD_PREFIX', 'HOOKS_RECORD_PREFIX', 'SceneGraphRunner']
