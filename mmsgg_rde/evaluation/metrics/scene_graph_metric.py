"""Scene graph generation metric: R@K, mR@K, zR@K, A@K and F@K."""
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmdet.registry import METRICS
from mmdet.structures.bbox import get_box_tensor
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from terminaltables import AsciiTable

from mmsgg_rde.datasets.vg150_io import (DEFAULT_DICT_FILE,
                                         DEFAULT_ZEROSHOT_FILE,
                                         load_vocabulary)
from mmsgg_rde.structures import MODES
from ..functional import (GROUP_NAMES, RECORD_DTYPE, GTGraph, PredGraph,
                          build_image_records, encode_triplets, f_score,
                          frequency_groups, image_mean_recall, isin_sorted,
                          pair_accuracy, per_class_recall)

__all__ = ['SceneGraphMetric']


def _get(container: object, key: str, where: str) -> object:
    """``container[key]`` of a data sample (dict or data element)."""
    value = None if container is None else container.get(key)
    if value is None:
        raise KeyError(f'SceneGraphMetric: the data sample has no "{where}"; '
                       'the model must fill it before evaluation.')
    return value


def _to_numpy(value: object, dtype: Optional[type] = None) -> np.ndarray:
    """Tensor (any device), box structure or array-like to numpy."""
    if not isinstance(value, (np.ndarray, list, tuple)):
        value = get_box_tensor(value)
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu()
        # bfloat16 (autocast on CPU) has no numpy dtype.
        value = (value.float()
                 if value.dtype == torch.bfloat16 else value).numpy()
    return np.asarray(value, dtype=dtype)


@METRICS.register_module()
class SceneGraphMetric(BaseMetric):
    """Scene graph generation metric of the VG-150 benchmark.

    Reproduces the maskrcnn-benchmark SGG evaluator: for each image, the
    graph-constrained list (one predicate per pair, ranked by triplet score)
    and the no-graph-constraint list (top ``(pair, predicate)`` by
    ``s_sub * s_obj * P(p)``) are matched to the GT triplets (same classes
    and predicate, IoU >= ``iou_thr`` with the "+1" pixel convention on both
    boxes). Reported, in percent, for each K: R@K, mR@K (per-image per-class
    average), zR@K (zero-shot triplets), their no-graph-constraint variants
    (``ng-``), F@K (harmonic mean of R@K and mR@K) and, in PredCls/SGCls,
    A@K (predictions on GT pairs only). Images without GT relations are
    skipped. Metric names are prefixed by the mode, e.g. ``predcls/R@50``.

    ``process`` reduces every image to one small record per GT relation, so
    the metric state does not grow with the number of predicted pairs.

    Args:
        mode (str): ``'predcls'``, ``'sgcls'`` or ``'sgdet'``. In PredCls
            the GT boxes and labels stand for the predicted objects, with
            object scores 1 (``pred_instances`` is optional).
        topk (Sequence[int]): The K of R@K etc. Defaults to (20, 50, 100).
        iou_thr (float): Box IoU needed for a match. Defaults to 0.5.
        zeroshot_file (str, optional): ``.npy`` array (T, 3) of zero-shot
            ``(subject class, object class, predicate)`` with 1-based ids
            (object label + 1). None disables zR@K. Defaults to the shipped
            VG-150 list.
        dict_file (str): VG-SGG dicts file used for predicate names when
            ``dataset_meta`` has none, and for predicate frequencies (its
            ``predicate_count``) when ``dataset_meta`` has no
            ``predicate_counts``. Defaults to the shipped VG-150 file.
        group_splits (Tuple[float, float]): Fractions of the predicates,
            sorted by frequency, at which the body and the tail groups start
            in the logged head/body/tail means. Defaults to (1/3, 2/3).
        skip_empty_predictions (bool): Skip images whose prediction has no
            pair, as the reference evaluator does. If False they count as
            missing every GT relation. Defaults to True.
        group_metrics (bool): Also return the head/body/tail means of the
            per-predicate recall, ``head-mR@K``, ``body-mR@K`` and
            ``tail-mR@K`` (they are always logged). Defaults to False.
        collect_device (str): Device used to collect results across ranks,
            ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): Prefix of the metric names. Defaults to
            ``mode``.
    """

    default_prefix: Optional[str] = None

    def __init__(self,
                 mode: str,
                 topk: Sequence[int] = (20, 50, 100),
                 iou_thr: float = 0.5,
                 zeroshot_file: Optional[str] = DEFAULT_ZEROSHOT_FILE,
                 dict_file: str = DEFAULT_DICT_FILE,
                 group_splits: Tuple[float, float] = (1 / 3, 2 / 3),
                 skip_empty_predictions: bool = True,
                 group_metrics: bool = False,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        if mode not in MODES:
            raise ValueError(f'SceneGraphMetric: mode must be one of {MODES}'
                             f', got "{mode}".')
        topk = tuple(int(k) for k in topk)
        if not topk or min(topk) < 1:
            raise ValueError('SceneGraphMetric: topk must be positive '
                             f'integers, got {topk}.')
        if not 0 < iou_thr <= 1:
            raise ValueError('SceneGraphMetric: iou_thr must be in (0, 1], '
                             f'got {iou_thr}.')
        if not 0 <= group_splits[0] <= group_splits[1] <= 1:
            raise ValueError('SceneGraphMetric: group_splits must be two '
                             f'increasing fractions, got {group_splits}.')
        super().__init__(collect_device=collect_device, prefix=prefix or mode)
        self.mode = mode
        self.topk = topk
        self.iou_thr = iou_thr
        self.dict_file = dict_file
        self.group_splits = group_splits
        self.skip_empty_predictions = skip_empty_predictions
        self.group_metrics = group_metrics
        self.zeroshot_triplets: Optional[np.ndarray] = None
        self._zeroshot_keys: Optional[np.ndarray] = None
        if zeroshot_file is not None:
            self.zeroshot_triplets = self._load_zeroshot(zeroshot_file)
            self._zeroshot_keys = np.unique(
                encode_triplets(*self.zeroshot_triplets.T))

    @staticmethod
    def _load_zeroshot(path: str) -> np.ndarray:
        """Read and check a (T, 3) zero-shot triplet file."""
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'SceneGraphMetric: zero-shot file "{path}" not found; set '
                'zeroshot_file to an existing .npy file or to None.')
        triplets = np.load(path)
        if (triplets.ndim != 2 or triplets.shape[1] != 3
                or not np.issubdtype(triplets.dtype, np.integer)
                or (triplets.size and triplets.min() < 1)):
            raise ValueError(
                f'SceneGraphMetric: "{path}" must hold an integer (T, 3) '
                'array of 1-based (subject class, object class, predicate) '
                f'ids; got shape {triplets.shape}, dtype {triplets.dtype}.')
        return triplets.astype(np.int64)

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Reduce each data sample to its per-GT-relation records.

        Args:
            data_batch (dict): A batch of data from the dataloader (unused).
            data_samples (Sequence[dict]): Data samples (dicts or
                :class:`SceneGraphDataSample`) with ``gt_instances``,
                ``gt_relations``, ``pred_relations`` and, unless PredCls,
                ``pred_instances``.
        """
        for data_sample in data_samples:
            self.results.append(self.image_records(data_sample))

    def image_records(self, data_sample: dict) -> np.ndarray:
        """The per-GT-relation records of one data sample.

        Args:
            data_sample (dict): See :meth:`process`.

        Returns:
            np.ndarray: Records of :data:`RECORD_DTYPE`; empty when the image
            is skipped (no GT relation, or no predicted pair and
            ``skip_empty_predictions``).
        """
        gt = self.parse_gt(data_sample)
        if gt.pairs.shape[0] == 0:
            return np.empty(0, dtype=RECORD_DTYPE)
        pred = self.parse_pred(data_sample, gt)
        if pred.pairs.shape[0] == 0 and self.skip_empty_predictions:
            return np.empty(0, dtype=RECORD_DTYPE)
        zeroshot = None
        if self._zeroshot_keys is not None:
            keys = encode_triplets(gt.labels[gt.pairs[:, 0]] + 1,
                                   gt.labels[gt.pairs[:, 1]] + 1,
                                   gt.predicates)
            zeroshot = isin_sorted(keys, self._zeroshot_keys)
        return build_image_records(
            gt,
            pred,
            topk=max(self.topk),
            iou_thr=self.iou_thr,
            zeroshot=zeroshot,
            with_pair_accuracy=self.mode != 'sgdet')

    @staticmethod
    def parse_gt(data_sample: dict) -> GTGraph:
        """Numpy GT scene graph of a data sample, shapes checked."""
        instances = _get(data_sample, 'gt_instances', 'gt_instances')
        relations = _get(data_sample, 'gt_relations', 'gt_relations')
        gt = GTGraph(
            bboxes=_to_numpy(
                _get(instances, 'bboxes', 'gt_instances.bboxes'),
                np.float32).reshape(-1, 4),
            labels=_to_numpy(
                _get(instances, 'labels', 'gt_instances.labels'), np.int64),
            pairs=_to_numpy(
                _get(relations, 'pairs', 'gt_relations.pairs'),
                np.int64).reshape(-1, 2),
            predicates=_to_numpy(
                _get(relations, 'labels', 'gt_relations.labels'), np.int64))
        if gt.labels.shape != (gt.bboxes.shape[0], ):
            raise ValueError(
                'SceneGraphMetric: gt_instances.labels must have one entry '
                f'per box; got {gt.labels.shape} for {gt.bboxes.shape[0]} '
                'boxes.')
        if gt.predicates.shape != (gt.pairs.shape[0], ):
            raise ValueError(
                'SceneGraphMetric: gt_relations.labels must have one entry '
                f'per pair; got {gt.predicates.shape} for '
                f'{gt.pairs.shape[0]} pairs.')
        if gt.pairs.size and not 0 <= gt.pairs.min() <= gt.pairs.max() < (
                gt.bboxes.shape[0]):
            raise ValueError('SceneGraphMetric: gt_relations.pairs index '
                             'boxes outside gt_instances.')
        if gt.predicates.size and gt.predicates.min() < 1:
            raise ValueError('SceneGraphMetric: gt_relations.labels must be '
                             'predicate ids >= 1 (0 is background).')
        return gt

    def parse_pred(self, data_sample: dict, gt: GTGraph) -> PredGraph:
        """Numpy predicted scene graph of a data sample, shapes checked.

        In PredCls the GT objects stand for the predicted ones, with scores
        1.
        """
        relations = _get(data_sample, 'pred_relations', 'pred_relations')
        pairs = _to_numpy(
            _get(relations, 'pairs', 'pred_relations.pairs'),
            np.int64).reshape(-1, 2)
        rel_scores = _to_numpy(
            _get(relations, 'scores', 'pred_relations.scores'))
        if rel_scores.ndim != 2 or rel_scores.shape[0] != pairs.shape[0]:
            raise ValueError(
                'SceneGraphMetric: pred_relations.scores must be (P, C + 1) '
                f'with a row per pair; got {rel_scores.shape} for '
                f'{pairs.shape[0]} pairs.')
        instances = data_sample.get('pred_instances')
        if self.mode == 'predcls':
            given = None if instances is None else instances.get('bboxes')
            if given is not None and len(given) != gt.bboxes.shape[0]:
                raise ValueError(
                    'SceneGraphMetric: in predcls, pred_instances must be the '
                    f'GT boxes; got {len(given)} boxes for '
                    f'{gt.bboxes.shape[0]} GT boxes.')
            bboxes, labels = gt.bboxes, gt.labels
            scores = np.ones(gt.labels.shape[0], dtype=rel_scores.dtype)
        else:
            bboxes = _to_numpy(
                _get(instances, 'bboxes', 'pred_instances.bboxes'),
                np.float32).reshape(-1, 4)
            labels = _to_numpy(
                _get(instances, 'labels', 'pred_instances.labels'), np.int64)
            scores = _to_numpy(
                _get(instances, 'scores', 'pred_instances.scores'))
            if not labels.shape == scores.shape == (bboxes.shape[0], ):
                raise ValueError(
                    'SceneGraphMetric: pred_instances.labels and .scores '
                    f'need one entry per box; got {labels.shape}, '
                    f'{scores.shape} for {bboxes.shape[0]} boxes.')
        if pairs.size and not 0 <= pairs.min() <= pairs.max() < (
                bboxes.shape[0]):
            raise ValueError('SceneGraphMetric: pred_relations.pairs index '
                             'objects outside pred_instances.')
        return PredGraph(bboxes, labels, scores, pairs, rel_scores)

    def compute_metrics(self, results: List[np.ndarray]) -> Dict[str, float]:
        """Compute the metrics from the per-image records.

        Args:
            results (List[np.ndarray]): One record array per image.

        Returns:
            Dict[str, float]: Metric values in percent, e.g. ``R@50``.
        """
        predicates = self._predicate_names()
        num_predicates = len(predicates)
        records = (
            np.concatenate(results) if results else np.empty(
                0, dtype=RECORD_DTYPE))
        image_ids = np.repeat(
            np.arange(len(results)), [len(r) for r in results])
        if records.size and records['predicate'].max() > num_predicates:
            raise ValueError(
                'SceneGraphMetric: GT predicate id '
                f'{records["predicate"].max()} exceeds the {num_predicates} '
                'predicates of dataset_meta["predicates"].')
        self._check_zeroshot_vocabulary(num_predicates)
        print_log(
            f'SceneGraphMetric ({self.mode}): {len(results)} images, '
            f'{len(np.unique(image_ids))} evaluated (the others have no GT '
            'relation or no predicted pair), '
            f'{records.size} GT relations.',
            logger='current')

        metrics: Dict[str, float] = {}
        class_recalls: Dict[int, np.ndarray] = {}
        for name, field in (('', 'rank'), ('ng-', 'ng_rank')):
            for k in self.topk:
                hits = records[field] < k
                metrics[f'{name}R@{k}'] = image_mean_recall(hits, image_ids)
                per_class = per_class_recall(hits, records['predicate'],
                                             image_ids, num_predicates)
                metrics[f'{name}mR@{k}'] = float(per_class.mean())
                if not name:
                    class_recalls[k] = per_class
                if self.zeroshot_triplets is not None:
                    zs = records['zeroshot']
                    metrics[f'{name}zR@{k}'] = image_mean_recall(
                        hits[zs], image_ids[zs])
        for k in self.topk:
            metrics[f'F@{k}'] = f_score(metrics[f'R@{k}'], metrics[f'mR@{k}'])
        if self.mode != 'sgdet':
            for k in self.topk:
                metrics[f'A@{k}'] = pair_accuracy(records['pair_rank'] < k)

        groups = self._predicate_groups(predicates)
        if self.group_metrics and groups is not None:
            for g, group in enumerate(GROUP_NAMES):
                for k in self.topk:
                    metrics[f'{group}-mR@{k}'] = float(
                        class_recalls[k][groups == g].mean()) if (
                            groups == g).any() else float('nan')
        self._log_class_table(
            predicates, class_recalls,
            np.bincount(records['predicate'],
                        minlength=num_predicates + 1)[1:], groups)
        return {
            name: value * 100
            for name, value in sorted(metrics.items(), key=_metric_order)
        }

    def _predicate_names(self) -> Tuple[str, ...]:
        """Predicate names (no background) of ``dataset_meta`` or the
        vocabulary file."""
        meta = self.dataset_meta or {}
        if 'predicates' in meta:
            return tuple(meta['predicates'])
        return load_vocabulary(self.dict_file)['predicates']

    def _check_zeroshot_vocabulary(self, num_predicates: int) -> None:
        """Fail when the zero-shot ids do not fit the vocabulary."""
        if self.zeroshot_triplets is None or not self.zeroshot_triplets.size:
            return
        meta = self.dataset_meta or {}
        num_classes = len(meta.get('classes', ())) or np.inf
        if (self.zeroshot_triplets[:, :2].max() > num_classes
                or self.zeroshot_triplets[:, 2].max() > num_predicates):
            raise ValueError(
                'SceneGraphMetric: the zero-shot triplets use ids beyond the '
                f'{num_classes} classes / {num_predicates} predicates of '
                'dataset_meta; set zeroshot_file to a list for this '
                'vocabulary, or to None.')

    def _predicate_groups(self,
                          predicates: Sequence[str]) -> Optional[np.ndarray]:
        """Group index (0 head, 1 body, 2 tail) of each predicate.

        Frequencies come from ``dataset_meta['predicate_counts']`` (train
        counts) when present, else from the dicts file; None when neither
        covers these predicates.
        """
        meta = self.dataset_meta or {}
        if 'predicate_counts' in meta:
            counts = np.asarray(meta['predicate_counts'], dtype=np.float64)
        else:
            with open(self.dict_file) as f:
                file_counts = json.load(f).get('predicate_count', {})
            if not all(name in file_counts for name in predicates):
                return None
            counts = np.array([file_counts[name] for name in predicates],
                              dtype=np.float64)
        if counts.shape != (len(predicates), ):
            raise ValueError(
                'SceneGraphMetric: dataset_meta["predicate_counts"] needs one '
                f'count per predicate ({len(predicates)}), got '
                f'{counts.shape}.')
        return frequency_groups(counts, self.group_splits)

    def _log_class_table(self, predicates: Sequence[str],
                         class_recalls: Dict[int,
                                             np.ndarray], num_gt: np.ndarray,
                         groups: Optional[np.ndarray]) -> None:
        """Log per-predicate R@K and the head/body/tail means of mR@K."""
        header = ['predicate', '#GT'] + [f'R@{k}' for k in self.topk]
        if groups is not None:
            header.insert(1, 'group')
        rows: List[List[Union[str, int]]] = [header]
        for c, name in enumerate(predicates):
            row = [name, int(num_gt[c])]
            row += [f'{class_recalls[k][c] * 100:.2f}' for k in self.topk]
            if groups is not None:
                row.insert(1, GROUP_NAMES[groups[c]])
            rows.append(row)
        print_log(
            f'Per-predicate recall ({self.mode}, graph constraint):\n' +
            AsciiTable(rows).table,
            logger='current')
        if groups is None:
            return
        group_rows = [['group', '#predicates'] +
                      [f'mR@{k}' for k in self.topk]]
        for g, name in enumerate(GROUP_NAMES):
            members = groups == g
            group_rows.append([name, int(members.sum())] + [
                f'{class_recalls[k][members].mean() * 100:.2f}' if members.any(
                ) else '-' for k in self.topk
            ])
        print_log(
            f'Head/body/tail mean recall ({self.mode}):\n' +
            AsciiTable(group_rows).table,
            logger='current')


_METRIC_ORDER = ('R', 'mR', 'F', 'ng-R', 'ng-mR', 'zR', 'ng-zR', 'A',
                 'head-mR', 'body-mR', 'tail-mR')


def _metric_order(item: Tuple[str, float]) -> Tuple[int, int]:
    """Sort key: metric family, then K."""
    family, k = item[0].split('@')
    return _METRIC_ORDER.index(family), int(k)
