# sgg_schedule.py for IMP: the benchmark (tools/relation_train_net.py) trains
# IMP's feature extractors (the object one, and the union one's pooling and
# FCs, not its mask branch) at a tenth of the LR; their biases, like all
# biases, without weight decay.
_base_ = './sgg_schedule.py'

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
optim_wrapper = dict(
    paramwise_cfg=dict(
        custom_keys={
            **{
                key: dict(lr_mult=0.1)
                for key in _slow
            },
            **{
                key: dict(lr_mult=0.1, decay_mult=0.)
                for key in _slow_biases
            }
        }))
