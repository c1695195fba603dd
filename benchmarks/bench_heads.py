"""Speed of the VCTree, Transformer and IMP contexts against the benchmark.

Each context (with the classification step of its predictor: linear layers
and frequency bias) runs beside the scene graph benchmark's own predictor
(``VCTreePredictor``, ``TransformerPredictor``, ``IMPPredictor``, built
from its code by ``tools/parity/predictor_parity.py``) on the same inputs
and the same weights (converted), at the protocol sizes: 4096-d RoI and
union features, 150 classes, 51 predicates, the default context widths.

Settings: ``predcls``, one image of ``--num-objects`` (25) GT objects, all
their ordered pairs in training and testing; ``sgdet``, one image of
``--num-dets`` (80) detections, ``--train-pairs`` (1,024, the benchmark's
sample size) random pairs in training and all ordered pairs (6,320) in
testing. Train step: forward and backward of the relation cross-entropy,
plus the object cross-entropy outside PredCls and VCTree's tree-score loss.
Test: forward without gradients (eval mode, SGDet label NMS included).
Columns: median milliseconds of ``--iters`` runs after ``--warmup``
(ours and the benchmark's interleaved), the ratio ours / benchmark, and
the largest relative difference of the test relation logits.

Usage::

    python benchmarks/bench_heads.py --sgb-root /path/to/sgb [--iters 5]
"""
import argparse
import os.path as osp
import statistics
import sys
import tempfile
import time
from typing import Callable, Dict, List

import torch
from torch import Tensor, nn
from torch.nn import functional as F

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, osp.join(ROOT, 'tools', 'parity'))
sys.path.insert(0, osp.join(ROOT, 'tests', 'test_models', 'test_layers'))

from sgb_env import activate  # noqa: E402

NAMES = ('vctree', 'transformer', 'imp')
SETTINGS = ('predcls', 'sgdet')


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return 1000 * (time.perf_counter() - start)


class Pair:
    """The benchmark's predictor and our context on one setting."""

    def __init__(self, name: str, mode: str, sizes: dict, train_pairs: int,
                 tmp: str) -> None:
        import context_parity
        import predictor_parity as common
        self.name, self.mode, self.checks = name, mode, context_parity
        predictor_name = context_parity.PREDICTORS[name]
        common.write_benchmark_files(predictor_name, sizes, tmp, 0.1)
        torch.manual_seed(common.SEED)
        self.predictor = common.build_predictor(
            common.benchmark_cfg(predictor_name, sizes, tmp, mode), sizes)
        self.predictor.load_state_dict(common.random_state(self.predictor))
        weights = {
            f'predictor.{k}': v
            for k, v in self.predictor.state_dict().items()
        }
        data = dict(sizes=sizes, weights=weights)
        self.context = context_parity.build_context(name, data, mode)
        _, head, _ = context_parity.convert(name, weights)
        self.head = {k: nn.Parameter(v) for k, v in head.items()}
        self.inputs = common.make_inputs(sizes, mode)
        self.test_inputs = self.inputs
        gen = torch.Generator().manual_seed(0)
        pairs = self.inputs['pairs']
        if len(pairs) > train_pairs:
            keep = torch.randperm(len(pairs), generator=gen)[:train_pairs]
            pairs = pairs[keep.sort().values]
        self.train_inputs = dict(
            self.inputs,
            pairs=pairs,
            num_pairs=torch.tensor([len(pairs)]),
            union_feats=self.inputs['union_feats'][:len(pairs)])
        num = int(self.inputs['num_objs'].sum())
        self.rel_labels = torch.randint(
            0, sizes['num_predicates'], (len(pairs), ), generator=gen)
        self.num_logits = sizes['num_classes'] + 1
        self.obj_labels = torch.randint(
            0, self.num_logits, (num, ), generator=gen)
        self.binary = (torch.rand(num, num, generator=gen) > 0.9).long()
        self.common = common

    # The benchmark's predictor.
    def bench_forward(self, inputs: dict, train: bool):
        self.predictor.train(train)
        return self.predictor(
            self.common.proposals(inputs, self.mode),
            self.common.split_pairs(inputs), None, [self.binary],
            inputs['roi_feats'], inputs['union_feats'])

    def bench_train(self) -> None:
        obj, rel, extra = self.bench_forward(self.train_inputs, True)
        loss = F.cross_entropy(torch.cat(rel), self.rel_labels)
        if self.mode != 'predcls':
            # The benchmark's labels: background first.
            loss = loss + F.cross_entropy(
                torch.cat(obj), (self.obj_labels + 1) % self.num_logits)
        loss = loss + sum(extra.values())
        self.predictor.zero_grad(set_to_none=True)
        loss.backward()

    def bench_test(self) -> Tensor:
        with torch.no_grad():
            return torch.cat(self.bench_forward(self.test_inputs, False)[1])

    # Ours.
    def ours_forward(self, inputs: dict, train: bool):
        self.context.train(train)
        args = self.checks.make_inputs(inputs, self.mode,
                                       self.context.num_classes)
        out = self.context(*args)
        rel = self.checks.relation_logits(out, self.head, args[3],
                                          inputs['num_objs'].tolist())
        return out, rel

    def ours_train(self) -> None:
        out, rel = self.ours_forward(self.train_inputs, True)
        loss = F.cross_entropy(rel, self.rel_labels)
        if out.obj_logits is not None:
            loss = loss + F.cross_entropy(out.obj_logits, self.obj_labels)
        if out.tree_logits is not None:
            from mmsgg_rde.models.layers import tree_score_loss
            loss = loss + tree_score_loss(out.tree_logits,
                                          [self.binary.float()])
        self.context.zero_grad(set_to_none=True)
        loss.backward()

    def ours_test(self) -> Tensor:
        with torch.no_grad():
            return self.ours_forward(self.test_inputs, False)[1]


def _median_times(fns: Dict[str, Callable[[], object]], warmup: int,
                  iters: int) -> Dict[str, float]:
    times: Dict[str, List[float]] = {k: [] for k in fns}
    for step in range(warmup + iters):
        for key, fn in fns.items():
            elapsed = _timed(fn)
            if step >= warmup:
                times[key].append(elapsed)
    return {k: statistics.median(v) for k, v in times.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--sgb-root', help='checkout of the benchmark (default: $SGB_ROOT)')
    parser.add_argument('--only', nargs='+', choices=NAMES, default=NAMES)
    parser.add_argument(
        '--settings', nargs='+', choices=SETTINGS, default=SETTINGS)
    parser.add_argument('--num-objects', type=int, default=25)
    parser.add_argument('--num-dets', type=int, default=80)
    parser.add_argument('--train-pairs', type=int, default=1024)
    parser.add_argument('--hidden-dim', type=int, default=512)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--iters', type=int, default=5)
    args = parser.parse_args()
    activate(args.sgb_root)
    import predictor_parity as common
    from mmengine.logging import MMLogger
    MMLogger.get_instance('mmengine', log_level='WARNING')
    sizes = dict(
        common.FULL,
        hidden_dim=args.hidden_dim,
        img_sizes=((1000, 600), ),
        num_gt=(args.num_objects, ),
        num_dets=(args.num_dets, ))
    print(f'torch {torch.__version__}, {torch.get_num_threads()} threads; '
          f'median of {args.iters} after {args.warmup} warmup')
    header = (f'{"context":<12}{"setting":<9}{"phase":<7}{"benchmark ms":>14}'
              f'{"ours ms":>10}{"ratio":>8}{"rel diff":>10}')
    print(header)
    for name in args.only:
        for setting in args.settings:
            with tempfile.TemporaryDirectory() as tmp:
                pair = Pair(name, setting, sizes, args.train_pairs, tmp)
            diff = pair.checks.difference(pair.ours_test(),
                                          pair.bench_test())[1]
            train = _median_times(
                dict(bench=pair.bench_train, ours=pair.ours_train),
                args.warmup, args.iters)
            test = _median_times(
                dict(bench=pair.bench_test, ours=pair.ours_test), args.warmup,
                args.iters)
            for phase, times, shown in (('train', train, '-'),
                                        ('test', test, f'{diff:.1e}')):
                print(f'{name:<12}{setting:<9}{phase:<7}'
                      f'{times["bench"]:>14.1f}{times["ours"]:>10.1f}'
                      f'{times["ours"] / times["bench"]:>8.2f}{shown:>10}')
            sys.stdout.flush()
    return 0


if __name__ == '__main__':
    sys.exit(main())
