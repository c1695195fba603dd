import os.path as osp
import runpy
import sys
from collections import OrderedDict

import pytest
import torch

from mmsgg_rde.utils import sgb_conversion
from mmsgg_rde.utils.sgb_conversion import (SGBCheckpointError,
                                            convert_sgb_checkpoint,
                                            detect_relation_predictor,
                                            move_background_last)

NUM_CLASSES = 4  # with the background
CONVERTER = osp.join(
    osp.dirname(__file__), '..', '..', 'tools', 'model_converters',
    'sgb_to_mmdet.py')


def benchmark_state():
    """A tiny state dict with the benchmark detector's key names."""
    state = OrderedDict()
    state['backbone.body.stem.conv1.weight'] = torch.randn(2, 3, 7, 7)
    for param in ('weight', 'bias', 'running_mean', 'running_var'):
        state[f'backbone.body.stem.bn1.{param}'] = torch.randn(2)
        state[f'backbone.body.layer1.0.downsample.1.{param}'] = torch.randn(4)
    state['backbone.body.layer1.0.downsample.0.weight'] = torch.randn(
        4, 2, 1, 1)
    state['backbone.body.layer4.2.conv2.weight'] = torch.randn(4, 2, 3, 3)
    for level in range(1, 5):
        for kind in ('inner', 'layer'):
            state[f'backbone.fpn.fpn_{kind}{level}.weight'] = torch.randn(
                2, 2, 1, 1)
            state[f'backbone.fpn.fpn_{kind}{level}.bias'] = torch.randn(2)
    for level in range(5):
        state[f'rpn.anchor_generator.cell_anchors.{level}'] = torch.randn(3, 4)
    for name, out in (('conv', 2), ('cls_logits', 3), ('bbox_pred', 12)):
        state[f'rpn.head.{name}.weight'] = torch.randn(out, 2, 1, 1)
        state[f'rpn.head.{name}.bias'] = torch.randn(out)
    for name, (out, inp) in (('feature_extractor.fc6',
                              (5, 8)), ('feature_extractor.fc7', (5, 5)),
                             ('predictor.cls_score', (NUM_CLASSES, 5)),
                             ('predictor.bbox_pred', (4 * NUM_CLASSES, 5))):
        state[f'roi_heads.box.{name}.weight'] = torch.randn(out, inp)
        state[f'roi_heads.box.{name}.bias'] = torch.randn(out)
    return state


def save(tmp_path, model_state, **extra):
    path = str(tmp_path / 'model_final.pth')
    torch.save(dict(model=model_state, **extra), path)
    return path


def test_detector_tensors_map_to_mmdet_names(tmp_path):
    state = benchmark_state()
    ddp = OrderedDict(('module.' + k, v) for k, v in state.items())
    path = save(tmp_path, ddp, optimizer={}, iteration=5000)
    checkpoint, notes = convert_sgb_checkpoint(path)
    out = checkpoint['state_dict']
    assert checkpoint['meta']['iteration'] == 5000
    pairs = {
        'backbone.body.stem.conv1.weight':
        'backbone.conv1.weight',
        'backbone.body.stem.bn1.running_var':
        'backbone.bn1.running_var',
        'backbone.body.layer1.0.downsample.1.weight':
        'backbone.layer1.0.downsample.1.weight',
        'backbone.body.layer4.2.conv2.weight':
        'backbone.layer4.2.conv2.weight',
        'backbone.fpn.fpn_inner1.weight':
        'neck.lateral_convs.0.conv.weight',
        'backbone.fpn.fpn_layer4.bias':
        'neck.fpn_convs.3.conv.bias',
        'rpn.head.conv.weight':
        'rpn_head.rpn_conv.weight',
        'rpn.head.cls_logits.bias':
        'rpn_head.rpn_cls.bias',
        'rpn.head.bbox_pred.weight':
        'rpn_head.rpn_reg.weight',
        'roi_heads.box.feature_extractor.fc6.weight':
        'roi_head.bbox_head.shared_fcs.0.weight',
        'roi_heads.box.feature_extractor.fc7.bias':
        'roi_head.bbox_head.shared_fcs.1.bias',
    }
    for src, dst in pairs.items():
        assert torch.equal(out[dst], state[src])
    cls = state['roi_heads.box.predictor.cls_score.weight']
    assert torch.equal(out['roi_head.bbox_head.fc_cls.weight'],
                       torch.cat([cls[1:], cls[:1]]))
    reg = state['roi_heads.box.predictor.bbox_pred.bias']
    assert torch.equal(out['roi_head.bbox_head.fc_reg.bias'], reg[4:])
    # Everything but the 5 cell anchors is converted.
    assert len(out) == len(state) - 5
    assert any('cell_anchors' in n for n in notes)
    assert any('background' in n for n in notes)
    assert any("['iteration', 'optimizer']" in n for n in notes)


def test_move_background_last():
    rows = torch.arange(6).view(3, 2)
    assert move_background_last(rows).tolist() == [[2, 3], [4, 5], [0, 1]]
    assert move_background_last(torch.arange(6),
                                2).tolist() == [2, 3, 4, 5, 0, 1]


def test_attribute_head_skipped_relation_dispatched(tmp_path, monkeypatch):
    state = benchmark_state()
    state['roi_heads.attribute.predictor.cls_score.weight'] = torch.ones(2)
    state['roi_heads.relation.predictor.context_layer.obj_ctx_rnn.w'] = \
        torch.ones(3)
    state['roi_heads.relation.union_feature_extractor.x'] = torch.zeros(1)

    def convert(source):
        weight = source.pop('predictor.context_layer.obj_ctx_rnn.w')
        source.pop('union_feature_extractor.x')
        return {'context.weight': weight}, ['union x skipped']

    monkeypatch.setitem(sgb_conversion.RELATION_PREDICTOR_CONVERTERS,
                        'MotifPredictor', convert)
    checkpoint, notes = convert_sgb_checkpoint(save(tmp_path, state))
    assert torch.equal(
        checkpoint['state_dict']['relation_head.context.weight'],
        torch.ones(3))
    assert 'relation predictor: MotifPredictor' in notes
    assert 'union x skipped' in notes
    assert any('attribute' in n for n in notes)


def test_relation_tensors_left_over_fail(tmp_path, monkeypatch):
    state = benchmark_state()
    state['roi_heads.relation.predictor.context_layer.obj_ctx_rnn.w'] = \
        torch.ones(1)
    state['roi_heads.relation.predictor.extra'] = torch.ones(1)
    monkeypatch.setitem(sgb_conversion.RELATION_PREDICTOR_CONVERTERS,
                        'MotifPredictor', lambda source: ({}, []))
    with pytest.raises(SGBCheckpointError, match='predictor.extra'):
        convert_sgb_checkpoint(save(tmp_path, state))


def test_relation_predictor_without_converter(tmp_path, monkeypatch):
    state = benchmark_state()
    state['roi_heads.relation.predictor.vis_compress.weight'] = torch.ones(1)
    monkeypatch.setattr(sgb_conversion, 'RELATION_PREDICTOR_CONVERTERS', {})
    with pytest.raises(SGBCheckpointError, match='CausalAnalysisPredictor'):
        convert_sgb_checkpoint(save(tmp_path, state))
    state['roi_heads.relation.predictor.unknown.weight'] = torch.ones(1)
    del state['roi_heads.relation.predictor.vis_compress.weight']
    with pytest.raises(SGBCheckpointError, match='--predictor'):
        convert_sgb_checkpoint(save(tmp_path, state))


def test_detect_relation_predictor():
    motifs = ['predictor.context_layer.obj_ctx_rnn.weight_ih_l0']
    assert detect_relation_predictor(motifs) == 'MotifPredictor'
    assert detect_relation_predictor(
        motifs + ['predictor.vis_compress.weight']) == \
        'CausalAnalysisPredictor'
    assert detect_relation_predictor(
        motifs + ['predictor.context_layer.overlap_embed.0.weight']) == \
        'VCTreePredictor'
    assert detect_relation_predictor(['box_feature_extractor.fc6.w']) is None


def test_unknown_tensor_fails(tmp_path):
    state = benchmark_state()
    state['roi_heads.mask.predictor.weight'] = torch.ones(1)
    with pytest.raises(SGBCheckpointError, match='roi_heads.mask'):
        convert_sgb_checkpoint(save(tmp_path, state))


@pytest.mark.parametrize('content', [
    dict(state_dict={'backbone.conv1.weight': torch.ones(1)}),
    dict(model={'backbone.conv1.weight': torch.ones(1)}),
    [torch.ones(1)],
])
def test_not_a_benchmark_checkpoint(tmp_path, content):
    path = str(tmp_path / 'other.pth')
    torch.save(content, path)
    with pytest.raises(SGBCheckpointError, match='other.pth'):
        convert_sgb_checkpoint(path)


def test_not_a_torch_file(tmp_path):
    path = tmp_path / 'model_final.pth'
    path.write_text('not a checkpoint')
    with pytest.raises(SGBCheckpointError, match='model_final.pth'):
        convert_sgb_checkpoint(str(path))
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        convert_sgb_checkpoint(str(tmp_path / 'missing.pth'))


class Unsafe:
    """A pickled object that weights-only loading refuses."""


def test_weights_only_unless_trusted(tmp_path):
    path = save(tmp_path, benchmark_state(), extra=Unsafe())
    with pytest.raises(SGBCheckpointError, match='--trust-checkpoint'):
        convert_sgb_checkpoint(path)
    checkpoint, _ = convert_sgb_checkpoint(path, trust_checkpoint=True)
    assert 'backbone.conv1.weight' in checkpoint['state_dict']


def test_command_line(tmp_path, monkeypatch, capsys):
    src = save(tmp_path, benchmark_state())
    dst = str(tmp_path / 'out' / 'converted.pth')
    monkeypatch.setattr(sys, 'argv', ['sgb_to_mmdet.py', src, dst])
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_path(CONVERTER, run_name='__main__')
    assert exit_info.value.code == 0
    saved = torch.load(dst, weights_only=True)
    assert 'backbone.conv1.weight' in saved['state_dict']
    assert 'written to' in capsys.readouterr().out
    monkeypatch.setattr(sys, 'argv',
                        ['sgb_to_mmdet.py', dst,
                         str(tmp_path / 'x.pth')])
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_path(CONVERTER, run_name='__main__')
    assert exit_info.value.code == 1
    assert 'not a scene graph benchmark checkpoint' in capsys.readouterr().err
