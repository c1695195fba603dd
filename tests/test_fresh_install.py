"""``pip install .[mmcv-lite,mim]`` gives a working environment on its own,
and ``import mmsgg_rde`` without mmcv says what to install.

A new virtual environment, pip's resolver alone (no ``--no-deps``, no
``tools/install.sh``), then ``import mmsgg_rde, mmcv.ops, mmdet``, a tiny
SynthVG made with ``mim run mmsgg_rde make_synthvg`` and a two-iteration
``mim train`` of a demo config, both from another folder, with
``MMSGG_RDE_DATA`` pointing at that SynthVG's parent folder. torch is held
to the version running these tests (here the CPU wheel, not PyPI's CUDA
build of several GB); everything else is what the requirement files
declare.

Marked ``slow`` (pip installs the whole stack: minutes) and deselected by
default (setup.cfg); run it with
``pytest -m slow tests/test_fresh_install.py``.
"""
import os
import os.path as osp
import shutil
import subprocess
import sys
from typing import Dict, List

import pytest
import torch

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
PIP_TIMEOUT_S = 1800
RUN_TIMEOUT_S = 600


def _run(cmd: List[str], cwd: str, env: Dict[str, str], timeout: int) -> str:
    """Run ``cmd``; fail the test with its output unless it succeeds."""
    proc = subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    output = proc.stdout + proc.stderr
    if proc.returncode != 0:
        pytest.fail(f'{" ".join(cmd)} exited with {proc.returncode}:\n'
                    f'{output[-5000:]}')
    return output


def test_import_without_mmcv_says_what_to_install():
    # `pip install .` without an extra leaves mmcv out (either mmcv will do).
    proc = subprocess.run([
        sys.executable, '-c',
        "import sys; sys.modules['mmcv'] = None; import mmsgg_rde"
    ],
                          cwd=REPO_ROOT,
                          capture_output=True,
                          text=True,
                          timeout=RUN_TIMEOUT_S)
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith('ModuleNotFoundError: mmsgg_rde needs mmcv 2.1.0, '
                           'which is not installed'), proc.stderr
    assert "`pip install '.[mmcv-lite]'`" in last
    assert '`MMCV=full make install`' in last


@pytest.mark.slow
def test_pip_install_mmcv_lite_and_mim_extras_into_a_new_venv(
        tmp_path, copy_checkout):
    src, venv = str(tmp_path / 'src'), str(tmp_path / 'venv')
    elsewhere = tmp_path / 'elsewhere'
    elsewhere.mkdir()
    copy_checkout(src)
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ('PYTHONPATH', 'VIRTUAL_ENV', 'PYTHONHOME')
    }
    env.update(
        PATH=os.pathsep.join([osp.join(venv, 'bin'), '/usr/bin', '/bin']),
        OMP_NUM_THREADS='1')
    try:
        subprocess.run([sys.executable, '-m', 'venv', venv], check=True)
        python = osp.join(venv, 'bin', 'python')
        constraints = tmp_path / 'constraints.txt'
        constraints.write_text(f'torch=={torch.__version__}\n')
        _run([
            python, '-m', 'pip', 'install', '-q',
            '--disable-pip-version-check', '-c',
            str(constraints), f'{src}[mmcv-lite,mim]'
        ], str(elsewhere), env, PIP_TIMEOUT_S)
        _run([python, '-m', 'pip', 'check'], str(elsewhere), env,
             RUN_TIMEOUT_S)
        versions = _run([
            python, '-c', 'import mmsgg_rde, mmcv.ops, mmdet, mim, numpy, '
            'pkg_resources, setuptools; print(mmsgg_rde.__file__, '
            'numpy.__version__, setuptools.__version__)'
        ], str(elsewhere), env, RUN_TIMEOUT_S).split()
        assert versions[0].startswith(venv), versions
        assert int(versions[1].split('.')[0]) < 2, versions
        assert int(versions[2].split('.')[0]) < 81, versions

        mim = osp.join(venv, 'bin', 'mim')
        data = tmp_path / 'data'
        _run([
            mim, 'run', 'mmsgg_rde', 'make_synthvg', '--out',
            str(data / 'synthvg'), '--size', 'tiny', '--seed', '0'
        ], str(elsewhere), env, RUN_TIMEOUT_S)
        options = [
            'train_cfg.max_iters=2', 'default_hooks.checkpoint.interval=2',
            'val_cfg=None', 'val_dataloader=None', 'val_evaluator=None',
            'train_dataloader.batch_size=2',
            'train_dataloader.dataset.pipeline.2.scale=(128,96)',
            'train_dataloader.dataset.num_val_images=10',
            f'train_dataloader.dataset.statistics_cache_dir={tmp_path}',
            'train_dataloader.num_workers=0',
            'train_dataloader.persistent_workers=False'
        ]
        work_dir = str(tmp_path / 'work')
        output = _run([
            mim, 'train', 'mmsgg_rde', 'motifs_rde_demo_predcls.py',
            '--work-dir', work_dir, '--cfg-options', *options
        ], str(elsewhere), dict(env, MMSGG_RDE_DATA=str(data)), RUN_TIMEOUT_S)
        assert osp.isfile(osp.join(work_dir, 'iter_2.pth')), output[-3000:]
        assert osp.join(venv, 'lib') in output  # the installed tools/train.py
    finally:
        # torch alone is about 1 GB: do not leave it in pytest's tmp dirs.
        shutil.rmtree(venv, ignore_errors=True)
