# VG-150 scene graph generation (the public benchmark's split and filters).
# Files under data_root: VG-SGG-with-attri.h5, VG-SGG-dicts-with-attri.json,
# image_data.json and the images in VG_100K/<image_id>.jpg.
dataset_type = 'VG150Dataset'
# $MMSGG_RDE_DATA/vg150/ when MMSGG_RDE_DATA is set (an absolute path: the
# configs then work from any folder, as with mim), else ./data/vg150/.
data_root = '{{$MMSGG_RDE_DATA:data}}/vg150/'
backend_args = None
# The benchmark's input: images decoded by PIL, shorter side 600, longer
# side at most 1000 (its rounding, PIL bilinear), training images flipped
# horizontally with probability 0.5 (hard-coded in its transforms; VG-150
# has no left/right predicate). Relations index the boxes, so a flip leaves
# them valid.
load_image = dict(
    type='LoadImageFromFile',
    imdecode_backend='pillow',
    backend_args=backend_args)
resize = dict(type='ShortSideResize', min_size=600, max_size=1000)

train_pipeline = [
    load_image,
    dict(type='LoadSceneGraphAnnotations'), resize,
    dict(type='DetectronRandomFlip', prob=0.5),
    dict(type='PackSceneGraphInputs')
]
# GT is loaded after the resize so that it stays in original pixels; test
# images are never flipped.
test_pipeline = [
    load_image, resize,
    dict(type='LoadSceneGraphAnnotations'),
    dict(
        type='PackSceneGraphInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]

# tools/train.py sets the per-process batch size to the schedule's
# total_batch_size divided by the number of processes.
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
