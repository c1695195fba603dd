# Motifs PredCls trained with RDE (docs/rde.md). RDE's defaults are the
# paper's eq. 6 with equal weights and six FDVAE blocks, plus our choices
# where the paper gives no value (a 512-d latent, T = 1, the widths), so
# configs state only what differs. RDE is training-only: the
# trained model tests, and deploys, as plain Motifs. The head fills in
# in_channels (4096), num_predicates (51) and num_classes (150).
_base_ = '../motifs/motifs_x101_fpn_predcls_vg150.py'

model = dict(relation_head=dict(rde=dict(type='RDE')))
