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

data_root = 'data/synthvg_biased/'
synthvg = dict(size='default', seed=0, annotation_bias=0.9)

train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = dict(dataset=dict(data_root=data_root))
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
