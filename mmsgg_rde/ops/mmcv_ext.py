"""mmcv's compiled kernels that our models reach, for mmcv without them.

:class:`~mmsgg_rde.ops.mmcv_ext_finder.MmcvExtFallbackFinder` loads this
file as ``mmcv._ext`` when mmcv has no compiled extension (mmcv-lite), so
that mmcv's own Python wrappers (``RoIAlign``, ``roi_align``, ``nms``,
``batched_nms``, ...) run on these kernels. It provides, with the
signatures of mmcv's extension:

- ``roi_align_forward`` / ``roi_align_backward``: average pooling,
  ``aligned`` True or False, any sampling ratio including the adaptive 0;
- ``nms``: offset 0 or 1;
- ``get_compiler_version`` / ``get_compiling_cuda_version`` (environment
  reports).

These cover Faster R-CNN FPN training and testing in mmdet (RPN and
``multiclass_nms`` through ``batched_nms``, ``SingleRoIExtractor`` through
``RoIAlign``) and our relation heads. The kernels are torchvision's where
torchvision imports (CPU and CUDA), plain torch otherwise, and compute what
mmcv's kernels compute (same sampling points, bilinear weights, boundary
rules, IoU formula and score order). Any other kernel of mmcv's extension
raises :class:`NotImplementedError` naming it when called, never a wrong
result.

Only torch, numpy and (optionally) torchvision are imported here: this file
is loaded while ``mmcv.ops`` is half imported.
"""
from typing import Callable, Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = [
    'BACKEND', 'PROVIDED', 'roi_align', 'nms_indices', 'roi_align_forward',
    'roi_align_backward', 'nms', 'get_compiler_version',
    'get_compiling_cuda_version'
]


def _import_torchvision_ops() -> Optional[object]:
    """``torchvision.ops`` if its compiled kernels load, else ``None``."""
    try:
        from torchvision import ops
        for name in ('roi_align', 'nms'):
            getattr(torch.ops.torchvision, name)  # raises if not built
    except (ImportError, AttributeError, RuntimeError, OSError):
        return None
    return ops


_TV_OPS = _import_torchvision_ops()
#: Where the kernels come from: ``'torchvision'`` or ``'torch'``.
BACKEND = 'torch' if _TV_OPS is None else 'torchvision'
#: The kernels of mmcv's extension that this module provides.
PROVIDED = ('roi_align_forward', 'roi_align_backward', 'nms',
            'get_compiler_version', 'get_compiling_cuda_version')
#: Upper bound on the (index, weight) pairs of one plain-torch RoIAlign
#: chunk, which bounds its memory (about 12 bytes per pair).
_MAX_PAIRS = 1 << 22
#: Rows of the IoU matrix computed at once by the plain-torch NMS.
_NMS_ROWS = 512


def _pick(backend: Optional[str]) -> str:
    """Resolve ``backend`` (None: :data:`BACKEND`) and check it."""
    backend = backend or BACKEND
    if backend not in ('torch', 'torchvision'):
        raise ValueError(f"backend must be 'torch' or 'torchvision', "
                         f'got {backend!r}')
    if backend == 'torchvision' and _TV_OPS is None:
        raise RuntimeError('torchvision (with its compiled ops) is not '
                           "installed; use backend='torch'")
    return backend


# ---------------------------------------------------------------- RoIAlign
def _axis_plan(coords: Tensor,
               size: int) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
    """Bilinear neighbours of sample coordinates along one axis.

    mmcv's rules: a sample outside [-1, size] contributes nothing, one in
    [-1, 0] is read at 0, one past ``size - 1`` at ``size - 1``.

    Returns:
        tuple[Tensor, ...]: Low and high neighbour indices and their weights.
    """
    valid = (coords >= -1.0) & (coords <= size)
    coords = coords.clamp(min=0)
    low = coords.floor()
    edge = low >= size - 1
    low = torch.where(edge, torch.full_like(low, size - 1), low)
    coords = torch.where(edge, low, coords)
    high = torch.where(edge, low, low + 1)
    frac = coords - low
    w_high = frac * valid
    w_low = (1.0 - frac) * valid
    return low.long(), high.long(), w_low, w_high


def _sample_coords(start: Tensor, bin_size: Tensor, pooled: int,
                   grid: int) -> Tensor:
    """(m, pooled, grid) sample coordinates, in mmcv's float32 op order."""
    bins = torch.arange(pooled, device=start.device, dtype=start.dtype)
    steps = torch.arange(grid, device=start.device, dtype=start.dtype) + 0.5
    base = start[:, None] + bins * bin_size[:, None]
    return base[:, :, None] + steps * bin_size[:, None, None] / grid


def _roi_align_group(feat: Tensor, base: Tensor, start: Tuple[Tensor, Tensor],
                     bin_size: Tuple[Tensor, Tensor], shape: Tuple[int, int],
                     pooled: Tuple[int, int], grid: Tuple[int, int]) -> Tensor:
    """RoIAlign of RoIs sharing one sampling grid, as ``embedding_bag``.

    Each output bin is the weighted sum of the ``4 * gh * gw`` feature rows
    its samples interpolate from, divided by ``gh * gw``.

    Args:
        feat: (B * H * W, C) features, channels last.
        base: (m, ) offset of each RoI's image in ``feat``.
        start, bin_size: (y, x) RoI start and bin size, each (m, ).
        shape: (H, W) of the feature map.
        pooled: (ph, pw) output size.
        grid: (gh, gw) samples per bin.

    Returns:
        Tensor: (m, ph, pw, C) pooled features.
    """
    (height, width), (ph, pw), (gh, gw) = shape, pooled, grid
    m = base.numel()
    y_lo, y_hi, wy_lo, wy_hi = _axis_plan(
        _sample_coords(start[0], bin_size[0], ph, gh), height)
    x_lo, x_hi, wx_lo, wx_hi = _axis_plan(
        _sample_coords(start[1], bin_size[1], pw, gw), width)
    # (m, ph, pw, gh, gw, 2, 2): corners in mmcv's order w1..w4.
    rows = torch.stack((y_lo, y_hi), -1)[:, :, None, :, None, :, None]
    cols = torch.stack((x_lo, x_hi), -1)[:, None, :, None, :, None, :]
    w_rows = torch.stack((wy_lo, wy_hi), -1)[:, :, None, :, None, :, None]
    w_cols = torch.stack((wx_lo, wx_hi), -1)[:, None, :, None, :, None, :]
    index = base[:, None, None, None, None, None, None] + rows * width + cols
    weight = w_rows * w_cols
    pooled_sum = F.embedding_bag(
        index.reshape(m * ph * pw, -1),
        feat,
        per_sample_weights=weight.reshape(m * ph * pw, -1).to(feat.dtype),
        mode='sum')
    return (pooled_sum / (gh * gw)).view(m, ph, pw, -1)


def _roi_align_torch(input: Tensor, rois: Tensor, output_size: Tuple[int, int],
                     spatial_scale: float, sampling_ratio: int,
                     aligned: bool) -> Tensor:
    """mmcv's RoIAlign (average pooling) in plain torch, differentiable."""
    ph, pw = output_size
    num_images, channels, height, width = input.shape
    out = input.new_zeros(rois.size(0), ph, pw, channels)
    if rois.numel() == 0:
        return out.permute(0, 3, 1, 2)
    offset = 0.5 if aligned else 0.0
    # Coordinates in float32 at least, also for half features.
    rois = rois.to(torch.promote_types(rois.dtype, torch.float32))
    start_x = rois[:, 1] * spatial_scale - offset
    start_y = rois[:, 2] * spatial_scale - offset
    roi_w = rois[:, 3] * spatial_scale - offset - start_x
    roi_h = rois[:, 4] * spatial_scale - offset - start_y
    if aligned:
        # mmcv's CPU kernel refuses these too (its CUDA kernel never checks).
        negative = (roi_w < 0) | (roi_h < 0)
        if input.device.type == 'cpu' and bool(negative.any()):
            raise ValueError('RoIAlign (aligned=True) got RoIs of negative '
                             'width or height')
    else:
        roi_w = roi_w.clamp(min=1.0)
        roi_h = roi_h.clamp(min=1.0)
    bin_h, bin_w = roi_h / ph, roi_w / pw
    if sampling_ratio > 0:
        grid_h = grid_w = torch.full_like(rois[:, 0], sampling_ratio).long()
    else:
        grid_h = torch.ceil(roi_h / ph).long().clamp(min=0)
        grid_w = torch.ceil(roi_w / pw).long().clamp(min=0)
    feat = input.permute(0, 2, 3, 1).reshape(-1, channels)
    base = rois[:, 0].long() * (height * width)
    key = grid_h * (int(grid_w.max()) + 1) + grid_w
    for value in key.unique().tolist():
        sel = (key == value).nonzero().squeeze(1)
        gh, gw = int(grid_h[sel[0]]), int(grid_w[sel[0]])
        if gh == 0 or gw == 0:
            continue  # no samples: zeros, like mmcv
        chunk = max(1, _MAX_PAIRS // (ph * pw * gh * gw * 4))
        for part in sel.split(chunk):
            out[part] = _roi_align_group(feat, base[part],
                                         (start_y[part], start_x[part]),
                                         (bin_h[part], bin_w[part]),
                                         (height, width), (ph, pw), (gh, gw))
    return out.permute(0, 3, 1, 2)


def roi_align(input: Tensor,
              rois: Tensor,
              output_size: Tuple[int, int],
              spatial_scale: float = 1.0,
              sampling_ratio: int = 0,
              aligned: bool = True,
              backend: Optional[str] = None) -> Tensor:
    """RoIAlign with average pooling, differentiable w.r.t. ``input``.

    Args:
        input: (B, C, H, W) features.
        rois: (n, 5) boxes ``(image index, x1, y1, x2, y2)``.
        output_size: (ph, pw).
        spatial_scale: Scale from box to feature coordinates.
        sampling_ratio: Samples per bin along each axis; 0 for
            ``ceil(roi size / output size)`` (adaptive).
        aligned: Shift boxes by -0.5 pixel (True) or mmdet's legacy
            behaviour with RoI sizes of at least 1 (False).
        backend: ``'torch'`` or ``'torchvision'``; default :data:`BACKEND`.

    Returns:
        Tensor: (n, C, ph, pw).
    """
    if _pick(backend) == 'torchvision':
        return _TV_OPS.roi_align(input, rois.to(input.dtype),
                                 tuple(output_size), spatial_scale,
                                 sampling_ratio, aligned)
    return _roi_align_torch(input, rois, tuple(output_size), spatial_scale,
                            sampling_ratio, aligned)


def _check_avg_pool(pool_mode: int) -> None:
    """mmcv encodes 'max' as 0 and 'avg' as 1; only 'avg' is provided."""
    if pool_mode != 1:
        raise NotImplementedError(
            _missing_message("roi_align with pool_mode='max'"))


def roi_align_forward(input: Tensor, rois: Tensor, output: Tensor,
                      argmax_y: Tensor, argmax_x: Tensor, aligned_height: int,
                      aligned_width: int, spatial_scale: float,
                      sampling_ratio: int, pool_mode: int,
                      aligned: bool) -> None:
    """mmcv's ``_ext.roi_align_forward``: writes the result to ``output``."""
    _check_avg_pool(pool_mode)
    with torch.no_grad():
        output.copy_(
            roi_align(input, rois, (aligned_height, aligned_width),
                      spatial_scale, sampling_ratio, aligned))


def roi_align_backward(grad_output: Tensor, rois: Tensor, argmax_y: Tensor,
                       argmax_x: Tensor, grad_input: Tensor,
                       aligned_height: int, aligned_width: int,
                       spatial_scale: float, sampling_ratio: int,
                       pool_mode: int, aligned: bool) -> None:
    """mmcv's ``_ext.roi_align_backward``: adds the gradient to ``grad_input``.

    RoIAlign is linear in its input, so its gradient is that of the same
    RoIAlign applied to any input of the right shape (zeros here).
    """
    _check_avg_pool(pool_mode)
    probe = torch.zeros_like(grad_input, requires_grad=True)
    with torch.enable_grad():
        out = roi_align(probe, rois, (aligned_height, aligned_width),
                        spatial_scale, sampling_ratio, aligned)
        grad, = torch.autograd.grad(out, probe, grad_output)
    grad_input.add_(grad)


# --------------------------------------------------------------------- NMS
def _nms_torch(boxes: Tensor, scores: Tensor, iou_threshold: float,
               offset: int) -> Tensor:
    """mmcv's greedy NMS in plain torch (IoU matrix, then one pass)."""
    order = scores.sort(0, descending=True)[1]
    x1, y1, x2, y2 = boxes[order].unbind(1)
    areas = (x2 - x1 + offset) * (y2 - y1 + offset)
    num = order.numel()
    suppress = torch.empty((num, num), dtype=torch.bool, device=boxes.device)
    for s in range(0, num, _NMS_ROWS):
        rows = slice(s, s + _NMS_ROWS)
        w = (torch.minimum(x2[rows, None], x2) -
             torch.maximum(x1[rows, None], x1) + offset).clamp(min=0)
        h = (torch.minimum(y2[rows, None], y2) -
             torch.maximum(y1[rows, None], y1) + offset).clamp(min=0)
        inter = w * h
        suppress[rows] = inter / (areas[rows, None] + areas -
                                  inter) > iou_threshold
    suppress = suppress.cpu().numpy()
    keep = np.ones(num, dtype=bool)
    for i in range(num):
        if keep[i]:
            keep[i + 1:] &= ~suppress[i, i + 1:]
    return order[torch.from_numpy(keep).to(order.device)]


def nms_indices(boxes: Tensor,
                scores: Tensor,
                iou_threshold: float,
                offset: int = 0,
                backend: Optional[str] = None) -> Tensor:
    """Indices of the boxes greedy NMS keeps, by decreasing score.

    A box is dropped when its IoU with a kept higher-scoring box exceeds
    ``iou_threshold``; box sides are ``x2 - x1 + offset``.

    Args:
        boxes: (n, 4) ``(x1, y1, x2, y2)``.
        scores: (n, ).
        iou_threshold: IoU above which a box is suppressed.
        offset: 0 or 1 (mmdet 1.x's pixel convention).
        backend: ``'torch'`` or ``'torchvision'``; default :data:`BACKEND`.
            torchvision has no offset, so offset 1 always runs in torch.

    Returns:
        Tensor: (k, ) int64 indices into ``boxes``.
    """
    if offset not in (0, 1):
        raise ValueError(f'offset must be 0 or 1, got {offset}')
    if boxes.numel() == 0:
        return boxes.new_zeros(0, dtype=torch.long)
    if _pick(backend) == 'torchvision' and offset == 0:
        return _TV_OPS.nms(boxes, scores.to(boxes.dtype), iou_threshold)
    return _nms_torch(boxes, scores, iou_threshold, offset)


def nms(boxes: Tensor, scores: Tensor, iou_threshold: float,
        offset: int) -> Tensor:
    """mmcv's ``_ext.nms``: kept indices, by decreasing score."""
    return nms_indices(boxes, scores, iou_threshold, offset)


# ------------------------------------------------------ environment reports
def get_compiler_version() -> str:
    """What mmcv's environment report shows as 'MMCV Compiler'."""
    return f'none (mmcv without compiled ops; mmsgg_rde kernels: {BACKEND})'


def get_compiling_cuda_version() -> str:
    """What mmcv's environment report shows as 'MMCV CUDA Compiler'."""
    return 'not available'


# ------------------------------------------------------- everything else
def _missing_message(what: str) -> str:
    return (f"mmcv op kernel '{what}' is not available: mmcv is installed "
            'without its compiled ops (mmcv-lite), and mmsgg_rde provides '
            'only RoIAlign (average pooling) and NMS. Install mmcv with its '
            'ops to use it: MMCV=full make install (or pip install '
            'mmcv==2.1.0, which compiles it).')


def _missing_kernel(name: str) -> Callable:
    """A stand-in that raises when mmcv calls kernel ``name``."""

    def missing(*args, **kwargs):
        raise NotImplementedError(_missing_message(name))

    missing.__name__ = name
    return missing


def __getattr__(name: str) -> Callable:
    """Kernels not provided: present (mmcv checks at import), raise on use."""
    if name.startswith('_'):
        raise AttributeError(name)
    return _missing_kernel(name)
