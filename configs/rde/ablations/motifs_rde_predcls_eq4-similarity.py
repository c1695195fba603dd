# Eq. 4 with the printed +cos sign: L2(mu) . L2(P) + Euclidean term (not a
# distance: it grows as the vectors align).
_base_ = '../motifs_rde_predcls.py'

model = dict(
    relation_head=dict(rde=dict(prototypes=dict(cosine_mode='similarity'))))
