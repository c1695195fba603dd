# The demo Motifs model (motifs_demo_predcls.py) as the benchmark trains
# scene graph models: on a detector trained first and then frozen, here the
# SynthVG detector of configs/detectors/faster-rcnn_r18-w16_fpn_synthvg.py,
# loaded through model.detector_checkpoint (its box head FCs start the
# relation head's FCs). PredCls; motifs_demo_det_sgcls.py and
# motifs_demo_det_sgdet.py are the other modes. make demo-all runs all of
# them (tools/run_demo_all.py); by hand:
#   python tools/train.py configs/detectors/faster-rcnn_r18-w16_fpn_synthvg.py
#   python tools/train.py configs/demo/motifs_demo_det_predcls.py
_base_ = './motifs_demo_predcls.py'

# The SynthVG detector's anchors and proposal numbers (a tenth of the
# benchmark's, for a tenth of its anchors), see that config.
model = dict(
    freeze_detector=True,
    detector_checkpoint='work_dirs/faster-rcnn_r18-w16_fpn_synthvg/'
    'iter_1000.pth',
    rpn_head=dict(anchor_generator=dict(scales=[4])),
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=600, max_per_level=100, max_per_img=100)),
    test_cfg=dict(rpn=dict(nms_pre=600, max_per_level=100, max_per_img=100)))
# No validation: the fixed schedule does not use it, and make demo-all tests
# every model on the test split right after training.
val_dataloader = None
val_cfg = None
val_evaluator = None
