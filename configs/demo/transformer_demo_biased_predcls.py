# The Transformer head (../_base_/models/transformer.py) in place of Motifs
# in the biased-world demo (motifs_demo_biased_predcls.py): the same
# detector, 256-d feature extractors, data and schedule; the benchmark's
# 4 + 2 layers and 8 heads at a quarter of its widths (hidden 128, key/value
# 16, inner 512), 64-d class embeddings from random init. The demo's LR, as
# transformer_demo_det_predcls.py explains.
_base_ = './motifs_demo_biased_predcls.py'

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
            embed_dim=64,
            hidden_channels=128,
            key_dim=16,
            value_dim=16,
            feedforward_channels=512)))
