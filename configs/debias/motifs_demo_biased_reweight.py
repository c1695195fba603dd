# Debiasing baseline: predicate-frequency reweighting of the relation loss
# (ReweightedCrossEntropyLoss, weights ~ 1 / training count, foreground total
# unchanged; counts from the base config's PredicateCountsHook).
_base_ = '../demo/motifs_demo_biased_predcls.py'

model = dict(
    relation_head=dict(
        loss_rel=dict(_delete_=True, type='ReweightedCrossEntropyLoss')))
