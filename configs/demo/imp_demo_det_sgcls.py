# imp_demo_det_predcls.py in SGCls. The demo's LR, not the tenth of it the
# benchmark's README asks for IMP in SGCls (configs/imp/*_sgcls_vg150.py):
# in the demo's 4,500 iterations that tenth underfits (docs/rde.md, "The
# other heads").
_base_ = './imp_demo_det_predcls.py'

model = dict(mode='sgcls')
test_evaluator = dict(mode='sgcls')
