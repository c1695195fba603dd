# Literal eq. 3, mean branch: channel-wise attention with the prototype P_k
# of the pair's own predicate, instead of attention over all prototypes.
_base_ = '../motifs_rde_predcls.py'

model = dict(relation_head=dict(rde=dict(encoder=dict(mu_keys='own'))))
