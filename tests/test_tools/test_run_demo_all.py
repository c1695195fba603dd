"""``tools/run_demo_all.py``: its models, their configs and ``--models``."""
import importlib.util
import os.path as osp
import sys

import pytest
from mmengine.config import Config

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.fixture(scope='module')
def demo_all():
    path = osp.join(REPO_ROOT, 'tools', 'run_demo_all.py')
    spec = importlib.util.spec_from_file_location('run_demo_all', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_model_has_a_config_per_mode(demo_all):
    heads = {
        'Motifs': 'MotifsHead',
        'VCTree': 'VCTreeHead',
        'Transformer': 'TransformerHead',
        'IMP': 'IMPHead'
    }
    assert len(demo_all.RELATION_CONFIGS) == 2 * len(heads)
    for name, path in demo_all.RELATION_CONFIGS:
        for mode in demo_all.MODES:
            cfg = Config.fromfile(osp.join(REPO_ROOT, path.format(mode=mode)))
            assert cfg.model.mode == cfg.test_evaluator.mode == mode
            head = cfg.model.relation_head
            assert head.type == heads[name.split('+')[0]]
            assert ('rde' in head) == name.endswith('+RDE'), name


@pytest.mark.parametrize('argv,models', [
    ([], ['Motifs', 'Motifs+RDE']),
    (['--models', 'IMP', 'VCTree+RDE'], ['IMP', 'VCTree+RDE']),
    (['--models', 'all'], None),
])
def test_models_option(demo_all, monkeypatch, argv, models):
    monkeypatch.setattr(sys, 'argv', ['run_demo_all.py', *argv])
    args = demo_all.parse_args()
    if models is None:
        models = [name for name, _ in demo_all.RELATION_CONFIGS]
    assert args.models == models
