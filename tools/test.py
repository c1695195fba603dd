"""Test (and evaluate) a scene graph model with mmengine's Runner.

Follows mmdet 3.3's ``tools/test.py`` without its TTA option, which has no
scene graph counterpart. ``--out`` writes the scene graphs to a results file
(layout: docs/inference.md) that ``tools/analysis_tools/eval_metric.py``
re-evaluates offline with the same numbers; ``--show-dir`` draws ground
truth and prediction side by side for every test image. Errors in the
user's files or settings are printed as one line (``MMSGG_RDE_DEBUG=1``
shows the traceback). The runner is :class:`~mmsgg_rde.engine.SceneGraphRunner`
as in ``tools/train.py``.
"""
import argparse
import os
import os.path as osp

from mmdet.engine.hooks.utils import trigger_visualization_hook
from mmdet.registry import RUNNERS
from mmdet.utils import setup_cache_size_limit_of_dynamo
from mmengine.config import Config, DictAction

import mmsgg_rde  # noqa: F401  (registers all modules)
from mmsgg_rde.engine import SceneGraphRunner, register_checkpoint_loaders
from mmsgg_rde.evaluation import DumpSceneGraphResults
from mmsgg_rde.utils import run_cli, setup_cpu_distributed


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Test (and evaluate) a scene graph model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--work-dir',
        help='the directory to save the file containing evaluation metrics')
    parser.add_argument(
        '--out',
        type=str,
        help='write the scene graphs to a results file (.pkl) for offline '
        'evaluation and tools/analysis_tools/')
    parser.add_argument(
        '--show', action='store_true', help='show the pictures in a window')
    parser.add_argument(
        '--show-dir',
        help='draw ground truth and prediction of each image into this '
        'folder (under work_dir/timestamp)')
    parser.add_argument(
        '--wait-time', type=float, default=2, help='seconds of --show')
    parser.add_argument(
        '--trust-checkpoint',
        action='store_true',
        help='load a checkpoint that needs full unpickling, which can run '
        'arbitrary code. Only for files from a source you trust.')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override some settings in the used config, the key-value pair '
        'in xxx=yyy format will be merged into config file. If the value to '
        'be overwritten is a list, it should be like key="[a,b]" or key=a,b '
        'It also allows nested list/tuple values, e.g. key="[(a,b),(c,d)]" '
        'Note that the quotation marks are necessary and that no white space '
        'is allowed.')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    # torch.distributed.launch passes `--local-rank` on torch >= 2.0.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    if args.out is not None and not args.out.endswith(('.pkl', '.pickle')):
        parser.error(f'--out {args.out}: the dump file must end with .pkl '
                     'or .pickle')
    return args


def results_dumper(cfg: Config, out_file: str) -> DumpSceneGraphResults:
    """A results writer for ``--out`` that keeps what the config's
    SceneGraphMetric needs (its mode and largest K)."""
    metrics = cfg.test_evaluator
    metrics = [metrics] if isinstance(metrics, dict) else metrics
    for metric in metrics:
        if metric.get('type') == 'SceneGraphMetric':
            return DumpSceneGraphResults(
                out_file,
                mode=metric['mode'],
                num_relations=max(metric.get('topk', (20, 50, 100))))
    return DumpSceneGraphResults(out_file, mode=cfg.model.mode)


def main() -> None:
    """Build the runner from the config, load the checkpoint and test."""
    args = parse_args()

    # Reduce the number of repeated compilations and improve testing speed.
    setup_cache_size_limit_of_dynamo()

    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)

    # work_dir is determined in this priority: CLI > segment in file > filename
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])

    cfg.load_from = args.checkpoint

    if args.show or args.show_dir:
        cfg = trigger_visualization_hook(cfg, args)

    register_checkpoint_loaders(trust_checkpoint=args.trust_checkpoint)
    setup_cpu_distributed(cfg)

    if 'runner_type' not in cfg:
        runner = SceneGraphRunner.from_cfg(cfg)
    else:
        runner = RUNNERS.build(cfg)

    if args.out is not None:
        dumper = results_dumper(cfg, args.out)
        dumper.dataset_meta = runner.test_evaluator.dataset_meta
        runner.test_evaluator.metrics.append(dumper)

    runner.test()


if __name__ == '__main__':
    run_cli(main)
