"""Train a scene graph model with mmengine's Runner.

Follows mmdet 3.3's ``tools/train.py``. In addition it registers every
``mmsgg_rde`` component, keeps checkpoints loadable on torch >= 2.6 (see
``--trust-checkpoint``) and runs multi-process training on machines without
CUDA with the gloo backend. A config's ``total_batch_size`` (or
``--total-batch-size``) is divided by the number of processes into the
per-process batch size. Errors in the user's files or settings are printed
as one line (``MMSGG_RDE_DEBUG=1`` shows the traceback). The runner is
:class:`~mmsgg_rde.engine.SceneGraphRunner` (unless the config names a
``runner_type``): the terminal shows where the config is, the log file the
whole config, and ``num_workers=0`` turns persistent workers off.
"""
import argparse
import os
import os.path as osp

from mmdet.registry import RUNNERS
from mmdet.utils import setup_cache_size_limit_of_dynamo
from mmengine.config import Config, DictAction
from mmengine.logging import print_log

import mmsgg_rde  # noqa: F401  (registers all modules)
from mmsgg_rde.engine import SceneGraphRunner, register_checkpoint_loaders
from mmsgg_rde.utils import (apply_total_batch_size, launcher_world_size,
                             run_cli, setup_cpu_distributed)


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description='Train a scene graph model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--total-batch-size',
        type=int,
        help='images per iteration over all processes (default: the '
        "config's total_batch_size); it must be a multiple of the number of "
        'processes, and the LR scales with it (auto_scale_lr)')
    parser.add_argument(
        '--amp',
        action='store_true',
        default=False,
        help='enable automatic-mixed-precision training')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='enable automatically scaling LR.')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='If specify checkpoint path, resume from it, while if not '
        'specify, try to auto resume from the latest checkpoint '
        'in the work directory.')
    parser.add_argument(
        '--trust-checkpoint',
        action='store_true',
        help='load checkpoints (load_from, --resume, pretrained weights) '
        'that need full unpickling, which can run arbitrary code. Only for '
        'files from a source you trust.')
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
    return args


def main() -> None:
    """Build the runner from the config and train."""
    args = parse_args()

    # Reduce the number of repeated compilations and improve training speed.
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

    if args.amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.loss_scale = 'dynamic'

    if args.auto_scale_lr:
        if 'auto_scale_lr' in cfg and \
                'enable' in cfg.auto_scale_lr and \
                'base_batch_size' in cfg.auto_scale_lr:
            cfg.auto_scale_lr.enable = True
        else:
            raise RuntimeError(
                f'--auto-scale-lr needs `auto_scale_lr = dict(enable=False, '
                f'base_batch_size=...)` in the config {args.config}; add it '
                'or drop the flag.')

    if args.total_batch_size is not None:
        cfg.total_batch_size = args.total_batch_size
    world_size = launcher_world_size(args.launcher)
    per_process = apply_total_batch_size(cfg, world_size)
    if per_process is not None:
        print_log(
            f'Batch: {cfg.total_batch_size} images per iteration, '
            f'{per_process} on each of {world_size} processes.',
            logger='current')

    # resume is determined in this priority: resume from > auto_resume
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume

    register_checkpoint_loaders(trust_checkpoint=args.trust_checkpoint)
    setup_cpu_distributed(cfg)

    if 'runner_type' not in cfg:
        runner = SceneGraphRunner.from_cfg(cfg)
    else:
        runner = RUNNERS.build(cfg)

    runner.train()


if __name__ == '__main__':
    run_cli(main)
