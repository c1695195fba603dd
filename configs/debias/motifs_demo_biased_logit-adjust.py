# Debiasing baseline: logit-adjusted loss (train time; Menon et al., 2021).
# The trained model predicts from its raw logits.
_base_ = '../demo/motifs_demo_biased_predcls.py'

model = dict(
    relation_head=dict(
        loss_rel=dict(_delete_=True, type='LogitAdjustedCrossEntropyLoss')))
