"""The shipped configs find their data from any folder (``MMSGG_RDE_DATA``).

``mim train mmsgg_rde CONFIG`` runs in the user's current folder: the
configs read ``$MMSGG_RDE_DATA/<dataset>/`` when it is set, else
``data/<dataset>/`` relative to that folder, and a missing SynthVG says how
to make it and how to point the config at it.
"""
import os
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmsgg_rde.datasets import VG150Dataset

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')
RDE_DEMO = osp.join(REPO_ROOT, 'configs', 'rde', 'motifs_rde_demo_predcls.py')
BIASED_DEMO = osp.join(REPO_ROOT, 'configs', 'demo',
                       'motifs_demo_biased_predcls.py')
DETECTOR_DEMO = osp.join(REPO_ROOT, 'configs', 'detectors',
                         'faster-rcnn_r18-w16_fpn_synthvg.py')
VG150_CONFIG = osp.join(REPO_ROOT, 'configs', 'motifs',
                        'motifs_x101_fpn_predcls_vg150.py')


@pytest.fixture
def elsewhere(tmp_path, monkeypatch) -> str:
    """An empty current folder, and no ``MMSGG_RDE_DATA``."""
    path = tmp_path / 'elsewhere'
    path.mkdir()
    monkeypatch.chdir(path)
    monkeypatch.delenv('MMSGG_RDE_DATA', raising=False)
    return str(path)


def _test_dataset(cfg: Config) -> VG150Dataset:
    """The test dataset of ``cfg``, as the Runner builds it."""
    init_default_scope(cfg.default_scope)
    kwargs = dict(cfg.test_dataloader.dataset)
    kwargs.pop('type')
    return VG150Dataset(**kwargs)


def test_data_root_defaults_to_the_current_folder(elsewhere):
    for config, name in ((RDE_DEMO, 'synthvg'), (DETECTOR_DEMO, 'synthvg'),
                         (BIASED_DEMO, 'synthvg_biased'), (VG150_CONFIG,
                                                           'vg150')):
        cfg = Config.fromfile(config)
        for loader in LOADERS:
            assert cfg[loader].dataset.data_root == f'data/{name}/', config
    assert Config.fromfile(VG150_CONFIG).model.relation_head.glove_dir == \
        'data/glove/'


def test_data_root_from_the_environment_in_any_folder(elsewhere, tiny_synthvg,
                                                      tmp_path, monkeypatch):
    data = tmp_path / 'datasets'
    data.mkdir()
    os.symlink(tiny_synthvg, data / 'synthvg')
    monkeypatch.setenv('MMSGG_RDE_DATA', str(data))
    cfg = Config.fromfile(RDE_DEMO)
    for loader in LOADERS:
        assert cfg[loader].dataset.data_root == f'{data}/synthvg/'
    cfg.test_dataloader.dataset.num_val_images = 10
    dataset = _test_dataset(cfg)
    assert len(dataset) > 0
    img_path = dataset.get_data_info(0)['img_path']
    assert img_path.startswith(f'{data}/synthvg/VG_100K/')
    assert osp.isfile(img_path)

    biased = Config.fromfile(BIASED_DEMO)
    for loader in LOADERS:
        assert biased[loader].dataset.data_root == f'{data}/synthvg_biased/'
    assert biased.test_evaluator.dict_file == \
        f'{data}/synthvg_biased/VG-SGG-dicts-with-attri.json'
    vg150 = Config.fromfile(VG150_CONFIG)
    assert vg150.test_dataloader.dataset.data_root == f'{data}/vg150/'
    assert vg150.model.relation_head.glove_dir == f'{data}/glove/'


@pytest.mark.parametrize('config, extra', [
    (RDE_DEMO, '--size default --seed 0`'),
    (BIASED_DEMO, '--options annotation_bias=0.9`'),
    (DETECTOR_DEMO, '--size default --seed 0`'),
])
def test_missing_synthvg_says_how_to_make_it_and_point_at_it(
        elsewhere, config, extra):
    with pytest.raises(FileNotFoundError) as error:
        _test_dataset(Config.fromfile(config))
    message = str(error.value)
    assert 'mim run mmsgg_rde make_synthvg --out DIR' in message
    assert extra in message
    assert 'Download the VG-150' not in message
    assert 'missing files (VG-150 layout)' in message
    assert f'(relative to the current folder, {elsewhere})' in message
    name = 'synthvg_biased' if config == BIASED_DEMO else 'synthvg'
    assert f'$MMSGG_RDE_DATA/{name}/' in message
    assert 'test_dataloader.dataset.data_root=DIR/' in message


def test_missing_vg150_still_says_download(elsewhere):
    with pytest.raises(FileNotFoundError) as error:
        _test_dataset(Config.fromfile(VG150_CONFIG))
    message = str(error.value)
    assert 'Download the VG-150 files' in message
    assert '$MMSGG_RDE_DATA/vg150/' in message
    assert 'make_synthvg' not in message
