"""Scene graphs of images with a trained model: JSON files and pictures.

mmdet's ``demo/image_demo.py`` argument order::

    python tools/infer.py INPUTS CONFIG --weights CKPT --out-dir DIR
    # PredCls / SGCls: the objects' boxes (and labels) of each image
    python tools/infer.py imgs/ CONFIG --weights CKPT --boxes boxes.json

Writes ``DIR/preds/<image>.json`` (objects and top relations) and
``DIR/vis/<image>`` (the image with boxes and relations, and the graph).
The JSON and boxes layouts are in docs/inference.md.

Exit code 0 when every image got its scene graph; 1 when any image failed
(its error is logged and written as its JSON, the others are processed, and
the last line says "N of M images failed") or when the run cannot start (a
bad config, checkpoint, folder or boxes file: one line, ``MMSGG_RDE_DEBUG=1``
shows the traceback).
"""
import argparse
import sys

from mmengine.logging import print_log

from mmsgg_rde.apis import SceneGraphInferencer
from mmsgg_rde.utils import run_cli


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('inputs', help='an image file or a folder of images')
    parser.add_argument('model', help='config file')
    parser.add_argument('--weights', help='checkpoint file')
    parser.add_argument(
        '--out-dir',
        default='outputs',
        help='where preds/*.json and vis/* are written')
    parser.add_argument(
        '--boxes',
        help='JSON file of boxes (and labels) per image, for PredCls/SGCls')
    parser.add_argument(
        '--mode',
        choices=['predcls', 'sgcls', 'sgdet'],
        help="run in this mode instead of the config's")
    parser.add_argument(
        '--device', help='e.g. cpu, cuda, cuda:1 (default: the available)')
    parser.add_argument('--batch-size', type=int, default=1)
    parser.add_argument(
        '--num-relations',
        type=int,
        default=20,
        help='relations kept per image (top K by triplet score)')
    parser.add_argument(
        '--relation-score-thr',
        type=float,
        default=0.,
        help='lowest triplet score kept')
    parser.add_argument(
        '--multi-predicate',
        action='store_true',
        help='allow several predicates per pair (default: one)')
    parser.add_argument(
        '--pred-score-thr',
        type=float,
        default=0.3,
        help='objects scoring above this are drawn even without a relation')
    parser.add_argument(
        '--show', action='store_true', help='show the pictures in a window')
    parser.add_argument('--no-save-vis', action='store_true')
    parser.add_argument('--no-save-pred', action='store_true')
    parser.add_argument('--print-result', action='store_true')
    parser.add_argument(
        '--trust-checkpoint',
        action='store_true',
        help='load a checkpoint that needs full unpickling (arbitrary code); '
        'only for files from a source you trust')
    return parser.parse_args()


def main() -> int:
    """Run the inferencer.

    Errors that stop the whole run (:class:`~mmsgg_rde.utils.UserError`,
    ``FileNotFoundError``) propagate; ``run_cli`` prints them as one line.

    Returns:
        int: 0 when every image got a scene graph, else 1.
    """
    args = parse_args()
    inferencer = SceneGraphInferencer(
        args.model,
        weights=args.weights,
        device=args.device,
        mode=args.mode,
        trust_checkpoint=args.trust_checkpoint)
    results = inferencer(
        args.inputs,
        boxes=args.boxes,
        batch_size=args.batch_size,
        num_relations=args.num_relations,
        relation_score_thr=args.relation_score_thr,
        multi_predicate=args.multi_predicate,
        out_dir=args.out_dir,
        no_save_pred=args.no_save_pred,
        no_save_vis=args.no_save_vis,
        show=args.show,
        pred_score_thr=args.pred_score_thr,
        print_result=args.print_result)
    predictions = results['predictions']
    total = len(predictions)
    failed = sum('error' in p for p in predictions)
    done = total - failed
    where = []
    if not args.no_save_pred:
        where.append(f'JSON in {args.out_dir}/preds/')
    if not args.no_save_vis and done:
        where.append(f'pictures in {args.out_dir}/vis/')
    summary = f'{done} of {total} images done'
    if where:
        summary += f' ({", ".join(where)})'
    if failed:
        summary += (f'; {failed} of {total} images failed, see the messages '
                    'above (exit code 1)')
    print_log(f'{summary}.', logger='current')
    return 1 if failed else 0


if __name__ == '__main__':
    run_cli(lambda: sys.exit(main()))
