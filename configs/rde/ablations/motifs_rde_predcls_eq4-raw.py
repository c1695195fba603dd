# Eq. 4 as printed for the Euclidean term: ||mu - P|| of the raw vectors
# (grows with the latent width and scale), not of the L2-normalised ones.
_base_ = '../motifs_rde_predcls.py'

model = dict(relation_head=dict(rde=dict(prototypes=dict(normalize=False))))
