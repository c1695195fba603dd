"""Small shared helpers: user-facing errors, CPU distributed runs, batch."""
from .batch_size import apply_total_batch_size, launcher_world_size
from .dist_utils import setup_cpu_distributed
from .errors import DEBUG_ENV, UserError, one_line_message, run_cli

__all__ = [
    'apply_total_batch_size', 'launcher_world_size', 'DEBUG_ENV',
    'UserError', 'one_line_message', 'run_cli', 'setup_cpu_distributed'
]
