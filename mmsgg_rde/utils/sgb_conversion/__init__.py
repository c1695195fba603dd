"""Conversion of the scene graph benchmark's checkpoints to mmsgg_rde.

``RELATION_PREDICTOR_CONVERTERS`` maps the benchmark's relation predictor
name (``MODEL.ROI_RELATION_HEAD.PREDICTOR``) to a function that converts the
tensors of its relation head: it takes the checkpoint's
``roi_heads.relation.*`` tensors with that prefix removed and returns our
``relation_head.*`` tensors (prefix removed) and one message per tensor it
skipped.
"""
from .motifs import convert_motif_predictor

__all__ = ['RELATION_PREDICTOR_CONVERTERS', 'convert_motif_predictor']

RELATION_PREDICTOR_CONVERTERS = {
    'MotifPredictor': convert_motif_predictor,
}
