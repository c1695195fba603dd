"""The debiasing table script: rows, ablation switches, resumable table."""
import importlib.util
import json
import os
import os.path as osp

import pytest

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.fixture(scope='module')
def table():
    path = osp.join(REPO_ROOT, 'tools', 'analysis_tools', 'debias_table.py')
    spec = importlib.util.spec_from_file_location('debias_table', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_ablation_rows_take_the_switches_of_the_ablation_configs(table):
    assert table.ablation_options('no-loss-proto') == {
        'model.relation_head.rde.loss_proto': None
    }
    assert table.ablation_options('3-blocks') == {
        'model.relation_head.rde.encoder.num_blocks': 3
    }
    for row in table.ROWS:
        assert osp.isfile(osp.join(REPO_ROOT, row.config)), row.config
        if row.ablation:
            assert table.ablation_options(row.ablation)
        if row.test_of:
            assert row.test_of in [r.name for r in table.ROWS]


def test_table_reports_mean_and_std_of_finished_runs(table, tmp_path, capsys):
    work_dir = str(tmp_path)
    rows = [r for r in table.ROWS if r.name in ('Motifs', '+RDE')]
    for seed, value in ((0, 10.0), (1, 20.0)):
        out_dir = table.run_dir(work_dir, 'Motifs', seed)
        os.makedirs(out_dir)
        metrics = {f'predcls/{col}': value for col in table.COLUMNS}
        with open(osp.join(out_dir, 'metrics.json'), 'w') as f:
            json.dump(metrics, f)
    text = table.markdown_table(rows, work_dir, [0, 1, 2])
    assert '| Motifs | 2 | 15.0 +- 7.1 |' in text
    assert '| +RDE | 0 | - |' in text
    # A finished run is not run again.
    args = type('Args', (), dict(work_dir=work_dir, lock=None))
    table.launch(rows[0], 0, args)
    assert '[skip] Motifs seed 0' in capsys.readouterr().out
