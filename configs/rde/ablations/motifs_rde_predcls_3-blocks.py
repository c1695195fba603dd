# Ablation: 3 FDVAE encoder blocks instead of the paper's 6.
_base_ = '../motifs_rde_predcls.py'

model = dict(relation_head=dict(rde=dict(encoder=dict(num_blocks=3))))
