# The benchmark's slower LR for IMP (tools/relation_train_net.py): its
# feature extractors (the object one, and the union one's pooling and FCs,
# not its mask branch) train at a tenth of the LR; their biases, like all
# biases, without weight decay. A paramwise_cfg fragment for the configs
# that train IMP (sgg_schedule_imp.py, configs/demo/imp_demo_det_*.py):
#   optim_wrapper = dict(paramwise_cfg={{_base_.imp_paramwise_cfg}})
_slow = [
    'relation_head.obj_feat_extractor',
    'relation_head.union_feat_extractor.roi_extractor',
    'relation_head.union_feat_extractor.fcs'
]
_slow_biases = [
    'relation_head.obj_feat_extractor.fcs.0.bias',
    'relation_head.obj_feat_extractor.fcs.1.bias',
    'relation_head.union_feat_extractor.roi_extractor.reduce_conv.bias',
    'relation_head.union_feat_extractor.fcs.0.bias',
    'relation_head.union_feat_extractor.fcs.1.bias'
]
imp_paramwise_cfg = dict(
    custom_keys={
        **{
            key: dict(lr_mult=0.1)
            for key in _slow
        },
        **{
            key: dict(lr_mult=0.1, decay_mult=0.)
            for key in _slow_biases
        }
    })
