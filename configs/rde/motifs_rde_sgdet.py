# Motifs SGDet counterpart of motifs_rde_predcls.py (same RDE settings).
_base_ = './motifs_rde_predcls.py'

model = dict(mode='sgdet')
val_evaluator = dict(mode='sgdet')
test_evaluator = dict(mode='sgdet')
