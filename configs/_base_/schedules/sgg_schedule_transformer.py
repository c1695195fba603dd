# The benchmark's Transformer recipe (its README): LR 0.001 per image, 16
# images per iteration, WarmupMultiStepLR with steps 10k and 16k, 16k
# iterations; the rest as sgg_schedule.py.
_base_ = './sgg_schedule_multistep.py'

total_batch_size = 16
train_cfg = dict(max_iters=16000)
optim_wrapper = dict(optimizer=dict(lr=0.016))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=500),
    dict(
        type='MultiStepLR',
        by_epoch=False,
        begin=0,
        end=16000,
        milestones=[10000, 16000],
        gamma=0.1)
]
auto_scale_lr = dict(base_batch_size=16)
