# Ablation: no classification of the reconstructions (L_pred of RDE).
_base_ = '../motifs_rde_predcls.py'

model = dict(relation_head=dict(rde=dict(loss_pred=None)))
