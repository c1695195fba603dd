# The benchmark's Transformer recipe (its README): LR 0.001 per image, 16
# images per iteration, WarmupMultiStepLR with steps 10k and 16k, 16k
# iterations; the rest as sgg_schedule.py (the multistep schedule's
# milestones are already 10k and 16k).
_base_ = './sgg_schedule_multistep.py'

total_batch_size = 16
train_cfg = dict(max_iters=16000)
optim_wrapper = dict(optimizer=dict(lr=0.016))
auto_scale_lr = dict(base_batch_size=16)
