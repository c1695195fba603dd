# Ablation: eq. 4 as printed, L2(mu) . L2(P) + ||mu - P|| (+cosine).
_base_ = '../motifs_rde_predcls.py'

model = dict(
    relation_head=dict(rde=dict(prototypes=dict(cosine_mode='similarity'))))
