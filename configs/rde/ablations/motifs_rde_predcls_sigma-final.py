# Literal eq. 3: the variance branches gather from the encoder's final mu_k,
# not from the mu their block just updated.
_base_ = '../motifs_rde_predcls.py'

model = dict(relation_head=dict(rde=dict(encoder=dict(sigma_ref='final'))))
