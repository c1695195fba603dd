"""Evaluate a results file of ``tools/test.py --out`` offline.

mmdet's ``tools/analysis_tools/eval_metric.py`` for scene graphs: the test
evaluator of CONFIG (its SceneGraphMetric settings) on the saved scene
graphs gives the numbers ``tools/test.py`` printed; no model, data or GPU
is needed (class and predicate names are in the file)::

    python tools/analysis_tools/eval_metric.py CONFIG RESULTS.pkl
"""
import argparse
import json
import sys

from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope

import mmsgg_rde  # noqa: F401  (registers all modules)
from mmsgg_rde.evaluation import (evaluate_scene_graph_results,
                                  load_scene_graph_results)


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        'config',
        help='the config the results were made '
        'with (its test_evaluator is used)')
    parser.add_argument('results', help='results file of tools/test.py --out')
    parser.add_argument('--out-json', help='also write the metrics here')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, e.g. test_evaluator.topk="[20,50]"')
    return parser.parse_args()


def main() -> int:
    """Evaluate and print the metrics."""
    args = parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    try:
        data = load_scene_graph_results(args.results)
        metrics = evaluate_scene_graph_results(data, cfg.test_evaluator)
    except (FileNotFoundError, ValueError) as error:
        print(f'eval_metric.py: error: {error}', file=sys.stderr)
        return 2
    print(f'{args.results} ({len(data["results"])} images):\n' +
          json.dumps(metrics, indent=1))
    if args.out_json:
        with open(args.out_json, 'w') as f:
            json.dump(metrics, f, indent=1)
    return 0


if __name__ == '__main__':
    sys.exit(main())
