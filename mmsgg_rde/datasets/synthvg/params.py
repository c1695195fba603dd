"""Size presets of SynthVG and the checks of its generation parameters."""
from typing import Dict

from ..vg150_io import CORRUPTED_IMAGE_IDS

__all__ = ['SYNTHVG_PRESETS', 'resolve_synthvg_params']

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
    # Annotation bias (annotation.py): chance that a child of the most
    # frequent generic predicate is annotated with it; 0 is off.
    annotation_bias=0.0,
    # The chance falls as (parent weight / top weight) ** exponent.
    annotation_bias_exponent=0.5,
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
                'reuse_prob', 'annotation_bias'):
        if not 0 <= params[key] <= 1:
            raise ValueError(f'SynthVG: {key}={params[key]!r} must be in '
                             '[0, 1]')
    if params['empty_rel_fraction'] + params['no_box_fraction'] >= 1:
        raise ValueError('SynthVG: empty_rel_fraction + no_box_fraction '
                         'must leave images with relations (sum < 1)')
    if params['long_tail_ratio'] < 1:
        raise ValueError('SynthVG: long_tail_ratio must be >= 1')
    if params['annotation_bias_exponent'] < 0:
        raise ValueError('SynthVG: annotation_bias_exponent must be >= 0')
    if params['min_id_range'] < max(CORRUPTED_IMAGE_IDS):
        raise ValueError(
            f'SynthVG: min_id_range={params["min_id_range"]} must be at '
            f'least {max(CORRUPTED_IMAGE_IDS)} so that the corrupted ids '
            f'{CORRUPTED_IMAGE_IDS} fall inside the id range')
    return params
