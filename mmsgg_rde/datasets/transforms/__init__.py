from .formatting import PackSceneGraphInputs
from .loading import LoadSceneGraphAnnotations

__all__ = ['LoadSceneGraphAnnotations', 'PackSceneGraphInputs']
