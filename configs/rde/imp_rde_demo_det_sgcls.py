# configs/demo/imp_demo_det_sgcls.py trained with RDE, as
# motifs_rde_demo_det_sgcls.py: RDE's defaults (docs/rde.md), a 64-d latent.
_base_ = '../demo/imp_demo_det_sgcls.py'

model = dict(
    relation_head=dict(rde=dict(type='RDE', encoder=dict(embed_dims=64))))
