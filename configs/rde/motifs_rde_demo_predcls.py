# The CPU demo (configs/demo/motifs_demo_predcls.py) trained with RDE at its
# defaults (the paper's equal loss weights and six blocks, our other
# choices, docs/rde.md); only the latent is narrower, 64-d for the demo's
# 256-d relation features. Tests as plain Motifs (RDE is
# training-only).
_base_ = '../demo/motifs_demo_predcls.py'

model = dict(
    relation_head=dict(rde=dict(type='RDE', encoder=dict(embed_dims=64))))
