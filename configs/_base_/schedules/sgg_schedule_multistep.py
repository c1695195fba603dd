# sgg_schedule.py with a fixed decay (the benchmark's WarmupMultiStepLR at
# its SOLVER.STEPS 10k and 16k) instead of the decay on plateau.
_base_ = './sgg_schedule.py'

param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=500),
    dict(
        type='MultiStepLR',
        by_epoch=False,
        begin=0,
        end=50000,
        milestones=[10000, 16000],
        gamma=0.1)
]
