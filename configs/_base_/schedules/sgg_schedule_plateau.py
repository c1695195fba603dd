# The benchmark's LR decay: x0.1 when val R@100 has not improved for 2
# validations (every 2000 iterations), after the same warm-up. by_epoch=True
# makes mmengine step this scheduler once per validation. Set ``monitor`` to
# the mode of the model config: 'predcls/R@100', 'sgcls/R@100' or
# 'sgdet/R@100'.
_base_ = './sgg_schedule.py'

param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=500),
    dict(
        type='ReduceOnPlateauLR',
        monitor='predcls/R@100',
        rule='greater',
        factor=0.1,
        patience=2,
        by_epoch=True)
]
