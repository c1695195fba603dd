# IMP (../_base_/models/imp.py) in place of Motifs in the biased-world demo
# (motifs_demo_biased_predcls.py): the same detector, 256-d feature
# extractors, data and schedule; hidden 128, 3 message passing rounds, no
# frequency bias. The feature extractors train at the full LR: the
# benchmark's tenth is for extractors initialised from a trained detector,
# and the demo trains its detector from scratch.
_base_ = './motifs_demo_biased_predcls.py'

model = dict(
    relation_head=dict(
        _delete_=True,
        type='IMPHead',
        obj_feat_extractor={{_base_.model.relation_head.obj_feat_extractor}},
        union_feat_extractor={{
            _base_.model.relation_head.union_feat_extractor
        }},
        context=dict(type='IMPContext', hidden_channels=128)))
