"""The VCTree, Transformer and IMP predictor converters (error paths; the
parity tests convert the recorded benchmark weights)."""
import pytest
import torch

from mmsgg_rde.utils.sgb_conversion import (RELATION_PREDICTOR_CONVERTERS,
                                            convert_imp_predictor,
                                            convert_transformer_predictor,
                                            convert_vctree_predictor)


def test_registered():
    assert RELATION_PREDICTOR_CONVERTERS['VCTreePredictor'] is \
        convert_vctree_predictor
    assert RELATION_PREDICTOR_CONVERTERS['TransformerPredictor'] is \
        convert_transformer_predictor
    assert RELATION_PREDICTOR_CONVERTERS['IMPPredictor'] is \
        convert_imp_predictor


def test_only_predictor_tensors_are_taken():
    weight = torch.arange(6.).view(3, 2)
    source = {
        'predictor.context_layer.obj_fc.weight': weight,
        'predictor.context_layer.rel_fc.bias': torch.ones(2),
        'box_feature_extractor.fc6.weight': torch.zeros(1),
    }
    out, notes = convert_imp_predictor(source)
    # Background (row 0) moves last.
    assert out['context.obj_classifier.weight'].tolist() == [[2, 3], [4, 5],
                                                             [0, 1]]
    assert set(out) == {'context.obj_classifier.weight', 'rel_classifier.bias'}
    assert notes == []
    assert list(source) == ['box_feature_extractor.fc6.weight']


def test_unknown_predictor_tensor_is_an_error():
    with pytest.raises(ValueError, match='TransformerPredictor'):
        convert_transformer_predictor(
            {'predictor.context_layer.decoder_rnn.out.weight': torch.ones(1)})


def test_class_pair_tables_move_background_last():
    table = torch.arange(9.).view(9, 1)
    prior = torch.arange(9.).view(1, 9)
    out, _ = convert_vctree_predictor({
        'predictor.freq_bias.obj_baseline.weight':
        table,
        'predictor.context_layer.bi_freq_prior.weight':
        prior
    })
    # Classes (bg, a, b) become (a, b, bg) on both axes.
    expected = torch.tensor([[4., 5, 3], [7, 8, 6], [1, 2, 0]])
    assert torch.equal(out['freq_bias.obj_baseline.weight'].view(3, 3),
                       expected)
    assert torch.equal(out['context.tree_scorer.pair_prior'], expected)
    with pytest.raises(ValueError, match='square'):
        convert_vctree_predictor(
            {'predictor.freq_bias.obj_baseline.weight': torch.ones(8, 1)})


def test_vctree_decoder_aliases_must_match():
    decoder = 'predictor.context_layer.decoder_rnn.'
    source = {
        decoder + 'obj_embed.weight': torch.zeros(4, 2),
        decoder + 'decoderLSTM.embed_layer.weight': torch.ones(4, 2)
    }
    with pytest.raises(ValueError, match='one tensor'):
        convert_vctree_predictor(source)
    source[decoder + 'decoderLSTM.embed_layer.weight'] = torch.zeros(4, 2)
    out, notes = convert_vctree_predictor(source)
    # ('start', bg, classes) rows become (classes, bg, 'start').
    assert list(out) == ['context.decoder.label_embed.embedding.weight']
    assert len(notes) == 1 and 'same tensors' in notes[0]
