"""Convert the scene graph benchmark's checkpoints to mmsgg_rde's.

The benchmark (KaihuaTang/Scene-Graph-Benchmark.pytorch) saves
``{'model': state_dict, 'optimizer': ..., 'scheduler': ..., 'iteration':
...}`` (``maskrcnn_benchmark/utils/checkpoint.py``), with a ``module.``
prefix when trained with DistributedDataParallel. Its detector
(``backbone``, ``rpn``, ``roi_heads.box``) converts to mmdet's
``FasterRCNN`` of ``configs/_base_/models/
faster-rcnn_x101-32x8d_fpn_vg150_sgb.py`` (:mod:`.detector`); the relation
head of a relation checkpoint (``roi_heads.relation``) goes to the
converter of its predictor in :data:`RELATION_PREDICTOR_CONVERTERS`.

A relation predictor converter is ``convert(source) -> (tensors, notes)``:
``source`` holds the ``roi_heads.relation.`` tensors without that prefix
(``predictor.*``, ``box_feature_extractor.*``, ...); it pops every tensor it
maps or deliberately skips, and returns our tensors keyed relative to
``relation_head.`` and notes on the skipped ones. The feature extractors
that every predictor sits beside (``box_feature_extractor.*``,
``union_feature_extractor.*``) are then converted by
:func:`convert_relation_feature_extractors`. Tensors left in ``source``
make the conversion fail, so that none is silently dropped. A converter
lives in a module of this package and is added to the dict below.
"""
import os.path as osp
import pickle
from collections import OrderedDict
from typing import Callable, Dict, Iterable, List, Optional, Tuple

import torch
from torch import Tensor

from .detector import convert_detector, move_background_last
from .feature_extractors import convert_relation_feature_extractors
from .imp import convert_imp_predictor
from .motifs import convert_motif_predictor
from .transformer import convert_transformer_predictor
from .vctree import convert_vctree_predictor

__all__ = [
    'RELATION_PREDICTOR_CONVERTERS', 'SGBCheckpointError',
    'convert_sgb_checkpoint', 'convert_detector', 'detect_relation_predictor',
    'load_sgb_checkpoint', 'move_background_last', 'convert_imp_predictor',
    'convert_motif_predictor', 'convert_relation_feature_extractors',
    'convert_transformer_predictor', 'convert_vctree_predictor'
]

RelationPredictorConverter = Callable[[Dict[str, Tensor]],
                                      Tuple[Dict[str, Tensor], List[str]]]

#: Benchmark predictor name (``MODEL.ROI_RELATION_HEAD.PREDICTOR``) ->
#: converter of its ``roi_heads.relation`` tensors.
RELATION_PREDICTOR_CONVERTERS: Dict[str, RelationPredictorConverter] = {
    'MotifPredictor': convert_motif_predictor,
    'VCTreePredictor': convert_vctree_predictor,
    'TransformerPredictor': convert_transformer_predictor,
    'IMPPredictor': convert_imp_predictor,
}

#: (predictor, a key prefix under ``roi_heads.relation.`` only it has), in
#: the order they are tested (the causal predictor may hold a Motifs or
#: VCTree context).
_PREDICTOR_SIGNATURES = (
    ('CausalAnalysisPredictor', 'predictor.vis_compress.'),
    ('VCTreePredictor', 'predictor.context_layer.overlap_embed.'),
    ('TransformerPredictor', 'predictor.context_layer.context_obj.'),
    ('IMPPredictor', 'predictor.context_layer.node_gru.'),
    ('MotifPredictor', 'predictor.context_layer.obj_ctx_rnn.'),
)
_RELATION = 'roi_heads.relation.'
_ATTRIBUTE = 'roi_heads.attribute.'


class SGBCheckpointError(ValueError):
    """A file is not a checkpoint of the benchmark, or cannot convert."""


def load_sgb_checkpoint(filename: str, trust_checkpoint: bool = False) -> dict:
    """Load a benchmark checkpoint on the CPU, weights only by default.

    Args:
        filename (str): e.g. ``model_final.pth``.
        trust_checkpoint (bool): Fall back to full unpickling, which can run
            arbitrary code, when weights-only loading refuses the file.

    Returns:
        dict: The checkpoint.
    """
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename}: no such checkpoint file.')
    try:
        return torch.load(filename, map_location='cpu', weights_only=True)
    except pickle.UnpicklingError as err:
        if not trust_checkpoint:
            raise SGBCheckpointError(
                f'{filename} holds objects that torch.load(weights_only=True) '
                'refuses; loading them needs full unpickling, which can run '
                'arbitrary code. If you trust the file, convert with '
                f'--trust-checkpoint. ({err})') from err
    except Exception as err:  # noqa: B902 (truncated or not torch at all)
        raise SGBCheckpointError(
            f'{filename} is not a readable torch checkpoint: {err}') from err
    return torch.load(filename, map_location='cpu', weights_only=False)


def _model_state(checkpoint, filename: str) -> Dict[str, Tensor]:
    """The ``model`` state dict of a benchmark checkpoint, unprefixed."""
    state = checkpoint.get('model') if isinstance(checkpoint, dict) else None
    if not isinstance(state, dict) or not all(
            isinstance(v, Tensor) for v in state.values()):
        found = list(checkpoint)[:8] if isinstance(checkpoint, dict) else \
            type(checkpoint).__name__
        raise SGBCheckpointError(
            f'{filename} is not a scene graph benchmark checkpoint: expected '
            "a dict with a 'model' state dict (its trainer's model_final.pth "
            f'or model_XXXXXXX.pth), found {found}.')
    state = OrderedDict(state)
    if state and all(k.startswith('module.') for k in state):
        state = OrderedDict((k[len('module.'):], v) for k, v in state.items())
    if not any(k.startswith('backbone.body.') for k in state):
        raise SGBCheckpointError(
            f"{filename}: its 'model' has no backbone.body.* tensors, so it "
            "is not the benchmark's GeneralizedRCNN.")
    return state


def detect_relation_predictor(keys: Iterable[str]) -> Optional[str]:
    """The benchmark predictor whose tensors ``keys`` are, if recognised.

    Args:
        keys (Iterable[str]): Keys under ``roi_heads.relation.`` (without
            that prefix).
    """
    keys = list(keys)
    for name, prefix in _PREDICTOR_SIGNATURES:
        if any(k.startswith(prefix) for k in keys):
            return name
    return None


def _convert_relation(relation: Dict[str, Tensor], predictor: Optional[str],
                      filename: str) -> Tuple[Dict[str, Tensor], List[str]]:
    """Dispatch the relation head's tensors to its predictor's converter."""
    name = predictor or detect_relation_predictor(relation)
    if name is None:
        raise SGBCheckpointError(
            f'{filename}: the relation head\'s predictor is not recognised '
            'from its tensors; give it with --predictor (one of '
            f'{sorted(RELATION_PREDICTOR_CONVERTERS)}).')
    if name not in RELATION_PREDICTOR_CONVERTERS:
        raise SGBCheckpointError(
            f'{filename}: no converter for the relation predictor {name}; '
            f'converters exist for {sorted(RELATION_PREDICTOR_CONVERTERS)}.')
    tensors, notes = RELATION_PREDICTOR_CONVERTERS[name](relation)
    try:
        extractors, extractor_notes = convert_relation_feature_extractors(
            relation)
    except ValueError as err:
        raise SGBCheckpointError(f'{filename}: {err}') from err
    tensors.update(extractors)
    notes += extractor_notes
    if relation:
        raise SGBCheckpointError(
            f'{filename}: the {name} converter left tensors unconverted: '
            f'{sorted(_RELATION + k for k in relation)}.')
    out = OrderedDict(('relation_head.' + k, v) for k, v in tensors.items())
    return out, [f'relation predictor: {name}'] + notes


def convert_sgb_checkpoint(filename: str,
                           predictor: Optional[str] = None,
                           trust_checkpoint: bool = False
                           ) -> Tuple[dict, List[str]]:
    """Convert a benchmark checkpoint to an mmdet/mmsgg_rde checkpoint.

    The detector always converts; the relation head (if any) through
    :data:`RELATION_PREDICTOR_CONVERTERS`; attribute-head tensors and the
    optimizer/scheduler state are left out, with a note. Any other tensor
    is an error.

    Args:
        filename (str): The benchmark's checkpoint.
        predictor (str, optional): The relation predictor's name when it
            cannot be recognised from the tensors.
        trust_checkpoint (bool): See :func:`load_sgb_checkpoint`.

    Returns:
        tuple[dict, list[str]]: ``{'state_dict': ..., 'meta': ...}`` and
        notes on what was not copied as it is.
    """
    checkpoint = load_sgb_checkpoint(filename, trust_checkpoint)
    state = _model_state(checkpoint, filename)
    num_tensors = len(state)
    out, notes = convert_detector(state)
    attribute = [k for k in state if k.startswith(_ATTRIBUTE)]
    for key in attribute:
        state.pop(key)
    if attribute:
        notes.append(f'{len(attribute)} attribute-head tensors '
                     '(roi_heads.attribute.*) skipped: no attribute head '
                     'here.')
    relation = OrderedDict((k[len(_RELATION):], state.pop(k))
                           for k in list(state) if k.startswith(_RELATION))
    if relation:
        rel_out, rel_notes = _convert_relation(relation, predictor, filename)
        out.update(rel_out)
        notes += rel_notes
    if state:
        raise SGBCheckpointError(
            f'{filename}: tensors of no known part of the benchmark model: '
            f'{sorted(state)}.')
    extra = sorted(k for k in checkpoint if k != 'model')
    if extra:
        notes.append(f'not converted: {extra} (training state).')
    meta = dict(
        converted_from=osp.abspath(filename),
        converter='tools/model_converters/sgb_to_mmdet.py',
        source_tensors=num_tensors)
    if isinstance(checkpoint.get('iteration'), int):
        meta['iteration'] = checkpoint['iteration']
    return dict(state_dict=out, meta=meta), notes
