# The scene graph benchmark's VG-150 Faster R-CNN X-101-32x8d-FPN
# (KaihuaTang/Scene-Graph-Benchmark.pytorch, configs/
# e2e_relation_detector_X_101_32_8_FPN_1x.yaml), convention for convention:
# a checkpoint of it converted by tools/model_converters/sgb_to_mmdet.py
# computes here what it computes there (tools/parity/check_detector.py;
# conventions and the remaining differences: docs/protocol.md).
model = dict(
    type='FasterRCNN',
    # Build in mmdet's scope also outside a Runner (FrozenBN, the data
    # preprocessor), as a config inheriting mmdet's base configs would.
    _scope_='mmdet',
    # Caffe2 input: BGR in 0..255 minus Detectron's pixel mean, std 1.
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[102.9801, 115.9465, 122.7717],
        std=[1., 1., 1.],
        bgr_to_rgb=False,
        pad_size_divisor=32),
    # ResNeXt-101 32x8d, stride in the 3x3 conv, frozen batch norm without
    # epsilon, stem and res2 frozen (FREEZE_CONV_BODY_AT=2).
    backbone=dict(
        type='ResNeXt',
        depth=101,
        groups=32,
        base_width=8,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        frozen_stages=1,
        norm_cfg=dict(type='FrozenBN', eps=0., requires_grad=False),
        norm_eval=True,
        style='pytorch',
        init_cfg=None),
    # P2-P5 and a stride-2 max pool of P5 as P6.
    neck=dict(
        type='FPN',
        in_channels=[256, 512, 1024, 2048],
        out_channels=256,
        num_outs=5),
    rpn_head=dict(
        type='DetectronRPNHead',
        in_channels=256,
        feat_channels=256,
        # Sizes 32..512, one per level; Neural Motifs' aspect ratios.
        anchor_generator=dict(
            type='DetectronAnchorGenerator',
            scales=[8],
            ratios=[0.23232838, 0.63365731, 1.28478321, 3.15089189],
            strides=[4, 8, 16, 32, 64]),
        bbox_coder=dict(
            type='DetectronDeltaXYWHBBoxCoder', weights=(1., 1., 1., 1.)),
        loss_cls=dict(
            type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
        loss_bbox=dict(type='SmoothL1Loss', beta=1.0 / 9, loss_weight=1.0)),
    roi_head=dict(
        type='StandardRoIHead',
        bbox_roi_extractor=dict(
            type='DetectronRoIExtractor',
            roi_layer=dict(
                type='RoIAlign',
                output_size=7,
                sampling_ratio=2,
                aligned=False),
            out_channels=256,
            featmap_strides=[4, 8, 16, 32]),
        # fc6/fc7 of 4096, 151-way classifier (background last here, first
        # in the benchmark), class-specific regression with weights
        # (10, 10, 5, 5).
        bbox_head=dict(
            type='Shared2FCBBoxHead',
            in_channels=256,
            fc_out_channels=4096,
            roi_feat_size=7,
            num_classes=150,
            bbox_coder=dict(
                type='DetectronDeltaXYWHBBoxCoder',
                weights=(10., 10., 5., 5.)),
            reg_class_agnostic=False,
            loss_cls=dict(
                type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
            loss_bbox=dict(type='SmoothL1Loss', beta=1.0, loss_weight=1.0))),
    train_cfg=dict(
        rpn=dict(
            assigner=dict(
                type='MaxIoUAssigner',
                pos_iou_thr=0.7,
                neg_iou_thr=0.3,
                min_pos_iou=0.,
                match_low_quality=True,
                ignore_iof_thr=-1),
            sampler=dict(
                type='RandomSampler',
                num=256,
                pos_fraction=0.5,
                neg_pos_ub=-1,
                add_gt_as_proposals=False),
            # Anchors crossing the image border are not trained.
            allowed_border=0,
            pos_weight=-1,
            debug=False),
        # Per level: 12000 best, NMS 0.7, 2000 kept; 2000 over all levels.
        rpn_proposal=dict(
            nms_pre=12000,
            max_per_level=2000,
            max_per_img=2000,
            nms=dict(type='nms', iou_threshold=0.7, offset=1),
            min_bbox_size=0),
        # IoU >= 0.5 foreground, < 0.3 background, in between ignored; the
        # detector trains without GT boxes among the proposals.
        rcnn=dict(
            assigner=dict(
                type='MaxIoUAssigner',
                pos_iou_thr=0.5,
                neg_iou_thr=0.3,
                min_pos_iou=0.5,
                match_low_quality=False,
                ignore_iof_thr=-1),
            sampler=dict(
                type='RandomSampler',
                num=256,
                pos_fraction=0.5,
                neg_pos_ub=-1,
                add_gt_as_proposals=False),
            pos_weight=-1,
            debug=False)),
    test_cfg=dict(
        rpn=dict(
            nms_pre=6000,
            max_per_level=1000,
            max_per_img=2000,
            nms=dict(type='nms', iou_threshold=0.7, offset=1),
            min_bbox_size=0),
        rcnn=dict(
            score_thr=0.01,
            nms=dict(type='nms', iou_threshold=0.3, offset=1),
            max_per_img=256)))
