# RDE combined with a debiasing baseline: the reweighted Motifs of
# motifs_demo_biased_reweight.py trained with RDE (as in
# configs/rde/motifs_rde_demo_biased_predcls.py).
_base_ = './motifs_demo_biased_reweight.py'

model = dict(
    relation_head=dict(rde=dict(type='RDE', encoder=dict(embed_dims=64))))
