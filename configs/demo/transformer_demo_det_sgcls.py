# transformer_demo_det_predcls.py in SGCls, where the Transformer also learns
# its object classifier (a linear layer on its object context) from random
# init: at its recipe's LR, a tenth of the demo's (0.001 per image,
# sgg_schedule_transformer.py), for three times the demo's iterations. At the
# demo's LR the object classifier learns slowly and, with RDE, not at all
# (docs/rde.md, "SGCls and SGDet").
_base_ = './transformer_demo_det_predcls.py'

model = dict(mode='sgcls')
test_evaluator = dict(mode='sgcls')
optim_wrapper = dict(optimizer=dict(lr=0.012))

max_iters = 1350
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(
        type='MultiStepLR',
        by_epoch=False,
        begin=0,
        end=max_iters,
        milestones=[1080],
        gamma=0.1)
]
default_hooks = dict(checkpoint=dict(interval=max_iters))
