"""The installed package carries what mim and the configs need."""
import os.path as osp
import shutil
import subprocess
import sys
import zipfile

import mmsgg_rde

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def test_editable_install_links_mim_files():
    mim_dir = osp.join(osp.dirname(mmsgg_rde.__file__), '.mim')
    assert osp.isfile(osp.join(mim_dir, 'tools', 'train.py'))
    assert osp.isfile(osp.join(mim_dir, 'tools', 'test.py'))
    assert osp.isfile(
        osp.join(mim_dir, 'configs', 'demo', 'motifs_demo_predcls.py'))


def test_wheel_carries_mim_files_and_data(tmp_path):
    src = tmp_path / 'src'
    files = subprocess.run(['git', 'ls-files', '-co', '--exclude-standard'],
                           cwd=ROOT,
                           check=True,
                           capture_output=True,
                           text=True).stdout.split()
    for name in files:
        if osp.isfile(osp.join(ROOT, name)):
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(osp.join(ROOT, name), src / name)
    subprocess.run([
        sys.executable, '-m', 'pip', 'wheel', '--no-deps',
        '--no-build-isolation', '-q', '-w',
        str(tmp_path / 'dist'),
        str(src)
    ],
                   check=True)
    wheel, = (tmp_path / 'dist').glob('mmsgg_rde-*.whl')
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in ('mmsgg_rde/.mim/tools/train.py',
                     'mmsgg_rde/.mim/tools/test.py',
                     'mmsgg_rde/.mim/configs/_base_/default_runtime.py',
                     'mmsgg_rde/.mim/configs/demo/motifs_demo_predcls.py',
                     'mmsgg_rde/data/vg150/VG-SGG-dicts-with-attri.json',
                     'mmsgg_rde/data/vg150/zeroshot_triplets.npy'):
        assert expected in names, expected
