# Ablation: background pairs go through RDE too (fg_only=False).
_base_ = '../motifs_rde_predcls.py'

model = dict(relation_head=dict(rde=dict(fg_only=False)))
