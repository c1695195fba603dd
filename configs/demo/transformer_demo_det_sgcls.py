# transformer_demo_det_predcls.py in SGCls, for three times the demo's
# iterations: here the Transformer also learns its object classifier, a
# linear layer on its object context, from random init, and in 450
# iterations its object loss stays far above Motifs' and VCTree's (1.76
# against 0.41 and 0.42; docs/rde.md, "The other heads").
_base_ = './transformer_demo_det_predcls.py'

model = dict(mode='sgcls')
test_evaluator = dict(mode='sgcls')

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
