# Train the VG-150 Faster R-CNN X-101-32x8d-FPN that the scene graph models
# load (detector_checkpoint). VG150Dataset keeps every image with a box
# (filter_empty_rels=False); the benchmark's recipe: 8 images per
# iteration, 50k iterations, LR steps at 30k and 45k, mAP@0.5 on val.
_base_ = [
    '../_base_/models/faster-rcnn_x101-32x8d_fpn_vg150.py',
    '../_base_/datasets/vg150_sgg.py', '../_base_/default_runtime.py'
]

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='LoadSceneGraphAnnotations'),
    dict(type='Resize', scale={{_base_.img_scale}}, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSceneGraphInputs')
]
train_dataloader = dict(
    batch_size=4,
    dataset=dict(
        filter_empty_rels=False,
        filter_duplicate_rels=False,
        pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(filter_empty_rels=False))
test_dataloader = dict(dataset=dict(filter_empty_rels=False))

val_evaluator = dict(
    _delete_=True,
    type='VOCMetric',
    metric='mAP',
    eval_mode='area',
    iou_thrs=[0.5])
test_evaluator = val_evaluator

train_cfg = dict(type='IterBasedTrainLoop', max_iters=50000, val_interval=2000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.008, momentum=0.9, weight_decay=1e-4),
    clip_grad=dict(max_norm=5, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=500),
    dict(
        type='MultiStepLR',
        by_epoch=False,
        begin=0,
        end=50000,
        milestones=[30000, 45000],
        gamma=0.1)
]
# lr above is for 8 images per iteration (e.g. 2 GPUs x 4).
auto_scale_lr = dict(enable=True, base_batch_size=8)
