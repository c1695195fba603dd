# Ablation: all pairs through RDE, background pulled to its prototype.
_base_ = '../motifs_rde_predcls.py'

model = dict(relation_head=dict(rde=dict(fg_only=False, bg_prototype=True)))
