"""Inference throughput and peak memory at the protocol sizes, with and
without RDE.

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

Timing: each mode runs in its own process, which builds both models and
times ``model.test_step`` (data preprocessor and predict) on
``--batch-size`` images, the two models alternating (A B, then B A, ...) so
that both see the same state of a shared machine. Warm-up rounds go on until
each model's times stop trending: the median of its last
``--settle-window`` times is within ``--settle-tol`` of the median of the
``--settle-window`` before (at least ``--min-warmup`` rounds, at most
``--max-warmup`` rounds and ``--max-warmup-s`` seconds; the output says
whether they settled, and the first batch's time), then ``--iters`` timed
rounds. Reported per model: images/s of the median time, with the
interquartile range and min-max of the per-batch images/s; per mode: the
RDE/plain time ratio, the median (and IQR) of the per-round ratios. RDE is
training-only, so that ratio should be 1 up to noise; one warm-up batch in a
process per model, as this script had, gave 8-13x (issue 20).

Peak memory: on CUDA, per model, its parameters and buffers plus the most
``torch.cuda`` allocated on top of what was allocated before its batches;
on the CPU the two models share one process, so the row gives only the
process's peak RSS growth over both models and their batches (Linux
``ru_maxrss``), the same in both rows.

Usage::

    python benchmarks/bench_inference.py [--device cuda] [--iters 10]
    python benchmarks/bench_inference.py --size tiny
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


NAMES = ('Motifs', 'Motifs+RDE')


def build_model(name: str, mode: str, args: argparse.Namespace,
                device: torch.device) -> torch.nn.Module:
    """One randomly initialised (seed 0) model in eval mode."""
    config = SIZES[args.size][0][name][MODES.index(mode)]
    cfg = Config.fromfile(osp.join(REPO_ROOT, config))
    cfg.model.update(mode=mode, detector_checkpoint=None)
    cfg.model.test_cfg.rcnn.score_thr = 0.
    torch.manual_seed(0)
    return MODELS.build(cfg.model).to(device).eval()


def time_batch(model: torch.nn.Module, batch: dict,
               device: torch.device) -> tuple:
    """Seconds of one ``model.test_step(batch)``, and its predictions."""
    if device.type == 'cuda':
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    preds = model.test_step(batch)
    if device.type == 'cuda':
        torch.cuda.synchronize(device)
    return time.perf_counter() - start, preds


def settled(seconds: List[float], window: int, tol: float) -> bool:
    """Whether the warm-up trend is over: the median of the last ``window``
    times is within ``tol`` of the median of the ``window`` before (the
    noise of a shared machine stays; it is reported as the spread)."""
    if len(seconds) < 2 * window:
        return False
    last = statistics.median(seconds[-window:])
    before = statistics.median(seconds[-2 * window:-window])
    return abs(last - before) <= tol * before


def quartiles(values: List[float]) -> tuple:
    """First quartile, median and third quartile (linear interpolation)."""
    q1, q2, q3 = np.percentile(values, [25, 50, 75])
    return float(q1), float(q2), float(q3)


def run_mode(mode: str, args: argparse.Namespace,
             queue: multiprocessing.Queue) -> None:
    """Build both models of ``mode``, time them alternately and report
    through ``queue``."""
    import mmsgg_rde  # noqa: F401  (registers all modules)
    torch.set_num_threads(args.threads)
    MMLogger.get_instance('bench_inference', log_level='WARNING')
    init_default_scope('mmdet')
    device = torch.device(args.device)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    models = {name: build_model(name, mode, args, device) for name in NAMES}
    batch = make_batch(args, np.random.default_rng(0))
    warmup: Dict[str, List[float]] = {name: [] for name in NAMES}
    seconds: Dict[str, List[float]] = {name: [] for name in NAMES}
    peak_mb = {name: 0. for name in NAMES}
    shapes = {}
    with torch.no_grad():
        rounds, start = 0, time.perf_counter()
        while rounds < args.min_warmup or (rounds < args.max_warmup
                                           and time.perf_counter() - start
                                           < args.max_warmup_s):
            order = NAMES if rounds % 2 == 0 else NAMES[::-1]
            for name in order:
                warmup[name].append(time_batch(models[name], batch, device)[0])
            rounds += 1
            if rounds >= args.min_warmup and all(
                    settled(warmup[name], args.settle_window, args.settle_tol)
                    for name in NAMES):
                break
        for i in range(args.iters):
            order = NAMES if i % 2 == 0 else NAMES[::-1]
            for name in order:
                if device.type == 'cuda':
                    before = torch.cuda.memory_allocated(device)
                    torch.cuda.reset_peak_memory_stats(device)
                seconds_i, preds = time_batch(models[name], batch, device)
                seconds[name].append(seconds_i)
                if device.type == 'cuda':
                    peak_mb[name] = max(
                        peak_mb[name],
                        (torch.cuda.max_memory_allocated(device) - before) /
                        2**20)
                shapes[name] = (np.mean([len(p.pred_instances)
                                         for p in preds]),
                                np.mean([len(p.pred_relations)
                                         for p in preds]))
    rss_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss -
              rss_before) / 2**10
    result = dict(
        warmup_rounds=rounds,
        first_s={
            name: warmup[name][0] if warmup[name] else None
            for name in NAMES
        },
        settled=all(
            settled(warmup[name], args.settle_window, args.settle_tol)
            for name in NAMES),
        ratios=[
            rde / plain
            for plain, rde in zip(seconds['Motifs'], seconds['Motifs+RDE'])
        ])
    for name, model in models.items():
        model_mb = sum(
            t.numel() * t.element_size()
            for t in (*model.parameters(), *model.buffers())) / 2**20
        images_per_s = [args.batch_size / t for t in seconds[name]]
        result[name] = dict(
            seconds=seconds[name],
            images_per_s=args.batch_size / statistics.median(seconds[name]),
            quartiles=quartiles(images_per_s),
            range=(min(images_per_s), max(images_per_s)),
            peak_mb=(model_mb +
                     peak_mb[name] if device.type == 'cuda' else rss_mb),
            objects=shapes[name][0],
            pairs=shapes[name][1],
            params=sum(p.numel() for p in model.parameters()) / 1e6)
    queue.put(result)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--device', default='cpu', help='cpu or cuda[:i]')
    parser.add_argument('--modes', nargs='+', default=['predcls', 'sgdet'])
    parser.add_argument('--batch-size', type=int, default=1)
    parser.add_argument('--size', choices=sorted(SIZES), default='protocol')
    parser.add_argument(
        '--iters',
        '--images',
        type=int,
        default=10,
        help='timed batches per model')
    parser.add_argument(
        '--min-warmup', type=int, default=3, help='warm-up rounds, at least')
    parser.add_argument(
        '--max-warmup',
        type=int,
        default=30,
        help='warm-up rounds, at most ...')
    parser.add_argument(
        '--max-warmup-s',
        type=float,
        default=120.,
        help='... and seconds of warm-up, at most')
    parser.add_argument(
        '--settle-window',
        type=int,
        default=3,
        help='warm-up ends when the median of the last this many times of '
        'each model ...')
    parser.add_argument(
        '--settle-tol',
        type=float,
        default=0.1,
        help='... is within this fraction of the median of the ones before')
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument(
        '--image-size', type=int, nargs=2, help='W H (default: per --size)')
    parser.add_argument(
        '--num-objects', type=int, help='PredCls boxes (default: per --size)')
    args = parser.parse_args()
    if args.iters < 1 or args.min_warmup < 0 or args.settle_window < 1:
        parser.error('--iters and --settle-window must be >= 1, '
                     '--min-warmup >= 0')
    _, image_size, num_objects = SIZES[args.size]
    args.image_size = args.image_size or image_size
    args.num_objects = args.num_objects or num_objects
    context = multiprocessing.get_context('spawn')
    cuda = args.device.startswith('cuda')
    rows = [('mode', 'model', 'images/s', 'IQR', 'min-max',
             'peak MB' if cuda else 'peak RSS MB (both)', 'objects', 'pairs',
             'params M')]
    notes = []
    for mode in args.modes:
        queue = context.Queue()
        process = context.Process(target=run_mode, args=(mode, args, queue))
        process.start()
        result = queue.get()
        process.join()
        for name in NAMES:
            r = result[name]
            rows.append(
                (mode, name, f'{r["images_per_s"]:.3f}',
                 '{:.3f}-{:.3f}'.format(r['quartiles'][0], r['quartiles'][2]),
                 '{:.3f}-{:.3f}'.format(*r['range']), f'{r["peak_mb"]:.0f}',
                 f'{r["objects"]:.0f}', f'{r["pairs"]:.0f}',
                 f'{r["params"]:.1f}'))
        q1, median, q3 = quartiles(result['ratios'])
        state = ('settled' if result['settled'] else
                 f'NOT settled within {args.settle_tol:.0%}: read the '
                 'figures as noise')
        first = ', '.join(f'{name} {result["first_s"][name]:.3f} s'
                          for name in NAMES
                          if result['first_s'][name] is not None)
        notes.append(
            f'{mode}: Motifs+RDE / Motifs time per batch, median of '
            f'{len(result["ratios"])} paired rounds {median:.3f} '
            f'(IQR {q1:.3f}-{q3:.3f}); warm-up {result["warmup_rounds"]} '
            f'rounds, {state}' + (f'; first batch {first}' if first else ''))
    device = (
        torch.cuda.get_device_name(args.device)
        if cuda else f'CPU, {args.threads} threads')
    from mmsgg_rde.ops import mmcv_ops_backend
    print(f'Inference ({args.size} sizes) at {args.image_size[0]}x'
          f'{args.image_size[1]}, batch {args.batch_size}, {device}, torch '
          f'{torch.__version__}, mmcv ops: {mmcv_ops_backend()}, random '
          f'weights; the two models alternate in one process per mode, '
          f'{args.iters} timed batches each after warm-up; images/s of the '
          'median time, IQR and min-max of the per-batch images/s:')
    print(AsciiTable(rows).table)
    for note in notes:
        print(note)


if __name__ == '__main__':
    main()
