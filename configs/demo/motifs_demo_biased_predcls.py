# The demo Motifs model (motifs_demo_predcls.py) on the biased SynthVG world
# of configs/_base_/datasets/synthvg_biased_sgg.py (same data_root and
# generation parameters), the baseline of the debiasing comparison in
# docs/rde.md.
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
