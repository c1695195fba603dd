# transformer_demo_det_sgcls.py (the recipe's LR, three times the demo's
# iterations) in SGDet.
_base_ = './transformer_demo_det_sgcls.py'

model = dict(mode='sgdet')
test_evaluator = dict(mode='sgdet')
