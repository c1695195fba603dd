"""The Motifs predictor and relation feature extractor converters (the
parity tests convert the recorded benchmark weights)."""
import pytest
import torch

from mmsgg_rde.utils.sgb_conversion import (
    RELATION_PREDICTOR_CONVERTERS, convert_motif_predictor,
    convert_relation_feature_extractors)

CTX = 'predictor.context_layer.'


def test_registered_for_motif_predictor():
    assert RELATION_PREDICTOR_CONVERTERS['MotifPredictor'] is \
        convert_motif_predictor


def test_motif_predictor_background_moves_last_and_names_map():
    source = {
        CTX + 'obj_embed1.weight': torch.arange(3.)[:, None],
        CTX + 'obj_embed2.weight': torch.arange(3.)[:, None],
        CTX + 'decoder_rnn.obj_embed.weight': torch.arange(4.)[:, None],
        CTX + 'decoder_rnn.out_obj.bias': torch.arange(3.),
        CTX + 'decoder_rnn.input_linearity.weight': torch.ones(6, 2),
        CTX + 'pos_embed.1.running_var': torch.ones(2),
        CTX + 'obj_ctx_rnn.weight_hh_l0_reverse': torch.ones(4, 1),
        CTX + 'lin_edge_h.bias': torch.ones(1),
        CTX + 'untreated_obj_feat': torch.zeros(3),
        'predictor.rel_compress.weight': torch.ones(2, 2),
        'predictor.freq_bias.obj_baseline.weight': torch.arange(9.)[:, None],
        'box_feature_extractor.fc7.weight': torch.ones(2, 2),
    }
    out, notes = convert_motif_predictor(source)
    # Rows (background, classes) become (classes, background).
    assert out['obj_embed.embedding.weight'][:, 0].tolist() == [1, 2, 0]
    assert out['edge_embed.embedding.weight'][:, 0].tolist() == [1, 2, 0]
    assert out['decoder.classifier.bias'].tolist() == [1, 2, 0]
    # ('start', background, classes) -> (classes, background, 'start').
    assert out['decoder.label_embed.embedding.weight'][:, 0].tolist() == [
        2, 3, 1, 0
    ]
    # Pair (i, j) of our labels is the benchmark's (i + 1, j + 1) mod 3.
    assert out['freq_bias.obj_baseline.weight'][:, 0].tolist() == [
        4, 5, 3, 7, 8, 6, 1, 2, 0
    ]
    assert {
        'decoder.input_linearity.weight', 'pos_embed.norm.running_var',
        'obj_context.lstm.weight_hh_l0_reverse', 'edge_context.proj.bias',
        'rel_classifier.weight'
    } <= set(out)
    assert len(notes) == 1 and 'untreated_obj_feat' in notes[0]
    # Only the predictor's tensors are taken.
    assert list(source) == ['box_feature_extractor.fc7.weight']


def test_up_dim_has_no_counterpart():
    with pytest.raises(ValueError, match='MotifPredictor'):
        convert_motif_predictor({'predictor.up_dim.weight': torch.ones(1)})


def test_feature_extractors():
    union = 'union_feature_extractor.'
    source = {
        'box_feature_extractor.fc6.weight': torch.ones(1),
        union + 'feature_extractor.fc7.bias': torch.ones(1),
        union + 'feature_extractor.pooler.reduce_channel.0.weight':
        torch.ones(1),
        union + 'rect_conv.6.num_batches_tracked': torch.ones(1),
        'predictor.post_cat.weight': torch.ones(1),
    }
    out, notes = convert_relation_feature_extractors(source)
    assert set(out) == {
        'obj_feat_extractor.fcs.0.weight', 'union_feat_extractor.fcs.1.bias',
        'union_feat_extractor.roi_extractor.reduce_conv.weight',
        'union_feat_extractor.mask_encoder.layers.6.num_batches_tracked'
    }
    assert notes == [] and list(source) == ['predictor.post_cat.weight']
    with pytest.raises(ValueError, match='POOLING_ALL_LEVELS'):
        convert_relation_feature_extractors(
            {union + 'feature_extractor.pooler.poolers.0.x': torch.ones(1)})
