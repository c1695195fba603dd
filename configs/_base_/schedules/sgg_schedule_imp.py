# sgg_schedule.py for IMP: the benchmark (tools/relation_train_net.py) trains
# IMP's feature extractors at a tenth of the LR (imp_slow_extractors.py).
_base_ = ['./sgg_schedule.py', './imp_slow_extractors.py']

optim_wrapper = dict(paramwise_cfg={{_base_.imp_paramwise_cfg}})
