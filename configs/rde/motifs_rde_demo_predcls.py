# The CPU demo (configs/demo/motifs_demo_predcls.py) trained with RDE at the
# paper's settings and equal loss weights; only the latent is narrower, 64-d
# for the demo's 256-d relation features. Tests as plain Motifs (RDE is
# training-only).
_base_ = '../demo/motifs_demo_predcls.py'

model = dict(
    relation_head=dict(rde=dict(type='RDE', encoder=dict(embed_dims=64))))
