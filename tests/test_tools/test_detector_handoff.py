"""The SynthVG detector's checkpoint as the scene graph models' detector.

``configs/detectors/faster-rcnn_r18-w16_fpn_synthvg.py`` trained with
``tools/train.py`` (two iterations on the tiny SynthVG), then
``configs/demo/motifs_demo_det_{sgcls,sgdet}.py`` trained on it through
``model.detector_checkpoint``, as ``make demo-all`` and a VG-150 user do:
the detector loads, stays frozen, its box head FCs start the relation
head's FCs, and the frequency prior runs on the detector's objects.
"""
import os.path as osp

import pytest
import torch
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmengine.runner.checkpoint import _load_checkpoint

from mmsgg_rde.apis import evaluate_frequency_prior
from mmsgg_rde.evaluation import load_scene_graph_results

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
HEAD_CONFIG = osp.join(REPO_ROOT, 'configs', 'demo',
                       '{head}_demo_det_{mode}.py')
HEAD_RDE_CONFIG = osp.join(REPO_ROOT, 'configs', 'rde',
                           '{head}_rde_demo_det_{mode}.py')
RELATION_CONFIG = HEAD_CONFIG.replace('{head}', 'motifs')
DEMO_RDE_CONFIG = osp.join(REPO_ROOT, 'configs', 'rde',
                           'motifs_rde_demo_predcls.py')
MODES = ('predcls', 'sgcls', 'sgdet')
HEADS = ('motifs', 'vctree', 'transformer', 'imp')
DETECTOR_CONFIG = osp.join(REPO_ROOT, 'configs', 'detectors',
                           'faster-rcnn_r18-w16_fpn_synthvg.py')
DETECTOR_PARTS = ('backbone.', 'neck.', 'rpn_head.', 'roi_head.')


def _detector_weights(state_dict: dict) -> dict:
    return {
        k: v
        for k, v in state_dict.items() if k.startswith(DETECTOR_PARTS)
    }


@pytest.mark.parametrize('head', HEADS)
def test_detector_layers_are_those_of_the_relation_configs(head):
    detector = Config.fromfile(DETECTOR_CONFIG).model
    for mode in MODES:
        model = Config.fromfile(HEAD_CONFIG.format(head=head, mode=mode)).model
        assert model.freeze_detector
        for part in ('data_preprocessor', 'backbone', 'neck', 'rpn_head'):
            assert model[part] == detector[part], (mode, part)
        for part in ('bbox_roi_extractor', 'bbox_head'):
            assert model.roi_head[part] == detector.roi_head[part]


@pytest.mark.parametrize('head', HEADS)
@pytest.mark.parametrize('mode', MODES)
def test_rde_configs_add_the_demo_rde_only(head, mode):
    rde = Config.fromfile(HEAD_RDE_CONFIG.format(head=head, mode=mode))
    plain = Config.fromfile(HEAD_CONFIG.format(head=head, mode=mode))
    demo_rde = Config.fromfile(DEMO_RDE_CONFIG).model.relation_head.rde
    assert rde.model.relation_head.pop('rde') == demo_rde
    assert rde.model == plain.model
    assert rde.model.mode == rde.test_evaluator.mode == mode


@pytest.mark.parametrize('mode', ['sgcls', 'sgdet'])
def test_relation_model_trains_on_the_frozen_detector(
        mode, shrink_det_config, run_tool, synthvg_detector_checkpoint,
        tmp_path):
    detector_checkpoint = synthvg_detector_checkpoint
    detector = _load_checkpoint(detector_checkpoint)['state_dict']
    assert {key.split('.')[0]
            for key in detector} >= {part[:-1]
                                     for part in DETECTOR_PARTS}
    work_dir = str(tmp_path)
    # The detector of two iterations scores no class above the configs'
    # 0.01: keep every SGDet detection so that the relation head trains.
    run_tool(
        'train', [
            shrink_det_config(RELATION_CONFIG.format(mode=mode)), '--work-dir',
            work_dir
        ],
        cfg_options=[
            f'model.detector_checkpoint={detector_checkpoint}',
            'model.test_cfg.rcnn.score_thr=0.'
        ])

    start = torch.load(osp.join(work_dir, 'start_state.pth'))['state_dict']
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        final = _load_checkpoint(f.read().strip())['state_dict']
    for state in (start, final):
        weights = _detector_weights(state)
        assert weights.keys() == _detector_weights(detector).keys()
        for key, value in weights.items():
            torch.testing.assert_close(value, detector[key], msg=key)
    for extractor in ('obj_feat_extractor', 'union_feat_extractor'):
        for index in (0, 1):
            torch.testing.assert_close(
                start[f'relation_head.{extractor}.fcs.{index}.weight'],
                detector[f'roi_head.bbox_head.shared_fcs.{index}.weight'])
    assert not torch.equal(
        start['relation_head.obj_feat_extractor.fcs.0.weight'],
        final['relation_head.obj_feat_extractor.fcs.0.weight'])


@pytest.mark.parametrize('mode', ['sgcls', 'sgdet'])
def test_frequency_prior_on_the_detectors_objects(mode, shrink_det_config,
                                                  synthvg_detector_checkpoint,
                                                  det_num_test_images,
                                                  tmp_path):
    cfg = Config.fromfile(shrink_det_config(RELATION_CONFIG.format(mode=mode)))
    cfg.model.detector_checkpoint = synthvg_detector_checkpoint
    cfg.model.test_cfg.rcnn.score_thr = 0.
    results_file = str(tmp_path / 'prior.pkl')
    evaluate_frequency_prior(
        cfg,
        evaluator=dict(
            type='DumpSceneGraphResults',
            out_file_path=results_file,
            mode=mode,
            num_relations=None))
    results = load_scene_graph_results(results_file)['results']
    assert len(results) == det_num_test_images

    init_default_scope('mmdet')
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.eval()
    loader = Runner.build_dataloader(cfg.test_dataloader)
    num_objects = 0
    for data, result in zip(loader, results):
        data = model.data_preprocessor(data, False)
        with torch.no_grad():
            objects, = model.predict_objects(data['inputs'],
                                             data['data_samples'])
        pred = result['pred_instances']
        torch.testing.assert_close(pred['bboxes'], objects.bboxes)
        assert torch.equal(pred['labels'], objects.labels)
        torch.testing.assert_close(pred['scores'], objects.scores)
        num = len(objects)
        num_objects += num
        pairs = result['pred_relations']['pairs']
        assert len(pairs) == num * (num - 1)
        assert (pairs[:, 0] != pairs[:, 1]).all()
    assert num_objects > 0
