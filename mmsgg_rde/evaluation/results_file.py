"""Reading and re-evaluating the results files of ``tools/test.py --out``.

The layout is documented in :class:`DumpSceneGraphResults` and
docs/inference.md. Results files are pickles: load only files you made.
"""
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmdet.registry import DATASETS, METRICS
from mmengine.config import Config
from mmengine.evaluator import Evaluator
from mmengine.fileio import load
from mmengine.registry import init_default_scope

from mmsgg_rde.datasets.vg150_io import DEFAULT_DICT_FILE
from mmsgg_rde.utils import UserError
from .functional import RECORD_DTYPE, per_class_recall, predicate_confusion
from .metrics import RESULTS_FORMAT, RESULTS_VERSION, SceneGraphMetric

__all__ = [
    'load_scene_graph_results', 'evaluate_scene_graph_results',
    'predicate_recalls', 'predicate_confusion_matrix',
    'training_predicate_counts', 'results_dict_file',
    'results_training_counts', 'PredicateCountsNotFoundError'
]

#: Name of the dicts file in a VG-150 (or SynthVG) data root.
_DICT_FILE_NAME = osp.basename(DEFAULT_DICT_FILE)


class PredicateCountsNotFoundError(UserError, FileNotFoundError):
    """Nothing says which training predicate counts belong to a results
    file."""


def load_scene_graph_results(path: str) -> dict:
    """Read and check a results file.

    Args:
        path (str): A ``tools/test.py --out`` file.

    Returns:
        dict: ``mode``, ``num_relations``, ``dataset_meta`` and ``results``
        (one dict per image).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'Results file "{path}" not found.')
    data = load(path)
    if not isinstance(data, dict) or data.get('format') != RESULTS_FORMAT:
        raise ValueError(
            f'"{path}" is not a scene graph results file (no format '
            f'"{RESULTS_FORMAT}"); write one with tools/test.py CONFIG CKPT '
            '--out FILE.pkl.')
    if data.get('version') != RESULTS_VERSION:
        raise ValueError(
            f'"{path}" has results format version {data.get("version")}; '
            f'this mmsgg_rde reads version {RESULTS_VERSION}.')
    return data


def _metric_configs(evaluator_cfg: Union[dict, Sequence[dict]]) -> List[dict]:
    """The metric configs of an evaluator config."""
    if isinstance(evaluator_cfg, dict):
        return [evaluator_cfg]
    return list(evaluator_cfg)


def evaluate_scene_graph_results(
    data: dict,
    evaluator_cfg: Optional[Union[dict, Sequence[dict]]] = None
) -> Dict[str, float]:
    """Evaluate a loaded results file offline, as ``tools/test.py`` did.

    Args:
        data (dict): From :func:`load_scene_graph_results`.
        evaluator_cfg (dict | list[dict], optional): Metric configs (a
            config's ``test_evaluator``). Defaults to
            ``SceneGraphMetric(mode=data['mode'])``.

    Returns:
        dict: The metrics, named as online (``predcls/R@50`` ...).
    """
    if evaluator_cfg is None:
        evaluator_cfg = dict(type='SceneGraphMetric', mode=data['mode'])
    metrics = _metric_configs(evaluator_cfg)
    for metric in metrics:
        if metric.get('type') != 'SceneGraphMetric':
            continue
        if metric.get('mode') != data['mode']:
            raise ValueError(
                f'The evaluator is in {metric.get("mode")} mode but the '
                f'results are {data["mode"]} results; use the config they '
                'were tested with.')
        topk = max(metric.get('topk', (20, 50, 100)))
        if data['num_relations'] is not None and topk > data['num_relations']:
            raise ValueError(
                f'The results keep the relations needed up to K = '
                f'{data["num_relations"]}; the evaluator asks for K = {topk}.')
    evaluator = Evaluator([METRICS.build(metric) for metric in metrics])
    evaluator.dataset_meta = data['dataset_meta']
    return evaluator.offline_evaluate(data['results'])


def _parser(data: dict, k: int = 100) -> SceneGraphMetric:
    """A metric that reads the samples of ``data``."""
    metric = SceneGraphMetric(
        mode=data['mode'], topk=(k, ), zeroshot_file=None)
    metric.dataset_meta = data['dataset_meta']
    return metric


def predicate_recalls(data: dict,
                      k: int = 50) -> Tuple[np.ndarray, np.ndarray]:
    """Per-predicate R@K (graph constraint) of a results file, as mR@K
    averages it, and the number of GT relations of each predicate.

    Args:
        data (dict): From :func:`load_scene_graph_results`.
        k (int): The K of R@K.

    Returns:
        tuple[np.ndarray, np.ndarray]: (C,) recalls in [0, 1] and (C,) GT
        counts of predicates 1..C.
    """
    if data['num_relations'] is not None and k > data['num_relations']:
        raise ValueError(f'The results keep relations up to K = '
                         f'{data["num_relations"]}, not {k}.')
    metric = _parser(data, k)
    num_predicates = len(data['dataset_meta']['predicates'])
    records = [metric.image_records(sample) for sample in data['results']]
    image_ids = np.repeat(np.arange(len(records)), [len(r) for r in records])
    records = np.concatenate(records or [np.empty(0, RECORD_DTYPE)])
    recalls = per_class_recall(records['rank'] < k, records['predicate'],
                               image_ids, num_predicates)
    counts = np.bincount(
        records['predicate'], minlength=num_predicates + 1)[1:]
    return recalls, counts


def predicate_confusion_matrix(data: dict, iou_thr: float = 0.5) -> np.ndarray:
    """Counts of (GT predicate, predicted predicate) over a results file.

    The predicted predicate of a GT relation is the model's top predicate
    for its pair (see
    :func:`~mmsgg_rde.evaluation.functional.predicate_confusion`). In SGDet
    a results file keeps only the best pairs, so a GT pair outside them
    counts as not predicted.

    Args:
        data (dict): From :func:`load_scene_graph_results`.
        iou_thr (float): Box overlap of a matching pair in SGDet.

    Returns:
        np.ndarray: (C, C + 1) int64; row ``i`` is GT predicate ``i + 1``,
        column 0 "no predicted pair" (``NO_PAIR``), column ``j`` predicate
        ``j``.
    """
    metric = _parser(data)
    num_predicates = len(data['dataset_meta']['predicates'])
    matrix = np.zeros((num_predicates, num_predicates + 1), dtype=np.int64)
    for sample in data['results']:
        gt = metric.parse_gt(sample)
        pred = metric.parse_pred(sample, gt)
        predicted = predicate_confusion(gt, pred, iou_thr, data['mode']
                                        != 'sgdet')
        np.add.at(matrix, (gt.predicates - 1, predicted), 1)
    return matrix


def training_predicate_counts(predicates: Sequence[str],
                              dict_file: str = DEFAULT_DICT_FILE,
                              config: Optional[Union[str, Config]] = None
                              ) -> np.ndarray:
    """How often each predicate occurs in training, to sort and group them.

    Args:
        predicates: (C,) predicate names.
        dict_file: A VG-SGG dicts file whose ``predicate_count`` is used
            when ``config`` is None (VG-150's shipped file by default).
        config: A config (or its file): the frequency statistics of its
            ``train_dataloader.dataset`` (the triplets the frequency bias
            counts) are used.

    Returns:
        np.ndarray: (C,) counts.
    """
    if config is not None:
        cfg = Config.fromfile(config) if isinstance(config, str) else config
        init_default_scope(cfg.get('default_scope', 'mmdet'))
        dataset = DATASETS.build(
            dict(cfg.train_dataloader.dataset, lazy_init=True))
        fg_matrix = dataset.get_statistics()['fg_matrix']
        counts = fg_matrix[:, :, 1:].sum(axis=(0, 1))
        if counts.shape != (len(predicates), ):
            raise ValueError(
                f'The train dataset has {counts.shape[0]} predicates, the '
                f'results {len(predicates)}.')
        return counts
    with open(dict_file) as f:
        file_counts = json.load(f).get('predicate_count', {})
    missing = [name for name in predicates if name not in file_counts]
    if missing:
        raise ValueError(f'{dict_file} has no "predicate_count" for '
                         f'{missing[:5]}; give the dicts file of the '
                         'dataset the results come from.')
    return np.array([file_counts[name] for name in predicates])


def results_dict_file(data: dict) -> Optional[str]:
    """The dicts file of the dataset a results file comes from.

    It is ``VG-SGG-dicts-with-attri.json`` in the folder above the images'
    folder (the VG-150 layout, which SynthVG writes too), found through the
    ``img_path`` of the first result.

    Args:
        data (dict): From :func:`load_scene_graph_results`.

    Returns:
        str | None: Its path, or None if there is no such file.
    """
    results = data.get('results') or []
    img_path = results[0].get('img_path') if results else None
    if not img_path:
        return None
    path = osp.join(
        osp.dirname(osp.dirname(osp.abspath(img_path))), _DICT_FILE_NAME)
    return path if osp.isfile(path) else None


def results_training_counts(data: dict,
                            dict_file: Optional[str] = None,
                            config: Optional[Union[str, Config]] = None
                            ) -> Tuple[np.ndarray, str]:
    """The training predicate counts of a results file, and their source.

    In this order: the train split statistics of ``config``, the
    ``predicate_count`` of ``dict_file``, else that of the dataset's own
    dicts file (:func:`results_dict_file`). VG-150's counts are used only
    when one of these is VG-150's.

    Args:
        data (dict): From :func:`load_scene_graph_results`.
        dict_file (str, optional): A VG-SGG dicts file.
        config (str | Config, optional): A config (or its file).

    Returns:
        tuple[np.ndarray, str]: (C,) counts and where they come from.

    Raises:
        PredicateCountsNotFoundError: Neither is given and the dataset's
            dicts file is not beside its images.
    """
    predicates = list(data['dataset_meta']['predicates'])
    if config is not None:
        name = config if isinstance(config, str) else 'the config'
        return (training_predicate_counts(predicates, config=config),
                f'the train split statistics of {name}')
    if dict_file is None:
        dict_file = results_dict_file(data)
        if dict_file is None:
            results = data.get('results') or [{}]
            raise PredicateCountsNotFoundError(
                'No dicts file of the dataset beside the images of the '
                f'results ({results[0].get("img_path")}): pass --config '
                'CONFIG (the train split of its dataset is counted) or '
                f'--dict-file FILE (a {_DICT_FILE_NAME}; VG-150\'s is '
                f'{DEFAULT_DICT_FILE}).')
    return (training_predicate_counts(predicates, dict_file),
            f'the predicate_count of {dict_file}')
