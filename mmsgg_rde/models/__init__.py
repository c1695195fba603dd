"""Scene graph models: detectors, relation heads, layers, RDE, losses,
debiasing components."""
from . import rde  # noqa: F401
from . import debias, detectors, detectron, layers, losses, relation_heads
from .debias import *  # noqa: F401,F403
from .detectors import *  # noqa: F401,F403
from .detectron import *  # noqa: F401,F403
from .layers import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .rde import *  # noqa: F401,F403
from .relation_heads import *  # noqa: F401,F403

__all__ = (
    debias.__all__ + detectors.__all__ + detectron.__all__ + layers.__all__ +
    losses.__all__ + rde.__all__ + relation_heads.__all__)
