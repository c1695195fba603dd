"""Packing pipeline results into a :class:`SceneGraphDataSample`."""
import numpy as np
import torch
from mmdet.datasets.transforms import PackDetInputs
from mmdet.registry import TRANSFORMS
from mmdet.structures.bbox import BaseBoxes
from mmengine.structures import InstanceData

from mmsgg_rde.structures import SceneGraphDataSample

__all__ = ['PackSceneGraphInputs']


@TRANSFORMS.register_module()
class PackSceneGraphInputs(PackDetInputs):
    """Pack the image and the scene graph annotations for the model.

    Like :class:`PackDetInputs` (same ``meta_keys``), but the data sample is
    a :class:`SceneGraphDataSample` with

    - ``gt_instances``: ``bboxes`` (n, 4) float tensor, ``labels`` (n,);
    - ``gt_relations``: ``pairs`` (R, 2) long indices into
      ``gt_instances`` and ``labels`` (R,) long predicates 1..50.

    Relations touching an ignored box (``gt_ignore_flags``) are dropped and
    the others re-indexed to the kept boxes.
    """

    def transform(self, results: dict) -> dict:
        """Pack ``results`` into ``inputs`` and ``data_samples``."""
        packed = super().transform(results)
        det_sample = packed['data_samples']
        data_sample = SceneGraphDataSample(metainfo=det_sample.metainfo)
        data_sample.gt_instances = self._plain_boxes(det_sample.gt_instances)
        data_sample.ignored_instances = self._plain_boxes(
            det_sample.ignored_instances)
        if 'proposals' in results:
            data_sample.proposals = det_sample.proposals
        if 'gt_relations' in results:
            data_sample.gt_relations = self._pack_relations(results)
        packed['data_samples'] = data_sample
        return packed

    @staticmethod
    def _plain_boxes(instances: InstanceData) -> InstanceData:
        """Store ``bboxes`` as a plain (n, 4) tensor."""
        if 'bboxes' in instances and isinstance(instances.bboxes, BaseBoxes):
            instances.bboxes = instances.bboxes.tensor
        return instances

    @staticmethod
    def _pack_relations(results: dict) -> InstanceData:
        """Relations as (pairs, labels), indices into the kept boxes."""
        relations = np.asarray(results['gt_relations'], dtype=np.int64)
        relations = relations.reshape(-1, 3)
        if 'gt_ignore_flags' in results:
            ignored = np.asarray(results['gt_ignore_flags'], dtype=bool)
            new_index = np.cumsum(~ignored) - 1
            new_index[ignored] = -1
            pairs = new_index[relations[:, :2]]
            relations = np.concatenate([pairs, relations[:, 2:]],
                                       axis=1)[np.all(pairs >= 0, axis=1)]
        return InstanceData(
            pairs=torch.from_numpy(relations[:, :2].copy()),
            labels=torch.from_numpy(relations[:, 2].copy()))
