# Iterative message passing (Xu et al., CVPR 2017) as the scene graph
# benchmark's IMPPredictor, on the Motifs model's detector, feature
# extractors, sampler and test settings (./motifs.py): hidden 512, 3
# message passing rounds, f_k the 512-d edge state, no frequency bias.
_base_ = ['./motifs.py']

model = dict(
    relation_head=dict(
        _delete_=True,
        type='IMPHead',
        obj_feat_extractor={{_base_.model.relation_head.obj_feat_extractor}},
        union_feat_extractor={{
            _base_.model.relation_head.union_feat_extractor
        }},
        context=dict(type='IMPContext', hidden_channels=512, num_iters=3),
        use_freq_bias=False))
# Its slower LR of the feature extractors: ../schedules/sgg_schedule_imp.py.
