from .formatting import PackSceneGraphInputs
from .geometric import DetectronRandomFlip, ShortSideResize
from .loading import ImageSizeMismatchError, LoadSceneGraphAnnotations

__all__ = [
    'ImageSizeMismatchError', 'LoadSceneGraphAnnotations',
    'PackSceneGraphInputs', 'DetectronRandomFlip', 'ShortSideResize'
]
