"""``tools/*.sh`` run without activating the checkout's environment."""
import os
import os.path as osp
import socket
import subprocess

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
