"""Debiasing comparison on the biased SynthVG world, over several seeds.

Trains and tests, with the demo Motifs model on the biased world
(``configs/demo/motifs_demo_biased_predcls.py``): plain Motifs, the three
debiasing baselines (reweighted loss, resampling, logit adjustment at train
time and post hoc), Motifs + RDE, Motifs + RDE without each of its parts
(the switches of ``configs/rde/ablations/``), the control of RDE's extra
foreground cross-entropy, and RDE combined with reweighting. Prints mean
+- std over the seeds of R@50/100, mR@50/100, F@50 and head/body/tail
mR@50, as a Markdown table (also written to ``<work-dir>/table.md``).

Every run goes to ``<work-dir>/<row>/seed<k>/`` and its test metrics to
``metrics.json`` there; runs whose metrics exist are skipped, so an
interrupted table resumes where it stopped. Each run is a separate process
(``--lock`` runs each under ``flock``).

Usage::

    python tools/analysis_tools/debias_table.py --lock /tmp/mmsgg-heavy.lock
    python tools/analysis_tools/debias_table.py --rows Motifs +RDE --seeds 0
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import time
from typing import Dict, List, NamedTuple, Optional, Sequence

import numpy as np
from mmengine.config import Config, DictAction

from mmsgg_rde.apis import (final_checkpoint, prepare_synthvg, synthvg_config,
                            train_and_test)

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
RDE_BASE = 'configs/rde/motifs_rde_predcls.py'
ABLATION = 'configs/rde/ablations/motifs_rde_predcls_{}.py'
RDE_KEY = 'model.relation_head.rde'


class Row(NamedTuple):
    """One row of the table.

    Attributes:
        name: Row name (also its folder, made path-safe).
        config: Config file.
        ablation: Suffix of an ablation config whose RDE switches are
            applied on top of ``config``, or None.
        test_of: Name of the row whose final checkpoint is tested with
            ``config`` instead of training (post-hoc methods), or None.
    """
    name: str
    config: str
    ablation: Optional[str] = None
    test_of: Optional[str] = None


RDE_DEMO = 'configs/rde/motifs_rde_demo_biased_predcls.py'
ROWS = (
    Row('Motifs', 'configs/demo/motifs_demo_biased_predcls.py'),
    Row('+reweight', 'configs/debias/motifs_demo_biased_reweight.py'),
    Row('+resample', 'configs/debias/motifs_demo_biased_resample.py'),
    Row('+logit adj. (train)',
        'configs/debias/motifs_demo_biased_logit-adjust.py'),
    Row('+logit adj. (post hoc)',
        'configs/debias/motifs_demo_biased_logit-adjust-posthoc.py',
        test_of='Motifs'),
    Row('+RDE', RDE_DEMO),
    Row('+RDE w/o L_proto', RDE_DEMO, 'no-loss-proto'),
    Row('+RDE w/o L_re', RDE_DEMO, 'no-loss-re'),
    Row('+RDE w/o L_info', RDE_DEMO, 'no-loss-info'),
    Row('+RDE w/o L_pred', RDE_DEMO, 'no-loss-pred'),
    Row('+RDE w/o shuffle', RDE_DEMO, 'no-shuffle'),
    Row('+RDE, L_pred on all pairs (control)', RDE_DEMO, 'pred-all-pairs'),
    Row('+RDE+reweight', 'configs/debias/motifs_rde_demo_biased_reweight.py'),
)
#: Table columns (metric names without the ``predcls/`` prefix).
COLUMNS = ('R@50', 'R@100', 'mR@50', 'mR@100', 'F@50', 'head-mR@50',
           'body-mR@50', 'tail-mR@50')


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument(
        '--rows',
        nargs='+',
        default=[row.name for row in ROWS],
        help='names of the rows to run (default: all)')
    parser.add_argument('--work-dir', default='work_dirs/debias_table')
    parser.add_argument(
        '--lock', help='run each training under flock on this file')
    parser.add_argument(
        '--data-root', help='SynthVG folder (default: the configs\')')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        default={},
        help='config overrides of every run (e.g. a quick check with '
        'train_cfg.max_iters=2)')
    parser.add_argument(
        '--run', help=argparse.SUPPRESS)  # one run, in a child process
    parser.add_argument('--seed', type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    unknown = set(args.rows) - {row.name for row in ROWS}
    if unknown:
        parser.error(f'unknown rows {sorted(unknown)}; choose from '
                     f'{[row.name for row in ROWS]}')
    return args


def _flatten(prefix: str, value: object, out: Dict[str, object]) -> None:
    """Dotted keys of nested dicts."""
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(f'{prefix}.{key}', item, out)
    else:
        out[prefix] = value


def _diff(base: dict, changed: dict) -> dict:
    """The entries of ``changed`` that differ from ``base`` (nested)."""
    out = {}
    for key, value in changed.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            sub = _diff(base[key], value)
            if sub:
                out[key] = sub
        elif key not in base or base[key] != value:
            out[key] = value
    return out


def ablation_options(suffix: str) -> Dict[str, object]:
    """The RDE switches of an ablation config, as dotted config options."""
    base = Config.fromfile(osp.join(REPO_ROOT, RDE_BASE)).to_dict()
    ablation = Config.fromfile(osp.join(REPO_ROOT,
                                        ABLATION.format(suffix))).to_dict()
    base_rde = base['model']['relation_head']['rde']
    diff = _diff(base_rde, ablation['model']['relation_head']['rde'])
    options: Dict[str, object] = {}
    for key, value in diff.items():
        _flatten(f'{RDE_KEY}.{key}', value, options)
    return options


def run_dir(work_dir: str, name: str, seed: int) -> str:
    """Folder of one run."""
    safe = ''.join(c if c.isalnum() else '_' for c in name).strip('_')
    return osp.join(work_dir, safe, f'seed{seed}')


def run_config(row: Row, seed: int, args: argparse.Namespace) -> Config:
    """The config of one run."""
    options = dict(args.cfg_options)
    if row.ablation:
        options.update(ablation_options(row.ablation))
    return synthvg_config(
        osp.join(REPO_ROOT, row.config),
        run_dir(args.work_dir, row.name, seed),
        seed,
        data_root=args.data_root,
        options=options)


def run_one(row: Row, seed: int, args: argparse.Namespace) -> None:
    """Train (or test) one row with one seed; write its metrics."""
    cfg = run_config(row, seed, args)
    prepare_synthvg(cfg)
    checkpoint = None
    if row.test_of is not None:
        source = next(r for r in ROWS if r.name == row.test_of)
        checkpoint = final_checkpoint(run_config(source, seed, args))
    start = time.time()
    metrics = train_and_test(cfg, checkpoint)
    metrics['seconds'] = time.time() - start
    with open(osp.join(cfg.work_dir, 'metrics.json'), 'w') as f:
        json.dump(metrics, f, indent=1)


def launch(row: Row, seed: int, args: argparse.Namespace) -> None:
    """Run one (row, seed) in a child process unless its metrics exist."""
    path = osp.join(run_dir(args.work_dir, row.name, seed), 'metrics.json')
    if osp.isfile(path):
        print(f'[skip] {row.name} seed {seed}: {path} exists', flush=True)
        return
    command = [
        sys.executable,
        osp.abspath(__file__), '--run', row.name, '--seed',
        str(seed), '--work-dir', args.work_dir
    ]
    if args.data_root:
        command += ['--data-root', args.data_root]
    if args.cfg_options:
        command += ['--cfg-options'] + [
            f"{key}={str(value).replace(' ', '')}"
            for key, value in args.cfg_options.items()
        ]
    if args.lock:
        command = ['flock', args.lock] + command
    print(f'[run] {row.name} seed {seed}', flush=True)
    env = dict(os.environ, PYTHONPATH=REPO_ROOT)
    subprocess.run(command, check=True, env=env)


def load_metrics(work_dir: str, row: Row,
                 seeds: Sequence[int]) -> List[Dict[str, float]]:
    """The metrics of a row's finished seeds."""
    out = []
    for seed in seeds:
        path = osp.join(run_dir(work_dir, row.name, seed), 'metrics.json')
        if osp.isfile(path):
            with open(path) as f:
                out.append(json.load(f))
    return out


def markdown_table(rows: Sequence[Row], work_dir: str,
                   seeds: Sequence[int]) -> str:
    """Mean +- std (over seeds) of ``COLUMNS`` for each row."""
    lines = [
        '| model | seeds | ' + ' | '.join(COLUMNS) + ' |',
        '|---|---|' + '---|' * len(COLUMNS)
    ]
    for row in rows:
        results = load_metrics(work_dir, row, seeds)
        cells = []
        for col in COLUMNS:
            values = np.array([m[f'predcls/{col}'] for m in results])
            if len(values) > 1:
                cells.append(
                    f'{values.mean():.1f} +- {values.std(ddof=1):.1f}')
            elif len(values) == 1:
                cells.append(f'{values[0]:.1f}')
            else:
                cells.append('-')
        lines.append(f'| {row.name} | {len(results)} | ' + ' | '.join(cells) +
                     ' |')
    return '\n'.join(lines)


def main() -> None:
    args = parse_args()
    by_name = {row.name: row for row in ROWS}
    if args.run is not None:
        run_one(by_name[args.run], args.seed, args)
        return
    rows = [row for row in ROWS if row.name in args.rows]
    start = time.time()
    for seed in args.seeds:
        for row in rows:
            if row.test_of is not None:
                launch(by_name[row.test_of], seed, args)
            launch(row, seed, args)
    table = markdown_table(rows, args.work_dir, args.seeds)
    os.makedirs(args.work_dir, exist_ok=True)
    with open(osp.join(args.work_dir, 'table.md'), 'w') as f:
        f.write(table + '\n')
    print(f'\nBiased SynthVG test split, PredCls (%), mean +- std over '
          f'seeds {args.seeds} ({time.time() - start:.0f} s):\n{table}')


if __name__ == '__main__':
    main()
