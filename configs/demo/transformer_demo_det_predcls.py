# The Transformer head (../_base_/models/transformer.py) in place of Motifs
# on the frozen SynthVG detector (motifs_demo_det_predcls.py, the two-stage
# workflow of make demo-all): the same detector, 256-d feature extractors,
# data and schedule; the benchmark's 4 + 2 layers and 8 heads at a quarter of
# its widths (hidden 128, key/value 16, inner 512), 64-d class embeddings
# from random init. The LR is the demo's, not the Transformer recipe's tenth
# of it (sgg_schedule_transformer.py, for 16k iterations): in the demo's 450
# iterations that tenth underfits (docs/rde.md, "The other heads").
# transformer_demo_det_sgcls.py and transformer_demo_det_sgdet.py are the
# other modes.
_base_ = './motifs_demo_det_predcls.py'

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
