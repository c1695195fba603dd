# Faster R-CNN X-101-32x8d-FPN for the 150 VG-150 object classes, with the
# 4096-d box-head FCs of the scene graph benchmark's detector.
_base_ = 'mmdet::_base_/models/faster-rcnn_r50_fpn.py'

model = dict(
    # ResNeXt-101-32x8d weights trained with Caffe2 (BGR, Caffe2 std).
    data_preprocessor=dict(
        mean=[103.530, 116.280, 123.675],
        std=[57.375, 57.120, 58.395],
        bgr_to_rgb=False,
        pad_size_divisor=32),
    backbone=dict(
        type='ResNeXt',
        depth=101,
        groups=32,
        base_width=8,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        frozen_stages=1,
        norm_cfg=dict(type='BN', requires_grad=False),
        style='pytorch',
        init_cfg=dict(
            type='Pretrained',
            checkpoint='open-mmlab://detectron2/resnext101_32x8d')),
    roi_head=dict(
        bbox_head=dict(
            type='Shared2FCBBoxHead', fc_out_channels=4096, num_classes=150)))
