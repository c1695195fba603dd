"""Relation heads: predicate classification over object pairs."""
from .base_relation_head import MODES, BaseRelationHead, RelationHeadOutput
from .motifs_head import MotifsHead

__all__ = ['MODES', 'BaseRelationHead', 'RelationHeadOutput', 'MotifsHead']
