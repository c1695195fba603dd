from .formatting import PackSceneGraphInputs
from .geometric import DetectronRandomFlip, ShortSideResize
from .loading import LoadSceneGraphAnnotations

__all__ = [
    'LoadSceneGraphAnnotations', 'PackSceneGraphInputs', 'DetectronRandomFlip',
    'ShortSideResize'
]
