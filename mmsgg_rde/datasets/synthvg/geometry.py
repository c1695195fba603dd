"""Pair geometries of SynthVG: where a subject box lies relative to its object.

Each sampler returns (subject box, object box) as float xyxy in a frame of
its own; a scene maps the pair into the image with a scale and a shift.
The reference box (usually the object) has area 1.
"""
import math
from typing import Callable, Dict, NamedTuple, Optional, Tuple

import numpy as np

__all__ = ['Box', 'Rng', 'Geometry', 'GEOMETRIES']

Box = np.ndarray
Rng = np.random.Generator


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
