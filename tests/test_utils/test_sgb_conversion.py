import pytest
import torch

from mmsgg_rde.utils.sgb_conversion import (RELATION_PREDICTOR_CONVERTERS,
                                            convert_motif_predictor)

CTX = 'predictor.context_layer.'


def test_registered_for_motif_predictor():
    assert RELATION_PREDICTOR_CONVERTERS['MotifPredictor'] is \
        convert_motif_predictor


def test_background_moves_last_and_names_map():
    classes = torch.arange(3.)[:, None]  # background, class 1, class 2
    table = torch.arange(9.).view(9, 1)  # (subject, object) pairs of those
    state = {
        CTX + 'obj_embed1.weight':
        classes,
        CTX + 'decoder_rnn.obj_embed.weight':
        torch.arange(4.)[:, None],
        CTX + 'decoder_rnn.out_obj.bias':
        torch.arange(3.),
        'predictor.freq_bias.obj_baseline.weight':
        table,
        'box_feature_extractor.fc7.weight':
        torch.ones(2, 2),
        'union_feature_extractor.feature_extractor.pooler.reduce_channel.0'
        '.bias':
        torch.ones(2),
        'union_feature_extractor.rect_conv.6.running_var':
        torch.ones(2),
        CTX + 'obj_ctx_rnn.weight_hh_l0_reverse':
        torch.ones(4, 1),
        CTX + 'untreated_obj_feat':
        torch.zeros(3),
    }
    out, skipped = convert_motif_predictor(state)
    assert out['obj_embed.embedding.weight'][:, 0].tolist() == [1, 2, 0]
    # ('start', background, classes) -> (classes, background, 'start').
    assert out['decoder.label_embed.embedding.weight'][:, 0].tolist() == [
        2, 3, 1, 0
    ]
    assert out['decoder.classifier.bias'].tolist() == [1, 2, 0]
    # Pair (i, j) of our labels is the benchmark's (i + 1, j + 1) mod 3.
    assert out['freq_bias.obj_baseline.weight'][:, 0].tolist() == [
        4, 5, 3, 7, 8, 6, 1, 2, 0
    ]
    assert set(out) == {
        'obj_embed.embedding.weight', 'decoder.label_embed.embedding.weight',
        'decoder.classifier.bias', 'freq_bias.obj_baseline.weight',
        'obj_feat_extractor.fcs.1.weight',
        'union_feat_extractor.roi_extractor.reduce_conv.bias',
        'union_feat_extractor.mask_encoder.layers.6.running_var',
        'obj_context.lstm.weight_hh_l0_reverse'
    }
    assert len(skipped) == 1 and 'untreated_obj_feat' in skipped[0]


def test_unknown_tensor_is_an_error():
    with pytest.raises(ValueError, match='up_dim.*MotifPredictor'):
        convert_motif_predictor({'predictor.up_dim.weight': torch.ones(1)})
