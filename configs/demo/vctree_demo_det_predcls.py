# VCTree (../_base_/models/vctree.py) in place of Motifs on the frozen
# SynthVG detector (motifs_demo_det_predcls.py, the two-stage workflow of
# make demo-all): the same detector, 256-d feature extractors, data and
# schedule (VCTree's recipe is Motifs'); the context at the Motifs demo's
# widths (64-d class embeddings learnt from random init, hidden 128).
# vctree_demo_det_sgcls.py and vctree_demo_det_sgdet.py are the other modes.
_base_ = './motifs_demo_det_predcls.py'

model = dict(
    relation_head=dict(
        _delete_=True,
        type='VCTreeHead',
        obj_feat_extractor={{_base_.model.relation_head.obj_feat_extractor}},
        union_feat_extractor={{
            _base_.model.relation_head.union_feat_extractor
        }},
        context=dict(type='VCTreeContext', embed_dim=64, hidden_channels=128)))
