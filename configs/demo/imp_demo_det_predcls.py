# IMP (../_base_/models/imp.py) in place of Motifs on the frozen SynthVG
# detector (motifs_demo_det_predcls.py, the two-stage workflow of make
# demo-all): the same detector, 256-d feature extractors and data; hidden
# 128, 3 message passing rounds, no frequency bias, and the benchmark's
# tenth of the LR for the feature extractors, which start from the trained
# detector's box head (../_base_/schedules/imp_slow_extractors.py). Ten times
# the demo's iterations: IMP learns each predicate from the image features
# alone (no frequency bias, no class input), and in 450 iterations it learns
# only the frequent ones (docs/rde.md, "The other heads").
# imp_demo_det_sgcls.py and imp_demo_det_sgdet.py are the other modes.
_base_ = [
    './motifs_demo_det_predcls.py',
    '../_base_/schedules/imp_slow_extractors.py'
]

model = dict(
    relation_head=dict(
        _delete_=True,
        type='IMPHead',
        obj_feat_extractor={{_base_.model.relation_head.obj_feat_extractor}},
        union_feat_extractor={{
            _base_.model.relation_head.union_feat_extractor
        }},
        context=dict(type='IMPContext', hidden_channels=128)))
optim_wrapper = dict(paramwise_cfg={{_base_.imp_paramwise_cfg}})

max_iters = 4500
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(
        type='MultiStepLR',
        by_epoch=False,
        begin=0,
        end=max_iters,
        milestones=[3600],
        gamma=0.1)
]
default_hooks = dict(checkpoint=dict(interval=max_iters))
