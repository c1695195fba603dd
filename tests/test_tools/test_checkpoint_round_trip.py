"""Testing right after training equals testing the saved checkpoint.

Every head, plain and with RDE, in every mode: its demo config on the
frozen SynthVG detector (``configs/demo/<head>_demo_det_<mode>.py`` and
``configs/rde/<head>_rde_demo_det_<mode>.py``, as ``make demo-all`` runs
them) trains two iterations with mmengine's Runner and is tested in the same
process (``Runner.train()`` then ``Runner.test()``, as
:func:`mmsgg_rde.apis.train_and_test` does); a fresh Runner then loads the
saved checkpoint (``load_from``, as ``tools/test.py`` does) and tests again.
Every metric and every ranked triplet (pairs, their scores and labels, and
the objects) must be the same.
"""
import os.path as osp
from typing import Dict, Tuple

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from mmsgg_rde.evaluation import load_scene_graph_results

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = dict(
    plain=osp.join(REPO_ROOT, 'configs', 'demo', '{head}_demo_det_{mode}.py'),
    rde=osp.join(REPO_ROOT, 'configs', 'rde', '{head}_rde_demo_det_{mode}.py'))
HEADS = ('motifs', 'vctree', 'transformer', 'imp')
MODES = ('predcls', 'sgcls', 'sgdet')
#: Post-hoc logit adjustment (PredCls, biased world): its predictions use
#: the training predicate counts that a hook gives the model.
LOGIT_ADJUST_CONFIG = osp.join(REPO_ROOT, 'configs', 'debias',
                               'motifs_demo_biased_logit-adjust-posthoc.py')
#: Relation head (and RDE) widths of these runs, by config key: seconds per
#: run instead of tens.
TINY_WIDTHS = dict(
    fc_out_channels=32,
    embed_dim=16,
    embed_dims=16,
    hidden_dim=16,
    hidden_channels=16,
    key_dim=4,
    value_dim=4,
    feedforward_channels=32)
#: SGDet detections per image (90 candidate pairs instead of 6,320).
MAX_DETECTIONS = 10
NUM_TEST_IMAGES = 2


def _shrink_widths(cfg: dict) -> None:
    """Set every width of ``TINY_WIDTHS`` in a nested config, in place."""
    for key, value in cfg.items():
        if key in TINY_WIDTHS:
            cfg[key] = TINY_WIDTHS[key]
        elif isinstance(value, dict):
            _shrink_widths(value)


@pytest.fixture(autouse=True)
def unformatted_configs(monkeypatch):
    """Skip yapf's formatting of the config text that each Runner logs and
    dumps (about 1 s a Runner, most of these tests' time); the text stays
    valid Python, only its layout changes."""
    monkeypatch.setattr('mmengine.config.config.FormatCode',
                        lambda text, **kwargs: (text, False))


def _test(cfg: Config, runner: Runner) -> Tuple[Dict[str, float], list]:
    """Test with ``runner``; the metrics and the dumped predictions."""
    metrics = runner.test()
    results = load_scene_graph_results(cfg.test_evaluator[1].out_file_path)
    return metrics, results['results']


def _assert_same_predictions(got: list, want: list) -> None:
    assert len(got) == len(want) > 0
    num_relations = 0
    for res, exp in zip(got, want):
        for field in ('pred_instances', 'pred_relations'):
            assert res[field].keys() == exp[field].keys()
            for key, value in exp[field].items():
                assert torch.equal(res[field][key], value), (field, key)
        num_relations += len(exp['pred_relations']['pairs'])
    assert num_relations > 0


def _assert_round_trip(cfg: Config, mode: str, tmp_path) -> None:
    """Train, test, reload the checkpoint in a fresh Runner, test again."""
    _shrink_widths(cfg.model.relation_head)
    cfg.test_dataloader.dataset.indices = NUM_TEST_IMAGES
    name = osp.basename(cfg.filename)[:-3]
    cfg.work_dir = str(tmp_path / 'train')
    cfg.experiment_name = f'round_trip_train_{name}'
    cfg.test_evaluator = [
        cfg.test_evaluator,
        dict(
            type='DumpSceneGraphResults',
            out_file_path=str(tmp_path / 'after_training.pkl'),
            mode=mode,
            num_relations=None)
    ]
    runner = Runner.from_cfg(cfg)
    runner.train()
    after_training = _test(cfg, runner)

    with open(osp.join(cfg.work_dir, 'last_checkpoint')) as f:
        cfg.load_from = f.read().strip()
    cfg.work_dir = str(tmp_path / 'test')
    cfg.experiment_name = f'round_trip_test_{name}'
    cfg.test_evaluator[1].out_file_path = str(tmp_path / 'reloaded.pkl')
    reloaded = _test(cfg, Runner.from_cfg(cfg))

    assert reloaded[0] == after_training[0]
    assert any(key.startswith(f'{mode}/') for key in reloaded[0])
    _assert_same_predictions(reloaded[1], after_training[1])


@pytest.mark.parametrize('variant', sorted(CONFIGS))
@pytest.mark.parametrize('mode', MODES)
@pytest.mark.parametrize('head', HEADS)
def test_test_after_training_equals_test_of_checkpoint(
        head, mode, variant, shrink_det_config, synthvg_detector_checkpoint,
        tmp_path):
    cfg = Config.fromfile(
        shrink_det_config(CONFIGS[variant].format(head=head, mode=mode)))
    cfg.model.detector_checkpoint = synthvg_detector_checkpoint
    # The detector of two iterations scores no class above the configs'
    # 0.01: keep every SGDet detection.
    cfg.model.test_cfg.rcnn.update(score_thr=0., max_per_img=MAX_DETECTIONS)
    _assert_round_trip(cfg, mode, tmp_path)


def test_post_hoc_logit_adjustment_round_trip(shrink_det_config, tmp_path):
    cfg = Config.fromfile(shrink_det_config(LOGIT_ADJUST_CONFIG))
    cfg.test_evaluator.dict_file = osp.join(
        cfg.test_dataloader.dataset.data_root, 'VG-SGG-dicts-with-attri.json')
    _assert_round_trip(cfg, cfg.model.mode, tmp_path)
