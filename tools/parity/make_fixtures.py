"""Record (or check) the parity fixtures of the test suite.

Each ``tools/parity/gen_<name>.py`` module runs the benchmark's code
(``sgb_env.activate``) on small seeded inputs and returns what our
implementation must reproduce; this script saves it to
``tests/data/parity/<name>.pth`` (``torch.save`` of tensors, loadable with
``weights_only=True``), together with the benchmark snapshot it came from.
The tests compare our models with these files, so CI needs no benchmark.

Usage::

    pip install yacs
    git clone https://github.com/KaihuaTang/Scene-Graph-Benchmark.pytorch sgb
    python tools/parity/make_fixtures.py --sgb-root sgb            # record all
    python tools/parity/make_fixtures.py --sgb-root sgb --check    # compare
    python tools/parity/make_fixtures.py --sgb-root sgb --only motifs

A generator module defines ``generate() -> dict`` (a nested dict of tensors,
numbers and strings, seeded so that reruns give the same values) and may
define ``RTOL``/``ATOL`` (defaults 1e-4 / 1e-5) for ``--check``.
"""
import argparse
import glob
import importlib
import os
import os.path as osp
import sys
import tempfile
from typing import Any, Dict, List

import torch

HERE = osp.dirname(osp.abspath(__file__))
ROOT = osp.dirname(osp.dirname(HERE))
DEFAULT_OUT = osp.join(ROOT, 'tests', 'data', 'parity')
sys.path.insert(0, HERE)

from sgb_env import activate, snapshot_id  # noqa: E402


def generator_names() -> List[str]:
    """Names of the ``gen_<name>.py`` modules beside this script."""
    return sorted(
        osp.basename(path)[len('gen_'):-len('.py')]
        for path in glob.glob(osp.join(HERE, 'gen_*.py')))


def _compare(name: str, key: str, new: Any, old: Any, rtol: float,
             atol: float, errors: List[str]) -> None:
    """Recursively compare a regenerated value with the recorded one."""
    if isinstance(old, dict):
        if not isinstance(new, dict) or set(new) != set(old):
            errors.append(f'{name}:{key}: keys differ')
            return
        for sub in old:
            _compare(name, f'{key}.{sub}', new[sub], old[sub], rtol, atol,
                     errors)
    elif isinstance(old, torch.Tensor):
        if not isinstance(new, torch.Tensor) or new.shape != old.shape:
            errors.append(f'{name}:{key}: shape differs')
        elif old.is_floating_point():
            if not torch.allclose(new, old, rtol=rtol, atol=atol):
                diff = (new - old).abs().max().item()
                errors.append(f'{name}:{key}: max abs difference {diff:.3g}')
        elif not torch.equal(new, old):
            errors.append(f'{name}:{key}: values differ')
    elif new != old and key != '.snapshot':
        errors.append(f'{name}:{key}: {new!r} != {old!r}')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--sgb-root',
        help='checkout of KaihuaTang/Scene-Graph-Benchmark.pytorch '
        '(default: $SGB_ROOT)')
    parser.add_argument(
        '--out', default=DEFAULT_OUT, help='fixture folder to write')
    parser.add_argument(
        '--only', nargs='+', choices=generator_names(), help='generators')
    parser.add_argument(
        '--check',
        action='store_true',
        help='regenerate and compare with the recorded fixtures instead of '
        'writing them')
    args = parser.parse_args()

    sgb_root = activate(args.sgb_root)
    snapshot = snapshot_id(sgb_root)
    failures: List[str] = []
    for name in args.only or generator_names():
        module = importlib.import_module(f'gen_{name}')
        data: Dict[str, Any] = module.generate()
        data['snapshot'] = snapshot
        path = osp.join(args.out, f'{name}.pth')
        if args.check:
            old = torch.load(path, map_location='cpu', weights_only=True)
            errors: List[str] = []
            _compare(name, '', data, old, getattr(module, 'RTOL', 1e-4),
                     getattr(module, 'ATOL', 1e-5), errors)
            status = 'agrees' if not errors else 'DIFFERS'
            print(f'{name}: {status} with {path} (recorded from '
                  f"{old.get('snapshot')}, now {snapshot})")
            failures += errors
        else:
            os.makedirs(args.out, exist_ok=True)
            with tempfile.NamedTemporaryFile(
                    dir=args.out, suffix='.tmp', delete=False) as tmp:
                torch.save(data, tmp.name)
            os.replace(tmp.name, path)
            size = osp.getsize(path) / 1024
            print(f'{name}: wrote {path} ({size:.0f} KiB, snapshot '
                  f'{snapshot})')
    for error in failures:
        print('  ' + error)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
