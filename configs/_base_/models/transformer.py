# The scene graph benchmark's TransformerPredictor, on the Motifs model's
# detector, feature extractors, sampler and test settings (./motifs.py):
# object context 4 layers, edge context 2 layers, 8 heads, key/value 64,
# inner 2048, dropout 0.1, GloVe 200d class embeddings (glove_dir, see
# ./motifs.py).
_base_ = ['./motifs.py']

model = dict(
    relation_head=dict(
        _delete_=True,
        type='TransformerHead',
        obj_feat_extractor={{_base_.model.relation_head.obj_feat_extractor}},
        union_feat_extractor={{
            _base_.model.relation_head.union_feat_extractor
        }},
        context=dict(
            type='TransformerContext',
            embed_dim=200,
            hidden_channels=512,
            num_obj_layers=4,
            num_edge_layers=2,
            num_heads=8,
            key_dim=64,
            value_dim=64,
            feedforward_channels=2048,
            dropout=0.1,
            glove_dir='{{$MMSGG_RDE_DATA:data}}/glove/')))
