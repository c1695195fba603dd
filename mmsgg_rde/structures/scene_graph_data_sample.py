"""Data sample for scene graphs: objects plus relations between them."""
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData

__all__ = ['SceneGraphDataSample']


class SceneGraphDataSample(DetDataSample):
    """A :class:`DetDataSample` that also carries relations.

    Objects follow mmdet's conventions; relations index into them.

    - ``gt_instances``: ``bboxes`` (N, 4) xyxy, ``labels`` (N,) object class
      ids 0..149.
    - ``gt_relations``: ``pairs`` (R, 2) long indices into ``gt_instances``
      (subject, object) and ``labels`` (R,) predicate ids 1..50. Id 0 means
      "no relation" and is the background column of predicate scores.
      Test-split GT keeps duplicate pairs (several predicates per pair).
    - ``pred_instances``: ``bboxes`` (M, 4) in original image pixels,
      ``labels`` (M,) 0..149, ``scores`` (M,).
    - ``pred_relations``: ``pairs`` (P, 2) into ``pred_instances``,
      ``scores`` (P, 51) the full predicate distribution (column 0 is
      background), ``labels`` (P,) argmax over columns 1..50. Rows are sorted
      by triplet score (max non-background predicate score times both object
      scores), descending.
    """

    @property
    def gt_relations(self) -> InstanceData:
        return self._gt_relations

    @gt_relations.setter
    def gt_relations(self, value: InstanceData) -> None:
        self.set_field(value, '_gt_relations', dtype=InstanceData)

    @gt_relations.deleter
    def gt_relations(self) -> None:
        del self._gt_relations

    @property
    def pred_relations(self) -> InstanceData:
        return self._pred_relations

    @pred_relations.setter
    def pred_relations(self, value: InstanceData) -> None:
        self.set_field(value, '_pred_relations', dtype=InstanceData)

    @pred_relations.deleter
    def pred_relations(self) -> None:
        del self._pred_relations
