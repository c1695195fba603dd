"""SynthVG files in the VG-150 layout: generation, manifest, reuse."""
import json
import os
import os.path as osp
import time
from typing import Dict, List, Sequence

import numpy as np
from mmengine.logging import print_log

from ..vg150_io import (CORRUPTED_IMAGE_IDS, DEFAULT_DICT_FILE,
                        load_vocabulary, write_image_data, write_vg150_h5,
                        xyxy_to_cxcywh_1024)
from .geometry import Rng
from .params import resolve_synthvg_params
from .rendering import _encode_jpeg, render_scene
from .scenes import SynthScene, _sample_image_size, _sample_world
from .vocabulary import synthvg_image_ids

__all__ = ['synthvg_paths', 'generate_synthvg', 'ensure_synthvg']

_MANIFEST_VERSION = 1


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
