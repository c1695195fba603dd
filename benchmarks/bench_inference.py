"""Inference throughput and peak memory of PredCls and SGDet, +/- RDE.

Runs ``test_step`` (data preprocessing and ``predict``) of whole models with
random weights, one image per batch, and prints images/s, ms per image and
the peak memory (CUDA: ``max_memory_allocated``; CPU: peak RSS):

- ``--size protocol``: ``configs/motifs/motifs_x101_fpn_{mode}_vg150.py``
  and ``configs/rde/motifs_rde_{mode}.py`` (Faster R-CNN X-101-32x8d-FPN,
  4096-d relation features) on 1000 x 600 images, the protocol's test
  scale. PredCls gets ``--num-objects`` GT boxes; SGDet keeps the
  protocol's 80 detections per image (score threshold 0, since random
  weights score every class alike), hence 6,320 pairs.
- ``--size tiny``: the demo configs (``configs/demo/motifs_demo_predcls.py``,
  ``configs/rde/motifs_rde_demo_predcls.py``) on 128 x 96 images, for a
  quick run on the CPU (``tools/gpu_check.sh --dry-run``).

RDE only adds training losses: with and without it, inference should cost
the same. The op kernels are mmcv's compiled ones where mmcv has them,
else ``mmsgg_rde.ops`` (printed).

Usage::

    python benchmarks/bench_inference.py --device cuda [--images 20]
    python benchmarks/bench_inference.py --size tiny --device cpu
"""
import argparse
import copy
import os.path as osp
import resource
import time
from typing import Dict, Tuple

import torch
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData
from terminaltables import AsciiTable
from torch import nn

import mmsgg_rde  # noqa: F401  (registers all modules)
from mmsgg_rde.ops import mmcv_ops_backend
from mmsgg_rde.structures import SceneGraphDataSample

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
#: (configs without RDE, with RDE) per mode, and the image (h, w).
SIZES = {
    'protocol': (dict(
        predcls=('configs/motifs/motifs_x101_fpn_predcls_vg150.py',
                 'configs/rde/motifs_rde_predcls.py'),
        sgdet=('configs/motifs/motifs_x101_fpn_sgdet_vg150.py',
               'configs/rde/motifs_rde_sgdet.py')), (600, 1000)),
    'tiny': (dict(
        predcls=('configs/demo/motifs_demo_predcls.py',
                 'configs/rde/motifs_rde_demo_predcls.py'),
        sgdet=('configs/demo/motifs_demo_predcls.py',
               'configs/rde/motifs_rde_demo_predcls.py')), (96, 128)),
}


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--size', choices=sorted(SIZES), default='protocol')
    parser.add_argument(
        '--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--images', type=int, default=20, help='timed')
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument(
        '--num-objects', type=int, default=24, help='PredCls GT boxes')
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args()


def build_model(path: str, mode: str, device: str) -> nn.Module:
    """A model of config ``path`` in ``mode`` with random weights."""
    cfg = Config.fromfile(osp.join(ROOT, path))
    cfg.model.update(mode=mode, detector_checkpoint=None)
    cfg.model.test_cfg.rcnn.score_thr = 0.0
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model.to(device).eval()


def make_data(gen: torch.Generator, shape: Tuple[int, int],
              num_objects: int) -> dict:
    """One uint8 image and its GT boxes, in ``test_step``'s input format."""
    h, w = shape
    xy = torch.rand(num_objects, 2, generator=gen) * torch.tensor([w, h])
    wh = torch.rand(num_objects, 2, generator=gen) * torch.tensor([w, h]) / 3
    boxes = torch.cat([xy, (xy + wh).minimum(torch.tensor([w, h]) - 1)], 1)
    sample = SceneGraphDataSample(
        metainfo=dict(
            img_shape=shape, ori_shape=shape, scale_factor=(1., 1.), img_id=0))
    sample.gt_instances = InstanceData(
        bboxes=boxes,
        labels=torch.randint(1, 151, (num_objects, ), generator=gen))
    image = torch.randint(0, 256, (3, h, w), dtype=torch.uint8, generator=gen)
    return dict(inputs=[image], data_samples=[sample])


def peak_memory_mib(device: str) -> float:
    """Peak allocated CUDA memory, or the process's peak RSS, in MiB."""
    if device.startswith('cuda'):
        return torch.cuda.max_memory_allocated(device) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(model: nn.Module, data: dict, args: argparse.Namespace) -> Dict:
    """Time ``test_step`` on ``data``; figures of one case."""
    cuda = args.device.startswith('cuda')

    def step():
        return model.test_step(copy.deepcopy(data))[0]

    with torch.no_grad():
        for _ in range(args.warmup):
            step()
        if cuda:
            torch.cuda.synchronize(args.device)
            torch.cuda.reset_peak_memory_stats(args.device)
        start = time.perf_counter()
        for _ in range(args.images):
            result = step()
        if cuda:
            torch.cuda.synchronize(args.device)
        seconds = time.perf_counter() - start
    return dict(
        ips=args.images / seconds,
        ms=1e3 * seconds / args.images,
        mem=peak_memory_mib(args.device),
        objects=len(result.pred_instances),
        pairs=len(result.pred_relations))


def main() -> None:
    """Build each model, time it, print the table."""
    args = parse_args()
    # Quiet weight initialisation reports: this logger becomes 'current'.
    MMLogger.get_instance('bench_inference', log_level='WARNING')
    init_default_scope('mmdet')
    configs, shape = SIZES[args.size]
    gen = torch.Generator().manual_seed(args.seed)
    data = make_data(gen, shape, args.num_objects)
    rows = [[
        'mode', 'RDE', 'images/s', 'ms/image', 'peak MiB', 'objects', 'pairs'
    ]]
    for mode, paths in configs.items():
        for rde, path in zip(('no', 'yes'), paths):
            model = build_model(path, mode, args.device)
            fig = run(model, data, args)
            rows.append([
                mode, rde, f"{fig['ips']:.2f}", f"{fig['ms']:.1f}",
                f"{fig['mem']:.0f}",
                str(fig['objects']),
                str(fig['pairs'])
            ])
            del model
            if args.device.startswith('cuda'):
                torch.cuda.empty_cache()
    device = (
        torch.cuda.get_device_name(args.device)
        if args.device.startswith('cuda') else 'CPU')
    print(f'{args.size} sizes, image {shape[1]} x {shape[0]}, {device}, '
          f'torch {torch.__version__}, mmcv ops: {mmcv_ops_backend()}, '
          f'{args.images} images after {args.warmup} warm-up, batch 1, '
          f'fp32')
    print(AsciiTable(rows).table)


if __name__ == '__main__':
    main()
