"""Scene graphs of images with a trained model: JSON files and pictures.

mmdet's ``demo/image_demo.py`` argument order::

    python tools/infer.py INPUTS CONFIG --weights CKPT --out-dir DIR
    # PredCls / SGCls: the objects' boxes (and labels) of each image
    python tools/infer.py imgs/ CONFIG --weights CKPT --boxes boxes.json

Writes ``DIR/preds/<image>.json`` (objects and top relations) and
``DIR/vis/<image>`` (the image with boxes and relations, and the graph).
The JSON and boxes layouts are in docs/inference.md.
"""
import argparse
import sys

from mmengine.logging import print_log

from mmsgg_rde.apis import InferenceInputError, SceneGraphInferencer


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
    """Run the inferencer; non-zero exit when no image could be used."""
    args = parse_args()
    inferencer = SceneGraphInferencer(
        args.model,
        weights=args.weights,
        device=args.device,
        mode=args.mode,
        trust_checkpoint=args.trust_checkpoint)
    try:
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
    except (InferenceInputError, FileNotFoundError) as error:
        print(f'tools/infer.py: error: {error}', file=sys.stderr)
        return 2
    predictions = results['predictions']
    failed = sum('error' in p for p in predictions)
    done = len(predictions) - failed
    where = []
    if not args.no_save_pred:
        where.append(f'JSON in {args.out_dir}/preds/')
    if not args.no_save_vis:
        where.append(f'pictures in {args.out_dir}/vis/')
    print_log(
        f'{done} of {len(predictions)} images done'
        f'{" (" + ", ".join(where) + ")" if where and done else ""}'
        f'{f"; {failed} skipped, see the messages above" if failed else ""}.',
        logger='current')
    return 0 if done else 1


if __name__ == '__main__':
    sys.exit(main())
