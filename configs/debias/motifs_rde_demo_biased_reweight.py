# RDE combined with a debiasing baseline: Motifs + RDE on the biased world
# with the reweighted relation loss of motifs_demo_biased_reweight.py.
_base_ = '../rde/motifs_rde_demo_biased_predcls.py'

model = dict(
    relation_head=dict(
        loss_rel=dict(_delete_=True, type='ReweightedCrossEntropyLoss')))
custom_hooks = [
    dict(type='DatasetPriorHook'),
    dict(type='PredicateCountsHook')
]
