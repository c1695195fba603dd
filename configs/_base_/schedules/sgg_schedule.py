# The scene graph benchmark's recipe: SGD, LR 0.12 for a total batch of 12
# (scaled linearly with the real batch size), 500 linear warm-up iterations,
# gradient clipping at 5, validation every 2000 iterations, 50k iterations.
# LR decay: steps x0.1 at 10k and 16k iterations; see
# sgg_schedule_plateau.py for the benchmark's decay on plateau of val R@100.
train_cfg = dict(type='IterBasedTrainLoop', max_iters=50000, val_interval=2000)
# Mixed precision: fp16=True runs validation/testing under autocast (float16
# on CUDA; see docs/inference.md for the CPU), and `tools/train.py --amp`
# (or optim_wrapper.type='AmpOptimWrapper') trains with it.
val_cfg = dict(type='ValLoop', fp16=False)
test_cfg = dict(type='TestLoop', fp16=False)

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.12, momentum=0.9, weight_decay=1e-4),
    clip_grad=dict(max_norm=5, norm_type=2))

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

# lr above is for 12 images per iteration (e.g. 2 GPUs x 6).
auto_scale_lr = dict(enable=True, base_batch_size=12)
