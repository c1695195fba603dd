# Motifs SGCls counterpart of motifs_rde_predcls.py (same RDE settings).
_base_ = './motifs_rde_predcls.py'

model = dict(mode='sgcls')
val_evaluator = dict(mode='sgcls')
test_evaluator = dict(mode='sgcls')
