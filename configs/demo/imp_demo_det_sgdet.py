# imp_demo_det_predcls.py in SGDet.
_base_ = './imp_demo_det_predcls.py'

model = dict(mode='sgdet')
test_evaluator = dict(mode='sgdet')
