# The scene graph benchmark's relation training recipe
# (tools/relation_train_net.py, maskrcnn_benchmark/solver,
# configs/e2e_relation_X_101_32_8_FPN_1x.yaml): 12 images per iteration over
# all processes (tools/train.py divides total_batch_size by their number),
# SGD with LR 0.01 per image (0.12), momentum 0.9, weight decay 1e-4 except
# for parameters whose name contains "bias" (biases, LSTM biases, the
# frequency bias), gradient norm clipped at 5, 500 warm-up iterations from
# 0.1x, validation every 2000 iterations, LR x0.1 when val R@100 (of the
# model's mode) has not risen by 0.001 (0.1 in percent) for 2 validations,
# training stops at the third decay or after 50k iterations.
# MultiStep decay instead: sgg_schedule_multistep.py.
total_batch_size = 12

train_cfg = dict(type='IterBasedTrainLoop', max_iters=50000, val_interval=2000)
# Mixed precision: fp16=True runs validation/testing under autocast (float16
# on CUDA; see docs/inference.md for the CPU), and `tools/train.py --amp`
# (or optim_wrapper.type='AmpOptimWrapper') trains with it.
val_cfg = dict(type='ValLoop', fp16=False)
test_cfg = dict(type='TestLoop', fp16=False)

optim_wrapper = dict(
    type='OptimWrapper',
    # mmengine's default constructor, logging one line about the parameter
    # groups instead of one per option of each parameter.
    constructor='SummaryOptimWrapperConstructor',
    optimizer=dict(type='SGD', lr=0.12, momentum=0.9, weight_decay=1e-4),
    paramwise_cfg=dict(custom_keys=dict(bias=dict(decay_mult=0.))),
    clip_grad=dict(max_norm=5, norm_type=2))

param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=500),
    dict(
        type='DecayOnPlateauLR',
        monitor='R@100',
        rule='greater',
        threshold=0.1,
        threshold_rule='abs',
        factor=0.1,
        patience=2,
        cooldown=0,
        max_decays=3,
        by_epoch=True)
]

# The LR above is for 12 images per iteration; another total_batch_size
# scales it linearly (the benchmark's LR is 0.01 x its batch size).
auto_scale_lr = dict(enable=True, base_batch_size=12)
