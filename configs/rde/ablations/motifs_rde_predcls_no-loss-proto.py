# Ablation: no prototype loss (prototypes still feed the mean branch).
_base_ = '../motifs_rde_predcls.py'

model = dict(relation_head=dict(rde=dict(loss_proto=None)))
