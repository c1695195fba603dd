"""Scene sampling: objects, boxes and relations of every SynthVG image."""
import math
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import numpy as np

from .annotation import (ANNOTATION_STREAM, annotate_predicates,
                         annotation_bias_model)
from .geometry import GEOMETRIES, Box, Geometry, Rng
from .params import resolve_synthvg_params
from .vocabulary import (PredicateCells, _world_vocabulary,
                         compile_predicate_cells, predicate_quota,
                         synthvg_image_ids, synthvg_predicate_weights)
from .world import ObjectStyle

__all__ = ['SynthScene', 'sample_synthvg_world']


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
    next image of the split, and the last one takes what is left. With
    ``annotation_bias`` the predicates are then annotated (annotation.py).
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
    scenes = [
        builder.build(image_id, flag)
        for builder, image_id, flag in zip(builders, image_ids, flags)
    ]
    if params['annotation_bias'] > 0:
        _annotate(scenes, params, seed)
    return scenes


def _annotate(scenes: List[SynthScene], params: dict, seed: int) -> None:
    """Replace the true predicates of ``scenes`` by annotated ones."""
    bias = annotation_bias_model(params['annotation_bias'],
                                 params['annotation_bias_exponent'],
                                 params['long_tail_ratio'])
    rng = np.random.default_rng([seed, ANNOTATION_STREAM])
    for scene in scenes:
        scene.relations[:, 2] = annotate_predicates(scene.relations[:, 2],
                                                    bias, rng)


def _sample_image_size(params: dict, rng: Rng) -> Tuple[int, int]:
    """(width, height) of a new image."""
    lo, hi = params['image_size_range']
    longer = int(rng.integers(lo, hi + 1))
    shorter = int(round(longer * rng.uniform(*params['aspect_range'])))
    return (longer, shorter) if rng.random() < 0.5 else (shorter, longer)
