"""CPU-only distributed runs with mmengine's launchers.

mmengine's ``init_dist`` calls ``torch.cuda.set_device`` for the
``pytorch``, ``slurm`` and ``mpi`` launchers and wraps the model in
``MMDistributedDataParallel(device_ids=[LOCAL_RANK])``; both fail on a
machine without CUDA. :func:`setup_cpu_distributed` initialises the process
group itself (gloo, no device selection) and configures the wrapper without
``device_ids``, before the runner is built. With CUDA it does nothing, so
mmengine behaves exactly as usual (nccl).
"""
from contextlib import contextmanager
from typing import Iterator

import torch
from mmengine.config import Config
from mmengine.dist import init_dist, is_distributed
from mmengine.registry import MODEL_WRAPPERS
from torch.nn.parallel import DistributedDataParallel

__all__ = ['setup_cpu_distributed']


def _skip_set_device(device: object) -> None:
    """Stand-in for ``torch.cuda.set_device`` on machines without CUDA."""


@contextmanager
def _without_cuda_set_device() -> Iterator[None]:
    """Make ``torch.cuda.set_device`` a no-op inside the block."""
    original = torch.cuda.set_device
    torch.cuda.set_device = _skip_set_device
    try:
        yield
    finally:
        torch.cuda.set_device = original


def _cpu_model_wrapper_cfg(cfg: Config) -> dict:
    """Return a DDP wrapper config that keeps the model on the CPU."""
    wrapper_cfg = cfg.get('model_wrapper_cfg')
    if wrapper_cfg is None:
        return dict(
            type='MMDistributedDataParallel',
            device_ids=None,
            broadcast_buffers=False,
            find_unused_parameters=cfg.get('find_unused_parameters', False))
    wrapper_cfg = dict(wrapper_cfg)
    wrapper_cfg.setdefault('type', 'MMDistributedDataParallel')
    wrapper_type = wrapper_cfg['type']
    if isinstance(wrapper_type, str):
        wrapper_type = MODEL_WRAPPERS.get(wrapper_type)
    is_ddp = isinstance(wrapper_type, type) and issubclass(
        wrapper_type, DistributedDataParallel)
    if is_ddp:
        wrapper_cfg.setdefault('device_ids', None)
    return wrapper_cfg


def setup_cpu_distributed(cfg: Config, backend: str = 'gloo') -> bool:
    """Initialise a distributed run on a machine without CUDA.

    Does nothing when CUDA is available, when ``cfg.launcher`` is ``'none'``
    or when a process group already exists. Otherwise sets
    ``cfg.env_cfg.dist_cfg.backend``, initialises the process group with
    the config's launcher and ``dist_cfg`` (the runner then reuses it) and
    sets ``cfg.model_wrapper_cfg`` so that DDP gets no ``device_ids``.

    Args:
        cfg: The config the runner will be built from; modified in place.
        backend: Process-group backend for CPU tensors.

    Returns:
        Whether the CPU process group was initialised.
    """
    launcher = cfg.get('launcher', 'none')
    if launcher == 'none' or torch.cuda.is_available() or is_distributed():
        return False
    env_cfg = dict(cfg.get('env_cfg') or {})
    dist_cfg = dict(env_cfg.get('dist_cfg') or {})
    dist_cfg['backend'] = backend
    env_cfg['dist_cfg'] = dist_cfg
    cfg.env_cfg = env_cfg
    cfg.model_wrapper_cfg = _cpu_model_wrapper_cfg(cfg)
    with _without_cuda_set_device():
        init_dist(launcher, **dist_cfg)
    return True
