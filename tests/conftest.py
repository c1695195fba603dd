"""CPU tests single-threaded, CUDA tests only with CUDA, tiny test models.

The tiny models of the tests spend their time in thread synchronisation
when the machine is shared; one thread is several times faster.

Tests marked ``cuda`` need a CUDA device: without one they are deselected
(``pytest -m cuda`` selects them alone, for ``tools/gpu_check.sh``). Tests
marked ``slow`` (minutes each: a new venv, the GPU check's dry run) are
deselected by setup.cfg's ``addopts``; ``pytest -m slow`` selects them.

``mmsgg_rde`` is imported first: test modules import mmdet before it (isort
order), and with mmcv-lite mmdet's models need the ops it registers.
"""
import os
import os.path as osp
import shutil
import subprocess
from typing import Callable

import pytest
import torch
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.registry import init_default_scope

import mmsgg_rde  # noqa: F401

torch.set_num_threads(1)

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
#: Images of the tiny test split used by ``tiny_sgg_config``.
TINY_NUM_TEST_IMAGES = 6


@pytest.fixture(scope='session')
def tiny_synthvg(tmp_path_factory) -> str:
    """Data root of a freshly generated tiny SynthVG (60 images)."""
    from mmsgg_rde.datasets import generate_synthvg
    data_root = str(tmp_path_factory.mktemp('tiny_synthvg'))
    generate_synthvg(data_root, size='tiny', seed=0)
    return data_root + osp.sep


@pytest.fixture(scope='session')
def tiny_sgg_config(tiny_synthvg, tmp_path_factory) -> str:
    """The demo config on the tiny SynthVG: 128 x 96 images, the first
    ``TINY_NUM_TEST_IMAGES`` test images, batch 1, no workers."""
    cfg = Config.fromfile(
        osp.join(REPO_ROOT, 'configs', 'demo', 'motifs_demo_predcls.py'))
    cache_dir = str(tmp_path_factory.mktemp('statistics'))
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg[name]
        loader.update(num_workers=0, persistent_workers=False)
        loader.dataset.update(
            data_root=tiny_synthvg,
            statistics_cache_dir=cache_dir,
            num_val_images=10)
        for transform in loader.dataset.pipeline:
            if transform['type'] == 'Resize':
                transform['scale'] = (128, 96)
    cfg.test_dataloader.batch_size = 1
    cfg.test_dataloader.dataset.indices = TINY_NUM_TEST_IMAGES
    cfg.visualizer.pop('name', None)
    path = tmp_path_factory.mktemp('tiny_config') / 'tiny_sgg.py'
    cfg.dump(str(path))
    return str(path)


@pytest.fixture(scope='session')
def tiny_sgg_checkpoint(tiny_sgg_config, tmp_path_factory) -> str:
    """A randomly initialised (seed 0) checkpoint of ``tiny_sgg_config``
    with the vocabulary in ``meta['dataset_meta']``, as the Runner saves."""
    from mmsgg_rde.datasets import load_vocabulary
    init_default_scope('mmdet')
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(tiny_sgg_config).model)
    model.init_weights()
    path = str(tmp_path_factory.mktemp('tiny_checkpoint') / 'tiny.pth')
    torch.save(
        dict(
            state_dict=model.state_dict(),
            meta=dict(dataset_meta=dict(load_vocabulary()))), path)
    return path


@pytest.fixture(scope='session')
def tiny_test_infos(tiny_sgg_config) -> list:
    """Data infos (``img_path``, ``bboxes``, ``bbox_labels`` ...) of the
    test images of ``tiny_sgg_config``."""
    from mmsgg_rde.datasets import VG150Dataset
    dataset_cfg = Config.fromfile(tiny_sgg_config).test_dataloader.dataset
    dataset = VG150Dataset(
        **{
            key: value
            for key, value in dataset_cfg.items()
            if key not in ('type', 'indices')
        })
    return [dataset.get_data_info(i) for i in range(TINY_NUM_TEST_IMAGES)]


def _copy_checkout(dst: str) -> str:
    """Copy the files of the checkout that git tracks or would track (what
    a fresh clone has, uncommitted changes included) to ``dst``."""
    files = subprocess.run(['git', 'ls-files', '-co', '--exclude-standard'],
                           cwd=REPO_ROOT,
                           check=True,
                           capture_output=True,
                           text=True).stdout.splitlines()
    for name in files:
        src = osp.join(REPO_ROOT, name)
        if osp.isfile(src) and not osp.islink(src):
            os.makedirs(osp.dirname(osp.join(dst, name)), exist_ok=True)
            shutil.copy2(src, osp.join(dst, name))
    return dst


@pytest.fixture(scope='session')
def copy_checkout() -> Callable[[str], str]:
    """``copy_checkout(dst)``: copy the checkout's files to ``dst``; returns
    ``dst``."""
    return _copy_checkout


def pytest_collection_modifyitems(config, items):
    """Deselect the ``cuda`` tests when there is no CUDA device."""
    if torch.cuda.is_available():
        return
    cuda = [item for item in items if item.get_closest_marker('cuda')]
    if cuda:
        config.hook.pytest_deselected(items=cuda)
        items[:] = [
            item for item in items if not item.get_closest_marker('cuda')
        ]
