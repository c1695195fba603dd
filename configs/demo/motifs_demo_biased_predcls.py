# The demo Motifs model (motifs_demo_predcls.py) on the biased SynthVG world
# (docs/synthvg.md, "Annotation bias"): the images of the default world, but
# annotators often write a specific predicate as its generic parent ("on"
# for "parked on"), in train and test alike, as in VG-150. It is the base of
# the debiasing comparison of docs/rde.md; to put another model on this
# world, copy the lines below. ``synthvg`` holds the generation parameters
# (tools/run_demo.py makes the world from them):
#   python tools/dataset_converters/make_synthvg.py --out data/synthvg_biased \
#       --options annotation_bias=0.9
_base_ = './motifs_demo_predcls.py'

data_root = '{{$MMSGG_RDE_DATA:data}}/synthvg_biased/'
synthvg = dict(size='default', seed=0, annotation_bias=0.9)
missing_files_hint = (
    'Generate the biased SynthVG with `mim run mmsgg_rde make_synthvg --out '
    'DIR --size default --seed 0 --options annotation_bias=0.9` (in a '
    'checkout: python tools/dataset_converters/make_synthvg.py with the same '
    'arguments; make demo generates it at data/synthvg_biased/).')

train_dataloader = dict(
    dataset=dict(data_root=data_root, missing_files_hint=missing_files_hint))
val_dataloader = dict(
    dataset=dict(data_root=data_root, missing_files_hint=missing_files_hint))
test_dataloader = dict(
    dataset=dict(data_root=data_root, missing_files_hint=missing_files_hint))
# Head/body/tail groups by this world's (annotated) predicate counts, and
# their mean recalls among the metrics.
val_evaluator = dict(
    dict_file=data_root + 'VG-SGG-dicts-with-attri.json', group_metrics=True)
test_evaluator = val_evaluator
# The debiasing components of the configs built on this one take the
# training predicate counts from PredicateCountsHook (a no-op without them).
custom_hooks = [
    dict(type='DatasetPriorHook'),
    dict(type='PredicateCountsHook')
]
