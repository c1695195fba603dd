# The SynthVG detector of the demo's scene graph models (make demo-all): the
# VG-150 detector recipe (faster-rcnn_x101-32x8d_fpn_vg150_sgb.py: every
# image with a box, horizontal flip 0.5, 8 images per iteration, bias LR x2
# without weight decay, warm-up, two x0.1 steps, mAP@0.5 with mmdet's
# VOCMetric) on SynthVG, with the demo's backbone (a ResNet-18 of width 16,
# trained from scratch with batch norm, as configs/demo/motifs_demo_predcls.py)
# and a schedule of minutes on 2 CPU cores. The SGCls/SGDet demo configs
# (configs/demo/motifs_demo_det_*.py) load its checkpoint through
# model.detector_checkpoint, as a VG-150 user loads the benchmark's detector:
#   python tools/train.py configs/detectors/faster-rcnn_r18-w16_fpn_synthvg.py \
#       --work-dir work_dirs/demo_all/detector
_base_ = './faster-rcnn_x101-32x8d_fpn_vg150_sgb.py'

data_root = '{{$MMSGG_RDE_DATA:data}}/synthvg/'
missing_files_hint = (
    'Generate SynthVG with `mim run mmsgg_rde make_synthvg --out DIR '
    '--size default --seed 0` (in a checkout: python '
    'tools/dataset_converters/make_synthvg.py with the same arguments).')
img_scale = (256, 192)
feat_channels = 32

# The demo's detector (motifs_demo_predcls.py): the same layers, so that its
# weights load into the scene graph models. ImageNet mean/std on RGB input,
# as the demo's backbone was trained with.
model = dict(
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(
        _delete_=True,
        type='ResNet',
        depth=18,
        base_channels=16,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        init_cfg=None),
    neck=dict(in_channels=[16, 32, 64, 128], out_channels=feat_channels),
    # SynthVG images are a third of the benchmark's 600-1000 px inputs:
    # anchors of 16-256 px instead of 32-512, the same aspect ratios, ...
    rpn_head=dict(
        in_channels=feat_channels,
        feat_channels=feat_channels,
        anchor_generator=dict(scales=[4])),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=feat_channels),
        bbox_head=dict(in_channels=feat_channels, fc_out_channels=256)),
    # and about a tenth of their anchors (16k): a tenth of the proposals.
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=1200, max_per_level=200, max_per_img=200)),
    test_cfg=dict(rpn=dict(nms_pre=600, max_per_level=100, max_per_img=200)))

# SynthVG's input (configs/_base_/datasets/synthvg_sgg.py) plus the
# detector's horizontal flip; GT in every image with a box.
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadSceneGraphAnnotations'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='DetectronRandomFlip', prob=0.5),
    dict(type='PackSceneGraphInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='LoadSceneGraphAnnotations'),
    dict(
        type='PackSceneGraphInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    dataset=dict(
        data_root=data_root,
        missing_files_hint=missing_files_hint,
        num_val_images=50,
        pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=1,
    dataset=dict(
        data_root=data_root,
        missing_files_hint=missing_files_hint,
        num_val_images=50,
        pipeline=test_pipeline))
test_dataloader = dict(
    num_workers=1,
    dataset=dict(
        data_root=data_root,
        missing_files_hint=missing_files_hint,
        pipeline=test_pipeline))

# The recipe's shape in 1,000 iterations: warm-up 1%, x0.1 at 60% and 90%.
# LR 0.0025 per image (the recipe's 0.001 x 2.5) for a backbone trained from
# scratch in minutes.
max_iters = 1000
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
optim_wrapper = dict(optimizer=dict(lr=0.02))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=100),
    dict(
        type='MultiStepLR',
        by_epoch=False,
        begin=0,
        end=max_iters,
        milestones=[600, 900],
        gamma=0.1)
]
default_hooks = dict(
    logger=dict(interval=50), checkpoint=dict(interval=max_iters))
randomness = dict(seed=0)
