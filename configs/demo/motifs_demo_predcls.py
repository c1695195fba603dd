# Motifs PredCls shrunk to train and evaluate on SynthVG in about 3 minutes
# on 2 CPU cores: a small ResNet-18 trained from scratch with the relation
# head (no pretrained detector), small images and hidden sizes, 450
# iterations. Generate the data first with
# mmsgg_rde.datasets.synthvg.generate_synthvg('data/synthvg/'), then
#   python tools/train.py configs/demo/motifs_demo_predcls.py
#   python tools/test.py configs/demo/motifs_demo_predcls.py \
#       work_dirs/motifs_demo_predcls/iter_450.pth
_base_ = [
    '../_base_/models/motifs.py', '../_base_/datasets/synthvg_sgg.py',
    '../_base_/schedules/sgg_schedule_multistep.py',
    '../_base_/default_runtime.py'
]

feat_channels = 32

model = dict(
    mode='predcls',
    freeze_detector=False,
    detector_checkpoint=None,
    # The SynthVG detector (same layers), named by the errors about a
    # missing detector (the SGCls/SGDet demos load its checkpoint).
    detector_config='configs/detectors/faster-rcnn_r18-w16_fpn_synthvg.py',
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
    rpn_head=dict(in_channels=feat_channels, feat_channels=feat_channels),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=feat_channels),
        bbox_head=dict(in_channels=feat_channels, fc_out_channels=256)),
    relation_head=dict(
        obj_feat_extractor=dict(
            roi_extractor=dict(out_channels=feat_channels),
            fc_out_channels=256),
        union_feat_extractor=dict(
            roi_extractor=dict(out_channels=feat_channels),
            fc_out_channels=256),
        # No GloVe vectors here: the class embeddings learn from random init.
        embed_init='random',
        embed_dim=64,
        pos_embed=dict(hidden_channels=32, out_channels=64),
        hidden_dim=128),
    train_cfg=dict(relation=dict(sampler=dict(num=256))))

# A fixed schedule (no decay on plateau: one validation at the end) and
# mmdet's per-process batch size (train_dataloader.batch_size).
total_batch_size = None
max_iters = 450
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(
        type='MultiStepLR',
        by_epoch=False,
        begin=0,
        end=max_iters,
        milestones=[360],
        gamma=0.1)
]
default_hooks = dict(
    logger=dict(interval=50), checkpoint=dict(interval=max_iters))
randomness = dict(seed=0)
