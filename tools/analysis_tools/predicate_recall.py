"""Per-predicate recall of one or two results files, as a bar chart.

Predicates are sorted by training frequency and the head, body and tail
thirds are marked; with two files (e.g. Motifs against Motifs + RDE) the
bars are side by side and a second panel shows the difference::

    python tools/analysis_tools/predicate_recall.py motifs.pkl rde.pkl \\
        --labels Motifs Motifs+RDE --k 50 --out recall.png

Training frequencies: the train split statistics of ``--config``, else the
``predicate_count`` of ``--dict-file``, else that of the dicts file of the
dataset the results come from (beside its images); the tool prints which.
"""
import argparse
import sys

from terminaltables import AsciiTable

import mmsgg_rde  # noqa: F401  (registers all modules)
from mmsgg_rde.evaluation import (GROUP_NAMES, frequency_groups,
                                  load_scene_graph_results, predicate_recalls,
                                  results_training_counts)
from mmsgg_rde.utils import run_cli
from mmsgg_rde.visualization import plot_predicate_recalls


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        'results', nargs='+', help='one or two tools/test.py --out files')
    parser.add_argument('--labels', nargs='+', help='a name per file')
    parser.add_argument('--k', type=int, default=50, help='the K of R@K')
    parser.add_argument(
        '--out', default='predicate_recall.png', help='.png, .svg or .pdf')
    parser.add_argument(
        '--config', help='count training frequencies on its train split')
    parser.add_argument(
        '--dict-file',
        help='dicts file whose predicate_count gives the frequencies '
        '(default: the dicts file of the dataset of the results)')
    return parser.parse_args()


def main() -> int:
    """Compute the recalls, print a table and draw the chart."""
    args = parse_args()
    labels = args.labels or [
        f'results {i + 1}' for i in range(len(args.results))
    ]
    if not 1 <= len(args.results) <= 2 or len(labels) != len(args.results):
        print(
            'predicate_recall.py: error: give one or two results files '
            'and as many --labels',
            file=sys.stderr)
        return 2
    files = [load_scene_graph_results(path) for path in args.results]
    predicates = list(files[0]['dataset_meta']['predicates'])
    if any(list(f['dataset_meta']['predicates']) != predicates for f in files):
        print(
            'predicate_recall.py: error: the files have different '
            'predicates',
            file=sys.stderr)
        return 2
    recalls = {}
    for label, data in zip(labels, files):
        recalls[label], num_gt = predicate_recalls(data, args.k)
    counts, source = results_training_counts(files[0], args.dict_file,
                                             args.config)
    print(f'Training frequencies: {source}')
    groups = frequency_groups(counts)
    order = plot_predicate_recalls(predicates, recalls, counts, groups,
                                   args.out, args.k)
    header = ['predicate', 'group', 'train count', 'test GT'
              ] + [f'{label} R@{args.k}' for label in labels]
    if len(labels) == 2:
        header.append('difference')
    rows = [header]
    for i in order:
        row = [
            predicates[i], GROUP_NAMES[groups[i]],
            int(counts[i]),
            int(num_gt[i])
        ] + [f'{100 * recalls[label][i]:.2f}' for label in labels]
        if len(labels) == 2:
            row.append(
                f'{100 * (recalls[labels[1]][i] - recalls[labels[0]][i]):+.2f}'
            )
        rows.append(row)
    print(AsciiTable(rows).table)
    for g, name in enumerate(GROUP_NAMES):
        means = ', '.join(
            f'{label} {100 * recalls[label][groups == g].mean():.2f}'
            for label in labels)
        print(f'{name} mR@{args.k}: {means}')
    print(f'Chart written to {args.out}')
    return 0


if __name__ == '__main__':
    run_cli(lambda: sys.exit(main()))
