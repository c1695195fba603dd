_base_ = [
    '../_base_/models/vctree.py', '../_base_/datasets/vg150_sgg.py',
    '../_base_/schedules/sgg_schedule.py', '../_base_/default_runtime.py'
]

model = dict(mode='sgdet')
val_evaluator = dict(mode='sgdet')
test_evaluator = dict(mode='sgdet')
