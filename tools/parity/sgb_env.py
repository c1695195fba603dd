"""Import the scene graph benchmark's Python modules beside mmsgg_rde.

The public benchmark (KaihuaTang/Scene-Graph-Benchmark.pytorch) is the
specification of our models. Its Python code runs on a current torch once
the parts that no longer build or import are replaced:

- ``maskrcnn_benchmark._C``: ``nms`` and ``roi_align_forward/backward`` from
  ``mmcv.ops`` (``offset=1`` NMS and ``aligned=False`` RoIAlign are its
  conventions); every other compiled op raises when called.
- ``apex``: ``amp.float_function``/``half_function`` as identities.
- ``torchvision``: only the names its data package imports (placeholders
  that fail if used); skipped when a real torchvision imports.
- ``torch._six`` and numpy's removed aliases (``np.float`` ...).
- ``yacs`` must be installed (``pip install yacs``): its config is a yacs
  ``CfgNode``.

Nothing here is needed by mmsgg_rde itself or its tests: the parity tests
read recorded fixtures (``tests/data/parity``) that
``tools/parity/make_fixtures.py`` produces with this module.

Usage::

    from sgb_env import activate, benchmark_config
    sgb = activate('/path/to/Scene-Graph-Benchmark.pytorch')
    cfg = benchmark_config('configs/e2e_relation_X_101_32_8_FPN_1x.yaml')
"""
import importlib
import os
import os.path as osp
import subprocess
import sys
import types
from typing import Any, Optional

import numpy as np
import torch

__all__ = ['activate', 'benchmark_config', 'snapshot_id', 'SGB_ENV_VAR']

#: Environment variable naming a checkout of the benchmark.
SGB_ENV_VAR = 'SGB_ROOT'

_ACTIVE_ROOT: Optional[str] = None


def _module(name: str, **attrs: Any) -> types.ModuleType:
    """Create (or extend) ``sys.modules[name]`` with ``attrs``."""
    module = sys.modules.get(name) or types.ModuleType(name)
    for key, value in attrs.items():
        setattr(module, key, value)
    sys.modules[name] = module
    parent, _, child = name.rpartition('.')
    if parent:
        setattr(sys.modules[parent], child, module)
    return module


def _unavailable(name: str):
    """A stand-in for a compiled op that the parity runs never reach."""

    def op(*args, **kwargs):
        raise NotImplementedError(
            f'maskrcnn_benchmark._C.{name} is not provided by the parity '
            'stubs (tools/parity/sgb_env.py); only nms and roi_align are.')

    return op


def _nms(boxes: torch.Tensor, scores: torch.Tensor,
         threshold: float) -> torch.Tensor:
    """``_C.nms``: indices kept, by descending score, "+1" box areas."""
    from mmcv.ops import nms
    if boxes.numel() == 0:
        return boxes.new_zeros(0, dtype=torch.long)
    _, keep = nms(boxes.float(), scores.float(), float(threshold), offset=1)
    return keep.long()


def _roi_align_forward(feats: torch.Tensor, rois: torch.Tensor,
                       spatial_scale: float, out_h: int, out_w: int,
                       sampling_ratio: int) -> torch.Tensor:
    """``_C.roi_align_forward`` (the legacy, not pixel-aligned, RoIAlign)."""
    from mmcv.ops import roi_align
    return roi_align(feats, rois, (out_h, out_w), spatial_scale,
                     sampling_ratio, 'avg', False)


def _roi_align_backward(grad: torch.Tensor, rois: torch.Tensor,
                        spatial_scale: float, out_h: int, out_w: int,
                        batch: int, channels: int, height: int, width: int,
                        sampling_ratio: int) -> torch.Tensor:
    """``_C.roi_align_backward`` through mmcv's differentiable RoIAlign."""
    from mmcv.ops import roi_align
    feats = grad.new_zeros(batch, channels, height, width, requires_grad=True)
    with torch.enable_grad():
        out = roi_align(feats, rois, (out_h, out_w), spatial_scale,
                        sampling_ratio, 'avg', False)
        (feat_grad, ) = torch.autograd.grad(out, feats, grad)
    return feat_grad


class _Placeholder:
    """A torchvision class the benchmark imports but the parity never uses."""

    def __init__(self, *args, **kwargs):
        raise NotImplementedError(
            'torchvision is not installed; the parity stubs provide only '
            'the names the benchmark imports.')


class _LazyNames(types.ModuleType):
    """A module whose unknown attributes are placeholders."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith('__'):
            raise AttributeError(name)
        return _Placeholder


def _stub_torchvision() -> None:
    """Provide torchvision's imported names when it is not installed."""
    try:
        importlib.import_module('torchvision')
        return
    except Exception:  # noqa: B902 (absent, or its kernels fail to load)
        for key in [k for k in sys.modules if k.startswith('torchvision')]:
            del sys.modules[key]
    for name in ('torchvision', 'torchvision.transforms',
                 'torchvision.transforms.functional', 'torchvision.datasets',
                 'torchvision.datasets.coco', 'torchvision.models'):
        sys.modules[name] = _LazyNames(name)
        parent, _, child = name.rpartition('.')
        if parent:
            setattr(sys.modules[parent], child, sys.modules[name])


def _stub_compat() -> None:
    """torch._six, numpy aliases and apex."""
    _module(
        'torch._six',
        PY3=True,
        PY37=True,
        string_classes=(str, bytes),
        int_classes=int,
        inf=float('inf'))
    for alias, value in (('float', float), ('int', int), ('bool', bool),
                         ('object', object), ('long', int)):
        if alias not in np.__dict__:
            setattr(np, alias, value)

    def identity(fn):
        return fn

    _module('apex')
    _module(
        'apex.amp',
        float_function=identity,
        half_function=identity,
        promote_function=identity,
        initialize=lambda model, optimizer=None, **kwargs:
        (model, optimizer))


def _stub_compiled_ops() -> None:
    """``maskrcnn_benchmark._C`` from mmcv.ops."""
    ops = dict(
        nms=_nms,
        roi_align_forward=_roi_align_forward,
        roi_align_backward=_roi_align_backward)
    for name in ('roi_pool_forward', 'roi_pool_backward',
                 'sigmoid_focalloss_forward', 'sigmoid_focalloss_backward',
                 'deform_conv_forward', 'deform_conv_backward_input',
                 'deform_conv_backward_parameters',
                 'modulated_deform_conv_forward',
                 'modulated_deform_conv_backward',
                 'deform_psroi_pooling_forward',
                 'deform_psroi_pooling_backward'):
        ops[name] = _unavailable(name)
    module = types.ModuleType('maskrcnn_benchmark._C')
    for key, value in ops.items():
        setattr(module, key, value)
    sys.modules['maskrcnn_benchmark._C'] = module


def activate(sgb_root: Optional[str] = None) -> str:
    """Make the benchmark's ``maskrcnn_benchmark`` package importable.

    Args:
        sgb_root (str, optional): A checkout of the benchmark (the folder
            holding ``maskrcnn_benchmark/``). Defaults to ``$SGB_ROOT``.

    Returns:
        str: The absolute checkout path.
    """
    global _ACTIVE_ROOT
    sgb_root = sgb_root or os.environ.get(SGB_ENV_VAR)
    if not sgb_root:
        raise ValueError(
            'No benchmark checkout given: pass --sgb-root or set '
            f'${SGB_ENV_VAR} to a clone of '
            'KaihuaTang/Scene-Graph-Benchmark.pytorch.')
    sgb_root = osp.abspath(sgb_root)
    if not osp.isfile(osp.join(sgb_root, 'maskrcnn_benchmark',
                               '__init__.py')):
        raise FileNotFoundError(
            f'{sgb_root} is not a checkout of the scene graph benchmark '
            '(no maskrcnn_benchmark/__init__.py there).')
    if _ACTIVE_ROOT is not None:
        if _ACTIVE_ROOT != sgb_root:
            raise RuntimeError(f'Benchmark already activated from '
                               f'{_ACTIVE_ROOT}, not {sgb_root}.')
        return sgb_root
    try:
        importlib.import_module('yacs.config')
    except ImportError as err:
        raise ImportError('The benchmark config needs yacs: '
                          'pip install yacs') from err
    _stub_compat()
    _stub_torchvision()
    _stub_compiled_ops()
    sys.path.insert(0, sgb_root)
    importlib.import_module('maskrcnn_benchmark')
    _ACTIVE_ROOT = sgb_root
    return sgb_root


def benchmark_config(config_file: Optional[str] = None, **options: Any):
    """The benchmark's config: defaults, a yaml of its ``configs/``, options.

    Args:
        config_file (str, optional): Path relative to the checkout (e.g.
            ``configs/e2e_relation_X_101_32_8_FPN_1x.yaml``) or absolute.
        **options: ``KEY__SUBKEY=value`` overrides (``__`` for ``.``).

    Returns:
        yacs.config.CfgNode: A mutable copy of the config.
    """
    if _ACTIVE_ROOT is None:
        raise RuntimeError('Call activate() first.')
    from maskrcnn_benchmark.config import cfg as default_cfg
    cfg = default_cfg.clone()
    if config_file is not None:
        if not osp.isabs(config_file):
            config_file = osp.join(_ACTIVE_ROOT, config_file)
        cfg.merge_from_file(config_file)
    opts = []
    for key, value in options.items():
        opts += [key.replace('__', '.'), value]
    cfg.merge_from_list(opts)
    return cfg


def snapshot_id(sgb_root: str) -> str:
    """The benchmark checkout's git commit (or 'unknown')."""
    try:
        return subprocess.check_output(['git', 'rev-parse', 'HEAD'],
                                       cwd=sgb_root,
                                       text=True,
                                       stderr=subprocess.DEVNULL).strip()
    except (OSError, subprocess.CalledProcessError):
        return 'unknown'
