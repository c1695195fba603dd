# VG-150 scene graph generation (the public benchmark's split and filters).
# Files under data_root: VG-SGG-with-attri.h5, VG-SGG-dicts-with-attri.json,
# image_data.json and the images in VG_100K/<image_id>.jpg.
dataset_type = 'VG150Dataset'
data_root = 'data/vg150/'
backend_args = None
# Shorter side 600, longer side at most 1000 (the benchmark's test scale).
img_scale = (1000, 600)

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadSceneGraphAnnotations'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='PackSceneGraphInputs')
]
# GT is loaded after Resize so that it stays in original pixels.
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='LoadSceneGraphAnnotations'),
    dict(
        type='PackSceneGraphInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]

train_dataloader = dict(
    batch_size=6,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        num_val_images=5000,
        filter_empty_rels=True,
        filter_duplicate_rels=True,
        filter_non_overlap=False,
        pipeline=train_pipeline,
        backend_args=backend_args))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='val',
        num_val_images=5000,
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))

# The model configs set the mode: 'predcls', 'sgcls' or 'sgdet'.
val_evaluator = dict(type='SceneGraphMetric', mode='predcls')
test_evaluator = val_evaluator
