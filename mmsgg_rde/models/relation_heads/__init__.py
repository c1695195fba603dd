"""Relation heads: predicate classification over object pairs."""
from .base_relation_head import BaseRelationHead, RelationClassifier
from .motifs_head import MotifsHead

__all__ = ['BaseRelationHead', 'RelationClassifier', 'MotifsHead']
