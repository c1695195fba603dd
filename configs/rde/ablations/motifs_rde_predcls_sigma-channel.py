# Literal eq. 3, variance branches: channel-wise (1 - A) * mu_k of the
# sample's own mu, instead of (1 - Attn) over its 8 tokens.
_base_ = '../motifs_rde_predcls.py'

model = dict(relation_head=dict(rde=dict(encoder=dict(sigma_keys='channel'))))
