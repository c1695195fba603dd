"""Speed of the no-compile mmcv kernels against mmcv's compiled ones.

``mmsgg_rde.ops.mmcv_ext`` replaces mmcv's compiled RoIAlign and NMS when
mmcv has no ops (mmcv-lite). This times its plain-torch kernels (and
torchvision's, when torchvision imports) against mmcv's compiled ones, at
the protocol's sizes:

- RoIAlign (7 x 7, aligned) on the FPN levels (strides 4-32, 256 channels)
  of a 1000 x 600 image, RoIs mapped to levels as mmdet's
  ``SingleRoIExtractor`` maps them: 80 object boxes and 1,024 / 6,320
  union boxes with sampling ratio 2 (the relation head), 512 / 1,000
  proposals with the adaptive ratio 0 (the detector's RoI head). Forward,
  and forward + backward.
- NMS (IoU 0.7, like the RPN) over 1,000 / 2,000 / 6,000 random boxes, and
  ``batched_nms`` over 1,000 proposals x 150 classes' candidates above a
  score threshold (IoU 0.3, like SGDet's post-processing).

Prints the median time of ``--iters`` runs of each kernel and the ratio to
mmcv's. Without compiled mmcv it prints the fallback's times alone.

Usage::

    python benchmarks/bench_ops.py [--iters 5] [--threads N]
"""
import argparse
import statistics
import time
from typing import Callable, Dict, List, Optional, Tuple

import torch
from mmdet.models.roi_heads.roi_extractors import SingleRoIExtractor
from terminaltables import AsciiTable
from torch import Tensor

from mmsgg_rde.ops import mmcv_ext as fallback
from mmsgg_rde.ops import mmcv_ops_backend

#: Feature map (H, W) of each FPN level of a 1000 x 600 image.
FPN_SHAPES = ((150, 250), (75, 125), (38, 63), (19, 32))
FPN_STRIDES = (4, 8, 16, 32)
IMAGE_WH = (1000, 600)


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--iters', type=int, default=5, help='timed runs')
    parser.add_argument(
        '--threads',
        type=int,
        default=None,
        help='torch CPU threads (default: torch default)')
    parser.add_argument('--channels', type=int, default=256)
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args()


def median_time(fn: Callable[[], object], iters: int) -> float:
    """Median seconds of ``iters`` calls after one warm-up call."""
    fn()
    times = []
    for _ in range(iters):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def random_boxes(gen: torch.Generator, num: int, union: bool) -> Tensor:
    """(num, 4) boxes inside the image; unions of two boxes if ``union``."""
    w, h = IMAGE_WH

    def one() -> Tensor:
        xy = torch.rand(num, 2, generator=gen) * torch.tensor([w, h]) * 0.8
        wh = (torch.rand(num, 2, generator=gen) * 0.3 + 0.02) * torch.tensor(
            [w, h])
        return torch.cat([xy, (xy + wh).minimum(torch.tensor([w, h]))], 1)

    if not union:
        return one()
    a, b = one(), one()
    return torch.cat([a[:, :2].minimum(b[:, :2]), a[:, 2:].maximum(b[:, 2:])],
                     1)


def level_inputs(feats: List[Tensor], boxes: Tensor) -> List[Tuple]:
    """(features, rois, scale) per FPN level, RoIs mapped like mmdet."""
    rois = torch.cat([boxes.new_zeros(boxes.size(0), 1), boxes], 1)
    extractor = SingleRoIExtractor(
        roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=0),
        out_channels=feats[0].size(1),
        featmap_strides=list(FPN_STRIDES))
    levels = extractor.map_roi_levels(rois, len(feats))
    return [(feat, rois[levels == i], 1.0 / stride)
            for i, (feat, stride) in enumerate(zip(feats, FPN_STRIDES))
            if bool((levels == i).any())]


def roi_align_runner(inputs: List[Tuple], ratio: int, backward: bool,
                     backend: str) -> Callable[[], None]:
    """Run RoIAlign on every level (and its backward) with ``backend``."""
    if backend == 'mmcv':
        from mmcv.ops import roi_align as mmcv_roi_align

        def align(feat, rois, scale):
            return mmcv_roi_align(feat, rois, (7, 7), scale, ratio, 'avg',
                                  True)
    else:

        def align(feat, rois, scale):
            return fallback.roi_align(feat, rois, (7, 7), scale, ratio, True,
                                      backend)

    def run() -> None:
        feats = [f.requires_grad_(backward) for f, _, _ in inputs]
        outs = [
            align(feat, rois, scale)
            for feat, (_, rois, scale) in zip(feats, inputs)
        ]
        if backward:
            torch.autograd.backward(outs, [torch.ones_like(o) for o in outs])

    return run


def nms_runner(boxes: Tensor, scores: Tensor, iou: float,
               backend: str) -> Callable[[], Tensor]:
    """Run NMS with ``backend``."""
    if backend == 'mmcv':
        from mmcv.ops import nms as mmcv_nms
        return lambda: mmcv_nms(boxes, scores, iou)[1]
    return lambda: fallback.nms_indices(boxes, scores, iou, 0, backend)


def batched_nms_runner(boxes: Tensor, scores: Tensor, labels: Tensor,
                       backend: str) -> Callable[[], Tensor]:
    """Run mmcv's ``batched_nms`` on ``backend``'s NMS kernel."""
    import sys

    from mmcv.ops import batched_nms
    nms_module = sys.modules['mmcv.ops.nms']

    class Kernels:
        """The ext module seen by mmcv's ``NMSop`` during the call."""

        @staticmethod
        def nms(b, s, iou_threshold, offset):
            return fallback.nms_indices(b, s, iou_threshold, offset, backend)

    def run() -> Tensor:
        saved = nms_module.ext_module
        if backend != 'mmcv':
            nms_module.ext_module = Kernels
        try:
            return batched_nms(boxes, scores, labels,
                               dict(type='nms', iou_threshold=0.3))[1]
        finally:
            nms_module.ext_module = saved

    return run


def cases(args: argparse.Namespace) -> List[Tuple[str, Dict[str, Callable]]]:
    """(name, {backend: runner}) of every timed case."""
    gen = torch.Generator().manual_seed(args.seed)
    backends = ['torch']
    if fallback.BACKEND == 'torchvision':
        backends.append('torchvision')
    try:
        compiled = mmcv_ops_backend() == 'mmcv'
    except ImportError:
        compiled = False
    backends = (['mmcv'] if compiled else []) + backends
    feats = [
        torch.randn(1, args.channels, h, w, generator=gen)
        for h, w in FPN_SHAPES
    ]
    out = []
    for label, num, union, ratio in (('80 object boxes', 80, False,
                                      2), ('1024 union boxes', 1024, True, 2),
                                     ('6320 union boxes', 6320, True,
                                      2), ('512 proposals', 512, False, 0),
                                     ('1000 proposals', 1000, False, 0)):
        inputs = level_inputs(feats, random_boxes(gen, num, union))
        for backward in (False, True):
            name = (f"RoIAlign {label}, ratio {ratio}, "
                    f"{'fwd+bwd' if backward else 'fwd'}")
            out.append((name, {
                b: roi_align_runner(inputs, ratio, backward, b)
                for b in backends
            }))
    for num in (1000, 2000, 6000):
        boxes = random_boxes(gen, num, False)
        scores = torch.rand(num, generator=gen)
        out.append((f'NMS {num} boxes, IoU 0.7', {
            b: nms_runner(boxes, scores, 0.7, b)
            for b in backends
        }))
    proposals = random_boxes(gen, 1000, False)
    class_scores = torch.rand(1000, 150, generator=gen).pow(8)
    prop, label = (class_scores > 0.05).nonzero(as_tuple=True)
    out.append((f'batched_nms {prop.numel()} candidates, 150 classes', {
        b:
        batched_nms_runner(proposals[prop], class_scores[prop, label], label,
                           b)
        for b in backends
    }))
    return out


def main() -> None:
    """Time every case and print the table."""
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    rows = []
    names: Optional[List[str]] = None
    for name, runners in cases(args):
        times = {b: median_time(fn, args.iters) for b, fn in runners.items()}
        names = list(times)
        row = [name] + [f'{times[b] * 1e3:.1f}' for b in names]
        if 'mmcv' in times:
            row += [
                f"{times[b] / times['mmcv']:.2f}x" for b in names
                if b != 'mmcv'
            ]
        rows.append(row)
    header = ['case'] + [f'{b} (ms)' for b in names]
    if 'mmcv' in names:
        header += [f'{b} / mmcv' for b in names if b != 'mmcv']
    print(f'torch {torch.__version__}, {torch.get_num_threads()} threads, '
          f'median of {args.iters} runs, {args.channels} channels')
    print(AsciiTable([header] + rows).table)


if __name__ == '__main__':
    main()
