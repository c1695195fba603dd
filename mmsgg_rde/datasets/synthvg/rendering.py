"""Rendering of SynthVG scenes: shapes, textures, connectors, noise."""
from io import BytesIO
from typing import Sequence

import numpy as np
from PIL import Image

from .geometry import Box, Rng
from .scenes import SynthScene
from .vocabulary import _world_vocabulary
from .world import PALETTE, SHAPES, TEXTURES, ObjectStyle

__all__ = ['draw_object', 'accent_color', 'render_scene']


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
