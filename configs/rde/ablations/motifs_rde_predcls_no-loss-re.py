# Ablation: no reconstruction loss L_re.
_base_ = '../motifs_rde_predcls.py'

model = dict(relation_head=dict(rde=dict(loss_re=None)))
