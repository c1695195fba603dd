"""Small shared helpers: user-facing errors, CPU distributed runs."""
from .dist_utils import setup_cpu_distributed
from .errors import DEBUG_ENV, UserError, one_line_message, run_cli

__all__ = [
    'DEBUG_ENV', 'UserError', 'one_line_message', 'run_cli',
    'setup_cpu_distributed'
]
