"""SynthVG: a synthetic scene graph world written in the VG-150 file format.

Scenes are flat drawings: every object class has its own shape, color and
texture, and the predicate of a pair is a fixed function of the two classes
and of the pair's geometry (relative position, containment, overlap,
occlusion order, size ratio). The world uses the real VG-150 vocabulary, a
long-tailed predicate distribution and the quirks of the real files (the
corrupted ``image_data.json`` entries, images without relations or boxes,
duplicate pairs), so the whole pipeline trains and evaluates in minutes on a
CPU. The rules are documented in ``docs/synthvg.md``.

Boxes are pixel ``xyxy`` with exclusive ends: an object drawn in box
``(x1, y1, x2, y2)`` covers the pixel columns ``x1 .. x2 - 1`` and touches all
four sides of its box.

Modules, in the order of generation: ``world`` (classes, looks, predicate
rules), ``geometry`` (pair layouts), ``params`` (size presets),
``vocabulary`` (rules as label ids, predicate quotas), ``scenes`` (objects
and relations per image), ``annotation`` (the optional annotation bias),
``rendering`` (pixels) and ``files`` (the VG-150 files on disk).
"""
from .annotation import (AnnotationBias, annotate_predicates,
                         annotation_bias_model)
from .files import ensure_synthvg, generate_synthvg, synthvg_paths
from .geometry import GEOMETRIES, Geometry
from .params import SYNTHVG_PRESETS, resolve_synthvg_params
from .rendering import accent_color, draw_object, render_scene
from .scenes import SynthScene, sample_synthvg_world
from .vocabulary import (PredicateCells, compile_predicate_cells,
                         predicate_quota, synthvg_image_ids,
                         synthvg_predicate_weights)
from .world import (CLASS_GROUPS, CLASS_STYLES, DUPLICATE_ALIASES,
                    GENERIC_PARENTS, PALETTE, PREDICATE_RULES, SHAPES,
                    TEXTURES, ObjectStyle)

__all__ = [
    'CLASS_GROUPS', 'PALETTE', 'SHAPES', 'TEXTURES', 'CLASS_STYLES',
    'GEOMETRIES', 'PREDICATE_RULES', 'DUPLICATE_ALIASES', 'SYNTHVG_PRESETS',
    'ObjectStyle', 'Geometry', 'PredicateCells', 'SynthScene',
    'resolve_synthvg_params', 'compile_predicate_cells',
    'synthvg_predicate_weights', 'predicate_quota', 'synthvg_image_ids',
    'sample_synthvg_world', 'draw_object', 'accent_color', 'render_scene',
    'synthvg_paths', 'generate_synthvg', 'ensure_synthvg', 'GENERIC_PARENTS',
    'AnnotationBias', 'annotation_bias_model', 'annotate_predicates'
]
