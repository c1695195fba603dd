"""Install mmsgg_rde: ``bash tools/install.sh`` or ``pip install .``.

mim (``mim train/test mmsgg_rde CONFIG``) runs ``<package>/.mim/tools/*.py``
and searches ``<package>/.mim/configs``, where ``<package>`` is the folder
of the installed distribution's location plus ``mmsgg_rde``:

* a wheel carries copies of ``configs/`` and ``tools/`` there (see
  :class:`BuildPyWithMimFiles`);
* ``tools/install.sh`` installs the checkout in development mode (an
  egg-link to the checkout, whose ``mmsgg_rde.egg-info`` makes it the
  distribution's location) and ``setup.py egg_info`` links
  ``mmsgg_rde/.mim/{configs,tools}`` to the originals.
"""
import os
import os.path as osp
import re
import shutil
import sys
from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

ROOT = osp.dirname(osp.abspath(__file__))
MIM_FILES = ('configs', 'tools')
#: setup.py commands after which the checkout's ``.mim`` links must exist.
LINK_COMMANDS = {'develop', 'editable_wheel', 'egg_info'}


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


def link_mim_files() -> None:
    """Link ``mmsgg_rde/.mim/{configs,tools}`` to the checkout's folders."""
    mim_path = osp.join(ROOT, 'mmsgg_rde', '.mim')
    os.makedirs(mim_path, exist_ok=True)
    for name in MIM_FILES:
        target = osp.join(mim_path, name)
        if osp.islink(target) or osp.isfile(target):
            os.remove(target)
        elif osp.isdir(target):
            shutil.rmtree(target)
        os.symlink(osp.relpath(osp.join(ROOT, name), mim_path), target)


class BuildPyWithMimFiles(build_py):
    """``build_py`` that also copies ``configs/`` and ``tools/`` into the
    built package's ``.mim`` folder (wheels; not editable installs, which
    use the links of :func:`link_mim_files`)."""

    def run(self) -> None:
        super().run()
        if getattr(self, 'editable_mode', False):
            return
        for name in MIM_FILES:
            target = osp.join(self.build_lib, 'mmsgg_rde', '.mim', name)
            if osp.islink(target):
                os.remove(target)
            elif osp.isdir(target):
                shutil.rmtree(target)
            shutil.copytree(
                osp.join(ROOT, name),
                target,
                ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))


if __name__ == '__main__':
    if LINK_COMMANDS & set(sys.argv):
        link_mim_files()
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
        package_data={'mmsgg_rde': ['data/vg150/*']},
        cmdclass={'build_py': BuildPyWithMimFiles},
        python_requires='>=3.8',
        license='Apache License 2.0',
        # mmcv comes compiled (mmcv) or pure Python (mmcv-lite, with the
        # ops of mmsgg_rde/ops): either satisfies us, so neither is required
        # and an extra picks one; `pip install .[mmcv-lite,mim]` gives a
        # working environment with mim (tests/test_fresh_install.py).
        install_requires=parse_requirements('requirements/runtime.txt'),
        extras_require={
            'mmcv': parse_requirements('requirements/mmcv.txt'),
            'mmcv-lite': parse_requirements('requirements/mmcv-lite.txt'),
            'mim': parse_requirements('requirements/mim.txt'),
            'tests': parse_requirements('requirements/tests.txt')
        },
        zip_safe=False)
