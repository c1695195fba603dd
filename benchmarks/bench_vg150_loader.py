"""Startup time and peak memory of VG150Dataset at full VG-150 scale.

Writes a random VG-format h5 and image_data.json of the real sizes (108,073
images, about 1.1 M boxes and 0.6 M relations, the four corrupted
image_data.json entries included; no image files) into a temporary folder,
then builds each split in a forked process and reports its wall time and
its peak resident memory above what the process already used (Linux
``/proc``). For comparison it also runs a re-implementation of
the public benchmark's loader (whole-array h5 reads, then a Python loop over
images), and times the frequency statistics. ``items``: images of the split
(relations counted for the statistics).

Usage::

    python benchmarks/bench_vg150_loader.py [--seed 0] [--keep DIR]
"""
import argparse
import json
import multiprocessing
import os.path as osp
import tempfile
import time
from typing import Callable, Dict, Tuple

import h5py
import numpy as np

from mmsgg_rde.datasets import (CORRUPTED_IMAGE_IDS, DEFAULT_DICT_FILE,
                                VG150Dataset, write_image_data, write_vg150_h5)

NUM_IMAGES = 108073
MEAN_BOXES = 10.6
MEAN_RELS = 7.0
WITH_RELS = 0.825
TEST_FRACTION = 0.3


def write_vg_scale_files(root: str, seed: int) -> Dict[str, int]:
    """Write VG-size random files into ``root``; return their sizes."""
    rng = np.random.default_rng(seed)
    num_boxes = np.maximum(rng.poisson(MEAN_BOXES, NUM_IMAGES), 2)
    has_rels = rng.random(NUM_IMAGES) < WITH_RELS
    num_rels = np.where(has_rels,
                        np.maximum(rng.poisson(MEAN_RELS, NUM_IMAGES), 1), 0)
    split = np.where(rng.random(NUM_IMAGES) < TEST_FRACTION, 2, 0)
    total_boxes = int(num_boxes.sum())
    wh = rng.integers(8, 400, (total_boxes, 2))
    centre = rng.integers(0, 1024 - 200, (total_boxes, 2)) + wh // 2
    boxes = np.concatenate([centre, wh], axis=1)
    rel_boxes = np.repeat(num_boxes, num_rels)
    sub = (rng.random(rel_boxes.size) * rel_boxes).astype(np.int64)
    shift = 1 + (rng.random(rel_boxes.size) * (rel_boxes - 1)).astype(np.int64)
    obj = (sub + shift) % rel_boxes
    write_vg150_h5(
        osp.join(root, 'VG-SGG-with-attri.h5'),
        split=split,
        num_boxes=num_boxes,
        boxes_1024=boxes,
        labels=rng.integers(1, 151, total_boxes),
        num_rels=num_rels,
        relationships=np.stack([sub, obj], axis=1),
        predicates=rng.integers(1, 51, rel_boxes.size))
    image_ids = np.arange(1, NUM_IMAGES + len(CORRUPTED_IMAGE_IDS) + 1)
    sizes = rng.integers(300, 1025, (image_ids.size, 2))
    write_image_data(
        osp.join(root, 'image_data.json'), [
            dict(
                image_id=int(i),
                url='',
                width=int(w),
                height=int(h),
                coco_id=None,
                flickr_id=None) for i, (w, h) in zip(image_ids, sizes)
        ])
    with open(DEFAULT_DICT_FILE) as src, open(
            osp.join(root, 'VG-SGG-dicts-with-attri.json'), 'w') as dst:
        dst.write(src.read())
    return dict(
        images=NUM_IMAGES, boxes=total_boxes, relations=int(num_rels.sum()))


def reference_loader(root: str, split: str) -> int:
    """The public benchmark's loading steps (minus per-file stat calls)."""
    with h5py.File(osp.join(root, 'VG-SGG-with-attri.h5'), 'r') as f:
        flags = f['split'][:]
        mask = flags == (2 if split == 'test' else 0)
        mask &= f['img_to_first_box'][:] >= 0
        mask &= f['img_to_first_rel'][:] >= 0
        index = np.nonzero(mask)[0]
        index = index[:5000] if split == 'val' else \
            index[5000:] if split == 'train' else index
        mask = np.zeros_like(mask)
        mask[index] = True
        labels = f['labels'][:, 0]
        attributes = f['attributes'][:, :]
        boxes = f['boxes_1024'][:]
        boxes[:, :2] = boxes[:, :2] - boxes[:, 2:] / 2
        boxes[:, 2:] = boxes[:, :2] + boxes[:, 2:]
        first_box = f['img_to_first_box'][mask]
        last_box = f['img_to_last_box'][mask]
        first_rel = f['img_to_first_rel'][mask]
        last_rel = f['img_to_last_rel'][mask]
        relations = f['relationships'][:]
        predicates = f['predicates'][:, 0]
    graphs = []
    for i in range(len(index)):
        rows = slice(first_box[i], last_box[i] + 1)
        rels = relations[first_rel[i]:last_rel[i] + 1] - first_box[i]
        assert np.all(rels >= 0) and np.all(rels < rows.stop - rows.start)
        graphs.append((boxes[rows], labels[rows], attributes[rows],
                       np.column_stack(
                           (rels, predicates[first_rel[i]:last_rel[i] + 1]))))
    with open(osp.join(root, 'image_data.json')) as f:
        records = json.load(f)
    corrupted = {f'{i}.jpg' for i in CORRUPTED_IMAGE_IDS}
    infos = [r for r in records if f"{r['image_id']}.jpg" not in corrupted]
    infos = [infos[i] for i in index]
    assert len(infos) == len(graphs)
    return len(graphs)


def _build(root: str, split: str) -> int:
    """Build a split; return its number of images."""
    return len(VG150Dataset(split=split, data_root=root, check_images=False))


def _statistics(root: str) -> int:
    """Compute the train statistics; return the relations counted."""
    dataset = VG150Dataset(
        split='test',
        data_root=root,
        check_images=False,
        lazy_init=True,
        statistics_cache_dir=osp.join(root, 'cache'))
    return int(dataset.get_statistics()['fg_matrix'][:, :, 1:].sum())


def _status_kib(field: str) -> int:
    """A memory field of /proc/self/status (Linux), in KiB."""
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(f'{field}:'):
                return int(line.split()[1])
    raise RuntimeError(f'/proc/self/status has no {field} (Linux only)')


def _measure(func: Callable, args: tuple) -> Tuple[float, int, int]:
    """Run ``func(*args)``; return (seconds, result, extra peak RSS KiB).

    The peak resident set size is reset first (``/proc/self/clear_refs``),
    so the figure is the job's own peak above the memory already in use.
    """
    with open('/proc/self/clear_refs', 'w') as f:
        f.write('5')
    base = _status_kib('VmRSS')
    start = time.perf_counter()
    result = func(*args)
    seconds = time.perf_counter() - start
    return seconds, result, _status_kib('VmHWM') - base


def run_isolated(func: Callable, *args) -> Tuple[float, int, int]:
    """Run ``func(*args)`` in a forked process (its own memory peak)."""
    with multiprocessing.get_context('fork').Pool(1) as pool:
        return pool.apply(_measure, (func, args))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--keep', help='write the files here and keep them')
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or tmp
        start = time.perf_counter()
        sizes = write_vg_scale_files(root, args.seed)
        print(f'wrote {sizes} in {time.perf_counter() - start:.1f} s')
        print(f'{"job":<22}{"items":>8}{"time s":>9}{"peak MiB":>10}')
        jobs = [(f'reference {s}', reference_loader, (root, s))
                for s in ('train', 'val', 'test')]
        jobs += [(f'VG150Dataset {s}', _build, (root, s))
                 for s in ('train', 'val', 'test')]
        jobs.append(('statistics', _statistics, (root, )))
        for name, func, job_args in jobs:
            seconds, result, peak = run_isolated(func, *job_args)
            print(f'{name:<22}{result:>8}{seconds:>9.2f}{peak / 1024:>10.0f}')


if __name__ == '__main__':
    main()
