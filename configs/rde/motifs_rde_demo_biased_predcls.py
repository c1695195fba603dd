# Motifs + RDE on the biased SynthVG world (the debiasing comparison of
# docs/rde.md): configs/demo/motifs_demo_biased_predcls.py plus RDE at its
# defaults (the paper's equal loss weights and six blocks, our other
# choices), with a 64-d latent for the demo's 256-d relation features (as
# motifs_rde_demo_predcls.py).
_base_ = '../demo/motifs_demo_biased_predcls.py'

model = dict(
    relation_head=dict(rde=dict(type='RDE', encoder=dict(embed_dims=64))))
