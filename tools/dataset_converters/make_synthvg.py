"""Generate a SynthVG world: a synthetic dataset in the VG-150 file format.

Example::

    python tools/dataset_converters/make_synthvg.py --out data/synthvg \\
        --size default --seed 0
    python tools/dataset_converters/make_synthvg.py --out data/synthvg_tiny \\
        --size tiny --options num_test=40 "image_size_range=(64,128)"

The rules of the world are in ``docs/synthvg.md``.
"""
import argparse

from mmengine.config import DictAction

from mmsgg_rde.datasets.synthvg import (SYNTHVG_PRESETS, ensure_synthvg,
                                        generate_synthvg)


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Generate a SynthVG world in the VG-150 file layout')
    parser.add_argument(
        '--out', required=True, help='output folder (the data_root)')
    parser.add_argument(
        '--size',
        default='default',
        choices=sorted(SYNTHVG_PRESETS),
        help='size preset')
    parser.add_argument('--seed', type=int, default=0, help='random seed')
    parser.add_argument(
        '--options',
        nargs='+',
        action=DictAction,
        default={},
        help='override preset parameters, key=value (see '
        'SYNTHVG_PRESETS in mmsgg_rde/datasets/synthvg.py), e.g. '
        'num_train=200 "image_size_range=(64,128)"')
    parser.add_argument(
        '--if-missing',
        action='store_true',
        help='keep the world in --out when its manifest matches the '
        'arguments and all its files exist')
    return parser.parse_args()


def main() -> None:
    """Write the world (its location and size are logged)."""
    args = parse_args()
    make = ensure_synthvg if args.if_missing else generate_synthvg
    make(args.out, args.size, args.seed, **args.options)


if __name__ == '__main__':
    main()
