"""``tools/test.py`` on the demo model: two processes equal one.

Both evaluate the same checkpoint of the distributed demo run (loaded with
``load_from``); the two-process run is forked into two gloo ranks.
"""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.runner.checkpoint import _load_checkpoint

from mmsgg_rde.evaluation import load_scene_graph_results


def test_two_process_test_matches_single_process(demo_dist_run, demo_config,
                                                 run_tool, read_test_metrics,
                                                 tmp_path):
    num_images = Config.fromfile(demo_config).test_dataloader.dataset.indices
    assert num_images % 2 == 1, 'two ranks should need a padded sample'
    checkpoint = osp.join(demo_dist_run, 'iter_2.pth')
    saved = _load_checkpoint(checkpoint, map_location='cpu')['state_dict']
    metrics, predictions = {}, {}
    for nproc in (1, 2):
        work_dir = str(tmp_path / f'test_{nproc}')
        out = str(tmp_path / f'predictions_{nproc}.pkl')
        run_tool(
            'test',
            [demo_config, checkpoint, '--work-dir', work_dir, '--out', out],
            nproc=nproc)
        metrics[nproc] = read_test_metrics(work_dir)
        predictions[nproc] = load_scene_graph_results(out)['results']
        tested = torch.load(osp.join(work_dir, 'test_state.pth'))
        for key, value in saved.items():
            torch.testing.assert_close(tested['state_dict'][key], value)

    assert 'predcls/R@20' in metrics[1]
    assert metrics[2] == pytest.approx(metrics[1])
    assert len(predictions[2]) == len(predictions[1]) == num_images
    for dist, single in zip(predictions[2], predictions[1]):
        assert dist['img_id'] == single['img_id']
        for key in ('pairs', 'scores'):
            torch.testing.assert_close(dist['pred_relations'][key],
                                       single['pred_relations'][key])
