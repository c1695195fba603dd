# Ablation: L_pred on f' only, no shuffled reconstructions f''.
_base_ = '../motifs_rde_predcls.py'

model = dict(relation_head=dict(rde=dict(shuffle=False)))
