# Debiasing baseline: post-hoc logit adjustment of the plain model's
# predicate logits at test time (any plain checkpoint, no retraining).
_base_ = '../demo/motifs_demo_biased_predcls.py'

model = dict(
    test_cfg=dict(
        relation=dict(logit_adjustment=dict(type='LogitAdjustment'))))
