"""A total batch size over all processes, as the benchmark's is given."""
import os
from typing import Optional

from mmengine.config import Config

__all__ = ['launcher_world_size', 'apply_total_batch_size']

#: Environment variable with the number of processes of each launcher.
_WORLD_SIZE_ENV = dict(
    pytorch='WORLD_SIZE', slurm='SLURM_NTASKS', mpi='OMPI_COMM_WORLD_SIZE')


def launcher_world_size(launcher: str) -> int:
    """Number of training processes the launcher starts (1 for 'none')."""
    if launcher == 'none':
        return 1
    name = _WORLD_SIZE_ENV.get(launcher)
    if name is None or name not in os.environ:
        raise RuntimeError(
            f'--launcher {launcher}: the number of processes is unknown '
            f'(${name} is not set); start the job with its launcher '
            '(tools/dist_train.sh, tools/slurm_train.sh).')
    return int(os.environ[name])


def apply_total_batch_size(cfg: Config, world_size: int) -> Optional[int]:
    """Set the per-process batch size from ``cfg.total_batch_size``.

    The scene graph benchmark gives its batch size over all GPUs
    (``SOLVER.IMS_PER_BATCH``, 12) and scales its LR with it. With
    ``total_batch_size`` in the config, ``train_dataloader.batch_size``
    becomes ``total_batch_size / world_size``; with None the config's
    per-process batch size stays (mmdet's convention).

    Args:
        cfg (Config): Modified in place.
        world_size (int): Number of training processes.

    Returns:
        int, optional: The per-process batch size set, or None.
    """
    total = cfg.get('total_batch_size')
    if total is None:
        return None
    if total <= 0 or total % world_size:
        below = world_size * (total // world_size)
        near = [n for n in (below, below + world_size) if n > 0]
        raise ValueError(
            f'total_batch_size={total} does not divide into {world_size} '
            'processes. Pass --total-batch-size with a multiple of the '
            f"number of GPUs (e.g. {' or '.join(map(str, near))}); the LR "
            'scales with it (auto_scale_lr), as in the benchmark.')
    cfg.train_dataloader.batch_size = total // world_size
    return cfg.train_dataloader.batch_size
