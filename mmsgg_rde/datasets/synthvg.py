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
"""
import json
import math
import os
import os.path as osp
import time
from dataclasses import dataclass
from functools import lru_cache
from io import BytesIO
from typing import Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np
from mmengine.logging import print_log
from PIL import Image

from .vg150_io import (CORRUPTED_IMAGE_IDS, DEFAULT_DICT_FILE, load_vocabulary,
                       write_image_data, write_vg150_h5, xyxy_to_cxcywh_1024)

__all__ = [
    'CLASS_GROUPS', 'PALETTE', 'SHAPES', 'TEXTURES', 'CLASS_STYLES',
    'GEOMETRIES', 'PREDICATE_RULES', 'DUPLICATE_ALIASES', 'SYNTHVG_PRESETS',
    'ObjectStyle', 'Geometry', 'PredicateCells', 'SynthScene',
    'resolve_synthvg_params', 'compile_predicate_cells',
    'synthvg_predicate_weights', 'predicate_quota', 'synthvg_image_ids',
    'sample_synthvg_world', 'draw_object', 'accent_color', 'render_scene',
    'synthvg_paths', 'generate_synthvg', 'ensure_synthvg'
]

Box = np.ndarray
Rng = np.random.Generator

# ---------------------------------------------------------------------------
# The world: classes and their appearance
# ---------------------------------------------------------------------------

#: Object classes of the world by group; every name is a VG-150 class.
CLASS_GROUPS: Dict[str, Tuple[str, ...]] = dict(
    person=('man', 'woman', 'boy'),
    animal=('dog', 'horse'),
    bird=('bird', ),
    clothing=('shirt', 'hat', 'jacket'),
    body_part=('hand', 'head', 'leg'),
    vehicle=('car', 'bike', 'bus'),
    furniture=('table', 'chair', 'bench'),
    ground=('street', 'sidewalk'),
    structure=('building', 'fence', 'pole'),
    plant=('tree', 'flower'),
    container=('cup', 'bottle', 'plate'),
    food=('pizza', ),
    device=('phone', 'racket'),
    signage=('sign', 'letter'),
)

#: Saturated colors, far from the muted backgrounds.
PALETTE: Dict[str, Tuple[int, int, int]] = dict(
    red=(210, 40, 40),
    green=(40, 170, 60),
    blue=(40, 80, 220),
    yellow=(240, 205, 30),
    magenta=(205, 50, 185),
    cyan=(30, 195, 210),
    orange=(245, 130, 20),
    purple=(120, 50, 195),
    brown=(135, 75, 25),
    pink=(250, 145, 175),
    lime=(165, 235, 40),
    navy=(20, 30, 115),
    teal=(0, 125, 115),
    black=(20, 20, 20),
    white=(248, 248, 248),
    maroon=(125, 15, 45),
)


class ObjectStyle(NamedTuple):
    """How a class is drawn.

    Attributes:
        shape: One of :data:`SHAPES`; the shape touches all box sides.
        color: A :data:`PALETTE` name.
        texture: One of :data:`TEXTURES`.
        aspect: (min, max) width / height of the class's boxes.
    """
    shape: str
    color: str
    texture: str
    aspect: Tuple[float, float]


#: Every class has a distinct (shape, color, texture) triple.
CLASS_STYLES: Dict[str, ObjectStyle] = dict(
    man=ObjectStyle('ellipse', 'blue', 'solid', (0.35, 0.5)),
    woman=ObjectStyle('ellipse', 'magenta', 'solid', (0.35, 0.5)),
    boy=ObjectStyle('ellipse', 'cyan', 'hstripes', (0.4, 0.55)),
    dog=ObjectStyle('octagon', 'brown', 'solid', (1.2, 1.6)),
    horse=ObjectStyle('octagon', 'maroon', 'vstripes', (1.1, 1.4)),
    bird=ObjectStyle('triangle', 'yellow', 'solid', (0.8, 1.2)),
    shirt=ObjectStyle('rect', 'red', 'hstripes', (0.8, 1.1)),
    hat=ObjectStyle('triangle', 'navy', 'solid', (1.3, 1.8)),
    jacket=ObjectStyle('rect', 'green', 'checker', (0.7, 0.9)),
    hand=ObjectStyle('ellipse', 'pink', 'solid', (0.8, 1.2)),
    head=ObjectStyle('ellipse', 'orange', 'dots', (0.75, 0.95)),
    leg=ObjectStyle('rect', 'purple', 'solid', (0.25, 0.4)),
    car=ObjectStyle('octagon', 'red', 'solid', (1.6, 2.2)),
    bike=ObjectStyle('diamond', 'lime', 'solid', (1.3, 1.7)),
    bus=ObjectStyle('rect', 'yellow', 'vstripes', (1.8, 2.6)),
    table=ObjectStyle('rect', 'brown', 'hstripes', (1.4, 2.0)),
    chair=ObjectStyle('inv_triangle', 'teal', 'solid', (0.7, 0.9)),
    bench=ObjectStyle('rect', 'orange', 'vstripes', (2.0, 3.0)),
    street=ObjectStyle('rect', 'black', 'hstripes', (3.0, 5.0)),
    sidewalk=ObjectStyle('rect', 'white', 'checker', (3.0, 5.0)),
    building=ObjectStyle('rect', 'navy', 'checker', (0.6, 1.0)),
    fence=ObjectStyle('rect', 'lime', 'vstripes', (2.5, 4.0)),
    pole=ObjectStyle('rect', 'black', 'solid', (0.2, 0.3)),
    tree=ObjectStyle('triangle', 'green', 'solid', (0.6, 0.9)),
    flower=ObjectStyle('diamond', 'pink', 'dots', (0.7, 1.0)),
    cup=ObjectStyle('rect', 'cyan', 'solid', (0.7, 0.9)),
    bottle=ObjectStyle('rect', 'teal', 'hstripes', (0.3, 0.45)),
    plate=ObjectStyle('ellipse', 'white', 'solid', (1.5, 2.0)),
    pizza=ObjectStyle('octagon', 'yellow', 'dots', (1.0, 1.3)),
    phone=ObjectStyle('rect', 'maroon', 'solid', (0.5, 0.65)),
    racket=ObjectStyle('ellipse', 'lime', 'checker', (0.5, 0.7)),
    sign=ObjectStyle('octagon', 'white', 'solid', (1.0, 1.5)),
    letter=ObjectStyle('diamond', 'navy', 'solid', (0.7, 0.9)),
)

SHAPES = ('rect', 'ellipse', 'triangle', 'inv_triangle', 'diamond', 'octagon')
TEXTURES = ('solid', 'hstripes', 'vstripes', 'checker', 'dots')

# ---------------------------------------------------------------------------
# The world: pair geometries
# ---------------------------------------------------------------------------
# Each sampler returns (subject box, object box) as float xyxy in a frame of
# its own; a scene maps the pair into the image with a scale and a shift.
# The reference box (usually the object) has area 1.


def _wh(area: float, aspect: float) -> Tuple[float, float]:
    """Width and height of a box of ``area`` and width/height ``aspect``."""
    return math.sqrt(area * aspect), math.sqrt(area / aspect)


def _fit(w: float, h: float, max_w: float,
         max_h: float) -> Tuple[float, float]:
    """Shrink (w, h), keeping its aspect, to fit in (max_w, max_h)."""
    shrink = min(1.0, max_w / w, max_h / h)
    return w * shrink, h * shrink


def _xywh(x1: float, y1: float, w: float, h: float) -> Box:
    return np.array([x1, y1, x1 + w, y1 + h])


def _centered(cx: float, cy: float, w: float, h: float) -> Box:
    return np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])


def _on_top(rng: Rng, sa: float, oa: float) -> Tuple[Box, Box]:
    """The subject's bottom rests in the object's top band, drawn over it."""
    ow, oh = _wh(1.0, oa)
    sw, sh = _fit(*_wh(rng.uniform(0.08, 0.45), sa), 0.9 * ow, np.inf)
    y2 = min(rng.uniform(0.1, 0.3) * sh, 0.2 * oh)
    x1 = rng.uniform(0, ow - sw)
    return _xywh(x1, y2 - sh, sw, sh), _xywh(0, 0, ow, oh)


def _inside(rng: Rng, sa: float, oa: float) -> Tuple[Box, Box]:
    """The subject lies inside the object, away from its sides."""
    ow, oh = _wh(1.0, oa)
    sw, sh = _fit(*_wh(rng.uniform(0.04, 0.25), sa), 0.8 * ow, 0.8 * oh)
    x1 = rng.uniform(0.05 * ow, 0.95 * ow - sw)
    y1 = rng.uniform(0.05 * oh, 0.95 * oh - sh)
    return _xywh(x1, y1, sw, sh), _xywh(0, 0, ow, oh)


def _contains(rng: Rng, sa: float, oa: float) -> Tuple[Box, Box]:
    """The object lies inside the subject."""
    inner, outer = _inside(rng, oa, sa)
    return outer, inner


def _vertical(rng: Rng, sa: float, oa: float, side: int) -> Tuple[Box, Box]:
    """The subject is above (side -1) or below (side 1) with a gap."""
    ow, oh = _wh(1.0, oa)
    sw, sh = _wh(rng.uniform(0.25, 1.5), sa)
    gap = rng.uniform(0.15, 0.6) * oh
    cx = ow / 2 + rng.uniform(-0.3, 0.3) * ow
    y1 = -gap - sh if side < 0 else oh + gap
    return _xywh(cx - sw / 2, y1, sw, sh), _xywh(0, 0, ow, oh)


def _above(rng: Rng, sa: float, oa: float) -> Tuple[Box, Box]:
    """The subject is above the object, with a vertical gap."""
    return _vertical(rng, sa, oa, -1)


def _below(rng: Rng, sa: float, oa: float) -> Tuple[Box, Box]:
    """The subject is below the object, with a vertical gap."""
    return _vertical(rng, sa, oa, 1)


def _sideways(rng: Rng, sa: float, oa: float, gap_range: Tuple[float, float],
              gap_of_larger: bool) -> Tuple[Box, Box]:
    """The subject is left or right of the object at the same height."""
    ow, oh = _wh(1.0, oa)
    sw, sh = _wh(rng.uniform(0.3, 2.0), sa)
    unit = max(ow, sw) if gap_of_larger else min(ow, sw)
    gap = rng.uniform(*gap_range) * unit
    cy = oh / 2 + rng.uniform(-0.2, 0.2) * oh
    x1 = ow + gap if rng.random() < 0.5 else -gap - sw
    return _xywh(x1, cy - sh / 2, sw, sh), _xywh(0, 0, ow, oh)


def _beside(rng: Rng, sa: float, oa: float) -> Tuple[Box, Box]:
    """Side by side with a clear gap."""
    return _sideways(rng, sa, oa, (0.25, 0.8), False)


def _touching(rng: Rng, sa: float, oa: float) -> Tuple[Box, Box]:
    """Side by side, touching or slightly overlapping; subject on top."""
    return _sideways(rng, sa, oa, (-0.1, 0.0), False)


def _looking(rng: Rng, sa: float, oa: float) -> Tuple[Box, Box]:
    """Far apart at the same height, joined by a dotted connector."""
    return _sideways(rng, sa, oa, (0.8, 1.5), True)


def _behind(rng: Rng, sa: float, oa: float) -> Tuple[Box, Box]:
    """The object hides the lower 30-60% of the subject."""
    ow, oh = _wh(1.0, oa)
    sw, sh = _wh(rng.uniform(0.4, 1.5), sa)
    y2 = min(rng.uniform(0.3, 0.6) * sh, 0.8 * oh)
    cx = ow / 2 + rng.uniform(-0.35, 0.35) * ow
    return _xywh(cx - sw / 2, y2 - sh, sw, sh), _xywh(0, 0, ow, oh)


def _in_front(rng: Rng, sa: float, oa: float) -> Tuple[Box, Box]:
    """The subject's top 30-60% hides the object's bottom."""
    ow, oh = _wh(1.0, oa)
    sw, sh = _wh(rng.uniform(0.3, 1.2), sa)
    y1 = oh - min(rng.uniform(0.3, 0.6) * sh, 0.8 * oh)
    cx = ow / 2 + rng.uniform(-0.35, 0.35) * ow
    return _xywh(cx - sw / 2, y1, sw, sh), _xywh(0, 0, ow, oh)


def _hanging(rng: Rng, sa: float, oa: float) -> Tuple[Box, Box]:
    """A narrow subject hangs from the object's bottom side."""
    ow, oh = _wh(1.0, oa)
    sw, sh = _fit(*_wh(rng.uniform(0.05, 0.3), sa), 0.5 * ow, np.inf)
    y1 = oh - rng.uniform(0.0, 0.08) * oh
    x1 = rng.uniform(0.05 * ow, 0.95 * ow - sw)
    return _xywh(x1, y1, sw, sh), _xywh(0, 0, ow, oh)


def _holding(rng: Rng, sa: float, oa: float) -> Tuple[Box, Box]:
    """A small object straddles the subject's left or right side."""
    sw, sh = _wh(1.0, sa)
    ow, oh = _wh(rng.uniform(0.04, 0.15), oa)
    cx = (0.0 if rng.random() < 0.5 else sw) + rng.uniform(-0.2, 0.2) * ow
    cy = rng.uniform(0.35, 0.65) * sh
    return _xywh(0, 0, sw, sh), _centered(cx, cy, ow, oh)


def _part(rng: Rng, sa: float, oa: float) -> Tuple[Box, Box]:
    """A small subject straddles the object's top side."""
    ow, oh = _wh(1.0, oa)
    sw, sh = _fit(*_wh(rng.uniform(0.04, 0.15), sa), 0.5 * ow, 0.5 * oh)
    cx = rng.uniform(0.2, 0.8) * ow
    cy = rng.uniform(-0.2, 0.2) * sh
    return _centered(cx, cy, sw, sh), _xywh(0, 0, ow, oh)


def _covering(rng: Rng, sa: float, oa: float) -> Tuple[Box, Box]:
    """A wider subject covers the object's top part."""
    ow, oh = _wh(1.0, oa)
    sw, sh = ow * rng.uniform(1.1, 1.4), oh * rng.uniform(0.3, 0.6)
    cx = ow / 2 + rng.uniform(-0.05, 0.05) * ow
    y1 = -rng.uniform(0.05, 0.25) * sh
    return _xywh(cx - sw / 2, y1, sw, sh), _xywh(0, 0, ow, oh)


def _across(rng: Rng, sa: float, oa: float) -> Tuple[Box, Box]:
    """A thin band spans the object's width at mid height."""
    ow, oh = _wh(1.0, oa)
    sw, sh = ow * rng.uniform(1.15, 1.5), oh * rng.uniform(0.1, 0.22)
    cx = ow / 2 + rng.uniform(-0.05, 0.05) * ow
    cy = rng.uniform(0.35, 0.65) * oh
    return _centered(cx, cy, sw, sh), _xywh(0, 0, ow, oh)


def _along(rng: Rng, sa: float, oa: float) -> Tuple[Box, Box]:
    """A thin band runs along the object's bottom side."""
    ow, oh = _wh(1.0, oa)
    sw, sh = ow * rng.uniform(0.8, 1.1), oh * rng.uniform(0.1, 0.25)
    cx = ow / 2 + rng.uniform(-0.1, 0.1) * ow
    y1 = oh + rng.uniform(0.0, 0.05) * oh
    return _xywh(cx - sw / 2, y1, sw, sh), _xywh(0, 0, ow, oh)


class Geometry(NamedTuple):
    """A pair configuration.

    Attributes:
        sample: ``(rng, subject aspect, object aspect) -> (subject box,
            object box)``.
        top: Which box is drawn over the other where they overlap:
            ``'subject'``, ``'object'`` or None (they do not overlap).
        connector: Whether a dotted line joins the two boxes.
    """
    sample: Callable[[Rng, float, float], Tuple[Box, Box]]
    top: Optional[str]
    connector: bool = False


GEOMETRIES: Dict[str, Geometry] = dict(
    on_top=Geometry(_on_top, 'subject'),
    inside=Geometry(_inside, 'subject'),
    contains=Geometry(_contains, 'object'),
    above=Geometry(_above, None),
    below=Geometry(_below, None),
    beside=Geometry(_beside, None),
    touching=Geometry(_touching, 'subject'),
    looking=Geometry(_looking, None, connector=True),
    behind=Geometry(_behind, 'object'),
    in_front=Geometry(_in_front, 'subject'),
    hanging=Geometry(_hanging, 'subject'),
    holding=Geometry(_holding, 'object'),
    part=Geometry(_part, 'subject'),
    covering=Geometry(_covering, 'subject'),
    across=Geometry(_across, 'subject'),
    along=Geometry(_along, None),
)

# ---------------------------------------------------------------------------
# The world: predicate rules
# ---------------------------------------------------------------------------

#: Every group: the general rules span all ordered class pairs.
_ALL = tuple(CLASS_GROUPS)

#: (predicate, geometry, subjects, objects); subjects and objects name groups
#: of :data:`CLASS_GROUPS` or classes. A rule labels every (geometry,
#: subject class, object class) cell it spans that no earlier rule labelled:
#: the class-specific rules come first, the general rules of the common
#: geometries last.
PREDICATE_RULES: Tuple[Tuple[str, str, Tuple[str, ...], Tuple[str, ...]],
                       ...] = (
                           ('riding', 'on_top', ('person', ), ('horse',
                                                               'bike')),
                           ('sitting on', 'on_top', ('person', ),
                            ('furniture', )),
                           ('standing on', 'on_top', ('person', 'bird'),
                            ('ground', )),
                           ('walking on', 'on_top', ('animal', ),
                            ('ground', )),
                           ('parked on', 'on_top', ('vehicle', ),
                            ('ground', )),
                           ('laying on', 'on_top', ('animal', ),
                            ('furniture', )),
                           ('lying on', 'on_top', ('container', 'clothing',
                                                   'device'), ('ground', )),
                           ('growing on', 'on_top', ('plant', ),
                            ('structure', )),
                           ('mounted on', 'on_top', ('sign', ), ('structure',
                                                                 'vehicle')),
                           ('on back of', 'on_top', ('bird', ), ('animal', )),
                           ('flying in', 'inside', ('bird', ), ('tree', )),
                           ('walking in', 'inside', ('person', 'animal'),
                            ('ground', )),
                           ('painted on', 'inside', ('letter', ),
                            ('ground', 'building', 'fence')),
                           ('on', 'inside', ('letter', ), ('sign', 'vehicle')),
                           ('wearing', 'contains', ('person', ),
                            ('clothing', )),
                           ('wears', 'contains', ('animal', 'body_part'),
                            ('clothing', )),
                           ('says', 'contains', ('sign', ), ('letter', )),
                           ('made of', 'contains', ('fence', ), ('pole', )),
                           ('covered in', 'contains', ('building', 'fence',
                                                       'tree'), ('flower', )),
                           ('with', 'contains', ('furniture', ), ('container',
                                                                  'food')),
                           ('part of', 'part', ('leg', ), ('furniture', )),
                           ('part of', 'part', ('pole', ), ('fence', )),
                           ('belonging to', 'part', ('signage', ),
                            ('vehicle', )),
                           ('over', 'above', ('bird', ), _ALL),
                           ('and', 'beside', ('person', ), ('person', )),
                           ('between', 'beside', ('pole', ), ('vehicle',
                                                              'tree')),
                           ('at', 'in_front', ('person', ), ('furniture', )),
                           ('attached to', 'touching', ('sign', 'bike'),
                            ('pole', 'fence', 'building')),
                           ('watching', 'looking', ('animal', 'bird'), _ALL),
                           ('looking at', 'looking', ('person', ), _ALL),
                           ('for', 'looking', ('sign', ), ('building', 'bus')),
                           ('to', 'looking', ('sign', ), ('ground', )),
                           ('from', 'looking', ('letter', ), ('sign',
                                                              'vehicle')),
                           ('hanging from', 'hanging', ('sign', 'clothing',
                                                        'flower', 'racket'),
                            ('pole', 'fence', 'tree', 'building')),
                           ('eating', 'holding', ('person', 'animal', 'bird'),
                            ('food', )),
                           ('using', 'holding', ('person', 'hand'),
                            ('phone', )),
                           ('playing', 'holding', ('person', ), ('racket', )),
                           ('carrying', 'holding', ('person', ), ('clothing',
                                                                  'sign')),
                           ('carrying', 'holding', ('animal', ),
                            ('container', )),
                           ('holding', 'holding', ('person', 'hand'),
                            ('container', 'racket')),
                           ('covering', 'covering', ('clothing', ),
                            ('furniture', 'body_part')),
                           ('covering', 'covering', ('plant', ),
                            ('structure', )),
                           ('across', 'across', ('letter', 'fence'),
                            ('sign', 'vehicle', 'building')),
                           ('along', 'along', ('fence', 'tree', 'bench',
                                               'pole'), ('ground', )),
                           # General rules.
                           ('on', 'on_top', _ALL, _ALL),
                           ('in', 'inside', _ALL, _ALL),
                           ('has', 'contains', _ALL, _ALL),
                           ('of', 'part', _ALL, _ALL),
                           ('above', 'above', _ALL, _ALL),
                           ('under', 'below', _ALL, _ALL),
                           ('near', 'beside', _ALL, _ALL),
                           ('in front of', 'in_front', _ALL, _ALL),
                           ('behind', 'behind', _ALL, _ALL),
                           ('against', 'touching', _ALL, _ALL),
                       )

#: A relation of these predicates may get a second one on the same pair
#: (the duplicate pairs of the real data).
DUPLICATE_ALIASES: Dict[str, str] = {
    'wearing': 'wears',
    'wears': 'wearing',
    'has': 'with',
    'with': 'has',
    'looking at': 'watching',
    'watching': 'looking at',
}

# ---------------------------------------------------------------------------
# Size presets
# ---------------------------------------------------------------------------

_COMMON_PARAMS = dict(
    # Shorter / longer image side.
    aspect_range=(0.6, 1.0),
    # Relations dealt to an image (before the quota top-up).
    rels_per_image=(2, 6),
    # Objects without relations added to an image with relations.
    distractors_per_image=(0, 2),
    # Objects of an image that has boxes but no relation.
    empty_image_objects=(2, 5),
    # Area of a distractor as a fraction of the image area.
    distractor_area_range=(0.01, 0.05),
    # Share of the images of each split with boxes but no relation.
    empty_rel_fraction=0.04,
    # Share of the images of each split without any box.
    no_box_fraction=0.01,
    # Chance that a relation with an alias also gets the alias.
    duplicate_prob=0.05,
    # Weight of the most frequent predicate / the rarest one.
    long_tail_ratio=80.0,
    # Least number of relations of each predicate in each split.
    min_predicate_count=1,
    # Chance that a relation reuses an object already in the scene.
    reuse_prob=0.6,
    # Pair samples tried around a reused object before a new pair is made.
    anchor_tries=10,
    # A new pair fills this fraction of the largest scale that fits.
    pair_scale_range=(0.2, 0.6),
    min_box_size=6,
    # Gap in pixels kept between objects that are not related.
    box_margin=2,
    # Placement attempts before an object or pair gives up.
    max_tries=30,
    # Random spots tried at once for a new pair.
    spots_per_try=16,
    # Image ids are spread over at least 1..min_id_range.
    min_id_range=5000,
    # Background channel values (muted colors).
    background_range=(70, 160),
    color_jitter=12,
    # Gray value of the dotted connector of the ``looking`` geometry.
    connector_value=25,
    pixel_noise=3.0,
    texture_period=4,
    jpeg_quality=90,
)

#: Sizes of the world; any key can be overridden by name.
SYNTHVG_PRESETS: Dict[str, dict] = dict(
    tiny=dict(
        _COMMON_PARAMS,
        num_train=40,
        num_test=20,
        image_size_range=(64, 96),
        rels_per_image=(1, 4),
        min_box_size=4),
    default=dict(
        _COMMON_PARAMS,
        num_train=1500,
        num_test=300,
        image_size_range=(128, 256)),
)

_MANIFEST_VERSION = 1


def _check_range(params: dict, key: str, low: float, high: float) -> None:
    """Check that ``params[key]`` is a (min, max) pair inside [low, high]."""
    value = params[key]
    if (not isinstance(value, (tuple, list)) or len(value) != 2
            or not low <= value[0] <= value[1] <= high):
        raise ValueError(f'SynthVG: {key}={value!r} must be a (min, max) '
                         f'pair with {low} <= min <= max <= {high}')


def resolve_synthvg_params(size: str = 'default', **overrides) -> dict:
    """The generation parameters of a preset with overrides applied.

    Args:
        size: A :data:`SYNTHVG_PRESETS` key.
        **overrides: Parameters replacing the preset's, by name.

    Returns:
        dict: All parameters, (min, max) pairs as tuples.
    """
    if size not in SYNTHVG_PRESETS:
        raise ValueError(f'SynthVG: unknown size "{size}"; choose one of '
                         f'{sorted(SYNTHVG_PRESETS)}')
    params = dict(SYNTHVG_PRESETS[size])
    unknown = sorted(set(overrides) - set(params))
    if unknown:
        raise ValueError(f'SynthVG: unknown parameters {unknown}; known '
                         f'ones are {sorted(params)}')
    params.update(overrides)
    params = {
        k: tuple(v) if isinstance(v, list) else v
        for k, v in params.items()
    }
    for key in ('num_train', 'num_test', 'min_box_size', 'max_tries',
                'anchor_tries', 'spots_per_try', 'texture_period'):
        if not isinstance(params[key], int) or params[key] < 1:
            raise ValueError(f'SynthVG: {key}={params[key]!r} must be a '
                             'positive integer')
    for key in ('min_predicate_count', 'box_margin'):
        if not isinstance(params[key], int) or params[key] < 0:
            raise ValueError(f'SynthVG: {key}={params[key]!r} must be a '
                             'non-negative integer')
    if not 1 <= params['jpeg_quality'] <= 95:
        raise ValueError(f'SynthVG: jpeg_quality={params["jpeg_quality"]!r} '
                         'must be in 1..95')
    _check_range(params, 'image_size_range', 32, 4096)
    _check_range(params, 'aspect_range', 0.1, 1.0)
    _check_range(params, 'rels_per_image', 1, 1000)
    _check_range(params, 'distractors_per_image', 0, 1000)
    _check_range(params, 'empty_image_objects', 1, 1000)
    _check_range(params, 'distractor_area_range', 1e-4, 1.0)
    _check_range(params, 'pair_scale_range', 0.01, 1.0)
    _check_range(params, 'background_range', 0, 255)
    for key in ('empty_rel_fraction', 'no_box_fraction', 'duplicate_prob',
                'reuse_prob'):
        if not 0 <= params[key] <= 1:
            raise ValueError(f'SynthVG: {key}={params[key]!r} must be in '
                             '[0, 1]')
    if params['empty_rel_fraction'] + params['no_box_fraction'] >= 1:
        raise ValueError('SynthVG: empty_rel_fraction + no_box_fraction '
                         'must leave images with relations (sum < 1)')
    if params['long_tail_ratio'] < 1:
        raise ValueError('SynthVG: long_tail_ratio must be >= 1')
    if params['min_id_range'] < max(CORRUPTED_IMAGE_IDS):
        raise ValueError(
            f'SynthVG: min_id_range={params["min_id_range"]} must be at '
            f'least {max(CORRUPTED_IMAGE_IDS)} so that the corrupted ids '
            f'{CORRUPTED_IMAGE_IDS} fall inside the id range')
    return params


# ---------------------------------------------------------------------------
# Rules compiled against the vocabulary
# ---------------------------------------------------------------------------


class PredicateCells(NamedTuple):
    """The (geometry, subject, object) cells labelled with one predicate.

    Attributes:
        geometry: (C,) indices into ``tuple(GEOMETRIES)``.
        subject: (C,) subject labels 1..150.
        object: (C,) object labels 1..150.
    """
    geometry: np.ndarray
    subject: np.ndarray
    object: np.ndarray


def _expand(names: Sequence[str]) -> List[str]:
    """Class names of groups and classes, in order, without repeats."""
    classes: List[str] = []
    for name in names:
        members = CLASS_GROUPS.get(name, (name, ))
        for cls in members:
            if cls not in CLASS_STYLES:
                raise KeyError(f'SynthVG rules: "{name}" is neither a class '
                               'group nor a class of CLASS_STYLES')
            if cls not in classes:
                classes.append(cls)
    return classes


@lru_cache(maxsize=None)
def compile_predicate_cells(dict_file: str = DEFAULT_DICT_FILE
                            ) -> Dict[int, PredicateCells]:
    """Resolve :data:`PREDICATE_RULES` into cells per predicate id.

    Args:
        dict_file: The vocabulary json that maps names to ids.

    Returns:
        dict: predicate id (1..50) -> :class:`PredicateCells`.
    """
    vocab = load_vocabulary(dict_file)
    label_ids = {name: i + 1 for i, name in enumerate(vocab['classes'])}
    predicate_ids = {name: i + 1 for i, name in enumerate(vocab['predicates'])}
    missing = sorted(set(CLASS_STYLES) - set(label_ids))
    if missing:
        raise KeyError(f'SynthVG: classes {missing} are not in {dict_file}')
    geometry_index = {name: i for i, name in enumerate(GEOMETRIES)}
    claimed: Dict[Tuple[int, int, int], int] = {}
    for predicate, geometry, subjects, objects in PREDICATE_RULES:
        if predicate not in predicate_ids:
            raise KeyError(f'SynthVG rules: predicate "{predicate}" is not '
                           f'in {dict_file}')
        g = geometry_index[geometry]
        for s in _expand(subjects):
            for o in _expand(objects):
                claimed.setdefault((g, label_ids[s], label_ids[o]),
                                   predicate_ids[predicate])
    cells: Dict[int, PredicateCells] = {}
    for pid in predicate_ids.values():
        rows = np.array([key for key, p in claimed.items() if p == pid],
                        dtype=np.int64).reshape(-1, 3)
        if len(rows) == 0:
            raise ValueError(
                f'SynthVG rules: predicate "{vocab["predicates"][pid - 1]}" '
                'labels no cell; give it a rule before the general rules '
                'of its geometry')
        cells[pid] = PredicateCells(rows[:, 0], rows[:, 1], rows[:, 2])
    return cells


class _WorldVocabulary(NamedTuple):
    """The world's classes and predicates as ids of the VG-150 vocabulary.

    Attributes:
        styles: label id (1..150) -> style, for the world's classes.
        alias_ids: predicate id -> id of its :data:`DUPLICATE_ALIASES` alias.
    """
    styles: Dict[int, ObjectStyle]
    alias_ids: Dict[int, int]


@lru_cache(maxsize=None)
def _world_vocabulary(dict_file: str = DEFAULT_DICT_FILE) -> _WorldVocabulary:
    """The world's classes and aliases resolved against ``dict_file``."""
    vocab = load_vocabulary(dict_file)
    predicate_ids = {name: i + 1 for i, name in enumerate(vocab['predicates'])}
    styles = {
        vocab['classes'].index(name) + 1: style
        for name, style in CLASS_STYLES.items()
    }
    alias_ids = {
        predicate_ids[k]: predicate_ids[v]
        for k, v in DUPLICATE_ALIASES.items()
    }
    return _WorldVocabulary(styles, alias_ids)


def synthvg_predicate_weights(long_tail_ratio: float,
                              dict_file: str = DEFAULT_DICT_FILE
                              ) -> np.ndarray:
    """Relative frequency of each predicate, 1 for the most frequent.

    The real VG-150 counts (``predicate_count`` of ``dict_file``) are raised
    to the power that maps their head/tail ratio to ``long_tail_ratio``,
    which keeps the real order and shape of the long tail.

    Returns:
        np.ndarray: (50,) weights, index ``p - 1`` for predicate ``p``.
    """
    vocab = load_vocabulary(dict_file)
    with open(dict_file) as f:
        real = json.load(f).get('predicate_count')
    if not real or set(real) != set(vocab['predicates']):
        raise KeyError(f'{dict_file}: "predicate_count" must give a count '
                       'for every predicate; use the VG-150 dicts file')
    counts = np.array([real[p] for p in vocab['predicates']], dtype=float)
    if counts.min() <= 0:
        raise ValueError(f'{dict_file}: "predicate_count" must be positive')
    spread = counts.max() / counts.min()
    gamma = math.log(long_tail_ratio) / math.log(spread) if spread > 1 else 0
    return (counts / counts.max())**gamma


def predicate_quota(total: int, weights: np.ndarray,
                    min_count: int) -> np.ndarray:
    """Split ``total`` relations over predicates in proportion to weights.

    Every predicate gets at least ``min_count``; the result sums to
    ``max(total, len(weights) * min_count)``.

    Returns:
        np.ndarray: (P,) int64 counts.
    """
    share = np.asarray(weights, dtype=float) / np.sum(weights) * total
    counts = np.maximum(np.floor(share).astype(np.int64), min_count)
    target = max(total, len(counts) * min_count)
    missing = target - counts.sum()
    if missing > 0:
        order = np.argsort(-(share - np.floor(share)), kind='stable')
        counts[order[:missing]] += 1
    while counts.sum() > target:
        counts[np.argmax(counts)] -= 1
    return counts


def synthvg_image_ids(num_images: int, min_id_range: int) -> np.ndarray:
    """Image ids of the h5 rows: increasing, never a corrupted id.

    Ids are ``1 .. num_images + 4`` without the corrupted ids when that
    range reaches past them, else spread evenly over ``1 .. min_id_range``.
    """
    top = max(num_images + len(CORRUPTED_IMAGE_IDS), min_id_range)
    candidates = np.setdiff1d(np.arange(1, top + 1), CORRUPTED_IMAGE_IDS)
    pick = np.round(np.linspace(0, len(candidates) - 1, num_images))
    return candidates[pick.astype(np.int64)]


# ---------------------------------------------------------------------------
# Scene sampling
# ---------------------------------------------------------------------------


@dataclass
class SynthScene:
    """One image of the world.

    Attributes:
        image_id: File ``VG_100K/<image_id>.jpg``.
        split: 0 (train) or 2 (test).
        width: Image width.
        height: Image height.
        labels: (N,) int64 object labels 1..150.
        boxes: (N, 4) int64 pixel xyxy, exclusive ends.
        relations: (R, 3) int64 (subject, object, predicate 1..50), local.
        draw_order: (N,) object indices, back to front.
        connectors: (C, 2) int64 (subject, object) pairs joined by a line.
    """
    image_id: int
    split: int
    width: int
    height: int
    labels: np.ndarray
    boxes: np.ndarray
    relations: np.ndarray
    draw_order: np.ndarray
    connectors: np.ndarray


def _boxes_hit(boxes: np.ndarray, others: np.ndarray,
               margin: int) -> np.ndarray:
    """(K, M) whether each of ``boxes`` comes closer than ``margin`` pixels
    to each of ``others``."""
    b, o = boxes[:, None], others[None]
    return ((o[..., 0] < b[..., 2] + margin) & (b[..., 0] < o[..., 2] + margin)
            & (o[..., 1] < b[..., 3] + margin)
            & (b[..., 1] < o[..., 3] + margin))


def _connector_box(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The region that a connector between side-by-side boxes runs through.

    Args:
        a: (..., 4) boxes.
        b: (..., 4) boxes, each left or right of its ``a``.
    """
    a_left = a[..., :1] < b[..., :1]
    left, right = np.where(a_left, a, b), np.where(a_left, b, a)
    cy_left = (left[..., 1] + left[..., 3]) // 2
    cy_right = (right[..., 1] + right[..., 3]) // 2
    return np.stack([
        left[..., 2],
        np.minimum(cy_left, cy_right) - 1, right[..., 0],
        np.maximum(cy_left, cy_right) + 1
    ],
                    axis=-1)


class _SceneBuilder:
    """Places related pairs and distractors in one image."""

    def __init__(self, width: int, height: int, params: dict, rng: Rng,
                 cells: Dict[int, PredicateCells],
                 label_styles: Dict[int, ObjectStyle]) -> None:
        self.width = width
        self.height = height
        self.params = params
        self.rng = rng
        self.cells = cells
        self.styles = label_styles
        self.geometries = tuple(GEOMETRIES.values())
        self.labels: List[int] = []
        self.boxes: List[Box] = []
        self.order: List[int] = []
        self.relations: List[Tuple[int, int, int]] = []
        self.connectors: List[Tuple[int, int]] = []
        # Regions that new objects keep clear of and the object owning each
        # region (-1 for a connector).
        self.keepout = np.zeros((0, 4), dtype=np.int64)
        self.keepout_owner = np.zeros(0, dtype=np.int64)

    def _aspect(self, label: int) -> float:
        return self.rng.uniform(*self.styles[label].aspect)

    def _fits(self, boxes: np.ndarray) -> np.ndarray:
        """(K,) whether (K, 4) boxes are inside the image and large enough.
        """
        size = self.params['min_box_size']
        return ((boxes[:, 0] >= 0) & (boxes[:, 1] >= 0)
                & (boxes[:, 2] <= self.width) & (boxes[:, 3] <= self.height)
                & (boxes[:, 2] - boxes[:, 0] >= size)
                & (boxes[:, 3] - boxes[:, 1] >= size))

    def _is_free(self, boxes: np.ndarray, ignore: int = -2) -> np.ndarray:
        """(K,) whether (K, 4) boxes keep clear of everything placed, except
        of object ``ignore``."""
        hit = _boxes_hit(boxes, self.keepout, self.params['box_margin'])
        return ~np.any(hit & (self.keepout_owner != ignore), axis=1)

    def _keep_clear(self, box: Box, owner: int) -> None:
        self.keepout = np.concatenate([self.keepout, box[None]])
        self.keepout_owner = np.append(self.keepout_owner, owner)

    def _add_object(self, label: int, box: Box) -> int:
        self.labels.append(label)
        self.boxes.append(box)
        self._keep_clear(box, len(self.labels) - 1)
        return len(self.labels) - 1

    def _add_relation(self, s: int, o: int, predicate: int,
                      geometry: Geometry) -> None:
        self.relations.append((s, o, predicate))
        if geometry.connector:
            self.connectors.append((s, o))
            self._keep_clear(_connector_box(self.boxes[s], self.boxes[o]), -1)

    def add_relation(self, predicate: int, force: bool = False) -> bool:
        """Add a relation of ``predicate``, reusing an object if it can.

        Args:
            predicate: Predicate id.
            force: Place a new pair even where it overlaps other objects
                when no free spot is found.

        Returns:
            bool: Whether the relation was added.
        """
        cells = self.cells[predicate]
        if self.labels and self.rng.random() < self.params['reuse_prob']:
            labels = np.asarray(self.labels)
            cand_s = np.argwhere(cells.subject[:, None] == labels[None])
            cand_o = np.argwhere(cells.object[:, None] == labels[None])
            candidates = [(c, a, 'subject') for c, a in cand_s]
            candidates += [(c, a, 'object') for c, a in cand_o]
            if candidates:
                c, anchor, role = candidates[self.rng.integers(
                    len(candidates))]
                if self._place_on_anchor(predicate, c, int(anchor), role):
                    return True
        c = int(self.rng.integers(len(cells.geometry)))
        return self._place_fresh(predicate, c, force)

    def _place_on_anchor(self, predicate: int, c: int, anchor: int,
                         role: str) -> bool:
        """Place a partner for ``anchor`` in cell ``c``; False if no room.

        ``anchor_tries`` pair samples are mapped onto the anchor (the
        anchor's sample box onto the real box) and the first partner that
        fits in a free spot is kept.
        """
        cells = self.cells[predicate]
        geometry = self.geometries[cells.geometry[c]]
        s_label, o_label = int(cells.subject[c]), int(cells.object[c])
        a = self.boxes[anchor]
        a_aspect = (a[2] - a[0]) / (a[3] - a[1])
        pairs = np.array([
            geometry.sample(self.rng, a_aspect, self._aspect(o_label))
            if role == 'subject' else geometry.sample(
                self.rng, self._aspect(s_label), a_aspect)
            for _ in range(self.params['anchor_tries'])
        ])
        ref, other = (pairs[:, 0],
                      pairs[:,
                            1]) if role == 'subject' else (pairs[:,
                                                                 1], pairs[:,
                                                                           0])
        scale = np.tile((a[2:] - a[:2]) / (ref[:, 2:] - ref[:, :2]), 2)
        # Offsets from the sample anchor's sides, scaled, added to the real
        # anchor's sides.
        partners = np.round((other - ref) * scale + a).astype(np.int64)
        ok = self._fits(partners) & self._is_free(partners, ignore=anchor)
        if geometry.connector:
            ok &= self._is_free(_connector_box(a, partners), ignore=anchor)
        if not ok.any():
            return False
        new = self._add_object(o_label if role == 'subject' else s_label,
                               partners[np.argmax(ok)])
        if geometry.top is None:
            self.order.append(new)
        else:
            partner_on_top = (geometry.top == 'subject') != (role == 'subject')
            self.order.insert(self.order.index(anchor) + partner_on_top, new)
        s, o = (anchor, new) if role == 'subject' else (new, anchor)
        self._add_relation(s, o, predicate, geometry)
        return True

    def _place_fresh(self, predicate: int, c: int, force: bool) -> bool:
        """Place a new pair of cell ``c`` in a free spot; False if none.

        Each try draws a pair and ``spots_per_try`` spots for it, and
        shrinks the pair a little after a failure. With ``force`` the last
        spot is kept even where it overlaps other objects.
        """
        cells = self.cells[predicate]
        geometry = self.geometries[cells.geometry[c]]
        s_label, o_label = int(cells.subject[c]), int(cells.object[c])
        tries = self.params['max_tries']
        for attempt in range(tries):
            pairs = self._sample_fresh_pairs(geometry, s_label, o_label,
                                             1 - attempt / tries)
            ok = self._is_free(pairs[:, 0]) & self._is_free(pairs[:, 1])
            if geometry.connector:
                ok &= self._is_free(_connector_box(pairs[:, 0], pairs[:, 1]))
            if ok.any():
                pair = pairs[np.argmax(ok)]
                break
        else:
            if not force:
                return False
            pair = pairs[-1]
        s = self._add_object(s_label, pair[0])
        o = self._add_object(o_label, pair[1])
        self.order += [o, s] if geometry.top == 'subject' else [s, o]
        self._add_relation(s, o, predicate, geometry)
        return True

    def _sample_fresh_pairs(self, geometry: Geometry, s_label: int,
                            o_label: int, shrink: float) -> np.ndarray:
        """One pair at ``spots_per_try`` random spots of the image.

        The scale is a random fraction (``pair_scale_range`` times
        ``shrink``) of the largest scale that fits the image, and at least
        the one that makes every side ``min_box_size`` where that fits.

        Returns:
            np.ndarray: (spots_per_try, 2, 4) int64 (subject, object) boxes.
        """
        both = np.stack(
            geometry.sample(self.rng, self._aspect(s_label),
                            self._aspect(o_label)))
        lo, hi = both[:, :2].min(0), both[:, 2:].max(0)
        max_scale = min(self.width / (hi[0] - lo[0]),
                        self.height / (hi[1] - lo[1]))
        min_scale = (
            self.params['min_box_size'] / (both[:, 2:] - both[:, :2]).min())
        scale = max_scale * shrink * self.rng.uniform(
            *self.params['pair_scale_range'])
        scale = min(max(scale, min_scale), max_scale)
        room = np.array([self.width, self.height]) - (hi - lo) * scale
        origins = (
            self.rng.uniform(0, 1, (self.params['spots_per_try'], 2)) * room -
            lo * scale)
        out = np.round(both[None] * scale +
                       np.tile(origins, 2)[:, None]).astype(np.int64)
        out[..., 2:] = np.maximum(out[..., 2:], out[..., :2] + 1)
        return out

    def add_distractor(self, label: int) -> None:
        """Add an unrelated object where there is room; skip if none."""
        tries = self.params['max_tries']
        area = self.rng.uniform(*self.params['distractor_area_range'], tries)
        aspect = self.rng.uniform(*self.styles[label].aspect, tries)
        size = np.sqrt((area * self.width * self.height)[:, None] *
                       np.stack([aspect, 1 / aspect], axis=1))
        room = np.maximum(np.array([self.width, self.height]) - size, 0)
        corner = self.rng.uniform(0, 1, (tries, 2)) * room
        boxes = np.round(np.concatenate([corner, corner + size],
                                        axis=1)).astype(np.int64)
        ok = self._fits(boxes) & self._is_free(boxes)
        if ok.any():
            self.order.append(self._add_object(label, boxes[np.argmax(ok)]))

    def add_duplicates(self, alias_ids: Dict[int, int]) -> None:
        """Give some relations a second predicate on the same pair."""
        for s, o, p in list(self.relations):
            if (p in alias_ids
                    and self.rng.random() < self.params['duplicate_prob']):
                self.relations.append((s, o, alias_ids[p]))

    def build(self, image_id: int, split: int) -> SynthScene:
        """The finished scene."""
        return SynthScene(
            image_id=int(image_id),
            split=int(split),
            width=self.width,
            height=self.height,
            labels=np.asarray(self.labels, dtype=np.int64),
            boxes=np.asarray(self.boxes, dtype=np.int64).reshape(-1, 4),
            relations=np.asarray(self.relations,
                                 dtype=np.int64).reshape(-1, 3),
            draw_order=np.asarray(self.order, dtype=np.int64),
            connectors=np.asarray(self.connectors,
                                  dtype=np.int64).reshape(-1, 2))


def _plan_split(num_images: int, params: dict, weights: np.ndarray,
                rng: Rng) -> List[Optional[np.ndarray]]:
    """Predicates of each image of a split.

    Returns:
        list: per image, None for an image without boxes, an empty array for
        an image with boxes and no relation, else its predicate ids.
    """
    num_no_box = math.ceil(params['no_box_fraction'] * num_images)
    num_empty = math.ceil(params['empty_rel_fraction'] * num_images)
    num_related = num_images - num_no_box - num_empty
    if num_related < 1:
        raise ValueError(
            f'SynthVG: {num_images} images leave none with relations after '
            f'no_box_fraction and empty_rel_fraction; use more images')
    lo, hi = params['rels_per_image']
    num_rels = rng.integers(lo, hi + 1, num_related)
    quota = predicate_quota(
        int(num_rels.sum()), weights, params['min_predicate_count'])
    np.add.at(num_rels,
              rng.integers(0, num_related,
                           quota.sum() - num_rels.sum()), 1)
    deck = np.repeat(np.arange(1, len(quota) + 1), quota)
    rng.shuffle(deck)
    plans: List[Optional[np.ndarray]] = list(
        np.split(deck,
                 np.cumsum(num_rels)[:-1]))
    plans += [np.zeros(0, dtype=np.int64)] * num_empty + [None] * num_no_box
    return [plans[i] for i in rng.permutation(num_images)]


def sample_synthvg_world(size: str = 'default',
                         seed: int = 0,
                         **overrides) -> List[SynthScene]:
    """Sample the annotations of a world, without drawing it.

    Args:
        size: A :data:`SYNTHVG_PRESETS` key.
        seed: Random seed; the same arguments give the same world.
        **overrides: Parameters replacing the preset's.

    Returns:
        list[SynthScene]: The images in h5 row order.
    """
    params = resolve_synthvg_params(size, **overrides)
    return _sample_world(params, seed)


def _sample_world(params: dict, seed: int) -> List[SynthScene]:
    """:func:`sample_synthvg_world` on resolved parameters.

    The predicates of each split are dealt to its images up front (exact
    quotas); a relation that finds no free spot in its image moves on to the
    next image of the split, and the last one takes what is left.
    """
    rng = np.random.default_rng(seed)
    cells = compile_predicate_cells()
    vocab = _world_vocabulary()
    weights = synthvg_predicate_weights(params['long_tail_ratio'])
    flags = np.repeat([0, 2], [params['num_train'], params['num_test']])
    rng.shuffle(flags)
    plans: List[Optional[np.ndarray]] = [None] * len(flags)
    for flag in (0, 2):
        rows = np.nonzero(flags == flag)[0]
        for row, plan in zip(rows,
                             _plan_split(len(rows), params, weights, rng)):
            plans[row] = plan
    builders = []
    pending: Dict[int, List[int]] = {0: [], 2: []}
    for flag, plan in zip(flags, plans):
        builder = _SceneBuilder(*_sample_image_size(params, rng), params, rng,
                                cells, vocab.styles)
        if plan is not None and len(plan):
            predicates, pending[flag] = pending[flag] + plan.tolist(), []
            for predicate in predicates:
                if not builder.add_relation(predicate):
                    pending[flag].append(predicate)
        builders.append(builder)
    for flag, left in pending.items():
        last = max(i for i, plan in enumerate(plans)
                   if flags[i] == flag and plan is not None and len(plan))
        for predicate in left:
            builders[last].add_relation(predicate, force=True)
    world_labels = np.array(sorted(vocab.styles))
    for builder, plan in zip(builders, plans):
        if plan is None:
            continue
        if len(plan):
            builder.add_duplicates(vocab.alias_ids)
            lo, hi = params['distractors_per_image']
        else:
            lo, hi = params['empty_image_objects']
        for label in rng.choice(world_labels, rng.integers(lo, hi + 1)):
            builder.add_distractor(int(label))
    image_ids = synthvg_image_ids(len(flags), params['min_id_range'])
    return [
        builder.build(image_id, flag)
        for builder, image_id, flag in zip(builders, image_ids, flags)
    ]


def _sample_image_size(params: dict, rng: Rng) -> Tuple[int, int]:
    """(width, height) of a new image."""
    lo, hi = params['image_size_range']
    longer = int(rng.integers(lo, hi + 1))
    shorter = int(round(longer * rng.uniform(*params['aspect_range'])))
    return (longer, shorter) if rng.random() < 0.5 else (shorter, longer)


# ---------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------


def _shape_mask(shape: str, w: int, h: int) -> np.ndarray:
    """(h, w) bool mask of ``shape`` touching all four sides of its box."""
    dx = np.abs(np.arange(w) + 0.5 - w / 2)[None, :] / (w / 2)
    dy = np.abs(np.arange(h) + 0.5 - h / 2)[:, None] / (h / 2)
    # Half a pixel of slack keeps the pixels that the outline only grazes.
    sx = np.maximum(dx - 1 / w, 0)
    sy = np.maximum(dy - 1 / h, 0)
    if shape == 'rect':
        return np.ones((h, w), dtype=bool)
    if shape == 'ellipse':
        return sx**2 + sy**2 <= 1
    if shape in ('triangle', 'inv_triangle'):
        depth = (np.arange(h)[:, None] + 1) / h
        if shape == 'inv_triangle':
            depth = depth[::-1]
        return sx <= depth
    if shape == 'diamond':
        return sx + sy <= 1
    if shape == 'octagon':
        return sx + sy <= 1.4
    raise ValueError(f'SynthVG: unknown shape "{shape}"; use one of {SHAPES}')


def _texture_mask(texture: str, w: int, h: int, period: int) -> np.ndarray:
    """(h, w) bool mask of the texture's darker (or lighter) pixels."""
    band_x = (np.arange(w)[None, :] // period) % 2 == 1
    band_y = (np.arange(h)[:, None] // period) % 2 == 1
    if texture == 'solid':
        return np.zeros((h, w), dtype=bool)
    if texture == 'hstripes':
        return np.broadcast_to(band_y, (h, w))
    if texture == 'vstripes':
        return np.broadcast_to(band_x, (h, w))
    if texture == 'checker':
        return band_x ^ band_y
    if texture == 'dots':
        dot = max(period // 2, 1)
        return ((np.arange(w)[None, :] % period < dot)
                & (np.arange(h)[:, None] % period < dot))
    raise ValueError(
        f'SynthVG: unknown texture "{texture}"; use one of {TEXTURES}')


def draw_object(canvas: np.ndarray, box: Sequence[int], style: ObjectStyle,
                color: Sequence[float], texture_period: int) -> None:
    """Draw an object into ``canvas`` in place.

    Args:
        canvas: (H, W, 3) float image.
        box: Pixel xyxy with exclusive ends, inside the canvas.
        style: The class's style (shape and texture).
        color: RGB fill color.
        texture_period: Stripe / checker period in pixels.
    """
    x1, y1, x2, y2 = (int(v) for v in box)
    w, h = x2 - x1, y2 - y1
    if w <= 0 or h <= 0:
        return
    mask = _shape_mask(style.shape, w, h)
    region = canvas[y1:y2, x1:x2]
    region[mask] = color
    texture = mask & _texture_mask(style.texture, w, h, texture_period)
    region[texture] = accent_color(color)


def accent_color(color: Sequence[float]) -> np.ndarray:
    """The texture shade of a fill color: darker, or lighter if dark."""
    color = np.asarray(color, dtype=np.float32)
    if color.mean() > 96:
        return color * 0.5
    return color + (255 - color) * 0.45


def _draw_connector(canvas: np.ndarray, a: Box, b: Box, gap: int,
                    value: float) -> None:
    """A dotted gray line between the facing sides of two boxes."""
    left, right = (a, b) if a[0] < b[0] else (b, a)
    x0, x1 = int(left[2]) + gap, int(right[0]) - gap
    if x1 <= x0:
        return
    xs = np.arange(x0, x1, 2)
    y_left, y_right = (left[1] + left[3]) / 2, (right[1] + right[3]) / 2
    ys = np.round(y_left + (y_right - y_left) *
                  (xs - x0) / max(x1 - x0, 1)).astype(np.int64)
    canvas[ys, xs] = value


def render_scene(scene: SynthScene, params: dict, rng: Rng) -> np.ndarray:
    """Draw a scene.

    Args:
        scene: The scene.
        params: Generation parameters (see :func:`resolve_synthvg_params`).
        rng: Random generator for colors and noise.

    Returns:
        np.ndarray: (H, W, 3) uint8 RGB image.
    """
    h, w = scene.height, scene.width
    lo, hi = params['background_range']
    top, bottom = rng.uniform(lo, hi, (2, 3)).astype(np.float32)
    ramp = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    canvas = np.broadcast_to(top + (bottom - top) * ramp, (h, w, 3)).copy()
    for s, o in scene.connectors:
        _draw_connector(canvas, scene.boxes[s], scene.boxes[o],
                        params['box_margin'] + 1, params['connector_value'])
    styles = _world_vocabulary().styles
    jitter = params['color_jitter']
    for i in scene.draw_order:
        style = styles[int(scene.labels[i])]
        color = np.clip(
            np.asarray(PALETTE[style.color]) + rng.uniform(-jitter, jitter, 3),
            0, 255)
        draw_object(canvas, scene.boxes[i], style, color,
                    params['texture_period'])
    canvas += params['pixel_noise'] * rng.standard_normal(
        canvas.shape, dtype=np.float32)
    return np.clip(np.round(canvas), 0, 255).astype(np.uint8)


def _encode_jpeg(image: np.ndarray, quality: int) -> bytes:
    """JPEG bytes of an RGB image, without chroma subsampling."""
    buffer = BytesIO()
    Image.fromarray(image).save(
        buffer, format='JPEG', quality=quality, subsampling=0)
    return buffer.getvalue()


# ---------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------


def synthvg_paths(out_dir: str) -> Dict[str, str]:
    """Paths of the files of a world in ``out_dir``.

    Returns:
        dict: ``data_root``, ``ann_file`` (the h5), ``dict_file``,
        ``image_file`` (``image_data.json``), ``img_dir`` and
        ``manifest_file``.
    """
    return dict(
        data_root=out_dir,
        ann_file=osp.join(out_dir, 'VG-SGG-with-attri.h5'),
        dict_file=osp.join(out_dir, 'VG-SGG-dicts-with-attri.json'),
        image_file=osp.join(out_dir, 'image_data.json'),
        img_dir=osp.join(out_dir, 'VG_100K'),
        manifest_file=osp.join(out_dir, 'synthvg_manifest.json'))


def _manifest(size: str,
              seed: int,
              params: dict,
              complete: bool = True) -> dict:
    """The manifest describing a world, as it reads back from json."""
    manifest = dict(
        generator='SynthVG',
        version=_MANIFEST_VERSION,
        size=size,
        seed=seed,
        params=params,
        complete=complete)
    return json.loads(json.dumps(manifest))


def _write_manifest(path: str, manifest: dict) -> None:
    """Write the manifest json."""
    with open(path, 'w') as f:
        json.dump(manifest, f, indent=1)


def _check_owned(paths: Dict[str, str]) -> None:
    """Refuse to overwrite VG-150 files that SynthVG did not write."""
    if (osp.exists(paths['ann_file'])
            and not osp.exists(paths['manifest_file'])):
        raise FileExistsError(
            f'{paths["data_root"]} holds a VG-SGG-with-attri.h5 without a '
            'synthvg_manifest.json, so SynthVG did not write it; choose an '
            'empty output folder or delete that one first.')


def _remove_stale_images(img_dir: str, keep: Sequence[int]) -> None:
    """Delete ``<id>.jpg`` files of an earlier world that ``keep`` lacks."""
    keep = {f'{i}.jpg' for i in keep}
    for name in os.listdir(img_dir):
        stem, ext = osp.splitext(name)
        if ext == '.jpg' and stem.isdigit() and name not in keep:
            os.remove(osp.join(img_dir, name))


def _write_h5(path: str, scenes: List[SynthScene]) -> None:
    """Write the scenes as ``VG-SGG-with-attri.h5``."""
    boxes = [
        xyxy_to_cxcywh_1024(s.boxes, s.width, s.height) for s in scenes
        if len(s.boxes)
    ]
    write_vg150_h5(
        path,
        split=[s.split for s in scenes],
        num_boxes=[len(s.labels) for s in scenes],
        boxes_1024=np.concatenate(boxes),
        labels=np.concatenate([s.labels for s in scenes]),
        num_rels=[len(s.relations) for s in scenes],
        relationships=np.concatenate([s.relations[:, :2] for s in scenes]),
        predicates=np.concatenate([s.relations[:, 2] for s in scenes]))


def _image_record(image_id: int, width: int, height: int) -> dict:
    """An ``image_data.json`` record."""
    return dict(
        image_id=int(image_id),
        url=f'synthvg://VG_100K/{image_id}.jpg',
        width=int(width),
        height=int(height),
        coco_id=None,
        flickr_id=None)


def _write_corrupted_images(img_dir: str, params: dict,
                            rng: Rng) -> List[dict]:
    """Write truncated JPEGs for the corrupted ids; their records."""
    records = []
    for image_id in CORRUPTED_IMAGE_IDS:
        width, height = _sample_image_size(params, rng)
        image = np.full((height, width, 3), 128, dtype=np.uint8)
        data = _encode_jpeg(image, params['jpeg_quality'])
        with open(osp.join(img_dir, f'{image_id}.jpg'), 'wb') as f:
            f.write(data[:len(data) // 2])
        records.append(_image_record(image_id, width, height))
    return records


def _write_dicts(path: str, scenes: List[SynthScene]) -> None:
    """The real vocabulary with the world's object and predicate counts."""
    with open(DEFAULT_DICT_FILE) as f:
        info = json.load(f)
    vocab = load_vocabulary()
    labels = np.concatenate([s.labels for s in scenes])
    predicates = np.concatenate([s.relations[:, 2] for s in scenes])
    object_count = np.bincount(labels, minlength=len(vocab['classes']) + 1)
    predicate_count = np.bincount(
        predicates, minlength=len(vocab['predicates']) + 1)
    info['object_count'] = {
        name: int(object_count[i + 1])
        for i, name in enumerate(vocab['classes'])
    }
    info['predicate_count'] = {
        name: int(predicate_count[i + 1])
        for i, name in enumerate(vocab['predicates'])
    }
    with open(path, 'w') as f:
        json.dump(info, f)


def generate_synthvg(out_dir: str,
                     size: str = 'default',
                     seed: int = 0,
                     **overrides) -> Dict[str, str]:
    """Generate a SynthVG world in the VG-150 file layout.

    Writes ``VG-SGG-with-attri.h5``, ``VG-SGG-dicts-with-attri.json``,
    ``image_data.json`` (with the 4 corrupted entries, whose images are
    truncated files), ``VG_100K/<image_id>.jpg`` and a manifest of the
    parameters, marked complete at the end (so an interrupted run is redone
    by :func:`ensure_synthvg`). Images of an earlier world in ``out_dir``
    are removed; a folder with VG-150 files that SynthVG did not write is
    refused.

    Args:
        out_dir: Output folder, created if needed.
        size: A :data:`SYNTHVG_PRESETS` key.
        seed: Random seed; the same arguments give identical files.
        **overrides: Parameters replacing the preset's.

    Returns:
        dict: The paths, see :func:`synthvg_paths`.
    """
    params = resolve_synthvg_params(size, **overrides)
    start = time.perf_counter()
    paths = synthvg_paths(out_dir)
    _check_owned(paths)
    os.makedirs(paths['img_dir'], exist_ok=True)
    _write_manifest(paths['manifest_file'],
                    _manifest(size, seed, params, complete=False))
    scenes = _sample_world(params, seed)
    for scene in scenes:
        rng = np.random.default_rng([seed, scene.image_id])
        data = _encode_jpeg(
            render_scene(scene, params, rng), params['jpeg_quality'])
        with open(osp.join(paths['img_dir'], f'{scene.image_id}.jpg'),
                  'wb') as f:
            f.write(data)
    records = [_image_record(s.image_id, s.width, s.height) for s in scenes]
    records += _write_corrupted_images(paths['img_dir'], params,
                                       np.random.default_rng([seed, 0]))
    records.sort(key=lambda r: r['image_id'])
    _write_h5(paths['ann_file'], scenes)
    write_image_data(paths['image_file'], records)
    _write_dicts(paths['dict_file'], scenes)
    _remove_stale_images(paths['img_dir'], [r['image_id'] for r in records])
    _write_manifest(paths['manifest_file'], _manifest(size, seed, params))
    num_rels = sum(len(s.relations) for s in scenes)
    print_log(
        f'SynthVG "{size}" (seed {seed}): {len(scenes)} images, '
        f'{num_rels} relations in {out_dir} '
        f'({time.perf_counter() - start:.1f} s)',
        logger='current')
    return paths


def ensure_synthvg(out_dir: str,
                   size: str = 'default',
                   seed: int = 0,
                   **overrides) -> Dict[str, str]:
    """Generate a SynthVG world unless ``out_dir`` already holds it.

    The world is reused when the manifest matches the arguments and every
    file, images included, exists; otherwise it is generated again.

    Returns:
        dict: The paths, see :func:`synthvg_paths`.
    """
    params = resolve_synthvg_params(size, **overrides)
    paths = synthvg_paths(out_dir)
    if _is_complete(paths, _manifest(size, seed, params), params):
        print_log(f'SynthVG: reusing the world in {out_dir}', logger='current')
        return paths
    return generate_synthvg(out_dir, size, seed, **overrides)


def _is_complete(paths: Dict[str, str], manifest: dict, params: dict) -> bool:
    """Whether ``paths`` hold the world that ``manifest`` describes."""
    try:
        with open(paths['manifest_file']) as f:
            if json.load(f) != manifest:
                return False
    except (OSError, ValueError):
        return False
    files = [paths['ann_file'], paths['dict_file'], paths['image_file']]
    ids = synthvg_image_ids(params['num_train'] + params['num_test'],
                            params['min_id_range'])
    files += [osp.join(paths['img_dir'], f'{i}.jpg') for i in ids]
    return all(osp.isfile(f) for f in files)
