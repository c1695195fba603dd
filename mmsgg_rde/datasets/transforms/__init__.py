from .formatting import PackSceneGraphInputs
from .loading import ImageSizeMismatchError, LoadSceneGraphAnnotations

__all__ = [
    'ImageSizeMismatchError', 'LoadSceneGraphAnnotations',
    'PackSceneGraphInputs'
]
