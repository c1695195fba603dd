import os.path as osp
import shutil

import mmcv
import pytest
from mmengine.config import Config

from mmsgg_rde.apis import draw_test_scene_graphs


def test_draws_the_first_test_images(tiny_sgg_config, tiny_sgg_checkpoint,
                                     tmp_path):
    cfg = Config.fromfile(tiny_sgg_config)
    cfg.work_dir = str(tmp_path / 'work_dir')
    with pytest.raises(FileNotFoundError, match='No checkpoint in'):
        draw_test_scene_graphs(cfg, str(tmp_path / 'out'))
    # the Runner's bookkeeping of the last checkpoint
    shutil.copytree(osp.dirname(tiny_sgg_checkpoint), cfg.work_dir)
    with open(osp.join(cfg.work_dir, 'last_checkpoint'), 'w') as f:
        f.write(osp.join(cfg.work_dir, osp.basename(tiny_sgg_checkpoint)))
    pictures = draw_test_scene_graphs(
        cfg, str(tmp_path / 'out'), num_images=2, num_relations=4)
    assert len(pictures) == 2
    for picture in pictures:
        assert mmcv.imread(picture).shape[0] == 480
        stem = osp.splitext(osp.basename(picture))[0]
        assert osp.isfile(tmp_path / 'out' / 'preds' / f'{stem}.json')
