# motifs_demo_det_predcls.py (the demo Motifs model on the frozen SynthVG
# detector) in SGCls.
_base_ = './motifs_demo_det_predcls.py'

model = dict(mode='sgcls')
test_evaluator = dict(mode='sgcls')
