# VCTree predcls trained with RDE at its defaults (docs/rde.md);
# tests and deploys as the plain head.
_base_ = '../vctree/vctree_x101_fpn_predcls_vg150.py'

model = dict(relation_head=dict(rde=dict(type='RDE')))
