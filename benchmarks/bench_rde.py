"""Training and inference cost of RDE on Motifs, and of the other heads.

Each setting runs plain Motifs and Motifs + RDE on the same inputs, their
steps interleaved so that a busy machine slows both alike:

- ``protocol``: the relation head alone at the protocol sizes of
  ``configs/motifs/motifs_x101_fpn_predcls_vg150.py`` (4096-d features,
  LSTM hidden 512) with the RDE of ``configs/rde/motifs_rde_predcls.py``,
  fed fixed random FPN features of ``--num-images`` 1000 x 600 images.
  Each image has ``--num-objects`` GT boxes and ``--num-rels`` GT
  relations, and the sampler keeps ``--num-pairs`` pairs with at most 25%
  foreground. The defaults (1 image, 256 pairs, 64 of them foreground) keep
  the protocol's foreground share, the most RDE ever sees, at a quarter of
  its 1,024 pairs so that a 2-core CPU gets through it. The frozen X-101
  detector is left out: it costs the same with or without RDE.
- ``heads``: as ``protocol``, the plain heads of the protocol PredCls
  configs of Motifs, VCTree, Transformer and IMP
  (``configs/<head>/<head>_x101_fpn_predcls_vg150.py``) on the same inputs;
  the ratios are to Motifs.
- ``demo``: the whole models of ``configs/demo/motifs_demo_predcls.py`` and
  ``configs/rde/motifs_rde_demo_predcls.py`` on SynthVG batches.
- ``losses``: no timing; the losses of the first training step of Motifs +
  RDE at the protocol sizes (``--num-images`` images as above), each with
  the norm of its gradient on the relation features f_k. The frequency
  bias starts from the statistics of ``--prior-images`` more random
  scenes of the same kind, as the DatasetPriorHook would set it.

Columns: training step (forward, backward, SGD step) and predict time,
median of ``--iters`` after ``--warmup`` (the demo cycles a pool of
``--num-batches`` batches, each run once in the warmup: first runs of new
shapes are slow on the CPU), and their ratio RDE / Motifs; RDE's loss
alone (forward and backward, on the inputs the head gave it in a step) and
the ratio it implies, (Motifs step + RDE loss) / Motifs step, which is
steadier than the ratio of two noisy steps on a shared machine; peak RSS
growth during a training step (median over the steps; Linux
only, after ``malloc_trim``); training-only RDE parameters. Predictions of
the two models are compared after loading the RDE model's weights into the
plain one.

Usage::

    python benchmarks/bench_rde.py [--iters 3] [--settings protocol demo]
    # the protocol's 1,024 pairs per image (about 4x slower):
    python benchmarks/bench_rde.py --settings protocol --num-pairs 1024 \\
        --num-objects 40 --num-rels 256
    # train step and predict time of each head relative to Motifs:
    python benchmarks/bench_rde.py --settings heads --num-pairs 1024 \\
        --num-objects 40 --num-rels 256
    # loss magnitudes at the start, 4 images of 1,024 pairs:
    python benchmarks/bench_rde.py --settings losses --num-images 4 \\
        --num-pairs 1024 --num-objects 40 --num-rels 256
"""
import argparse
import ctypes
import os.path as osp
import re
import statistics
import time
from typing import Callable, Dict, List, NamedTuple, Optional, Sequence

import numpy as np
import torch
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.optim import OptimWrapper
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmengine.structures import InstanceData
from terminaltables import AsciiTable
from torch import Tensor, nn

import mmsgg_rde  # noqa: F401  (registers all modules)
from mmsgg_rde.datasets import compute_frequency_statistics, ensure_synthvg
from mmsgg_rde.structures import SceneGraphDataSample

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
PROTOCOL_CONFIGS = ('configs/motifs/motifs_x101_fpn_predcls_vg150.py',
                    'configs/rde/motifs_rde_predcls.py')
#: The plain protocol heads of the ``heads`` setting, Motifs first.
HEAD_CONFIGS = {
    head: f'configs/{head.lower()}/{head.lower()}_x101_fpn_predcls_vg150.py'
    for head in ('Motifs', 'VCTree', 'Transformer', 'IMP')
}
DEMO_CONFIGS = ('configs/demo/motifs_demo_predcls.py',
                'configs/rde/motifs_rde_demo_predcls.py')
#: Protocol input: test-scale image, FPN width and strides.
IMG_SHAPE = (600, 1000)
FPN_CHANNELS = 256
FPN_STRIDES = (4, 8, 16, 32)
PAD_DIVISOR = 32
#: Random box sizes (pixels) of the protocol setting.
MIN_BOX, MAX_BOX = 32, 400
SGD = dict(lr=0.01, momentum=0.9, weight_decay=1e-4)
COLUMNS = ('setting', 'model', 'train ms', 'ratio', 'RDE loss ms',
           'est. ratio', 'peak MB', 'predict ms', 'ratio', 'RDE params M',
           'same preds')


class PeakRSS:
    """Peak resident memory growth of a code block (Linux).

    Freed heap memory is returned to the system (``malloc_trim``) and the
    kernel's high-water mark is reset (``/proc/self/clear_refs``) on entry;
    ``growth`` is then the peak RSS minus the RSS at entry, in bytes, or
    None where this is not available.
    """

    def __init__(self) -> None:
        self.growth: Optional[int] = None
        try:
            self._libc = ctypes.CDLL('libc.so.6')
            self._rss('VmHWM')
        except (OSError, AttributeError):
            self._libc = None

    @staticmethod
    def _rss(key: str) -> int:
        with open('/proc/self/status') as f:
            match = re.search(rf'{key}:\s+(\d+) kB', f.read())
        if match is None:
            raise OSError(f'/proc/self/status has no {key}')
        return int(match.group(1)) * 1024

    def __enter__(self) -> 'PeakRSS':
        self.growth = None
        if self._libc is not None:
            self._libc.malloc_trim(0)
            try:
                with open('/proc/self/clear_refs', 'w') as f:
                    f.write('5')
            except OSError:
                self._libc = None
            else:
                self._start = self._rss('VmRSS')
        return self

    def __exit__(self, *exc) -> None:
        if self._libc is not None:
            self.growth = self._rss('VmHWM') - self._start


class Case(NamedTuple):
    """One model of a setting and how to run it."""
    name: str
    model: nn.Module
    train_step: Callable[[int], None]
    predict: Callable[[int], List[InstanceData]]


class Result(NamedTuple):
    """Measurements of one case."""
    train_ms: float
    predict_ms: float
    peak_mb: Optional[float]
    rde_ms: Optional[float]


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--settings',
        nargs='+',
        default=['protocol', 'demo'],
        choices=['protocol', 'heads', 'demo', 'losses'])
    parser.add_argument('--iters', type=int, default=3, help='timed steps')
    parser.add_argument(
        '--warmup',
        type=int,
        default=2,
        help='untimed steps first (at least --num-batches)')
    parser.add_argument(
        '--num-batches',
        type=int,
        default=2,
        help='demo: SynthVG batches, cycled')
    parser.add_argument(
        '--mem-iters',
        type=int,
        default=1,
        help='training steps measured for peak memory (<= --iters)')
    parser.add_argument('--num-images', type=int, default=1)
    parser.add_argument('--num-objects', type=int, default=24)
    parser.add_argument('--num-rels', type=int, default=64)
    parser.add_argument(
        '--num-pairs',
        type=int,
        default=256,
        help='sampled training pairs per image (protocol: 1024)')
    parser.add_argument(
        '--prior-images',
        type=int,
        default=300,
        help='losses: random scenes the frequency prior is counted on')
    parser.add_argument('--data-root', default='data/synthvg/')
    parser.add_argument(
        '--threads',
        type=int,
        default=1,
        help='torch CPU threads (1 is steadiest on a shared machine)')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    if args.iters < 1 or args.num_batches < 1:
        parser.error('--iters and --num-batches must be >= 1')
    if 'demo' in args.settings and args.warmup < args.num_batches:
        parser.error('--warmup must be >= --num-batches: each batch meets '
                     'its first (slower) run before the timing')
    if not 1 <= args.mem_iters <= args.iters:
        parser.error('--mem-iters must be in 1..--iters')
    max_rels = args.num_objects * (args.num_objects - 1)
    if args.num_objects < 2 or not 0 < args.num_rels <= max_rels:
        parser.error(f'--num-rels must be in 1..{max_rels} (ordered pairs '
                     'of --num-objects, which must be >= 2)')
    return args


def load_config(path: str) -> Config:
    """A config under the repository root."""
    return Config.fromfile(osp.join(REPO_ROOT, path))


def rde_params(model: nn.Module) -> float:
    """Parameters of the RDE modules, in millions."""
    return sum(p.numel() for name, p in model.named_parameters()
               if '.rde.' in f'.{name}') / 1e6


def random_scene(gen: torch.Generator, num_objects: int,
                 num_rels: int) -> SceneGraphDataSample:
    """A sample with random GT boxes, classes and relations."""
    height, width = IMG_SHAPE
    size = torch.empty(num_objects, 2).uniform_(
        MIN_BOX, MAX_BOX, generator=gen)
    size = torch.minimum(size, torch.tensor([width - 1., height - 1.]))
    room = torch.tensor([width, height]) - size
    corner = torch.rand(num_objects, 2, generator=gen) * room
    pairs = torch.nonzero(~torch.eye(num_objects, dtype=torch.bool))
    pairs = pairs[torch.randperm(len(pairs), generator=gen)[:num_rels]]
    sample = SceneGraphDataSample(
        metainfo=dict(
            img_shape=IMG_SHAPE, ori_shape=IMG_SHAPE, scale_factor=(1., 1.)))
    sample.gt_instances = InstanceData(
        bboxes=torch.cat([corner, corner + size], dim=1),
        labels=torch.randint(0, 150, (num_objects, ), generator=gen))
    sample.gt_relations = InstanceData(
        pairs=pairs, labels=torch.randint(1, 51, (num_rels, ), generator=gen))
    return sample


def fpn_features(gen: torch.Generator, num_images: int) -> List[Tensor]:
    """Random multi-level features of a padded batch."""
    height, width = (-(-s // PAD_DIVISOR) * PAD_DIVISOR for s in IMG_SHAPE)
    return [
        torch.randn(
            num_images,
            FPN_CHANNELS,
            height // stride,
            width // stride,
            generator=gen) for stride in FPN_STRIDES
    ]


def build_head(path: str, num_pairs: int) -> nn.Module:
    """The relation head of a config, as SceneGraphRCNN builds it.

    The sampler keeps ``num_pairs`` pairs per image.
    """
    model_cfg = load_config(path).model
    model_cfg.train_cfg.relation.sampler.num = num_pairs
    head_cfg = dict(
        model_cfg.relation_head,
        mode=model_cfg.mode,
        train_cfg=model_cfg.train_cfg.relation,
        test_cfg=model_cfg.test_cfg.relation)
    # No GloVe vectors needed for timings.
    if 'embed_init' in head_cfg:
        head_cfg['embed_init'] = 'random'
    if 'glove_dir' in head_cfg.get('context', {}):
        head_cfg['context']['glove_dir'] = None
    head = MODELS.build(head_cfg)
    head.init_weights()
    return head


class ProtocolInputs(NamedTuple):
    """Fixed inputs of the protocol setting."""
    feats: tuple
    samples: List[SceneGraphDataSample]

    def objects(self) -> List[InstanceData]:
        """Fresh GT objects (the head writes into them)."""
        return [
            InstanceData(
                bboxes=s.gt_instances.bboxes,
                labels=s.gt_instances.labels,
                scores=torch.ones(len(s.gt_instances))) for s in self.samples
        ]


def protocol_inputs(args: argparse.Namespace,
                    gen: torch.Generator) -> ProtocolInputs:
    """Random FPN features and scenes of ``--num-images`` images."""
    feats = tuple(fpn_features(gen, args.num_images))
    samples = [
        random_scene(gen, args.num_objects, args.num_rels)
        for _ in range(args.num_images)
    ]
    return ProtocolInputs(feats, samples)


def head_case(name: str, head: nn.Module, inputs: ProtocolInputs) -> Case:
    """A relation head's SGD training step and predict on fixed inputs."""
    feats, samples, objects = inputs.feats, inputs.samples, inputs.objects
    optimizer = torch.optim.SGD(head.parameters(), **SGD)

    def train_step(_: int) -> None:
        head.train()
        losses = head.loss(feats, objects(), samples)
        optimizer.zero_grad(set_to_none=True)
        sum(losses.values()).backward()
        optimizer.step()

    def predict(_: int) -> List[InstanceData]:
        head.eval()
        with torch.no_grad():
            obj_results, rel_results = head.predict(feats, objects(), samples)
        return obj_results + rel_results

    return Case(name, head, train_step, predict)


def protocol_cases(args: argparse.Namespace) -> List[Case]:
    """Plain and RDE Motifs heads at protocol sizes on random inputs."""
    inputs = protocol_inputs(args, torch.Generator().manual_seed(args.seed))
    cases = []
    for name, path in zip(('Motifs', 'Motifs+RDE'), PROTOCOL_CONFIGS):
        head = build_head(path, args.num_pairs)
        if cases:
            head.load_state_dict(cases[0].model.state_dict(), strict=False)
        cases.append(head_case(name, head, inputs))
    return cases


def heads_cases(args: argparse.Namespace) -> List[Case]:
    """The four plain protocol heads on the same random inputs."""
    inputs = protocol_inputs(args, torch.Generator().manual_seed(args.seed))
    return [
        head_case(name, build_head(path, args.num_pairs), inputs)
        for name, path in HEAD_CONFIGS.items()
    ]


def random_prior(gen: torch.Generator, args: argparse.Namespace) -> Tensor:
    """The log frequency bias of ``--prior-images`` random scenes."""
    scenes = [
        random_scene(gen, args.num_objects, args.num_rels)
        for _ in range(args.prior_images)
    ]
    offsets = np.arange(len(scenes) + 1)
    stats = compute_frequency_statistics(
        torch.cat([s.gt_instances.labels for s in scenes]).numpy(),
        torch.cat([s.gt_instances.bboxes for s in scenes]).numpy(),
        torch.cat([
            torch.cat([s.gt_relations.pairs, s.gt_relations.labels[:, None]],
                      dim=1) for s in scenes
        ]).numpy(),
        offsets * args.num_objects,
        offsets * args.num_rels,
        num_classes=150,
        num_predicates=50)
    return stats['pred_dist']


def loss_magnitudes(args: argparse.Namespace) -> List[List[str]]:
    """First-step losses of Motifs + RDE at protocol sizes, with the norm
    of each loss's gradient on the relation features f_k."""
    gen = torch.Generator().manual_seed(args.seed)
    inputs = protocol_inputs(args, gen)
    head = build_head(PROTOCOL_CONFIGS[1], args.num_pairs)
    head.freq_bias.set_prior(random_prior(gen, args))
    head.freq_bias.init_weights()
    recorded = {}
    loss_fn = head.rde.loss

    def record(*rde_inputs):
        recorded['rel_feats'] = rde_inputs[0]
        return loss_fn(*rde_inputs)

    head.rde.loss = record
    head.train()
    torch.manual_seed(args.seed)
    losses = head.loss(inputs.feats, inputs.objects(), inputs.samples)
    rel_feats = recorded['rel_feats']
    rows = [['loss', 'value', '|d loss / d f_k|']]
    for name, value in losses.items():
        grad, = torch.autograd.grad(value, rel_feats, retain_graph=True)
        rows.append([name, f'{value.item():.3f}', f'{grad.norm().item():.4f}'])
    return rows


def demo_cases(args: argparse.Namespace) -> List[Case]:
    """Plain and RDE demo models on SynthVG batches."""
    ensure_synthvg(args.data_root)
    batches = {}
    for split in ('train_dataloader', 'test_dataloader'):
        loader_cfg = load_config(DEMO_CONFIGS[0])[split]
        loader_cfg.dataset.data_root = args.data_root
        loader_cfg.update(num_workers=0, persistent_workers=False)
        loader = Runner.build_dataloader(loader_cfg, seed=args.seed)
        batches[split] = [
            batch for batch, _ in zip(loader, range(args.num_batches))
        ]

    cases = []
    for name, path in zip(('Motifs', 'Motifs+RDE'), DEMO_CONFIGS):
        torch.manual_seed(args.seed)
        model = MODELS.build(load_config(path).model)
        model.init_weights()
        if cases:
            model.load_state_dict(cases[0].model.state_dict(), strict=False)
        optim_wrapper = OptimWrapper(
            torch.optim.SGD(model.parameters(), **SGD))

        def train_step(i: int, model=model, optim_wrapper=optim_wrapper):
            model.train()
            train = batches['train_dataloader']
            model.train_step(train[i % len(train)], optim_wrapper)

        def predict(i: int, model=model) -> List[InstanceData]:
            model.eval()
            with torch.no_grad():
                test = batches['test_dataloader']
                out = model.test_step(test[i % len(test)])
            instances = [s.pred_instances for s in out]
            return instances + [s.pred_relations for s in out]

        cases.append(Case(name, model, train_step, predict))
    return cases


def interleaved_times(cases: Sequence[Case], step: str, warmup: int,
                      iters: int, seed: int) -> Dict[str, List[float]]:
    """Seconds of each case's ``step``, the cases taking turns.

    Step ``i`` of both cases uses input ``i`` (of a cycled pool) and the
    same global seed, so both sample the same training pairs; which case
    goes first alternates, so that neither always meets cold caches.
    """
    times = {case.name: [] for case in cases}
    for i in range(warmup + iters):
        for case in (cases if i % 2 == 0 else cases[::-1]):
            torch.manual_seed(seed + i)
            start = time.perf_counter()
            getattr(case, step)(i)
            if i >= warmup:
                times[case.name].append(time.perf_counter() - start)
    return times


def peak_train_memory(case: Case, iters: int, seed: int) -> Optional[float]:
    """Median peak RSS growth (MB) of the first ``iters`` training steps."""
    peaks = []
    tracker = PeakRSS()
    for i in range(iters):
        torch.manual_seed(seed + i)
        with tracker:
            case.train_step(i)
        if tracker.growth is None:
            return None
        peaks.append(tracker.growth / 2**20)
    return statistics.median(peaks)


def same_predictions(cases: Sequence[Case]) -> bool:
    """Load the RDE model's weights into the plain one, compare outputs."""
    plain, with_rde = cases
    plain.model.load_state_dict(with_rde.model.state_dict())
    return all(
        _same_instances(a, b)
        for a, b in zip(plain.predict(0), with_rde.predict(0)))


def _same_instances(a: InstanceData, b: InstanceData) -> bool:
    """Whether two ``InstanceData`` hold equal tensors."""
    return a.keys() == b.keys() and all(
        torch.equal(a.get(key), b.get(key)) for key in a.keys())


def rde_loss_ms(case: Case, iters: int, seed: int) -> Optional[float]:
    """Median ms of RDE's loss alone (forward and backward).

    The inputs the relation head passes to ``rde.loss`` in a training step
    are recorded, then ``rde.loss`` is timed on them in isolation: a less
    noisy estimate of what RDE adds to a step than the difference of two
    steps on a busy machine.
    """
    head = getattr(case.model, 'relation_head', case.model)
    if head.rde is None:
        return None
    recorded = {}
    loss_fn = head.rde.loss

    def record(*inputs):
        recorded['inputs'] = inputs
        return loss_fn(*inputs)

    head.rde.loss = record
    torch.manual_seed(seed)
    try:
        case.train_step(0)
    finally:
        del head.rde.loss
    rel_feats, *labels, classifier = recorded['inputs']
    times = []
    for _ in range(iters):
        feats = rel_feats.detach().requires_grad_()
        start = time.perf_counter()
        sum(head.rde.loss(feats, *labels, classifier).values()).backward()
        times.append(time.perf_counter() - start)
    head.zero_grad(set_to_none=True)
    return 1e3 * statistics.median(times)


def run_setting(cases: Sequence[Case],
                args: argparse.Namespace) -> Dict[str, Result]:
    """Time and measure both cases of a setting."""
    train = interleaved_times(cases, 'train_step', args.warmup, args.iters,
                              args.seed)
    peaks = {
        case.name: peak_train_memory(case, args.mem_iters, args.seed)
        for case in cases
    }
    test = interleaved_times(cases, 'predict', args.warmup, args.iters,
                             args.seed)
    results = {}
    for case in cases:
        results[case.name] = Result(
            train_ms=1e3 * statistics.median(train[case.name]),
            predict_ms=1e3 * statistics.median(test[case.name]),
            peak_mb=peaks[case.name],
            rde_ms=rde_loss_ms(case, args.warmup + args.iters, args.seed))
    return results


def table_rows(setting: str, cases: Sequence[Case], results: Dict[str, Result],
               same: Optional[bool]) -> List[List[str]]:
    """Rows of the printed table (see ``COLUMNS``) for one setting;
    ``same``: whether the plain and RDE model predict the same (None where
    the setting compares other models)."""
    base = results[cases[0].name]
    rows = []
    for case in cases:
        res = results[case.name]
        rde_cols = ['-', '-']
        if res.rde_ms is not None:
            rde_cols = [
                f'{res.rde_ms:.0f}',
                f'{(base.train_ms + res.rde_ms) / base.train_ms:.2f}'
            ]
        rows.append([
            setting, case.name, f'{res.train_ms:.0f}',
            f'{res.train_ms / base.train_ms:.2f}', *rde_cols,
            'n/a' if res.peak_mb is None else f'{res.peak_mb:.0f}',
            f'{res.predict_ms:.0f}', f'{res.predict_ms / base.predict_ms:.2f}',
            f'{rde_params(case.model):.2f}',
            '-' if same is None else 'yes' if same else 'NO'
        ])
    return rows


def main() -> None:
    args = parse_args()
    torch.set_num_threads(args.threads)
    init_default_scope('mmdet')
    # Keep the models' initialisation reports out of the table's way.
    MMLogger.get_instance('bench_rde', log_level='WARNING')
    builders = dict(
        protocol=protocol_cases, heads=heads_cases, demo=demo_cases)
    rows = [list(COLUMNS)]
    for setting in args.settings:
        if setting == 'losses':
            print('Losses of the first Motifs + RDE step at protocol sizes '
                  f'({args.num_images} images, {args.num_pairs} pairs, '
                  f'{args.num_rels} GT relations each):\n' +
                  AsciiTable(loss_magnitudes(args)).table)
            continue
        cases = builders[setting](args)
        same = None if setting == 'heads' else same_predictions(cases)
        rows += table_rows(setting, cases, run_setting(cases, args), same)
    if len(rows) == 1:
        return
    print(f'torch {torch.__version__}, {torch.get_num_threads()} threads; '
          f'protocol: {args.num_images} image(s), {args.num_objects} objects, '
          f'{args.num_rels} GT relations, {args.num_pairs} sampled pairs '
          f'each; {args.iters} timed steps after {args.warmup} warmup')
    print(AsciiTable(rows).table)


if __name__ == '__main__':
    main()
