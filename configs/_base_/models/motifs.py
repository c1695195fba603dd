# Neural Motifs on the scene graph benchmark's frozen VG-150 Faster R-CNN
# X-101-32x8d-FPN, as its MotifPredictor with its relation feature
# extractors (docs/protocol.md). The detector weights come from
# ``detector_checkpoint``: the benchmark's pretrained detector converted by
# tools/model_converters/sgb_to_mmdet.py (README, "Using the benchmark's
# pretrained detector"), or one trained with
# configs/detectors/faster-rcnn_x101-32x8d_fpn_vg150_sgb.py.
# GloVe: the class embeddings start from GloVe 6B 200d vectors; download
# http://nlp.stanford.edu/data/glove.6B.zip and unzip glove.6B.200d.txt into
# ``glove_dir`` ($MMSGG_RDE_DATA/glove/, default data/glove/), or set
# embed_init='random' to learn them from random init.
_base_ = ['./faster-rcnn_x101-32x8d_fpn_vg150_sgb.py']

# The benchmark's pooler: RoIAlign as in its box head (not pixel-aligned,
# sampling ratio 2).
roi_layer = dict(
    type='RoIAlign', output_size=7, sampling_ratio=2, aligned=False)
# Object boxes: one FPN level per box, chosen from its "+1" area.
obj_roi_extractor = dict(
    type='DetectronRoIExtractor',
    roi_layer=roi_layer,
    out_channels=256,
    featmap_strides=[4, 8, 16, 32])
# Union boxes: pooled on all levels, fused by a trainable 3x3 conv.
union_roi_extractor = dict(
    type='AllLevelsRoIExtractor',
    roi_layer=roi_layer,
    out_channels=256,
    featmap_strides=[4, 8, 16, 32])

# SGDet proposals (the benchmark's relation config): per level the 6000
# best, NMS 0.7, 1000 kept; the 1000 best of the image.
sgg_proposals = dict(
    nms_pre=6000,
    max_per_level=1000,
    max_per_img=1000,
    nms=dict(type='nms', iou_threshold=0.7, offset=1),
    min_bbox_size=0)

model = dict(
    type='SceneGraphRCNN',
    mode='predcls',
    freeze_detector=True,
    detector_checkpoint='checkpoints/faster-rcnn_x101-32x8d_fpn_vg150_sgb.pth',
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
        glove_dir='{{$MMSGG_RDE_DATA:data}}/glove/',
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
        # SGDet training (the benchmark's relation stage runs its RPN in
        # training mode, with the same numbers): the GT boxes join the
        # proposals, and a detection is labelled with the GT box its proposal
        # overlaps by IoU >= 0.5.
        rpn_proposal=sgg_proposals,
        sgdet=dict(add_gt_as_proposals=True, pos_iou_thr=0.5),
        relation=dict(
            sampler=dict(
                type='RelationSampler',
                num=1024,
                pos_fraction=0.25,
                iou_threshold=0.5,
                num_sample_per_gt_rel=4,
                require_overlap=False))),
    test_cfg=dict(
        rpn=sgg_proposals,
        # SGDet detections: per-class NMS (300 per class), one label per
        # box, 80 per image.
        rcnn=dict(
            score_thr=0.01,
            nms=dict(type='nms', iou_threshold=0.3, offset=1),
            max_per_class=300,
            max_per_img=80),
        relation=dict(later_nms_thr=0.5, max_pairs=None)))

# Frequency bias (and GloVe lookup) from the training set's statistics.
custom_hooks = [dict(type='DatasetPriorHook')]
# Modules a mode does not use (the RPN and box head in PredCls, the label
# decoder in PredCls) receive no gradient; DDP must allow that.
find_unused_parameters = True
