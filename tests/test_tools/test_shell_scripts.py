"""``tools/*.sh`` run without activating the checkout's environment, and
``tools/gpu_check.sh --dry-run`` runs on a fresh clone after ``make install``
without installing anything into an environment (marked ``slow``: about 2
minutes on 2 cores; ``pytest -m slow tests/test_tools/test_shell_scripts.py``).
"""
import os
import os.path as osp
import socket
import subprocess
import sys

import pytest

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
VENV_PYTHON = osp.join(REPO_ROOT, '.venv', 'bin', 'python')


@pytest.mark.skipif(
    not osp.isfile(VENV_PYTHON),
    reason='this checkout has no .venv (make install creates it)')
def test_dist_train_finds_the_checkout_venv():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    # A shell where `python` is not the project's (nor any) interpreter.
    env = dict(
        PATH='/usr/bin:/bin',
        HOME=os.environ.get('HOME', '/tmp'),
        PORT=str(port),
        OMP_NUM_THREADS='1')
    proc = subprocess.run(
        ['bash', osp.join('tools', 'dist_train.sh'), '--help', '1'],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'usage: train.py' in proc.stdout


@pytest.fixture
def fresh_clone(tmp_path, copy_checkout) -> str:
    """A copy of the checkout's files as a fresh clone has them, with a
    ``.venv`` that is this interpreter's environment (as after
    ``make install``); returns its root."""
    root = copy_checkout(str(tmp_path / 'clone'))
    os.symlink(sys.prefix, osp.join(root, '.venv'))
    return root


def _bare_shell_env(tmp_path) -> dict:
    """No activated environment, no PYTHON: the script picks the .venv."""
    return dict(
        PATH='/usr/bin:/bin',
        HOME=os.environ.get('HOME', str(tmp_path)),
        OMP_NUM_THREADS='1')


def _environment_files() -> dict:
    """Size and mtime of every file of this interpreter's environment
    (``__pycache__`` left out: imports may write there)."""
    files = {}
    for root, dirs, names in os.walk(osp.realpath(sys.prefix)):
        dirs[:] = [d for d in dirs if d != '__pycache__']
        for name in names:
            path = osp.join(root, name)
            stat = os.lstat(path)
            files[path] = (stat.st_size, stat.st_mtime_ns)
    return files


def test_gpu_check_without_wheels_says_how_to_prepare_them(
        tmp_path, fresh_clone):
    root = fresh_clone
    empty = tmp_path / 'wheels'
    empty.mkdir()
    for args, expected in (([], 'bash tools/gpu_check.sh --prepare-wheels '
                            '.whl and carry .whl'),
                           (['--wheels', str(empty)],
                            f'no wheels (*.whl) in {empty}; prepare them')):
        proc = subprocess.run([
            'bash', 'tools/gpu_check.sh', '--work-dir',
            str(tmp_path / 'work'), *args
        ],
                              cwd=root,
                              env=_bare_shell_env(tmp_path),
                              capture_output=True,
                              text=True,
                              timeout=60)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert expected in proc.stdout, proc.stdout + proc.stderr


@pytest.mark.slow
def test_gpu_check_dry_run_on_a_fresh_clone_modifies_no_environment(
        tmp_path, fresh_clone):
    root = fresh_clone
    target = tmp_path / 'site'
    before = _environment_files()
    proc = subprocess.run([
        'bash', 'tools/gpu_check.sh', '--dry-run', '--skip-tests',
        '--work-dir',
        str(tmp_path / 'work'), '--target',
        str(target)
    ],
                          cwd=root,
                          env=_bare_shell_env(tmp_path),
                          capture_output=True,
                          text=True,
                          timeout=900)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-5000:]
    python = osp.join(root, '.venv', 'bin', 'python')
    assert f'the dry run uses the packages of {python}' in output
    assert 's/iter of the 4 iterations: median' in output
    assert 'Motifs+RDE / Motifs time per batch' in output
    assert '[gpu-check] step 4 done' in output
    assert not target.exists()
    assert _environment_files() == before
