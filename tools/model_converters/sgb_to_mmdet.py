"""Convert a scene graph benchmark checkpoint to an mmsgg_rde checkpoint.

The benchmark's pretrained Faster R-CNN (``model_final.pth`` of
KaihuaTang/Scene-Graph-Benchmark.pytorch) becomes a detector checkpoint for
``model.detector_checkpoint`` of the scene graph configs; one of its
relation checkpoints (detector + relation head) becomes a full model
checkpoint for ``tools/test.py``. Every tensor is converted or reported.

Usage::

    python tools/model_converters/sgb_to_mmdet.py \\
        pretrained_faster_rcnn/model_final.pth \\
        checkpoints/faster-rcnn_x101-32x8d_fpn_vg150_sgb.pth
"""
import argparse
import os
import os.path as osp
import sys

import torch

from mmsgg_rde.utils.sgb_conversion import (RELATION_PREDICTOR_CONVERTERS,
                                            SGBCheckpointError,
                                            convert_sgb_checkpoint)


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help="the benchmark's checkpoint")
    parser.add_argument('dst', help='the mmsgg_rde checkpoint to write')
    parser.add_argument(
        '--predictor',
        choices=sorted(RELATION_PREDICTOR_CONVERTERS) or None,
        help='relation predictor of a relation checkpoint (default: '
        'recognised from its tensors)')
    parser.add_argument(
        '--trust-checkpoint',
        action='store_true',
        help='load a checkpoint that torch.load(weights_only=True) refuses '
        'with full unpickling, which can run arbitrary code. Only for files '
        'from a source you trust.')
    return parser.parse_args()


def main() -> int:
    """Convert ``src`` into ``dst`` and print what was not copied as is."""
    args = parse_args()
    try:
        checkpoint, notes = convert_sgb_checkpoint(
            args.src,
            predictor=args.predictor,
            trust_checkpoint=args.trust_checkpoint)
    except (SGBCheckpointError, FileNotFoundError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    for note in notes:
        print(f'note: {note}')
    if osp.dirname(args.dst):
        os.makedirs(osp.dirname(args.dst), exist_ok=True)
    torch.save(checkpoint, args.dst)
    print(f"{len(checkpoint['state_dict'])} tensors "
          f"(from {checkpoint['meta']['source_tensors']}) written to "
          f'{args.dst}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
