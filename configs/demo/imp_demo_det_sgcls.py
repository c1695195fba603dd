# imp_demo_det_predcls.py in SGCls.
_base_ = './imp_demo_det_predcls.py'

model = dict(mode='sgcls')
test_evaluator = dict(mode='sgcls')
