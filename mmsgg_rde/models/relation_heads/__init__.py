"""Relation heads: predicate classification over object pairs."""
from .base_relation_head import BaseRelationHead, RelationClassifier
from .context_heads import (ContextRelationHead, IMPHead, TransformerHead,
                            VCTreeHead)
from .motifs_head import MotifsHead

__all__ = [
    'BaseRelationHead', 'RelationClassifier', 'ContextRelationHead',
    'MotifsHead', 'VCTreeHead', 'TransformerHead', 'IMPHead'
]
