_base_ = [
    '../_base_/models/imp.py', '../_base_/datasets/vg150_sgg.py',
    '../_base_/schedules/sgg_schedule_imp.py', '../_base_/default_runtime.py'
]

model = dict(mode='sgcls')
val_evaluator = dict(mode='sgcls')
test_evaluator = dict(mode='sgcls')
# The benchmark's README: IMP in SGCls needs BASE_LR 0.001 (0.001 per image,
# a tenth of the others), "or the model won't converge".
optim_wrapper = dict(optimizer=dict(lr=0.012))
