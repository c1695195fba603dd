"""Conversion of the scene graph benchmark's relation checkpoints.

:data:`RELATION_PREDICTOR_CONVERTERS` maps the benchmark's relation
predictor name (``MODEL.ROI_RELATION_HEAD.PREDICTOR``) to a converter of its
relation head: ``convert(source) -> (tensors, notes)`` where ``source``
holds the checkpoint's ``roi_heads.relation.*`` tensors without that
prefix; it pops the ``predictor.*`` tensors it converts or skips and
returns our tensors keyed relative to the relation head, and a note per
skipped tensor.
"""
from .imp import convert_imp_predictor
from .transformer import convert_transformer_predictor
from .vctree import convert_vctree_predictor

__all__ = [
    'RELATION_PREDICTOR_CONVERTERS', 'convert_imp_predictor',
    'convert_transformer_predictor', 'convert_vctree_predictor'
]

RELATION_PREDICTOR_CONVERTERS = {
    'VCTreePredictor': convert_vctree_predictor,
    'TransformerPredictor': convert_transformer_predictor,
    'IMPPredictor': convert_imp_predictor,
}
