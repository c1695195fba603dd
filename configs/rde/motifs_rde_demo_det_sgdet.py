# configs/demo/motifs_demo_det_sgdet.py plus RDE with the settings of
# motifs_rde_demo_predcls.py (a 64-d latent for the demo's 256-d relation
# features).
_base_ = '../demo/motifs_demo_det_sgdet.py'

model = dict(
    relation_head=dict(rde=dict(type='RDE', encoder=dict(embed_dims=64))))
