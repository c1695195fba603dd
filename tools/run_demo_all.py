"""``make demo-all``: the whole two-stage workflow on SynthVG, all modes.

1. Generates the SynthVG world of the configs (the default world, seed 0,
   ``data/synthvg``) if it is missing.
2. Trains the SynthVG detector (``DETECTOR_CONFIG``) and tests its mAP@0.5
   on the test split.
3. For each mode, PredCls, SGCls and SGDet: evaluates the frequency prior on
   the objects of that mode (the GT objects; the GT boxes with the
   detector's labels; the detector's detections), then trains and tests
   Motifs and Motifs + RDE on the frozen detector (``RELATION_CONFIGS``,
   which load it through ``model.detector_checkpoint``); ``--models``
   selects others (VCTree, Transformer, IMP, each with and without RDE;
   ``all``: the eight).
4. Prints the detector's mAP and one table per mode, says whether each model
   beats the prior on R@50 and mR@50 (non-zero exit if one does not), and
   writes every metric to ``--work-dir/metrics.json``.

Each run reuses its final checkpoint when present, so a second run only
evaluates; remove a run's folder under ``--work-dir`` to train it again
(and the relation runs' folders when the detector is trained again).
"""
import argparse
import json
import os.path as osp
import sys
import time
from typing import Dict, List, Optional, Sequence, Tuple

from mmengine.config import Config, DictAction
from mmengine.logging import print_log

import mmsgg_rde  # noqa: F401  (registers all modules)
from mmsgg_rde.apis import (beats_prior, evaluate_frequency_prior,
                            final_checkpoint, metric_table, prepare_synthvg,
                            synthvg_config, train_or_reuse)

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DETECTOR_CONFIG = 'configs/detectors/faster-rcnn_r18-w16_fpn_synthvg.py'
#: The detector metric reported (mmdet's VOCMetric, IoU 0.5).
DETECTOR_METRIC = 'pascal_voc/mAP'
MODES = ('predcls', 'sgcls', 'sgdet')
#: (row name, config file prefix) of each relation head with demo configs
#: on the SynthVG detector (``configs/demo/<prefix>_demo_det_<mode>.py``).
DEMO_HEADS = (('Motifs', 'motifs'), ('VCTree', 'vctree'),
              ('Transformer', 'transformer'), ('IMP', 'imp'))
#: (row name, config with a ``{mode}`` field): each head, plain and with RDE.
RELATION_CONFIGS = tuple(
    run for name, prefix in DEMO_HEADS
    for run in ((name, f'configs/demo/{prefix}_demo_det_{{mode}}.py'),
                (f'{name}+RDE',
                 f'configs/rde/{prefix}_rde_demo_det_{{mode}}.py')))
#: The models run when ``--models`` is not given (``all``: every one above).
DEFAULT_MODELS = ('Motifs', 'Motifs+RDE')
#: Columns of the printed tables (metrics.json has all of them).
COLUMNS = ('R@20', 'R@50', 'R@100', 'mR@20', 'mR@50', 'mR@100', 'ng-R@50',
           'ng-mR@50', 'zR@50', 'F@50', 'A@50')
BASELINE_CHECKS = ('R@50', 'mR@50')

Row = Tuple[str, Dict[str, float]]


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--modes',
        nargs='*',
        choices=MODES,
        default=list(MODES),
        help='modes to run after the detector (default: all; none: the '
        'detector only)')
    parser.add_argument(
        '--models',
        nargs='+',
        choices=[name for name, _ in RELATION_CONFIGS] + ['all'],
        default=list(DEFAULT_MODELS),
        help='relation models to run in each mode (default: '
        f'{" ".join(DEFAULT_MODELS)}; all: every head with and without RDE)')
    parser.add_argument(
        '--data-root',
        help='SynthVG folder for every run (default: the configs\')')
    parser.add_argument('--seed', type=int, default=0, help='training seed')
    parser.add_argument('--work-dir', default='work_dirs/demo_all')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        default={},
        help='key=value settings merged into every config (detector and '
        'relation models), as tools/train.py\'s')
    args = parser.parse_args()
    if 'all' in args.models:
        args.models = [name for name, _ in RELATION_CONFIGS]
    return args


def run_config(path: str,
               name: str,
               args: argparse.Namespace,
               detector: Optional[str] = None) -> Config:
    """The config of one run, in its own work dir, on ``detector``."""
    options = dict(args.cfg_options)
    if detector is not None:
        options['model.detector_checkpoint'] = detector
    return synthvg_config(
        osp.join(REPO_ROOT, path),
        work_dir=osp.join(args.work_dir, name.replace('+', '_')),
        seed=args.seed,
        data_root=args.data_root,
        options=options)


def run_mode(mode: str, detector: str, args: argparse.Namespace) -> List[Row]:
    """The prior, then each relation model trained (or reused) and tested."""
    runs = [
        (name,
         run_config(path.format(mode=mode), f'{mode}_{name}', args, detector))
        for name, path in RELATION_CONFIGS if name in args.models
    ]
    first = runs[0][1]
    print_log(f'==> [{mode}] frequency prior', logger='current')
    rows = [('frequency prior',
             evaluate_frequency_prior(first, evaluator=first.test_evaluator))]
    for name, cfg in runs:
        print_log(f'==> [{mode}] {name}: {cfg.filename}', logger='current')
        rows.append((name, train_or_reuse(cfg)))
    return rows


def report(mode: str, rows: Sequence[Row]) -> bool:
    """Print a mode's table; whether every model beats the prior."""
    prior = rows[0][1]
    verdicts = [(name, beats_prior(prior, metrics, mode, BASELINE_CHECKS))
                for name, metrics in rows[1:]]
    # A@K exists in PredCls and SGCls only.
    columns = [col for col in COLUMNS if f'{mode}/{col}' in prior]
    table = metric_table(rows, mode, columns)
    print(f'\nSynthVG test split, {mode} (%), frequency prior on the same '
          f'objects:\n{table}')
    for name, beaten in verdicts:
        print(f"{name} beats the frequency prior on "
              f"{' and '.join(BASELINE_CHECKS)}: "
              f"{'yes' if beaten else 'NO'}")
    return all(beaten for _, beaten in verdicts)


def main() -> int:
    """Run the demo; non-zero exit when a model does not beat the prior."""
    args = parse_args()
    start = time.time()
    det_cfg = run_config(DETECTOR_CONFIG, 'detector', args)
    prepare_synthvg(det_cfg)
    print_log(f'==> detector: {det_cfg.filename}', logger='current')
    results = {'detector': train_or_reuse(det_cfg)}
    detector = final_checkpoint(det_cfg)
    tables = {mode: run_mode(mode, detector, args) for mode in args.modes}

    print(
        f'\nDetector ({DETECTOR_CONFIG}, {detector}): mAP@0.5 on the '
        f'SynthVG test split {100 * results["detector"][DETECTOR_METRIC]:.2f}')
    beaten = [report(mode, rows) for mode, rows in tables.items()]
    results.update({mode: dict(rows) for mode, rows in tables.items()})
    metrics_file = osp.join(args.work_dir, 'metrics.json')
    with open(metrics_file, 'w') as f:
        json.dump(results, f, indent=1, default=float)
    print(f'All metrics: {metrics_file}\nDemo wall time: '
          f'{time.time() - start:.0f} s; checkpoints and logs under '
          f'{args.work_dir}/')
    return 0 if all(beaten) else 1


if __name__ == '__main__':
    sys.exit(main())
