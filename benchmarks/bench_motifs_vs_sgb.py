"""Speed of MotifsHead against the benchmark's MotifPredictor.

Both relation heads at the protocol sizes (4096-d features, LSTM hidden 512,
151 classes, 256 FPN channels: ``tools/parity/gen_motifs.FULL``), ours with
the benchmark's random weights converted, on the same random FPN features of
``--num-images`` 1000 x 600 images (the protocol's test scale) and the same
objects (``--num-objects`` GT boxes in PredCls/SGCls, ``--num-dets``
detections in SGDet), per mode:

- ``train``: pair sampling (``--num-pairs`` per image, 25% foreground at
  most), object and union features, forward, losses and backward, as the
  benchmark's ``ROIRelationHead`` in training (plus our SGDet matching of
  detections to GT, which the benchmark's box head does);
- ``test``: candidate pairs, features, forward and post-processing (later
  NMS, ranking), one image at a time for both, as the benchmark tests and
  as our test configs batch (``test_dataloader.batch_size=1``).

The frozen detector is left out: it is the same for both. Steps of the two
are interleaved so that a busy machine slows both alike; the table shows
the median of ``--iters`` after ``--warmup``, their ratio ours / benchmark
(goal <= 1) and the ratio of the fastest runs (less sensitive to other load
on a shared machine).

Usage::

    python benchmarks/bench_motifs_vs_sgb.py --sgb-root /path/to/sgb \\
        [--device cuda] [--modes predcls sgcls sgdet] [--iters 3]
"""
import argparse
import contextlib
import io
import os.path as osp
import statistics
import sys
import tempfile
import time
from typing import Callable, Dict, List

import torch
from mmengine.registry import init_default_scope
from terminaltables import AsciiTable

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, osp.join(REPO_ROOT, 'tools', 'parity'))

import gen_motifs  # noqa: E402
import predictor_parity  # noqa: E402
from check_motifs_full_size import load_checks  # noqa: E402
from sgb_env import activate  # noqa: E402

MODES = ('predcls', 'sgcls', 'sgdet')
IMG_SIZE = (1000, 600)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--sgb-root', help='benchmark checkout ($SGB_ROOT)')
    parser.add_argument('--device', default='cpu', help='cpu or cuda')
    parser.add_argument(
        '--widths',
        default='protocol',
        choices=('protocol', 'small'),
        help='layer widths: the protocol\'s, or the fixture\'s (a quick '
        'check of the script)')
    parser.add_argument('--modes', nargs='+', default=MODES, choices=MODES)
    parser.add_argument('--num-images', type=int, default=2)
    parser.add_argument('--num-objects', type=int, default=20)
    parser.add_argument('--num-dets', type=int, default=80)
    parser.add_argument('--num-pairs', type=int, default=1024)
    parser.add_argument('--iters', type=int, default=3)
    parser.add_argument('--warmup', type=int, default=1)
    return parser.parse_args()


def quiet_build(cfg, sizes: dict) -> torch.nn.Module:
    """The benchmark's modules, without its GloVe lookup printout."""
    with contextlib.redirect_stdout(io.StringIO()), \
            contextlib.redirect_stderr(io.StringIO()):
        return gen_motifs.build_modules(cfg, sizes)


def sync(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def timed(fn: Callable[[], None], device: torch.device) -> float:
    """Milliseconds of one call."""
    sync(device)
    start = time.perf_counter()
    fn()
    sync(device)
    return 1000 * (time.perf_counter() - start)


class BenchmarkHead:
    """The benchmark's relation head parts for one mode, on a device."""

    def __init__(self, cfg, sizes: dict, state: dict, inputs: dict, mode: str,
                 num_pairs: int, device: torch.device) -> None:
        from maskrcnn_benchmark.modeling.roi_heads.relation_head import \
            inference
        self.mode = mode
        self.modules = quiet_build(cfg, sizes)
        self.modules.load_state_dict(state)
        self.modules.to(device)
        self.sampler = gen_motifs._sampler(cfg, num_pairs, 0.25, 4)
        self.post_processor = inference.make_roi_relation_post_processor(cfg)
        self.loss = gen_motifs._loss_evaluator()
        self.feats = [f.to(device) for f in inputs['feats']]
        self.targets = [
            t.to(device) for t in gen_motifs.make_targets(inputs['images'])
        ]
        self.proposals = [
            p.to(device) for p in gen_motifs.make_proposals(
                inputs['images'], mode, cfg, self.targets)
        ]

    def train_step(self) -> None:
        self.modules.train()
        proposals = self.proposals
        with torch.no_grad():
            pairs, labels = gen_motifs._sample(self.sampler, self.mode,
                                               proposals, self.targets)
        roi = self.modules['box_feature_extractor'](self.feats, proposals)
        union = self.modules['union_feature_extractor'](self.feats, proposals,
                                                        pairs)
        obj_dists, rel_dists, _ = self.modules['predictor'](proposals, pairs,
                                                            labels, None, roi,
                                                            union)
        loss_rel, loss_obj = self.loss(proposals, labels, rel_dists, obj_dists)
        self.modules.zero_grad(set_to_none=True)
        (loss_rel + loss_obj).backward()

    def test_forward(self) -> None:
        self.modules.eval()
        with torch.no_grad():
            for i, proposal in enumerate(self.proposals):
                feats = [f[i:i + 1] for f in self.feats]
                pairs = self.sampler.prepare_test_pairs(
                    feats[0].device, [proposal])
                roi = self.modules['box_feature_extractor'](feats, [proposal])
                union = self.modules['union_feature_extractor'](feats,
                                                                [proposal],
                                                                pairs)
                obj_dists, rel_dists, _ = self.modules['predictor']([proposal],
                                                                    pairs,
                                                                    None, None,
                                                                    roi, union)
                self.post_processor((rel_dists, obj_dists), pairs, [proposal])


class OurHead:
    """MotifsHead with the converted weights, on the same inputs."""

    def __init__(self, checks, data: dict, mode: str,
                 device: torch.device) -> None:
        self.head = checks.build_head(data, mode).to(device)
        feats, objects, samples = checks.make_inputs(data, mode)
        self.feats = tuple(f.to(device) for f in feats)
        self.objects = [o.to(device) for o in objects]
        self.samples = [s.to(device) for s in samples]

    def train_step(self) -> None:
        self.head.train()
        losses = self.head.loss(self.feats, self.objects, self.samples)
        self.head.zero_grad(set_to_none=True)
        sum(losses.values()).backward()

    def test_forward(self) -> None:
        self.head.eval()
        with torch.no_grad():
            for i, (obj, sample) in enumerate(zip(self.objects,
                                                  self.samples)):
                feats = tuple(f[i:i + 1] for f in self.feats)
                self.head.predict(feats, [obj], [sample])


def run_mode(checks, args, mode: str, device: torch.device,
             tmp: str) -> List[List[str]]:
    """Time both heads in one mode; table rows."""
    num = args.num_images
    sizes = dict(
        gen_motifs.FULL if args.widths == 'protocol' else gen_motifs.SMALL,
        img_sizes=(IMG_SIZE, ) * num,
        num_gt=(args.num_objects, ) * num,
        num_dets=(args.num_dets, ) * num)
    gen_motifs.write_benchmark_files(sizes, tmp)
    cfg = gen_motifs.benchmark_cfg(sizes, tmp, mode)
    torch.manual_seed(gen_motifs.SEED)
    inputs = gen_motifs.make_inputs(sizes)
    state = predictor_parity.random_state(quiet_build(cfg, sizes))
    data = dict(
        sizes={
            k: v
            for k, v in sizes.items() if isinstance(v, int)
        },
        samplers=dict(
            protocol=dict(
                num=args.num_pairs, pos_fraction=0.25,
                num_sample_per_gt_rel=4)),
        inputs=gen_motifs._as_tree(inputs),
        weights={
            f'roi_heads.relation.{k}': v
            for k, v in state.items()
        })
    theirs = BenchmarkHead(cfg, sizes, state, inputs, mode, args.num_pairs,
                           device)
    ours = OurHead(checks, data, mode, device)
    rows = []
    for step in ('train_step', 'test_forward'):
        times: Dict[str, List[float]] = dict(benchmark=[], ours=[])
        for it in range(args.warmup + args.iters):
            for name, head in (('benchmark', theirs), ('ours', ours)):
                ms = timed(getattr(head, step), device)
                if it >= args.warmup:
                    times[name].append(ms)
        sgb = statistics.median(times['benchmark'])
        our = statistics.median(times['ours'])
        best_ratio = min(times['ours']) / min(times['benchmark'])
        rows.append([
            mode, step, f'{sgb:.0f}', f'{our:.0f}', f'{our / sgb:.2f}x',
            f'{best_ratio:.2f}x'
        ])
        print(' | '.join(rows[-1]), flush=True)
    return rows


def main() -> None:
    args = parse_args()
    activate(args.sgb_root)
    init_default_scope('mmdet')
    device = torch.device(args.device)
    checks = load_checks()
    rows = [[
        'mode', 'step', 'benchmark ms', 'ours ms', 'ours / benchmark',
        'fastest / fastest'
    ]]
    with tempfile.TemporaryDirectory() as tmp:
        for mode in args.modes:
            rows += run_mode(checks, args, mode, device, tmp)
    print(f'\n{args.widths} widths, {args.num_images} image(s) of '
          f'{IMG_SIZE[0]}x{IMG_SIZE[1]}, '
          f'{args.num_objects} GT objects, {args.num_dets} detections, '
          f'{args.num_pairs} training pairs per image; device {device}, '
          f'{torch.get_num_threads()} threads; median of {args.iters}.')
    print(AsciiTable(rows).table)


if __name__ == '__main__':
    main()
