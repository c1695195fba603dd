"""Full-size detector parity: the benchmark's Faster R-CNN against ours.

Builds the scene graph benchmark's X-101-32x8d-FPN detector with its own
code (``sgb_env``), gives it seeded random weights (frozen batch norm
buffers included), saves them as its trainer does, converts the file with
``tools/model_converters/sgb_to_mmdet.py``'s code, loads the result into
``configs/motifs/motifs_x101_fpn_sgdet_vg150.py`` through
``model.detector_checkpoint`` and runs both on the same image. It prints,
per stage, the largest absolute and relative (to the largest value)
differences: input tensor, FPN features, RPN proposals, box head logits and
deltas on the same proposals, the final SGDet detections (test) and the
SGDet training detections (GT boxes added, proposals labelled by IoU).

Not part of the test suite (about 5 minutes and 4 GB on one CPU core);
``gen_detector.py`` records the reduced-width fixture the tests use::

    python tools/parity/check_detector.py --sgb-root /path/to/sgb
"""
import argparse
import os.path as osp
import sys
import tempfile
import time
from typing import Dict, Tuple

import numpy as np
import torch

HERE = osp.dirname(osp.abspath(__file__))
ROOT = osp.dirname(osp.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, ROOT)

import sgb_detector  # noqa: E402
from sgb_env import activate, snapshot_id  # noqa: E402

SGB_CONFIG = 'configs/e2e_relation_X_101_32_8_FPN_1x.yaml'
NUM_GT = 20
OUR_CONFIG = osp.join(ROOT, 'configs', 'motifs',
                      'motifs_x101_fpn_sgdet_vg150.py')


def diff(ours: torch.Tensor, theirs: torch.Tensor) -> Tuple[float, float]:
    """(max abs difference, that / max abs value of theirs)."""
    ours, theirs = ours.double(), theirs.double()
    if ours.shape != theirs.shape:
        raise AssertionError(f'shapes differ: {tuple(ours.shape)} vs '
                             f'{tuple(theirs.shape)}')
    if theirs.numel() == 0:
        return 0., 0.
    err = (ours - theirs).abs().max().item()
    return err, err / max(theirs.abs().max().item(), 1e-12)


def report(name: str, ours: torch.Tensor, theirs: torch.Tensor) -> float:
    """Print and return the relative difference of one tensor."""
    err, rel = diff(ours, theirs)
    print(f'  {name:<34s} max abs {err:.3e}   rel {rel:.3e}   '
          f'{tuple(theirs.shape)}')
    return rel


def report_box_sets(name: str, ours: torch.Tensor,
                    theirs: torch.Tensor) -> None:
    """Order-free comparison: each box's distance to the nearest other.

    Proposals of (numerically) equal objectness may come in another order,
    so boxes are matched as sets (largest coordinate difference).
    """
    dist = (ours[:, None] - theirs[None]).abs().amax(-1)
    nearest = dist.min(1).values
    print(f'  {name:<34s} as sets: max distance to the nearest '
          f'{nearest.max().item():.3e}, {int((nearest > 1e-2).sum())} of '
          f'{len(ours)} without a match (> 0.01 px); '
          f'{int((dist.diagonal() > 1e-2).sum())} in another position')


def bg_first(logits: torch.Tensor) -> torch.Tensor:
    """mmdet's class order (background last) to the benchmark's."""
    return torch.cat([logits[:, -1:], logits[:, :-1]], dim=1)


def build_ours(checkpoint: str):
    """The Motifs SGDet model with the converted detector loaded."""
    from mmdet.registry import MODELS
    from mmengine.config import Config
    from mmengine.logging import MMLogger
    from mmengine.registry import init_default_scope

    import mmsgg_rde  # noqa: F401
    cfg = Config.fromfile(OUR_CONFIG)
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    # Without mmengine's report of every parameter's initialisation.
    MMLogger.get_instance('check_detector', log_level='WARNING')
    cfg.model.detector_checkpoint = checkpoint
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model.eval(), cfg


def check_keys(model, state_dict: Dict[str, torch.Tensor]) -> None:
    """Converted tensors must be exactly the detector's parameters/buffers."""
    parts = ('backbone.', 'neck.', 'rpn_head.', 'roi_head.')
    ours = {k for k in model.state_dict() if k.startswith(parts)}
    missing, unexpected = ours - set(state_dict), set(state_dict) - ours
    print(f'  converted {len(state_dict)} tensors; detector tensors missing '
          f'{sorted(missing)}, unexpected {sorted(unexpected)}')
    if missing or unexpected:
        raise AssertionError('converted keys do not match the model')


def sample_for(image_list, resized_shape, ori_shape, gt=None):
    """A SceneGraphDataSample with the metainfo our detector reads."""
    from mmengine.structures import InstanceData

    from mmsgg_rde.structures import SceneGraphDataSample
    height, width = resized_shape
    sample = SceneGraphDataSample()
    sample.set_metainfo(
        dict(
            img_shape=(height, width),
            ori_shape=ori_shape,
            scale_factor=(width / ori_shape[1], height / ori_shape[0]),
            pad_shape=tuple(image_list.tensors.shape[-2:]),
            batch_input_shape=tuple(image_list.tensors.shape[-2:])))
    if gt is not None:
        sample.gt_instances = InstanceData(bboxes=gt[0], labels=gt[1] - 1)
    return sample


def compare_detections(ours, theirs: Dict[str, torch.Tensor],
                       num_classes: int) -> None:
    """Same detections: count, labels, boxes, scores, logits, class boxes."""
    same_count = len(ours) == theirs['det_bboxes'].size(0)
    print(f'  detections: ours {len(ours)}, benchmark '
          f"{theirs['det_bboxes'].size(0)}")
    if not same_count:
        raise AssertionError('different numbers of detections')
    labels_equal = torch.equal(ours.labels + 1, theirs['det_labels'])
    print(f'  labels identical: {labels_equal}')
    report('boxes', ours.bboxes, theirs['det_bboxes'])
    report('scores', ours.scores, theirs['det_scores'])
    report('logits', bg_first(ours.logits), theirs['det_logits'])
    report('boxes per class', ours.bboxes_per_cls,
           theirs['det_boxes_per_cls'][:, 1:])
    if 'det_assigned_labels' in theirs:
        assigned = ours.assigned_labels + 1
        assigned[ours.assigned_labels == num_classes] = 0
        print('  assigned GT labels identical: '
              f"{torch.equal(assigned, theirs['det_assigned_labels'])} "
              f'({int((assigned > 0).sum())} foreground)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--sgb-root', help='benchmark checkout')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--image-size',
        type=int,
        nargs=2,
        default=(500, 375),
        help='original width and height of the synthetic image')
    args = parser.parse_args()
    start = time.time()
    torch.manual_seed(args.seed)
    sgb_root = activate(args.sgb_root)
    print(f'benchmark snapshot {snapshot_id(sgb_root)}, seed {args.seed}')

    from mmsgg_rde.datasets.transforms import ShortSideResize
    from mmsgg_rde.utils.sgb_conversion import convert_sgb_checkpoint

    t0 = time.time()
    sgb_model, sgb_cfg = sgb_detector.build_benchmark_detector(SGB_CONFIG)
    sgb_detector.randomise_(sgb_model, args.seed)
    width, height = args.image_size
    image = sgb_detector.synthetic_image(width, height, args.seed)
    image_list, resized_rgb = sgb_detector.preprocess(image, sgb_cfg)
    sgb_detector.calibrate_outputs_(sgb_model, image_list)
    with tempfile.TemporaryDirectory() as tmp:
        src = osp.join(tmp, 'model_final.pth')
        torch.save(sgb_detector.benchmark_checkpoint(sgb_model), src)
        converted, notes = convert_sgb_checkpoint(src)
        dst = osp.join(tmp, 'converted.pth')
        torch.save(converted, dst)
        print('conversion:')
        for note in notes:
            print(f'  note: {note}')
        model, _ = build_ours(dst)
    check_keys(model, converted['state_dict'])
    print(f'  (built and converted in {time.time() - t0:.0f} s)')

    print('input (600/1000, BGR, mean, pad 32):')
    ours_resized = ShortSideResize(600, 1000).transform(dict(img=image))['img']
    print(
        f'  resized size ours {ours_resized.shape[:2]}, benchmark '
        f'{resized_rgb.shape[:2]}; max pixel difference '
        f'{np.abs(ours_resized.astype(int) - resized_rgb[:, :, ::-1]).max()}')
    data = model.data_preprocessor(
        dict(
            inputs=[torch.from_numpy(ours_resized).permute(2, 0, 1)],
            data_samples=None), False)
    report('normalised padded tensor', data['inputs'], image_list.tensors)

    t0 = time.time()
    theirs = sgb_detector.run_benchmark(sgb_model, image_list)
    print(f'benchmark eval forward: {time.time() - t0:.0f} s')
    sample = sample_for(image_list, resized_rgb.shape[:2], image.shape[:2])
    with torch.no_grad():
        t0 = time.time()
        feats = model.extract_feat(image_list.tensors)
        print(f'FPN features (ours {time.time() - t0:.0f} s):')
        rels = [
            report(f'P{level + 2}', ours, ref)
            for level, (ours,
                        ref) in enumerate(zip(feats, theirs['features']))
        ]
        print(f'  worst relative difference {max(rels):.3e}')

        print('RPN proposals (test: 6000 per level, NMS 0.7, 1000 kept):')
        results = model.rpn_head.predict_by_feat(
            *model.rpn_head(feats),
            batch_img_metas=[sample.metainfo],
            cfg=model.test_cfg.rpn)[0]
        print(f'  proposals: ours {len(results)}, benchmark '
              f"{theirs['proposals'].size(0)}")
        report_box_sets('proposal boxes', results.bboxes,
                        theirs['proposals'])
        report('objectness (sorted)', results.scores, theirs['objectness'])

        print('box head on the benchmark proposals:')
        from mmdet.structures.bbox import bbox2roi
        bbox_results = model.roi_head._bbox_forward(
            feats, bbox2roi([theirs['proposals']]))
        report('class logits', bg_first(bbox_results['cls_score']),
               theirs['cls_logits'])
        report('box deltas (foreground)', bbox_results['bbox_pred'],
               theirs['bbox_deltas'][:, 4:])

        print('SGDet detections (test: score > 0.01, per-class NMS 0.3, '
              '300 per class, 80 per image):')
        detections = model._detect(feats, [sample])[0]
        compare_detections(detections, theirs,
                           model.roi_head.bbox_head.num_classes)

        print('SGDet training detections (GT boxes added, labels by IoU):')
        # GT: the best proposals (whole pixels), random classes.
        gen = torch.Generator().manual_seed(args.seed)
        gt = (theirs['proposals'][:NUM_GT].round(),
              torch.randint(1, 151, (NUM_GT, ), generator=gen))
        theirs_train = sgb_detector.run_benchmark(sgb_model, image_list, gt)
        sample = sample_for(image_list, resized_rgb.shape[:2], image.shape[:2],
                            gt)
        model.train()
        detections = model._detect(feats, [sample])[0]
        model.eval()
        compare_detections(detections, theirs_train,
                           model.roi_head.bbox_head.num_classes)
    print(f'total {time.time() - start:.0f} s')


if __name__ == '__main__':
    main()
