# Ablation: the variance branches attend over the batch's mu vectors.
_base_ = '../motifs_rde_predcls.py'

model = dict(relation_head=dict(rde=dict(encoder=dict(sigma_keys='batch'))))
