"""Inference throughput and peak memory at the protocol sizes.

Whole models (X-101-32x8d-FPN detector + Motifs head, 4096-d features) of
``configs/motifs/motifs_x101_fpn_{predcls,sgdet}_vg150.py`` and the same
with RDE (``configs/rde/motifs_rde_{predcls,sgdet}.py``), randomly
initialised, on ``--image-size`` images (VG's typical 800 x 600, which the
test pipeline keeps: shorter side 600, longer at most 1000):

- PredCls: ``--num-objects`` GT boxes per image (VG-150 has 10.6 objects
  per image on average), all ordered pairs.
- SGDet: the detector's 80 detections (its score threshold is set to 0 so
  that random weights still give 80), all 6,320 ordered pairs.

``--size tiny`` runs the SynthVG demo configs (``configs/demo/
motifs_demo_predcls.py``, ``configs/rde/motifs_rde_demo_predcls.py``, also
in SGDet) on 128 x 96 images instead, a quick CPU rehearsal for
``tools/gpu_check.sh --dry-run``. The op kernels are mmcv's compiled ones
where mmcv has them, else ``mmsgg_rde.ops`` (printed).

Each (model, mode) runs in its own process: ``model.test_step`` (data
preprocessor and predict) on ``--batch-size`` images, ``--warmup`` then
``--iters`` timed batches; images/s is the median. Peak memory: on CUDA
``torch.cuda.max_memory_allocated``; on the CPU the process's peak RSS
growth over the model and input (Linux ``ru_maxrss``). RDE is training-only,
so both rows of a mode should agree up to noise (RDE's parameters stay in
memory unless the plain config is used for deployment).

Usage::

    python benchmarks/bench_inference.py [--device cuda] [--iters 3]
    python benchmarks/bench_inference.py --size tiny --iters 5
"""
import argparse
import multiprocessing
import os.path as osp
import resource
import statistics
import time
from typing import Dict, List

import numpy as np
import torch
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData
from terminaltables import AsciiTable

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
#: Per ``--size``: the configs of each (model, mode), the image size (W, H)
#: and the PredCls GT boxes per image.
SIZES = {
    'protocol': ({
        'Motifs': ('configs/motifs/motifs_x101_fpn_predcls_vg150.py',
                   'configs/motifs/motifs_x101_fpn_sgdet_vg150.py'),
        'Motifs+RDE': ('configs/rde/motifs_rde_predcls.py',
                       'configs/rde/motifs_rde_sgdet.py'),
    }, (800, 600), 11),
    'tiny': ({
        'Motifs': ('configs/demo/motifs_demo_predcls.py', ) * 2,
        'Motifs+RDE': ('configs/rde/motifs_rde_demo_predcls.py', ) * 2,
    }, (128, 96), 11),
}
MODES = ('predcls', 'sgdet')


def make_batch(args: argparse.Namespace, rng: np.random.Generator) -> dict:
    """A collated test batch: uint8 images and data samples with GT boxes
    (original pixels = input pixels: the image is already at test scale)."""
    from mmsgg_rde.structures import SceneGraphDataSample
    width, height = args.image_size
    inputs, samples = [], []
    for _ in range(args.batch_size):
        inputs.append(
            torch.from_numpy(
                rng.integers(0, 256, (3, height, width), dtype=np.uint8)))
        xy = rng.uniform(0, [width - 64, height - 64], (args.num_objects, 2))
        wh = rng.uniform(32, 400, (args.num_objects, 2))
        boxes = np.concatenate(
            [xy, np.minimum(xy + wh, [width - 1, height - 1])], 1)
        sample = SceneGraphDataSample(
            metainfo=dict(
                img_shape=(height, width),
                ori_shape=(height, width),
                scale_factor=(1., 1.),
                pad_shape=(height, width),
                batch_input_shape=(height, width)))
        sample.gt_instances = InstanceData(
            bboxes=torch.from_numpy(boxes).float(),
            labels=torch.from_numpy(rng.integers(0, 150, args.num_objects)))
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def run_one(name: str, mode: str, args: argparse.Namespace,
            queue: multiprocessing.Queue) -> None:
    """Build one model, time its inference and report through ``queue``."""
    import mmsgg_rde  # noqa: F401  (registers all modules)
    torch.set_num_threads(args.threads)
    MMLogger.get_instance('bench_inference', log_level='WARNING')
    init_default_scope('mmdet')
    device = torch.device(args.device)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    config = SIZES[args.size][0][name][MODES.index(mode)]
    cfg = Config.fromfile(osp.join(REPO_ROOT, config))
    cfg.model.update(mode=mode, detector_checkpoint=None)
    cfg.model.test_cfg.rcnn.score_thr = 0.
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).to(device).eval()
    batch = make_batch(args, np.random.default_rng(0))
    if device.type == 'cuda':
        torch.cuda.reset_peak_memory_stats(device)
    seconds: List[float] = []
    num_objects = num_pairs = 0
    with torch.no_grad():
        for i in range(args.warmup + args.iters):
            if device.type == 'cuda':
                torch.cuda.synchronize(device)
            start = time.perf_counter()
            preds = model.test_step(batch)
            if device.type == 'cuda':
                torch.cuda.synchronize(device)
            if i >= args.warmup:
                seconds.append(time.perf_counter() - start)
            num_objects = np.mean([len(p.pred_instances) for p in preds])
            num_pairs = np.mean([len(p.pred_relations) for p in preds])
    if device.type == 'cuda':
        peak_mb = torch.cuda.max_memory_allocated(device) / 2**20
    else:
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        peak_mb = (peak_kb - rss_before) / 2**10
    params = sum(p.numel() for p in model.parameters()) / 1e6
    queue.put(
        dict(
            images_per_s=args.batch_size / statistics.median(seconds),
            peak_mb=peak_mb,
            objects=num_objects,
            pairs=num_pairs,
            params=params))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--device', default='cpu', help='cpu or cuda[:i]')
    parser.add_argument('--modes', nargs='+', default=['predcls', 'sgdet'])
    parser.add_argument('--batch-size', type=int, default=1)
    parser.add_argument('--size', choices=sorted(SIZES), default='protocol')
    parser.add_argument(
        '--iters', '--images', type=int, default=3, help='timed batches')
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument(
        '--image-size', type=int, nargs=2, help='W H (default: per --size)')
    parser.add_argument(
        '--num-objects', type=int, help='PredCls boxes (default: per --size)')
    args = parser.parse_args()
    _, image_size, num_objects = SIZES[args.size]
    args.image_size = args.image_size or image_size
    args.num_objects = args.num_objects or num_objects
    context = multiprocessing.get_context('spawn')
    rows = [('mode', 'model', 'images/s', 'peak MB', 'objects', 'pairs',
             'params M')]
    results: Dict[tuple, dict] = {}
    for mode in args.modes:
        for name in ('Motifs', 'Motifs+RDE'):
            queue = context.Queue()
            process = context.Process(
                target=run_one, args=(name, mode, args, queue))
            process.start()
            result = queue.get()
            process.join()
            results[name, mode] = result
            rows.append(
                (mode, name, f'{result["images_per_s"]:.3f}',
                 f'{result["peak_mb"]:.0f}', f'{result["objects"]:.0f}',
                 f'{result["pairs"]:.0f}', f'{result["params"]:.1f}'))
    device = (
        torch.cuda.get_device_name(args.device)
        if args.device.startswith('cuda') else f'CPU, {args.threads} threads')
    from mmsgg_rde.ops import mmcv_ops_backend
    print(f'Inference ({args.size} sizes) at {args.image_size[0]}x'
          f'{args.image_size[1]}, batch {args.batch_size}, {device}, torch '
          f'{torch.__version__}, mmcv ops: {mmcv_ops_backend()}, random '
          f'weights, median of {args.iters} after {args.warmup} warm-up:')
    print(AsciiTable(rows).table)


if __name__ == '__main__':
    main()
