"""Helpers that run ``tools/train.py`` and ``tools/test.py``."""
import contextlib
import glob
import importlib.util
import itertools
import json
import multiprocessing
import os
import os.path as osp
import socket
import subprocess
import sys
from collections import OrderedDict
from typing import Callable, Dict, Iterator, List, Sequence

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import CheckpointLoader

from mmsgg_rde.datasets.synthvg import generate_synthvg

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOLS_TEST_DIR = osp.dirname(osp.abspath(__file__))
DEMO_CONFIG = osp.join(REPO_ROOT, 'configs', 'demo', 'motifs_demo_predcls.py')
DETECTOR_CONFIG = osp.join(REPO_ROOT, 'configs', 'detectors',
                           'faster-rcnn_r18-w16_fpn_synthvg.py')
# The detector hand-off runs (configs/demo/*_demo_det_*.py): a few seconds.
DET_TRAIN_ITERS = 2
DET_NUM_TEST_IMAGES = 4
# The demo shrunk to seconds: tiny images and splits, a few iterations.
DEMO_IMG_SCALE = (128, 96)
DEMO_TRAIN_ITERS = 2
DEMO_NUM_VAL_IMAGES = 10
# Odd, so that two ranks need the sampler's padding.
DEMO_NUM_TEST_IMAGES = 5
TOOL_TIMEOUT_S = 120
_RUN_IDS = itertools.count()

TOY_CONFIG = """
default_scope = 'mmdet'
custom_imports = dict(imports=['toy_components'], allow_failed_imports=False)
model = dict(type='ToyRegressionModel')
train_dataloader = dict(
    batch_size=2,
    num_workers=0,
    dataset=dict(type='ToyRegressionDataset', num_samples=16),
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'))
test_dataloader = dict(
    batch_size=2,
    num_workers=0,
    dataset=dict(type='ToyRegressionDataset', num_samples=7, seed=1),
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'))
test_evaluator = dict(type='ToyRegressionMetric')
test_cfg = dict(type='TestLoop')
train_cfg = dict(type='IterBasedTrainLoop', max_iters=4, val_interval=100)
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=1e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.5, by_epoch=False, begin=0, end=3)
]
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=2, by_epoch=False),
    logger=dict(type='LoggerHook', interval=1))
custom_hooks = [dict(type='StateRecorderHook')]
log_processor = dict(by_epoch=False)
randomness = dict(seed=0)
env_cfg = dict(dist_cfg=dict(backend='nccl'))
"""


def _free_port() -> int:
    """Return a TCP port that is free right now."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _tool_path(tool: str) -> str:
    """Path of ``tools/<tool>.py``."""
    return osp.join(REPO_ROOT, 'tools', f'{tool}.py')


@contextlib.contextmanager
def _isolated_process_state(argv: List[str]) -> Iterator[None]:
    """Set ``sys.argv``; restore it, the environment and loaders after."""
    saved_argv, saved_env = sys.argv, dict(os.environ)
    saved_loaders = OrderedDict(CheckpointLoader._schemes)
    sys.argv = argv
    try:
        yield
    finally:
        sys.argv = saved_argv
        os.environ.clear()
        os.environ.update(saved_env)
        CheckpointLoader._schemes = saved_loaders


def _run_in_process(tool: str, args: List[str]) -> None:
    """Run a tool's ``main()`` in this process (no import cost)."""
    spec = importlib.util.spec_from_file_location(f'tools_{tool}',
                                                  _tool_path(tool))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with _isolated_process_state([_tool_path(tool), *args]):
        module.main()


def _forked_worker(tool: str, args: List[str], rank: int, world_size: int,
                   port: int) -> None:
    """One rank of a forked run, with the environment torchrun sets."""
    os.environ.update(
        RANK=str(rank),
        LOCAL_RANK=str(rank),
        WORLD_SIZE=str(world_size),
        LOCAL_WORLD_SIZE=str(world_size),
        MASTER_ADDR='127.0.0.1',
        MASTER_PORT=str(port))
    torch.set_num_threads(1)
    _run_in_process(tool, [*args, '--launcher', 'pytorch'])


def _run_forked(tool: str, args: List[str], nproc: int) -> None:
    """Run a tool's ``main()`` in ``nproc`` processes forked from this one.

    The ranks get the environment ``torch.distributed.run`` would give them
    but skip its start-up and the imports, which take most of the time.
    """
    port = _free_port()
    context = multiprocessing.get_context('fork')
    workers = [
        context.Process(
            target=_forked_worker, args=(tool, args, rank, nproc, port))
        for rank in range(nproc)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(TOOL_TIMEOUT_S)
    for worker in workers:
        if worker.is_alive():
            worker.kill()
            worker.join()
    exit_codes = [worker.exitcode for worker in workers]
    if any(code != 0 for code in exit_codes):
        pytest.fail(f'tools/{tool}.py {" ".join(args)} with {nproc} '
                    f'processes exited with {exit_codes}; see stderr.')


def _run_script(script: str, args: Sequence[str]) -> None:
    """Run a shell script of ``tools/`` with this interpreter."""
    env = dict(os.environ)
    paths = [TOOLS_TEST_DIR, env.get('PYTHONPATH', '')]
    env.update(
        PYTHONPATH=os.pathsep.join(p for p in paths if p),
        PYTHON=sys.executable,
        PORT=str(_free_port()),
        OMP_NUM_THREADS='1')
    cmd = ['bash', osp.join(REPO_ROOT, 'tools', script), *args]
    proc = subprocess.run(
        cmd,
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=TOOL_TIMEOUT_S)
    if proc.returncode != 0:
        pytest.fail(f'{" ".join(cmd)} exited with {proc.returncode}:\n'
                    f'{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}')


def _run_tool(tool: str,
              args: Sequence[str],
              cfg_options: Sequence[str] = (),
              nproc: int = 1) -> None:
    """Run ``tools/<tool>.py``.

    One process runs the tool's ``main()`` in the test process; more are
    forked from it with ``--launcher pytorch``.

    Args:
        tool: ``'train'`` or ``'test'``.
        args: Command line arguments after the script, without
            ``--cfg-options``.
        cfg_options: ``key=value`` items for ``--cfg-options``.
        nproc: Number of processes.
    """
    experiment = f'{tool}_{next(_RUN_IDS)}'
    args = [
        *args, '--cfg-options', f'experiment_name={experiment}', *cfg_options
    ]
    if nproc == 1:
        _run_in_process(tool, args)
    else:
        _run_forked(tool, args, nproc)


def _read_test_metrics(work_dir: str) -> Dict[str, float]:
    """Read the metrics of the only test run logged under ``work_dir``."""
    logs: List[str] = glob.glob(osp.join(work_dir, '*', '*.json'))
    assert len(logs) == 1, f'expected one json log in {work_dir}: {logs}'
    decoder, records = json.JSONDecoder(), []
    with open(logs[0]) as f:
        for line in f:
            if line.strip():
                # The first object of each line: in one CI run mmengine's
                # json log of the in-process test ended in a stray '}'
                # without a newline (cause not found).
                records.append(decoder.raw_decode(line.strip())[0])
    metrics = [r for r in records if any('/' in key for key in r)]
    assert metrics, f'no metrics logged in {logs[0]}'
    return {
        key: value
        for key, value in metrics[-1].items()
        if key not in ('data_time', 'time', 'step')
    }


@pytest.fixture(scope='session')
def toy_config(tmp_path_factory) -> str:
    """Path of a config for the toy regression components."""
    path = tmp_path_factory.mktemp('configs') / 'toy_regression.py'
    path.write_text(TOY_CONFIG)
    return str(path)


@pytest.fixture(scope='session')
def run_tool() -> Callable[..., None]:
    """``run_tool(tool, args, cfg_options=(), nproc=1)``: run a tool."""
    return _run_tool


@pytest.fixture(scope='session')
def read_test_metrics() -> Callable[[str], Dict[str, float]]:
    """``read_test_metrics(work_dir)``: metrics of the test run there."""
    return _read_test_metrics


@pytest.fixture(scope='session')
def run_script() -> Callable[[str, Sequence[str]], None]:
    """``run_script(script, args)``: run ``tools/<script>`` in bash."""
    return _run_script


def _run_on_tiny_synthvg(cfg: Config, data_root: str, cache_dir: str,
                         num_test_images: int, max_iters: int) -> None:
    """Point a config's train and test loaders at the tiny SynthVG (128 x 96
    images, no workers), train ``max_iters`` iterations of 2 images without
    validation and record the model's states (``StateRecorderHook``)."""
    cfg.custom_imports.imports.append('toy_components')
    cfg.custom_hooks = [
        *cfg.get('custom_hooks', []),
        dict(type='StateRecorderHook')
    ]
    for name in ('train_dataloader', 'test_dataloader'):
        loader = cfg[name]
        loader.update(num_workers=0, persistent_workers=False)
        loader.dataset.update(
            data_root=data_root,
            statistics_cache_dir=cache_dir,
            num_val_images=DEMO_NUM_VAL_IMAGES)
        for transform in loader.dataset.pipeline:
            if transform['type'] == 'Resize':
                transform['scale'] = DEMO_IMG_SCALE
    cfg.train_dataloader.batch_size = 2
    cfg.test_dataloader.dataset.indices = num_test_images
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters)
    # Each in-process run gets its own visualizer (named after the run).
    cfg.visualizer.pop('name', None)


def _shrink_demo_config(cfg: Config, data_root: str, cache_dir: str) -> None:
    """Point the demo at the tiny SynthVG and make every run seconds long."""
    _run_on_tiny_synthvg(cfg, data_root, cache_dir, DEMO_NUM_TEST_IMAGES,
                         DEMO_TRAIN_ITERS)
    cfg.test_dataloader.batch_size = 1
    cfg.default_hooks.checkpoint.update(interval=1, max_keep_ckpts=-1)
    cfg.default_hooks.logger.interval = 1
    cfg.randomness = dict(seed=0)
    assert cfg.find_unused_parameters, 'PredCls leaves detector heads unused'


@pytest.fixture(scope='session')
def demo_config(tmp_path_factory) -> str:
    """Path of the demo config, shrunk, on a freshly generated tiny SynthVG.
    """
    data_root = tmp_path_factory.mktemp('synthvg')
    generate_synthvg(str(data_root), size='tiny', seed=0)
    cfg = Config.fromfile(DEMO_CONFIG)
    _shrink_demo_config(cfg, f'{data_root}{os.sep}',
                        str(tmp_path_factory.mktemp('statistics')))
    path = tmp_path_factory.mktemp('configs') / osp.basename(DEMO_CONFIG)
    cfg.dump(str(path))
    return str(path)


@pytest.fixture(scope='session')
def demo_dist_run(demo_config, tmp_path_factory) -> str:
    """Work dir of a 2-process ``tools/dist_train.sh`` run of the demo.

    It holds checkpoints ``iter_1.pth`` to ``iter_{DEMO_TRAIN_ITERS}.pth``.
    """
    work_dir = str(tmp_path_factory.mktemp('demo_dist_run'))
    _run_script('dist_train.sh', [demo_config, '2', '--work-dir', work_dir])
    return work_dir


def _shrink_det_config(path: str, data_root: str, cache_dir: str,
                       out: str) -> str:
    """A config on the tiny SynthVG, two iterations, no validation."""
    cfg = Config.fromfile(path)
    _run_on_tiny_synthvg(cfg, data_root, cache_dir, DET_NUM_TEST_IMAGES,
                         DET_TRAIN_ITERS)
    cfg.default_hooks.checkpoint.interval = DET_TRAIN_ITERS
    cfg.dump(out)
    return out


@pytest.fixture(scope='session')
def shrink_det_config(tiny_synthvg, tmp_path_factory) -> Callable[[str], str]:
    """``shrink_det_config(path)``: path of a copy of the config on the tiny
    SynthVG, ``DET_TRAIN_ITERS`` iterations, the first
    ``DET_NUM_TEST_IMAGES`` test images, no validation."""
    cache_dir = str(tmp_path_factory.mktemp('statistics'))
    configs = tmp_path_factory.mktemp('det_configs')
    return lambda path: _shrink_det_config(path, tiny_synthvg, cache_dir,
                                           str(configs / osp.basename(path)))


@pytest.fixture(scope='session')
def det_num_test_images() -> int:
    """Test images of the configs of ``shrink_det_config``."""
    return DET_NUM_TEST_IMAGES


@pytest.fixture(scope='session')
def synthvg_detector_checkpoint(shrink_det_config, tmp_path_factory) -> str:
    """The SynthVG detector config trained ``DET_TRAIN_ITERS`` iterations
    with ``tools/train.py`` on the tiny SynthVG."""
    work_dir = str(tmp_path_factory.mktemp('detector'))
    _run_tool('train',
              [shrink_det_config(DETECTOR_CONFIG), '--work-dir', work_dir])
    return osp.join(work_dir, f'iter_{DET_TRAIN_ITERS}.pth')
