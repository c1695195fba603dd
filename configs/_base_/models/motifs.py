# Neural Motifs on a frozen VG-150 Faster R-CNN X-101-32x8d-FPN, as the scene
# graph benchmark's MotifPredictor with its relation feature extractors
# (docs/protocol.md). The detector weights come from ``detector_checkpoint``:
# train configs/detectors/faster-rcnn_x101-32x8d_fpn_vg150.py and copy its
# checkpoint there.
# GloVe: the class embeddings start from GloVe 6B 200d vectors; download
# http://nlp.stanford.edu/data/glove.6B.zip and unzip glove.6B.200d.txt into
# ``glove_dir`` (data/glove/), or set embed_init='random' to learn them from
# random init.
_base_ = ['./faster-rcnn_x101-32x8d_fpn_vg150.py']

# Legacy RoIAlign (not pixel-aligned), sampling ratio 2, on the four levels.
roi_layer = dict(
    type='RoIAlign', output_size=7, sampling_ratio=2, aligned=False)
# Object boxes: one FPN level per box, chosen with "+1" box areas.
obj_roi_extractor = dict(
    type='LegacySingleRoIExtractor',
    roi_layer=roi_layer,
    out_channels=256,
    featmap_strides=[4, 8, 16, 32])
# Union boxes: pooled on all levels, fused by a trainable 3x3 conv.
union_roi_extractor = dict(
    type='AllLevelsRoIExtractor',
    roi_layer=roi_layer,
    out_channels=256,
    featmap_strides=[4, 8, 16, 32])

model = dict(
    type='SceneGraphRCNN',
    mode='predcls',
    freeze_detector=True,
    detector_checkpoint='checkpoints/faster-rcnn_x101-32x8d_fpn_vg150.pth',
    # Loaded from detector_checkpoint instead of ImageNet weights.
    backbone=dict(init_cfg=None),
    relation_head=dict(
        type='MotifsHead',
        num_classes=150,
        num_predicates=51,
        obj_feat_extractor=dict(
            type='RoIFeatureExtractor',
            roi_extractor=obj_roi_extractor,
            num_fcs=2,
            fc_out_channels=4096),
        union_feat_extractor=dict(
            type='UnionFeatureExtractor',
            roi_extractor=union_roi_extractor,
            mask_size=27,
            mask_norm_cfg=dict(type='BN', momentum=0.01),
            num_fcs=2,
            fc_out_channels=4096),
        embed_dim=200,
        glove_dir='data/glove/',
        embed_init='glove',
        pos_embed=dict(hidden_channels=32, out_channels=128),
        hidden_dim=512,
        num_obj_layers=1,
        num_edge_layers=1,
        dropout=0.2,
        use_freq_bias=True,
        loss_rel=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
        loss_obj=dict(
            type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    train_cfg=dict(
        relation=dict(
            sampler=dict(
                type='RelationSampler',
                num=1024,
                pos_fraction=0.25,
                iou_threshold=0.5,
                num_sample_per_gt_rel=4,
                require_overlap=False))),
    test_cfg=dict(
        # SGDet detections: per-class NMS, one label per box, 80 per image.
        rcnn=dict(
            score_thr=0.01,
            nms=dict(type='nms', iou_threshold=0.3),
            max_per_img=80),
        relation=dict(later_nms_thr=0.5, max_pairs=None)))

# Frequency bias (and GloVe lookup) from the training set's statistics.
custom_hooks = [dict(type='DatasetPriorHook')]
# Modules a mode does not use (the RPN and box head in PredCls, the label
# decoder in PredCls) receive no gradient; DDP must allow that.
find_unused_parameters = True
