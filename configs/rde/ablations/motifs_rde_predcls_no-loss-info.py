# Ablation: no information maintenance loss L_info (no IMM head).
_base_ = '../motifs_rde_predcls.py'

model = dict(relation_head=dict(rde=dict(loss_info=None)))
