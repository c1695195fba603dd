"""Motifs parity at the protocol sizes (not run in CI: minutes, GBs).

Runs the benchmark's MotifPredictor with its feature extractors at
4096-d features, hidden size 512, 151 classes and 256 FPN channels (random
weights, ``gen_motifs.FULL``), then ``MotifsHead`` on the same inputs with
the converted weights, with the checks of
``tests/test_models/test_relation_heads/test_motifs_parity.py``, and prints
per mode the largest absolute and relative (to the largest reference value)
differences of object and relation logits, and whether objects and ranked
triplets are identical.

Usage::

    python tools/parity/check_motifs_full_size.py --sgb-root /path/to/sgb
"""
import argparse
import importlib.util
import os.path as osp
import sys
import time

HERE = osp.dirname(osp.abspath(__file__))
ROOT = osp.dirname(osp.dirname(HERE))
TEST_FILE = osp.join(ROOT, 'tests', 'test_models', 'test_relation_heads',
                     'test_motifs_parity.py')
sys.path.insert(0, HERE)

import gen_motifs  # noqa: E402
from sgb_env import activate, snapshot_id  # noqa: E402


def load_checks():
    """The parity test module (its helpers run our side)."""
    spec = importlib.util.spec_from_file_location('test_motifs_parity',
                                                  TEST_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_check(fn, *args) -> str:
    """'ok', or the failure of a test function."""
    try:
        fn(*args)
    except AssertionError as err:
        return f'FAILED {err}'.strip()
    return 'ok'


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--sgb-root', help='checkout of the benchmark (default: $SGB_ROOT)')
    args = parser.parse_args()
    sgb_root = activate(args.sgb_root)
    import torch
    from mmengine.registry import init_default_scope
    init_default_scope('mmdet')
    checks = load_checks()
    start = time.time()
    data = gen_motifs.run(gen_motifs.FULL)
    print(f'benchmark {snapshot_id(sgb_root)} at {gen_motifs.FULL} '
          f'({time.time() - start:.0f} s)')
    failed = False
    for mode in checks.MODES:
        start = time.time()
        with torch.no_grad():
            eval_diffs = checks.eval_differences(data, mode)
        train_diffs = checks.train_differences(data, mode)
        sampling = {
            name: run_check(fn, data, mode, *extra)
            for name, fn, extra in (
                ('object targets', checks.test_object_targets_match_benchmark,
                 ()),
                ('candidates', checks.test_candidate_pairs_match_benchmark,
                 ()),
                ('sampled pairs', checks.test_sampled_pairs_follow_benchmark,
                 ('protocol', )),
            )
        }
        print(f'\n{mode} ({time.time() - start:.0f} s)')
        for name, diffs in (('eval', eval_diffs), ('train', train_diffs)):
            for key, value in diffs.items():
                print(f'  {name} {key}: {value}')
        for name, status in sampling.items():
            print(f'  train {name}: {status}')
        failed |= not all(v for k, v in eval_diffs.items()
                          if k.startswith('same') or k.endswith('close'))
        failed |= not all(
            v for k, v in train_diffs.items() if k.endswith('close'))
        failed |= any(status != 'ok' for status in sampling.values())
    print('\nparity: ' + ('FAILED' if failed else 'ok'))
    return int(failed)


if __name__ == '__main__':
    sys.exit(main())
