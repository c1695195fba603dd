# Runtime shared by every mmsgg_rde config (mmdet scope, plugin import).
default_scope = 'mmdet'
# Importing mmsgg_rde registers its modules and makes mmengine's checkpoint
# loaders accept what a Runner saves under torch >= 2.6's weights-only
# loading (load_from, resume=True), without trusting other files; this
# holds for tools/, mmdet's tools and the Runner API alike.
custom_imports = dict(imports=['mmsgg_rde'], allow_failed_imports=False)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook', by_epoch=False, interval=2000,
        max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='DetVisualizationHook'),
    # Fail when load_from / resume / a tested checkpoint holds less than
    # half of the model's weights (mmengine would only log the missing keys).
    checkpoint_match=dict(type='CheckpointMatchHook', min_fraction=0.5),
    # Ends training when a scheduler is done (DecayOnPlateauLR's last decay).
    plateau_stop=dict(type='PlateauStopHook'))

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'))

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(
    type='SceneGraphLocalVisualizer',
    vis_backends=vis_backends,
    name='visualizer')
log_processor = dict(type='LogProcessor', window_size=50, by_epoch=False)

log_level = 'INFO'
load_from = None
resume = False
