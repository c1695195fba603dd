"""mmengine's Runner API with our configs, without ``tools/``.

A notebook (or mmdet's own ``tools/train.py``) builds the runner from a
config; its ``custom_imports`` import mmsgg_rde, and that alone must make
``resume=True`` work under torch's weights-only loading. Each run is a fresh
interpreter, as after restarting a notebook.
"""
import os
import os.path as osp
import subprocess
import sys

import torch
from mmengine.runner.checkpoint import _load_checkpoint

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOLS_TEST_DIR = osp.dirname(osp.abspath(__file__))
RUNNER_SCRIPT = """
import sys
from mmengine.config import Config
from mmengine.runner import Runner

config, work_dir, resume, max_iters = sys.argv[1:]
cfg = Config.fromfile(config)
cfg.work_dir = work_dir
cfg.resume = resume == 'resume'
cfg.train_cfg.max_iters = int(max_iters)
Runner.from_cfg(cfg).train()
"""


def _run(args):
    env = dict(os.environ, OMP_NUM_THREADS='1')
    env['PYTHONPATH'] = os.pathsep.join(
        p for p in (REPO_ROOT, TOOLS_TEST_DIR, env.get('PYTHONPATH')) if p)
    proc = subprocess.run([sys.executable, '-c', RUNNER_SCRIPT, *args],
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_runner_api_resumes_with_the_base_runtime(demo_config, tmp_path):
    work_dir = str(tmp_path)
    _run([demo_config, work_dir, 'new', '1'])
    _run([demo_config, work_dir, 'resume', '2'])

    start = torch.load(str(tmp_path / 'start_state.pth'))
    assert start['iter'] == 1
    first = _load_checkpoint(str(tmp_path / 'iter_1.pth'), map_location='cpu')
    for key, value in first['state_dict'].items():
        torch.testing.assert_close(start['state_dict'][key], value)
    second = _load_checkpoint(str(tmp_path / 'iter_2.pth'), map_location='cpu')
    assert second['meta']['iter'] == 2
    assert len(second['message_hub']['log_scalars']['train/loss'].data[0]) \
        == 2
