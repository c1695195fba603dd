"""Inputs that do not fit stop ``tools/train.py`` and ``tools/test.py``.

Each case once ran to the end with wrong or zero results and exit code 0.
"""
import glob
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmdet.models.backbones import ResNet
from mmengine.runner.checkpoint import _load_checkpoint

from mmsgg_rde.datasets import EmptySplitError
from mmsgg_rde.engine import CheckpointMismatchError, CheckpointReadError
from mmsgg_rde.utils import DEBUG_ENV

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOLS_TEST_DIR = osp.dirname(osp.abspath(__file__))


def test_sgdet_without_detector_stops_with_one_line(demo_config, tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS='1')
    env.pop(DEBUG_ENV, None)
    env['PYTHONPATH'] = os.pathsep.join(
        p for p in (REPO_ROOT, TOOLS_TEST_DIR, env.get('PYTHONPATH')) if p)
    proc = subprocess.run([
        sys.executable,
        osp.join(REPO_ROOT, 'tools', 'train.py'), demo_config, '--work-dir',
        str(tmp_path), '--cfg-options', 'model.mode=sgdet'
    ],
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=180)
    assert proc.returncode == 1, proc.stderr[-3000:]
    last_lines = proc.stderr.rstrip().splitlines()[-2:]
    assert last_lines[0].startswith(
        "error: DetectorNotLoadedError: SceneGraphRCNN (mode='sgdet'): the "
        'detector has no trained weights')
    assert 'model.detector_checkpoint=PATH' in last_lines[0]
    assert last_lines[1] == f'(set {DEBUG_ENV}=1 to see the full traceback)'
    assert 'Traceback' not in proc.stderr
    assert not glob.glob(str(tmp_path / 'iter_*.pth'))


def test_sgdet_demo_with_train_detector_learns(demo_config, run_tool,
                                               tmp_path):
    run_tool(
        'train',
        [demo_config, '--work-dir', str(tmp_path)],
        cfg_options=['model.mode=sgdet', 'model.train_detector=True'])
    checkpoint = _load_checkpoint(
        str(tmp_path / 'iter_2.pth'), map_location='cpu')
    scalars = checkpoint['message_hub']['log_scalars']
    assert (scalars['train/loss'].data[0] > 0).all()
    assert (scalars['train/loss_rpn_cls'].data[0] > 0).all()
    assert (scalars['train/loss_cls'].data[0] > 0).all()


def _foreign_state_dict(kind):
    torch.manual_seed(0)
    if kind == 'random':
        return {f'layer{i}.weight': torch.randn(4, 4) for i in range(6)}
    return ResNet(depth=18).state_dict()


@pytest.mark.parametrize('kind', ['random', 'resnet18'])
def test_test_refuses_a_foreign_checkpoint(demo_config, run_tool, tmp_path,
                                           kind):
    path = str(tmp_path / f'{kind}.pth')
    torch.save(dict(state_dict=_foreign_state_dict(kind)), path)
    with pytest.raises(CheckpointMismatchError) as info:
        run_tool('test',
                 [demo_config, path, '--work-dir',
                  str(tmp_path / 'work')])
    message = str(info.value)
    assert f'Checkpoint "{path}" is not a checkpoint of this model' in message
    assert "holds 0 of the model's" in message


def test_test_names_a_truncated_checkpoint(demo_config, run_tool, tmp_path):
    whole = str(tmp_path / 'whole.pth')
    torch.save(dict(state_dict=dict(weight=torch.zeros(4096))), whole)
    path = str(tmp_path / 'cut.pth')
    with open(whole, 'rb') as src, open(path, 'wb') as dst:
        dst.write(src.read()[:10000])
    with pytest.raises(CheckpointReadError) as info:
        run_tool('test',
                 [demo_config, path, '--work-dir',
                  str(tmp_path / 'work')])
    assert f'Cannot load checkpoint "{path}"' in str(info.value)


def test_train_names_the_setting_that_empties_the_train_split(
        demo_config, run_tool, tmp_path):
    # VG-150's num_val_images on a small VG-format copy once ended in a
    # ZeroDivisionError of mmengine's sampler.
    with pytest.raises(EmptySplitError) as info:
        run_tool(
            'train', [demo_config, '--work-dir',
                      str(tmp_path)],
            cfg_options=['train_dataloader.dataset.num_val_images=5000'])
    assert "Split 'train' of " in str(info.value)
    assert 'num_val_images=5000' in str(info.value)


def test_resume_names_the_intact_checkpoint_before_a_cut_one(
        toy_config, run_tool, tmp_path):
    work_dir = str(tmp_path)
    run_tool('train', [toy_config, '--work-dir', work_dir])
    last = osp.join(work_dir, 'iter_4.pth')
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        assert f.read().strip() == last
    with open(last, 'rb') as f:
        data = f.read()
    with open(last, 'wb') as f:
        f.write(data[:len(data) // 2])

    with pytest.raises(CheckpointReadError) as info:
        run_tool('train', [toy_config, '--work-dir', work_dir, '--resume'])
    intact = osp.join(work_dir, 'iter_2.pth')
    assert f'`--resume {intact}`' in str(info.value)
    # The advice works.
    run_tool('train', [toy_config, '--work-dir', work_dir, '--resume', intact])
    assert torch.load(osp.join(work_dir, 'start_state.pth'))['iter'] == 2
    assert _load_checkpoint(last)['meta']['iter'] == 4
