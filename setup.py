"""Install mmsgg_rde; ``pip install -e .`` or ``mim install -e .``."""
import os
import os.path as osp
import re
import shutil
import sys
from setuptools import find_packages, setup

ROOT = osp.dirname(osp.abspath(__file__))
MIM_FILES = ('configs', 'tools')


def get_version() -> str:
    with open(osp.join(ROOT, 'mmsgg_rde', 'version.py')) as f:
        return re.search(r"__version__ = '([^']+)'", f.read()).group(1)


def parse_requirements(fname: str) -> list:
    """Requirement lines of ``fname``, following ``-r`` includes."""
    reqs = []
    with open(osp.join(ROOT, fname)) as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if line.startswith('-r '):
                reqs += parse_requirements(
                    osp.join(osp.dirname(fname), line[3:].strip()))
            elif line:
                reqs.append(line)
    return reqs


def add_mim_extension() -> None:
    """Expose ``configs`` and ``tools`` as ``mmsgg_rde/.mim/*`` for MIM.

    Editable installs get symlinks to the originals, wheels get copies.
    """
    if {'develop', 'editable_wheel'} & set(sys.argv):
        mode = 'symlink'
    elif {'sdist', 'bdist_wheel', 'build', 'build_py'} & set(sys.argv):
        mode = 'copy'
    else:
        return
    mim_path = osp.join(ROOT, 'mmsgg_rde', '.mim')
    os.makedirs(mim_path, exist_ok=True)
    for name in MIM_FILES:
        src = osp.join(ROOT, name)
        tar = osp.join(mim_path, name)
        if osp.islink(tar) or osp.isfile(tar):
            os.remove(tar)
        elif osp.isdir(tar):
            shutil.rmtree(tar)
        if mode == 'symlink':
            os.symlink(osp.relpath(src, mim_path), tar)
        else:
            shutil.copytree(src, tar)


if __name__ == '__main__':
    add_mim_extension()
    setup(
        name='mmsgg_rde',
        version=get_version(),
        description='Scene graph generation on VG-150 with RDE '
        '(Relationship Representation Diversity Enhancement), '
        'an OpenMMLab plugin',
        long_description=open(osp.join(ROOT, 'README.md')).read(),
        long_description_content_type='text/markdown',
        keywords='scene graph generation, visual genome, openmmlab',
        packages=find_packages(
            exclude=('configs', 'tools', 'tests', 'benchmarks', 'docs')),
        include_package_data=True,
        package_data={
            'mmsgg_rde':
            ['data/vg150/*', '.mim/configs/**/*', '.mim/tools/**/*']
        },
        python_requires='>=3.8',
        license='Apache License 2.0',
        # mmcv comes compiled (mmcv) or pure Python (mmcv-lite, with the
        # ops of mmsgg_rde/ops): either satisfies us, so neither is required.
        install_requires=parse_requirements('requirements/runtime.txt'),
        extras_require={
            'mmcv': parse_requirements('requirements/mmcv.txt'),
            'mmcv-lite': parse_requirements('requirements/mmcv-lite.txt'),
            'tests': parse_requirements('requirements/tests.txt')
        },
        zip_safe=False)
