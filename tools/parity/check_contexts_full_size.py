"""VCTree / Transformer / IMP parity at the protocol sizes (not in CI).

Runs the benchmark's predictors at 4096-d features, 150 classes, 51
predicates and their default context sizes (``predictor_parity.FULL``:
two images of 25 and 20 objects in PredCls/SGCls, 80 and 60 detections in
SGDet; random weights), then our context encoders on the same inputs with
the converted weights, through the helpers of the parity tests
(``tests/test_models/test_layers/context_parity.py``), and prints per mode
the largest absolute and relative (to the largest reference value)
differences of the object logits (PredCls: labels) and relation logits,
and of the intermediate outputs. With ``--heads`` it also runs our heads
(``VCTreeHead``, ``TransformerHead``, ``IMPHead``, through the helpers of
``tests/test_models/test_relation_heads/head_parity.py``) on the same
records: rows ``head <mode>``, the object and relation logits in eval mode.

Usage::

    python tools/parity/check_contexts_full_size.py --sgb-root /path/to/sgb
    python tools/parity/check_contexts_full_size.py --only vctree \\
        --hidden-dim 1024     # VCTree's context width in the benchmark yaml
    python tools/parity/check_contexts_full_size.py --heads --only imp
"""
import argparse
import importlib
import os.path as osp
import sys
import time

HERE = osp.dirname(osp.abspath(__file__))
ROOT = osp.dirname(osp.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, osp.join(ROOT, 'tests', 'test_models', 'test_layers'))
sys.path.insert(0, osp.join(ROOT, 'tests', 'test_models',
                            'test_relation_heads'))

from sgb_env import activate, snapshot_id  # noqa: E402

NAMES = ('vctree', 'transformer', 'imp')


def _row(label: str, diffs: dict) -> str:
    """One line of figures."""
    main = ' '.join(f'{k} {diffs[k][0]:.1e}/{diffs[k][1]:.1e}'
                    for k in ('obj_logits', 'rel_logits') if k in diffs)
    rest = ' '.join(f'{k} {v[1]:.1e}' for k, v in diffs.items()
                    if k not in ('obj_logits', 'rel_logits'))
    return f'  {label:<14} abs/rel: {main} | rel: {rest}'


def _train_rows(name: str, data: dict, checks) -> list:
    """The training records' figures."""
    rows = []
    for key, record in data.get('train', {}).items():
        if 'outputs' not in record:
            continue
        overrides = {}
        if name == 'transformer':
            overrides = dict(dropout=0.0, box_dropout=0.0)
        diffs = checks.differences(name, data, record, key, True, **overrides)
        rows.append((f'train {key}', diffs))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--sgb-root', help='checkout of the benchmark (default: $SGB_ROOT)')
    parser.add_argument('--only', nargs='+', choices=NAMES, default=NAMES)
    parser.add_argument(
        '--hidden-dim', type=int, help='context width (default 512)')
    parser.add_argument(
        '--heads',
        action='store_true',
        help='also compare our relation heads\' logits')
    args = parser.parse_args()
    sgb_root = activate(args.sgb_root)
    import context_parity as checks
    import predictor_parity
    import torch
    from head_parity import head_differences
    sizes = dict(predictor_parity.FULL)
    if args.hidden_dim:
        sizes['hidden_dim'] = args.hidden_dim
    failed = False
    for name in args.only:
        start = time.time()
        data = importlib.import_module(f'gen_{name}').run(sizes)
        print(f'{name}: benchmark {snapshot_id(sgb_root)}, hidden '
              f"{sizes['hidden_dim']} ({time.time() - start:.0f} s)")
        rows = []
        for mode in checks.MODES:
            with torch.no_grad():
                rows.append(
                    (mode, checks.differences(name, data, data[mode], mode)))
        rows += _train_rows(name, data, checks)
        if args.heads:
            rows += [(f'head {mode}', head_differences(name, data, mode))
                     for mode in checks.MODES]
        for label, diffs in rows:
            print(_row(label, diffs))
            try:
                checks.assert_parity(diffs)
            except AssertionError as err:
                failed = True
                print(f'  FAILED {err}')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
