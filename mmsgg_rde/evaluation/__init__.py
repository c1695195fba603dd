"""Scene graph evaluation: the registered metrics, their pure functions and
the results files of ``tools/test.py --out``."""
from . import functional, metrics, results_file
from .functional import *  # noqa: F401,F403
from .metrics import *  # noqa: F401,F403
from .results_file import *  # noqa: F401,F403

__all__ = functional.__all__ + metrics.__all__ + results_file.__all__
