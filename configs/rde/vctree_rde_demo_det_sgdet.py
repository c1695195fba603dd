# configs/demo/vctree_demo_det_sgdet.py trained with RDE, as
# motifs_rde_demo_det_sgdet.py: RDE's defaults (docs/rde.md), a 64-d latent.
_base_ = '../demo/vctree_demo_det_sgdet.py'

model = dict(
    relation_head=dict(rde=dict(type='RDE', encoder=dict(embed_dims=64))))
