"""The installed package works with mim, installed either way.

``mim train/test mmsgg_rde CONFIG`` runs ``<package>/.mim/tools/*.py`` and
finds a bare config name in ``<package>/.mim/configs``, where
``<package>`` is the installed distribution's location plus
``mmsgg_rde``. Both installs are run end to end on a tiny SynthVG: a wheel
(built and installed here, into a folder of its own) and the development
install of ``tools/install.sh`` (what ``make install`` created, when the
environment running the tests has it).
"""
import glob
import json
import os
import os.path as osp
import subprocess
import sys
import zipfile
from typing import Dict, List

import pytest

import mmsgg_rde
from mmsgg_rde.datasets.synthvg import generate_synthvg

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
MIM = osp.join(osp.dirname(sys.executable), 'mim')
DEMO_CONFIG = 'motifs_demo_predcls.py'
TIMEOUT_S = 300

requires_mim = pytest.mark.skipif(
    not osp.isfile(MIM),
    reason='openmim is not installed here (tools/install.sh installs it)')


@pytest.fixture(scope='module')
def wheel(tmp_path_factory, copy_checkout) -> str:
    """A wheel built from a copy of the checkout's files."""
    tmp_path = tmp_path_factory.mktemp('wheel')
    src = copy_checkout(str(tmp_path / 'src'))
    subprocess.run([
        sys.executable, '-m', 'pip', 'wheel', '--no-deps',
        '--no-build-isolation', '-q', '-w',
        str(tmp_path / 'dist'),
        src
    ],
                   check=True)
    path, = (tmp_path / 'dist').glob('mmsgg_rde-*.whl')
    return str(path)


@pytest.fixture(scope='module')
def synthvg(tmp_path_factory) -> str:
    """A tiny SynthVG."""
    root = str(tmp_path_factory.mktemp('synthvg'))
    generate_synthvg(root, size='tiny', seed=0)
    return f'{root}{os.sep}'


def test_development_install_links_mim_files():
    mim_dir = osp.join(osp.dirname(mmsgg_rde.__file__), '.mim')
    for name in ('configs', 'tools'):
        assert osp.islink(osp.join(mim_dir, name)), name
        assert osp.samefile(osp.join(mim_dir, name), osp.join(ROOT, name))


def test_wheel_carries_mim_files_and_data(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in ('mmsgg_rde/.mim/tools/train.py',
                     'mmsgg_rde/.mim/tools/test.py',
                     'mmsgg_rde/.mim/tools/dist_train.sh',
                     'mmsgg_rde/.mim/configs/_base_/default_runtime.py',
                     'mmsgg_rde/.mim/configs/demo/motifs_demo_predcls.py',
                     'mmsgg_rde/data/vg150/VG-SGG-dicts-with-attri.json',
                     'mmsgg_rde/data/vg150/zeroshot_triplets.npy'):
        assert expected in names, expected
    assert not [
        name for name in names if name.startswith(('tools/', 'configs/'))
    ]


def _tiny_options(data_root: str, cache_dir: str) -> List[str]:
    """``--cfg-options`` that make the demo a seconds-long run."""
    options = [
        'train_cfg.max_iters=2', 'default_hooks.checkpoint.interval=2',
        'default_hooks.logger.interval=1', 'val_cfg=None',
        'val_dataloader=None', 'val_evaluator=None',
        'train_dataloader.batch_size=2', 'test_dataloader.batch_size=1',
        'test_dataloader.dataset.indices=4',
        'train_dataloader.dataset.pipeline.2.scale=(128,96)',
        'test_dataloader.dataset.pipeline.1.scale=(128,96)'
    ]
    for split in ('train', 'test'):
        options += [
            f'{split}_dataloader.dataset.data_root={data_root}',
            f'{split}_dataloader.dataset.num_val_images=10',
            f'{split}_dataloader.dataset.statistics_cache_dir={cache_dir}',
            f'{split}_dataloader.num_workers=0',
            f'{split}_dataloader.persistent_workers=False'
        ]
    return options


def _mim(args: List[str], cwd: str, env: Dict[str, str]) -> str:
    """Run ``mim`` and return its output; fail with it on an error."""
    proc = subprocess.run([MIM, *args],
                          cwd=cwd,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=TIMEOUT_S)
    output = proc.stdout + proc.stderr
    if proc.returncode != 0:
        pytest.fail(f'mim {" ".join(args[:2])} in {cwd} exited with '
                    f'{proc.returncode}:\n{output[-4000:]}')
    return output


def _mim_train_and_test(train_config: str, train_cwd: str, test_config: str,
                        test_cwd: str, work_dir: str, env: Dict[str, str],
                        options: List[str]) -> str:
    """``mim train`` two iterations, ``mim test`` the checkpoint.

    Returns:
        str: The output of both commands.
    """
    output = _mim([
        'train', 'mmsgg_rde', train_config, '--work-dir', work_dir,
        '--cfg-options', *options
    ], train_cwd, env)
    checkpoint = osp.join(work_dir, 'iter_2.pth')
    assert osp.isfile(checkpoint), output[-4000:]
    test_dir = osp.join(work_dir, 'test')
    output += _mim([
        'test', 'mmsgg_rde', test_config, '--checkpoint', checkpoint,
        '--work-dir', test_dir, '--cfg-options', *options
    ], test_cwd, env)
    log, = glob.glob(osp.join(test_dir, '*', '*.json'))
    with open(log) as f:
        metrics = json.loads(f.read().splitlines()[-1])
    assert 'predcls/R@50' in metrics, metrics
    return output


def _env(pythonpath: str = '') -> Dict[str, str]:
    """This environment without the checkout on PYTHONPATH."""
    env = dict(os.environ, OMP_NUM_THREADS='1')
    env.pop('PYTHONPATH', None)
    if pythonpath:
        env['PYTHONPATH'] = pythonpath
    return env


@requires_mim
def test_mim_train_and_test_with_the_wheel_from_any_folder(
        wheel, synthvg, tmp_path):
    site = str(tmp_path / 'site')
    subprocess.run([
        sys.executable, '-m', 'pip', 'install', '-q', '--no-deps', '--target',
        site, wheel
    ],
                   check=True)
    elsewhere = tmp_path / 'elsewhere'
    elsewhere.mkdir()
    output = _mim_train_and_test(DEMO_CONFIG, str(elsewhere), DEMO_CONFIG,
                                 str(elsewhere), str(tmp_path / 'work'),
                                 _env(site),
                                 _tiny_options(synthvg, str(tmp_path)))
    installed = osp.join(site, 'mmsgg_rde', '.mim')
    assert osp.join(installed, 'tools', 'train.py') in output
    assert osp.join(installed, 'tools', 'test.py') in output


@requires_mim
def test_mim_train_and_test_with_the_development_install(synthvg, tmp_path):
    elsewhere = tmp_path / 'elsewhere'
    elsewhere.mkdir()
    where = subprocess.run(
        [sys.executable, '-c', 'import mmsgg_rde; print(mmsgg_rde.__file__)'],
        cwd=str(elsewhere),
        env=_env(),
        capture_output=True,
        text=True).stdout.strip()
    if not where or not osp.samefile(
            osp.dirname(where), osp.join(ROOT, 'mmsgg_rde')):
        pytest.skip(f'mmsgg_rde is installed from {where or "nowhere"}, '
                    f'not from this checkout {ROOT}')
    # From the checkout with a path, from elsewhere with the bare name.
    output = _mim_train_and_test(
        osp.join('configs', 'demo', DEMO_CONFIG), ROOT, DEMO_CONFIG,
        str(elsewhere), str(tmp_path / 'work'), _env(),
        _tiny_options(synthvg, str(tmp_path)))
    assert osp.join('configs', 'demo', DEMO_CONFIG) in output
