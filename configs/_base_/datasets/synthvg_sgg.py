# The small synthetic VG-format world (same files and layout as VG-150),
# for quick end-to-end runs. Generate it with mmsgg_rde.datasets.synthvg.
_base_ = './vg150_sgg.py'

# $MMSGG_RDE_DATA/synthvg/ when MMSGG_RDE_DATA is set (an absolute path: the
# configs then work from any folder, as with mim), else ./data/synthvg/.
data_root = '{{$MMSGG_RDE_DATA:data}}/synthvg/'
# What the error for missing files says to run (VG150Dataset); mim finds
# tools/dataset_converters/make_synthvg.py from any folder.
missing_files_hint = (
    'Generate SynthVG with `mim run mmsgg_rde make_synthvg --out DIR '
    '--size default --seed 0` (in a checkout: python '
    'tools/dataset_converters/make_synthvg.py with the same arguments).')
img_scale = (256, 192)
num_val_images = 50
# Many SynthVG predicates are defined by non-overlapping layouts (above,
# near, ...). The benchmark counts its statistics on a train split without
# non-overlapping relations (its quirk, kept for VG-150); here that would
# hide them from the frequency prior and make it an artificially weak
# baseline, so SynthVG counts every train relation.
statistics_filter_non_overlap = False

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadSceneGraphAnnotations'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='PackSceneGraphInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='LoadSceneGraphAnnotations'),
    dict(
        type='PackSceneGraphInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]

train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    dataset=dict(
        data_root=data_root,
        missing_files_hint=missing_files_hint,
        num_val_images=num_val_images,
        statistics_filter_non_overlap=statistics_filter_non_overlap,
        pipeline=train_pipeline))
# Tested one image at a time, as the benchmark does (and the VG-150
# configs); --cfg-options test_dataloader.batch_size=N batches N padded
# images (docs/inference.md gives the shift this causes).
val_dataloader = dict(
    batch_size=1,
    num_workers=1,
    dataset=dict(
        data_root=data_root,
        missing_files_hint=missing_files_hint,
        num_val_images=num_val_images,
        pipeline=test_pipeline))
test_dataloader = dict(
    batch_size=1,
    num_workers=1,
    dataset=dict(
        data_root=data_root,
        missing_files_hint=missing_files_hint,
        num_val_images=num_val_images,
        pipeline=test_pipeline))
