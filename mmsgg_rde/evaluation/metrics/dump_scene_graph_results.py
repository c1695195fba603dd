"""Write scene graph predictions to a results file (``tools/test.py --out``).
"""
from typing import Optional, Sequence

import torch
from mmdet.registry import METRICS
from mmengine.evaluator import DumpResults
from mmengine.fileio import dump
from mmengine.logging import print_log
from mmengine.structures import BaseDataElement

from ..functional import record_rows
from .scene_graph_metric import SceneGraphMetric

__all__ = ['DumpSceneGraphResults', 'RESULTS_FORMAT', 'RESULTS_VERSION']

#: ``format`` and ``version`` of the results files written here.
RESULTS_FORMAT = 'mmsgg_rde/scene_graph_results'
RESULTS_VERSION = 1


@METRICS.register_module()
class DumpSceneGraphResults(DumpResults):
    """Dump scene graph predictions for offline evaluation and analysis.

    Each image keeps its metainfo, ``gt_instances``, ``gt_relations``,
    ``pred_instances`` and the rows of ``pred_relations`` that the metric
    can rank up to K = ``num_relations`` (see
    :func:`~mmsgg_rde.evaluation.functional.record_rows`): the best pairs,
    the pairs of the best ``(pair, predicate)`` combinations and, except in
    SGDet, every GT pair, each with its full predicate distribution. That
    is enough for :class:`SceneGraphMetric` with any ``topk`` up to
    ``num_relations`` to give exactly the online numbers, at about 100
    rows per image instead of 6,320 in SGDet. The file (a pickle) is::

        dict(format='mmsgg_rde/scene_graph_results', version=1,
             mode='predcls', num_relations=100,
             dataset_meta=dict(classes=(...), predicates=(...)),
             results=[dict(img_id=..., img_path=..., ori_shape=...,
                           gt_instances=dict(bboxes, labels),
                           gt_relations=dict(pairs, labels),
                           pred_instances=dict(bboxes, labels, scores),
                           pred_relations=dict(pairs, scores, labels)),
                      ...])

    with CPU tensors, one entry per test image in dataset order.

    Args:
        out_file_path (str): ``.pkl`` or ``.pickle`` file.
        mode (str): 'predcls', 'sgcls' or 'sgdet' (object scores are 1 in
            PredCls, as in the metric).
        num_relations (int, optional): Largest K the file can evaluate.
            None keeps every row. Defaults to 100.
        collect_device (str): 'cpu' or 'gpu'. Defaults to 'cpu'.
        collect_dir (str, optional): Directory for collecting results
            across ranks.
    """

    def __init__(self,
                 out_file_path: str,
                 mode: str,
                 num_relations: Optional[int] = 100,
                 collect_device: str = 'cpu',
                 collect_dir: Optional[str] = None) -> None:
        super().__init__(
            out_file_path,
            collect_device=collect_device,
            collect_dir=collect_dir)
        if num_relations is not None and num_relations < 1:
            raise ValueError('DumpSceneGraphResults: num_relations must be '
                             f'positive or None, got {num_relations}.')
        self.mode = mode
        self.num_relations = num_relations
        self._parser = SceneGraphMetric(
            mode=mode, topk=(num_relations or 1, ), zeroshot_file=None)

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Keep each sample on the CPU with its decisive relation rows."""
        for data_sample in data_samples:
            self.results.append(self.compact(data_sample))

    def compact(self, data_sample: dict) -> dict:
        """A data sample as nested dicts of CPU tensors, ``pred_relations``
        cut to the rows the metric can rank up to ``num_relations``."""
        sample = _to_cpu_dict(data_sample)
        sample.pop('ignored_instances', None)
        if self.num_relations is None:
            return sample
        gt = self._parser.parse_gt(sample)
        pred = self._parser.parse_pred(sample, gt)
        rows = record_rows(pred, self.num_relations,
                           gt.pairs if self.mode != 'sgdet' else None)
        if len(rows) < len(pred.pairs):
            index = torch.from_numpy(rows)
            sample['pred_relations'] = {
                key: value[index]
                for key, value in sample['pred_relations'].items()
            }
        return sample

    def compute_metrics(self, results: list) -> dict:
        """Write the results file."""
        meta = dict(self.dataset_meta or {})
        if not (meta.get('classes') and meta.get('predicates')):
            raise ValueError(
                'DumpSceneGraphResults: dataset_meta needs "classes" and '
                '"predicates" (the test dataset\'s metainfo); set it before '
                'evaluating, as the Runner does for the test evaluator.')
        dump(
            dict(
                format=RESULTS_FORMAT,
                version=RESULTS_VERSION,
                mode=self.mode,
                num_relations=self.num_relations,
                dataset_meta=meta,
                results=results), self.out_file_path)
        rows = sum(len(r['pred_relations']['pairs']) for r in results)
        print_log(
            f'{len(results)} scene graphs ({rows / max(len(results), 1):.0f} '
            f'relation rows per image) saved to {self.out_file_path}.',
            logger='current')
        return {}


def _to_cpu_dict(value: object) -> object:
    """Data elements as dicts, tensors on the CPU, recursively."""
    if isinstance(value, BaseDataElement):
        value = value.to_dict()
    if isinstance(value, dict):
        return {key: _to_cpu_dict(item) for key, item in value.items()}
    if isinstance(value, torch.Tensor):
        return value.detach().cpu()
    return value
