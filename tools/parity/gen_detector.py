"""Fixture ``detector``: the benchmark's Faster R-CNN at reduced widths.

The benchmark's detector (its ``configs/e2e_relation_X_101_32_8_FPN_1x.yaml``
with the relation head off) shrunk so that the recording stays small: a
ResNeXt-50 (2 groups of width 2, stem 2, res2 8 channels), FPN and RPN of
16 channels, box head FCs of 16, 11 classes (background included), a
64-pixel image, fewer proposals and detections, so that the per-level and
per-class caps are reached. Weights are seeded random values (frozen batch
norm buffers included) that float16 represents exactly, stored in float16
(the test casts them back). Recorded: the checkpoint as its trainer saves
it, the image, the network input, the FPN features, the box head on RoIs
either side of each FPN level boundary, and for SGDet test and SGDet
training the RPN proposals, the box head outputs on those proposals
and the detections. ``tests/test_models/test_detectors/
test_detector_parity.py`` converts the checkpoint and checks that our
detector computes the same.
"""
from typing import Dict

import torch
from sgb_detector import (box_head_on, build_benchmark_detector,
                          calibrate_outputs_, level_boundary_rois, preprocess,
                          randomise_, run_benchmark, synthetic_image)

#: Overrides of the benchmark config (mirrored by the test's model config).
SGB_OPTIONS = dict(
    MODEL__BACKBONE__CONV_BODY='R-50-FPN',
    MODEL__RESNETS__NUM_GROUPS=2,
    MODEL__RESNETS__WIDTH_PER_GROUP=2,
    MODEL__RESNETS__STEM_OUT_CHANNELS=2,
    MODEL__RESNETS__RES2_OUT_CHANNELS=8,
    MODEL__RESNETS__BACKBONE_OUT_CHANNELS=16,
    MODEL__RPN__RPN_MID_CHANNEL=16,
    MODEL__RPN__PRE_NMS_TOP_N_TEST=300,
    MODEL__RPN__POST_NMS_TOP_N_TEST=60,
    MODEL__RPN__FPN_POST_NMS_TOP_N_TEST=100,
    MODEL__RPN__PRE_NMS_TOP_N_TRAIN=300,
    MODEL__RPN__POST_NMS_TOP_N_TRAIN=60,
    MODEL__RPN__FPN_POST_NMS_TOP_N_TRAIN=100,
    MODEL__ROI_BOX_HEAD__MLP_HEAD_DIM=16,
    MODEL__ROI_BOX_HEAD__NUM_CLASSES=11,
    MODEL__ROI_HEADS__POST_NMS_PER_CLS_TOPN=8,
    MODEL__ROI_HEADS__DETECTIONS_PER_IMG=20,
    INPUT__MIN_SIZE_TEST=64,
    INPUT__MAX_SIZE_TEST=100,
    INPUT__MIN_SIZE_TRAIN=(64, ),
    INPUT__MAX_SIZE_TRAIN=100)
SGB_CONFIG = 'configs/e2e_relation_X_101_32_8_FPN_1x.yaml'
SEED = 0
NUM_GT = 4
#: Original image width and height.
IMAGE_SIZE = (100, 75)
RTOL = 1e-4
ATOL = 1e-5

_DETECTION_KEYS = ('proposals', 'objectness', 'cls_logits', 'bbox_deltas',
                   'det_bboxes', 'det_labels', 'det_scores', 'det_logits',
                   'det_boxes_per_cls', 'det_assigned_labels')


def _record(out: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """The recorded part of ``run_benchmark``'s output."""
    return {k: out[k].clone() for k in _DETECTION_KEYS if k in out}


def generate() -> dict:
    torch.manual_seed(SEED)
    model, cfg = build_benchmark_detector(SGB_CONFIG, **SGB_OPTIONS)
    randomise_(model, SEED)
    image = synthetic_image(*IMAGE_SIZE, SEED)
    image_list, resized = preprocess(image, cfg)
    calibrate_outputs_(model, image_list)
    # Weights exactly representable in float16, stored so (half the size).
    with torch.no_grad():
        for tensor in model.state_dict().values():
            tensor.copy_(tensor.half().float())
    test = run_benchmark(model, image_list)
    # GT: the best proposals (whole pixels), random classes.
    gen = torch.Generator().manual_seed(SEED)
    gt_bboxes = test['proposals'][:NUM_GT].round()
    gt_labels = torch.randint(1, 11, (NUM_GT, ), generator=gen)
    train = run_benchmark(model, image_list, (gt_bboxes, gt_labels))
    rois = level_boundary_rois()
    roi_logits, roi_deltas = box_head_on(model, test['features'], rois,
                                         image_list.image_sizes[0])
    state = {'module.' + k: v.half() for k, v in model.state_dict().items()}
    return dict(
        checkpoint=dict(model=state, iteration=90000),
        image=torch.from_numpy(image.copy()),
        resized_rgb=torch.from_numpy(resized.copy()),
        input=image_list.tensors.clone(),
        features={
            f'P{level + 2}': feat.clone()
            for level, feat in enumerate(test['features'])
        },
        level_rois=dict(
            rois=rois, cls_logits=roi_logits, bbox_deltas=roi_deltas),
        test=_record(test),
        train=dict(gt_bboxes=gt_bboxes, gt_labels=gt_labels, **_record(train)))
