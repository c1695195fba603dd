# Train the scene graph benchmark's VG-150 Faster R-CNN X-101-32x8d-FPN
# (the detector_checkpoint of the scene graph models) with its recipe
# (tools/detector_pretrain_net.py and the README command there): every image
# with a box (filter_empty_rels=False), horizontal flip 0.5, 8 images per
# iteration, SGD LR 0.001 per image with 500 warm-up iterations from 0.1x,
# bias parameters at twice the LR and without weight decay, x0.1 at 30k and
# 45k, 50k iterations, mAP@0.5 on val every 2000. Its published checkpoint
# converts instead: README, "Using the benchmark's pretrained detector".
_base_ = [
    '../_base_/models/faster-rcnn_x101-32x8d_fpn_vg150_sgb.py',
    '../_base_/datasets/vg150_sgg.py', '../_base_/default_runtime.py'
]

# The benchmark starts from Detectron's ImageNet X-101-32x8d (Caffe2,
# FAIR/20171220), which mmdet's model zoo does not carry; this is
# detectron2's conversion of FAIR's X-101-32x8d (docs/protocol.md).
model = dict(
    backbone=dict(
        init_cfg=dict(
            _delete_=True,
            type='Pretrained',
            checkpoint='open-mmlab://detectron2/resnext101_32x8d')))

train_dataloader = dict(
    dataset=dict(filter_empty_rels=False, filter_duplicate_rels=False))
val_dataloader = dict(dataset=dict(filter_empty_rels=False))
test_dataloader = dict(dataset=dict(filter_empty_rels=False))
total_batch_size = 8

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
    # mmengine's default constructor, logging one line about the parameter
    # groups instead of one per option of each parameter.
    constructor='SummaryOptimWrapperConstructor',
    optimizer=dict(type='SGD', lr=0.008, momentum=0.9, weight_decay=1e-4),
    # Any parameter whose name contains "bias" (the benchmark's rule).
    paramwise_cfg=dict(custom_keys=dict(bias=dict(lr_mult=2., decay_mult=0.))))
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
# The LR above is the benchmark's 0.001 per image for 8 images; another
# total_batch_size scales it linearly.
auto_scale_lr = dict(enable=True, base_batch_size=8)
