"""The VCTree, Transformer and IMP predictor converters (error paths; the
parity tests convert the recorded benchmark weights), and whole relation
checkpoints of every predictor."""
import os.path as osp

import pytest
import torch

from mmsgg_rde.utils.sgb_conversion import (
    RELATION_PREDICTOR_CONVERTERS, convert_imp_predictor,
    convert_relation_feature_extractors, convert_sgb_checkpoint,
    convert_transformer_predictor, convert_vctree_predictor)

RELATION = 'roi_heads.relation.'


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


@pytest.mark.parametrize('name,predictor',
                         [('motifs', 'MotifPredictor'),
                          ('vctree', 'VCTreePredictor'),
                          ('transformer', 'TransformerPredictor'),
                          ('imp', 'IMPPredictor')])
def test_whole_relation_checkpoint(tmp_path, name, predictor):
    """A relation checkpoint as the benchmark's distributed trainer saves it
    (recorded reduced-width weights: the detector, the predictor, the
    feature extractors) converts whole: the predictor is recognised from
    its tensors and every relation tensor lands where the converters of its
    parts put it (tools/parity/check_converted_relation.py: full size)."""
    parity = osp.join(osp.dirname(__file__), '..', 'data', 'parity')

    def fixture(fixture_name):
        return torch.load(
            osp.join(parity, f'{fixture_name}.pth'),
            map_location='cpu',
            weights_only=True)

    detector = fixture('detector')['checkpoint']
    relation = {
        k[len(RELATION):]: v
        for k, v in fixture('motifs')['weights'].items()
        if not k.startswith(RELATION + 'predictor.')
    }
    relation.update({
        k.replace(RELATION, ''): v
        for k, v in fixture(name)['weights'].items()
    })
    model = dict(detector['model'])
    model.update({f'module.{RELATION}{k}': v for k, v in relation.items()})
    path = str(tmp_path / 'model_final.pth')
    torch.save(dict(model=model, optimizer={}, iteration=1), path)

    checkpoint, notes = convert_sgb_checkpoint(path)
    assert f'relation predictor: {predictor}' in notes
    expected, _ = RELATION_PREDICTOR_CONVERTERS[predictor](dict(relation))
    expected.update(convert_relation_feature_extractors(dict(relation))[0])
    ours = {
        k[len('relation_head.'):]: v
        for k, v in checkpoint['state_dict'].items()
        if k.startswith('relation_head.')
    }
    assert set(ours) == set(expected)
    assert all(torch.equal(ours[k], v) for k, v in expected.items())
    assert any(k.startswith('backbone.') for k in checkpoint['state_dict'])
