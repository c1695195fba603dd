"""Predicate confusion matrix of a results file of ``tools/test.py --out``.

Rows: the GT predicate of each test relation; columns: the model's top
predicate for that pair (in SGDet, the best-ranked predicted pair whose two
boxes overlap the GT ones by ``--iou-thr``), or "(no pair)". Predicates are
in training-frequency order (see ``predicate_recall.py``)::

    python tools/analysis_tools/confusion_matrix.py rde.pkl --out cm.png
"""
import argparse
import sys

import numpy as np

import mmsgg_rde  # noqa: F401  (registers all modules)
from mmsgg_rde.evaluation import (load_scene_graph_results,
                                  predicate_confusion_matrix,
                                  results_training_counts)
from mmsgg_rde.utils import run_cli
from mmsgg_rde.visualization import plot_confusion_matrix


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('results', help='a tools/test.py --out file')
    parser.add_argument(
        '--out', default='confusion_matrix.png', help='.png, .svg or .pdf')
    parser.add_argument(
        '--iou-thr', type=float, default=0.5, help='SGDet pair matching')
    parser.add_argument(
        '--counts', action='store_true', help='raw counts, not row fractions')
    parser.add_argument(
        '--config', help='order by training frequencies of its train split')
    parser.add_argument(
        '--dict-file',
        help='dicts file whose predicate_count gives the order (default: '
        'the dicts file of the dataset of the results)')
    return parser.parse_args()


def main() -> int:
    """Count, print the most frequent confusions and draw the matrix."""
    args = parse_args()
    data = load_scene_graph_results(args.results)
    predicates = list(data['dataset_meta']['predicates'])
    counts, source = results_training_counts(data, args.dict_file, args.config)
    print(f'Training frequencies: {source}')
    matrix = predicate_confusion_matrix(data, args.iou_thr)
    order = np.lexsort((np.arange(len(counts)), -np.asarray(counts)))
    plot_confusion_matrix(
        matrix, predicates, args.out, order=order, normalize=not args.counts)
    confusions = matrix[:, 1:].copy()
    np.fill_diagonal(confusions, 0)
    top = np.argsort(-confusions.ravel(), kind='stable')[:10]
    lines = [
        f'  {predicates[i // len(predicates)]} -> '
        f'{predicates[i % len(predicates)]}: {confusions.flat[i]}' for i in top
        if confusions.flat[i]
    ]
    correct = np.trace(matrix[:, 1:])
    print(f'{matrix.sum()} GT relations: {correct} given their GT predicate, '
          f'{matrix[:, 0].sum()} without a predicted pair. Most frequent '
          'confusions (GT -> predicted):\n' + '\n'.join(lines) +
          f'\nMatrix written to {args.out}')
    return 0


if __name__ == '__main__':
    run_cli(lambda: sys.exit(main()))
