# motifs_demo_det_predcls.py (the demo Motifs model on the frozen SynthVG
# detector) in SGDet.
_base_ = './motifs_demo_det_predcls.py'

model = dict(mode='sgdet')
test_evaluator = dict(mode='sgdet')
