"""``tools/infer.py``, ``tools/test.py --out/--show-dir`` and the analysis
tools on the tiny random model."""
import glob
import importlib.util
import itertools
import json
import os.path as osp
import runpy
import sys
from collections import OrderedDict

import mmcv
import pytest
import torch
from mmdet.models.backbones import ResNet
from mmengine.fileio import dump, load
from mmengine.logging import MMLogger
from mmengine.runner import CheckpointLoader

from mmsgg_rde.datasets import DEFAULT_DICT_FILE
from mmsgg_rde.evaluation import PredicateCountsNotFoundError
from mmsgg_rde.utils import DEBUG_ENV

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
INFER = osp.join(REPO_ROOT, 'tools', 'infer.py')
_LOGGER_IDS = itertools.count()


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


def run_infer_cli(args, monkeypatch, capsys):
    """Run ``tools/infer.py`` as a script in this process.

    Returns:
        tuple: Exit code, stdout (the log, through a fresh logger) and
        stderr.
    """
    monkeypatch.delenv(DEBUG_ENV, raising=False)
    monkeypatch.setattr(sys, 'argv', [INFER, *map(str, args)])
    # a logger created now writes to the captured stdout
    capsys.readouterr()
    MMLogger.get_instance(f'infer_cli_{next(_LOGGER_IDS)}')
    saved_schemes = OrderedDict(CheckpointLoader._schemes)
    try:
        with pytest.raises(SystemExit) as exit_info:
            runpy.run_path(INFER, run_name='__main__')
    finally:
        CheckpointLoader._schemes = saved_schemes
    captured = capsys.readouterr()
    return exit_info.value.code, captured.out, captured.err


def _images_and_boxes(infos, folder):
    """Copy the images of ``infos`` into ``folder``; their boxes by name.
    """
    folder.mkdir()
    boxes = {}
    for info in infos:
        name = osp.basename(info['img_path'])
        (folder / name).write_bytes(open(info['img_path'], 'rb').read())
        boxes[name] = dict(
            bboxes=info['bboxes'].tolist(),
            labels=info['bbox_labels'].tolist())
    return boxes


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
    images = tmp_path / 'images'
    boxes = _images_and_boxes(tiny_test_infos[:2], images)
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


def test_infer_cli_errors_are_one_line(tiny_sgg_config, tiny_sgg_checkpoint,
                                       tiny_test_infos, tmp_path, monkeypatch,
                                       capsys):
    images = tmp_path / 'images'
    _images_and_boxes(tiny_test_infos[:1], images)
    resnet = str(tmp_path / 'resnet18.pth')
    torch.save(ResNet(depth=18).state_dict(), resnet)
    with open(tiny_sgg_checkpoint, 'rb') as f:
        (tmp_path / 'cut.pth').write_bytes(f.read()[:20000])
    cases = [
        ([], 'InferenceInputError: The model runs in predcls mode'),
        (['--weights', resnet], f'CheckpointMismatchError: Checkpoint '
         f'"{resnet}" is not a checkpoint of this model'),
        (['--weights', tmp_path / 'cut.pth'], 'CheckpointReadError: Cannot '
         f'load checkpoint "{tmp_path / "cut.pth"}"'),
    ]
    for args, message in cases:
        code, _, err = run_infer_cli(
            [images, tiny_sgg_config, '--out-dir', tmp_path / 'out', *args],
            monkeypatch, capsys)
        assert code == 1
        lines = err.rstrip().splitlines()
        assert lines[-2].startswith(f'error: {message}'), err[-2000:]
        assert lines[-1] == f'(set {DEBUG_ENV}=1 to see the full traceback)'
        assert 'Traceback' not in err
    assert not (tmp_path / 'out').exists()


def test_infer_cli_exit_code_counts_failed_images(tiny_sgg_config,
                                                  tiny_sgg_checkpoint,
                                                  tiny_test_infos, tmp_path,
                                                  monkeypatch, capsys):
    """Any failed image makes the exit code 1, in a folder or alone."""
    folder = tmp_path / 'folder'
    boxes = _images_and_boxes(tiny_test_infos[:2], folder)
    (folder / 'broken.jpg').write_bytes(b'not an image')
    boxes['broken.jpg'] = dict(bboxes=[[0, 0, 10, 10]], labels=[1])
    boxes_file = tmp_path / 'boxes.json'
    boxes_file.write_text(json.dumps(boxes))
    common = [
        tiny_sgg_config, '--weights', tiny_sgg_checkpoint, '--boxes',
        boxes_file, '--no-save-vis'
    ]
    code, out, _ = run_infer_cli(
        [folder, *common, '--out-dir', tmp_path / 'a'], monkeypatch, capsys)
    assert code == 1
    assert '2 of 3 images done' in out and '1 of 3 images failed' in out
    assert 'broken.jpg: not a readable image' in out
    assert json.loads(
        (tmp_path / 'a' / 'preds' / 'broken.json').read_text())['error']
    code, out, _ = run_infer_cli(
        [folder / 'broken.jpg', *common, '--out-dir', tmp_path / 'b'],
        monkeypatch, capsys)
    assert code == 1
    assert '0 of 1 images done' in out and '1 of 1 images failed' in out
    good = sorted(boxes)[0]
    code, out, _ = run_infer_cli(
        [folder / good, *common, '--out-dir', tmp_path / 'c'], monkeypatch,
        capsys)
    assert code == 0
    assert '1 of 1 images done' in out and 'images failed' not in out


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
