# VCTree (Tang et al., CVPR 2019) as the scene graph benchmark's
# VCTreePredictor, on the Motifs model's detector, feature extractors,
# sampler and test settings (./motifs.py). Hidden 512, f_k 4096, GloVe 200d
# class embeddings (glove_dir, see ./motifs.py), tree-score loss weight 1.
# DatasetPriorHook (in ./motifs.py) sets the frequency bias and the pair
# scorer's prior from the training set.
_base_ = ['./motifs.py']

model = dict(
    relation_head=dict(
        _delete_=True,
        type='VCTreeHead',
        obj_feat_extractor={{_base_.model.relation_head.obj_feat_extractor}},
        union_feat_extractor={{
            _base_.model.relation_head.union_feat_extractor
        }},
        context=dict(
            type='VCTreeContext',
            embed_dim=200,
            hidden_channels=512,
            dropout=0.2,
            glove_dir='{{$MMSGG_RDE_DATA:data}}/glove/'),
        loss_tree_weight=1.0))
