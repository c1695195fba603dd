"""``tools/infer.py``, ``tools/test.py --out/--show-dir`` and the analysis
tools on the tiny random model."""
import glob
import importlib.util
import json
import os.path as osp
import sys
from collections import OrderedDict

import mmcv
import pytest
from mmengine.fileio import dump, load
from mmengine.runner import CheckpointLoader

from mmsgg_rde.datasets import DEFAULT_DICT_FILE
from mmsgg_rde.evaluation import PredicateCountsNotFoundError

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def run_main(script: str, args):
    """Run ``tools/<script>``'s ``main()`` in this process; its exit code."""
    path = osp.join(REPO_ROOT, 'tools', script)
    spec = importlib.util.spec_from_file_location(
        osp.splitext(osp.basename(script))[0], path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    saved_argv, saved_schemes = sys.argv, OrderedDict(
        CheckpointLoader._schemes)
    sys.argv = [path, *map(str, args)]
    try:
        return module.main()
    finally:
        sys.argv = saved_argv
        CheckpointLoader._schemes = saved_schemes


@pytest.fixture(scope='module')
def tested(tiny_sgg_config, tiny_sgg_checkpoint, tmp_path_factory, run_tool,
           read_test_metrics):
    """A ``tools/test.py --out --show-dir`` run: work dir, results file and
    the logged metrics."""
    work_dir = tmp_path_factory.mktemp('tested')
    out = str(work_dir / 'results.pkl')
    run_tool('test', [
        tiny_sgg_config, tiny_sgg_checkpoint, '--work-dir',
        str(work_dir), '--out', out, '--show-dir', 'vis'
    ])
    return str(work_dir), out, read_test_metrics(str(work_dir))


def test_infer_cli_writes_json_and_pictures(tiny_sgg_config,
                                            tiny_sgg_checkpoint,
                                            tiny_test_infos, tmp_path, capsys):
    infos = tiny_test_infos[:2]
    images = tmp_path / 'images'
    images.mkdir()
    boxes = {}
    for info in infos:
        name = osp.basename(info['img_path'])
        (images / name).write_bytes(open(info['img_path'], 'rb').read())
        boxes[name] = dict(
            bboxes=info['bboxes'].tolist(),
            labels=info['bbox_labels'].tolist())
    (tmp_path / 'boxes.json').write_text(json.dumps(boxes))
    out_dir = tmp_path / 'out'
    assert run_main('infer.py', [
        images, tiny_sgg_config, '--weights', tiny_sgg_checkpoint, '--out-dir',
        out_dir, '--boxes', tmp_path / 'boxes.json', '--num-relations', 3,
        '--batch-size', 2
    ]) == 0
    for name in boxes:
        with open(out_dir / 'preds' / name.replace('.jpg', '.json')) as f:
            result = json.load(f)
        assert len(result['relations']) == 3
        assert len(result['objects']) == len(boxes[name]['bboxes'])
        assert mmcv.imread(str(out_dir / 'vis' / name)).shape[0] == 480
    assert run_main('infer.py', [
        images, tiny_sgg_config, '--weights', tiny_sgg_checkpoint, '--out-dir',
        out_dir
    ]) == 2
    assert 'error: The model runs in predcls mode' in capsys.readouterr().err


def test_offline_evaluation_equals_online(tested, tiny_sgg_config, tmp_path):
    work_dir, results, online = tested
    assert 'predcls/R@50' in online
    metrics_file = tmp_path / 'metrics.json'
    assert run_main('analysis_tools/eval_metric.py',
                    [tiny_sgg_config, results, '--out-json', metrics_file
                     ]) == 0
    offline = json.loads(metrics_file.read_text())
    assert offline.keys() == online.keys()
    for key, value in online.items():
        # the json log rounds to 4 decimals
        assert offline[key] == pytest.approx(value, abs=1e-4)


def test_show_dir_draws_ground_truth_and_prediction(tested, tiny_synthvg):
    work_dir, _, _ = tested
    pictures = glob.glob(osp.join(work_dir, '*', 'vis', '*.jpg'))
    assert len(pictures) == 6
    for picture in pictures:
        source = osp.join(tiny_synthvg, 'VG_100K', osp.basename(picture))
        h, w = mmcv.imread(source).shape[:2]
        # two graphs: each the image scaled to 480 high, and a square graph
        assert mmcv.imread(picture).shape[:2] == (
            480, 2 * (int(w * 480 / h + 0.5) + 480))


def test_analysis_plots(tested, tiny_sgg_config, tmp_path, capsys):
    _, results, _ = tested
    chart = tmp_path / 'recall.svg'
    assert run_main('analysis_tools/predicate_recall.py', [
        results, results, '--labels', 'A', 'B', '--k', 20, '--out', chart,
        '--config', tiny_sgg_config
    ]) == 0
    assert chart.read_text().lstrip().startswith('<?xml')
    printed = capsys.readouterr().out
    assert 'A R@20' in printed and 'difference' in printed
    assert 'head mR@20' in printed
    assert printed.startswith('Training frequencies: the train split '
                              f'statistics of {tiny_sgg_config}\n')
    single = tmp_path / 'recall.png'
    assert run_main('analysis_tools/predicate_recall.py',
                    [results, '--out', single]) == 0
    assert mmcv.imread(str(single)).shape[1] > 800
    matrix = tmp_path / 'confusion.png'
    assert run_main('analysis_tools/confusion_matrix.py',
                    [results, '--out', matrix]) == 0
    height, width = mmcv.imread(str(matrix)).shape[:2]
    assert height > 600 and width > 600
    assert 'GT relations:' in capsys.readouterr().out


def _train_counts_printed(table: str) -> dict:
    """``predicate: train count`` of predicate_recall.py's table."""
    counts = {}
    for line in table.splitlines():
        cells = [cell.strip() for cell in line.strip('|').split('|')]
        if len(cells) > 3 and cells[2].isdigit():
            counts[cells[0]] = int(cells[2])
    return counts


def test_analysis_tools_take_the_counts_of_the_results_dataset(
        tested, tiny_synthvg, tmp_path, capsys):
    # SynthVG has VG-150's predicate names but its own counts: without
    # --dict-file they once came from VG-150's dicts file, silently.
    _, results, _ = tested
    dict_file = osp.join(
        osp.abspath(tiny_synthvg), 'VG-SGG-dicts-with-attri.json')
    with open(dict_file) as f:
        synthvg_counts = json.load(f)['predicate_count']
    with open(DEFAULT_DICT_FILE) as f:
        assert json.load(f)['predicate_count'] != synthvg_counts
    for script in ('predicate_recall.py', 'confusion_matrix.py'):
        assert run_main(f'analysis_tools/{script}',
                        [results, '--out', tmp_path / 'chart.png']) == 0
        printed = capsys.readouterr().out
        assert printed.startswith(
            f'Training frequencies: the predicate_count of {dict_file}\n')
    assert run_main('analysis_tools/predicate_recall.py',
                    [results, '--out', tmp_path / 'chart.png']) == 0
    assert _train_counts_printed(capsys.readouterr().out) == synthvg_counts

    # Results whose images are elsewhere: say what to pass.
    data = load(results)
    for sample in data['results']:
        sample['img_path'] = str(tmp_path / 'VG_100K' /
                                 osp.basename(sample['img_path']))
    moved = str(tmp_path / 'moved.pkl')
    dump(data, moved)
    with pytest.raises(PredicateCountsNotFoundError) as info:
        run_main('analysis_tools/predicate_recall.py',
                 [moved, '--out', tmp_path / 'chart.png'])
    assert 'pass --config CONFIG' in str(info.value)
    assert '--dict-file FILE' in str(info.value)
    assert run_main('analysis_tools/predicate_recall.py', [
        moved, '--out', tmp_path / 'chart.png', '--dict-file', dict_file
    ]) == 0
    assert _train_counts_printed(capsys.readouterr().out) == synthvg_counts
