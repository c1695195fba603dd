import mmcv
import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData

from mmsgg_rde.datasets import load_vocabulary
from mmsgg_rde.structures import SceneGraphDataSample
from mmsgg_rde.visualization import SceneGraphLocalVisualizer

HEIGHT, WIDTH = 96, 128


def _sample(with_gt=True, with_pred=True):
    """Three objects; GT 0 -> 1; predictions for all six ordered pairs."""
    sample = SceneGraphDataSample(metainfo=dict(img_shape=(HEIGHT, WIDTH)))
    bboxes = torch.tensor([[5., 5., 40., 50.], [50., 10., 120., 60.],
                           [10., 60., 60., 90.]])
    labels = torch.tensor([77, 20, 33])
    if with_gt:
        sample.gt_instances = InstanceData(bboxes=bboxes, labels=labels)
        sample.gt_relations = InstanceData(
            pairs=torch.tensor([[0, 1]]), labels=torch.tensor([31]))
    if with_pred:
        sample.pred_instances = InstanceData(
            bboxes=bboxes, labels=labels, scores=torch.tensor([0.9, 0.8, 0.2]))
        pairs = torch.tensor([[0, 1], [1, 0], [0, 2], [2, 0], [1, 2], [2, 1]])
        scores = torch.softmax(
            torch.arange(6 * 51, dtype=torch.float32).reshape(6, 51) % 7,
            dim=1)
        sample.pred_relations = InstanceData(
            pairs=pairs, scores=scores, labels=scores[:, 1:].argmax(1) + 1)
    return sample


@pytest.fixture
def visualizer():
    vis = SceneGraphLocalVisualizer(
        name=f'vis_{np.random.randint(1 << 30)}', min_height=200)
    vis.dataset_meta = load_vocabulary()
    return vis


def test_ground_truth_and_prediction_side_by_side(visualizer, tmp_path):
    image = np.full((HEIGHT, WIDTH, 3), 100, dtype=np.uint8)
    out_file = str(tmp_path / 'both.png')
    visualizer.add_datasample('img', image, _sample(), out_file=out_file)
    # each graph: the image scaled to 200 high, and a 200 x 200 graph
    width = round(WIDTH * 200 / HEIGHT)
    assert mmcv.imread(out_file).shape == (200, 2 * (width + 200), 3)
    assert visualizer.get_image().shape == (200, 2 * (width + 200), 3)


def test_prediction_only_and_without_graph(visualizer, tmp_path):
    image = np.zeros((300, 250, 3), dtype=np.uint8)  # taller: not scaled
    visualizer.add_datasample(
        'img',
        image,
        _sample(),
        draw_gt=False,
        out_file=str(tmp_path / 'a.png'))
    assert mmcv.imread(str(tmp_path / 'a.png')).shape == (300, 550, 3)
    visualizer.draw_graph = False
    visualizer.add_datasample(
        'img', image, _sample(with_gt=False), out_file=str(tmp_path / 'b.jpg'))
    assert mmcv.imread(str(tmp_path / 'b.jpg')).shape == (300, 250, 3)


def test_drawn_relations_follow_the_options(visualizer):
    sample = _sample()
    graph = visualizer.pred_graph(sample, num_relations=2)
    assert graph.pairs.shape == (2, 2) and len(
        set(map(tuple, graph.pairs.tolist()))) == 2
    assert np.all(np.diff(graph.rel_scores) <= 0)
    several = visualizer.pred_graph(
        sample, num_relations=8, multi_predicate=True)
    assert len(several.pairs) == 8
    assert len(set(map(tuple, several.pairs.tolist()))) < 8
    # object 2 (score 0.2) is drawn only through a drawn relation
    assert visualizer.pred_graph(
        sample, pred_score_thr=0.5,
        num_relations=0).objects.tolist() == [0, 1]
    thr = visualizer.pred_graph(
        sample, num_relations=6, relation_score_thr=graph.rel_scores[0])
    assert np.all(thr.rel_scores >= graph.rel_scores[0])
    gt = visualizer.gt_graph(sample)
    assert gt.pairs.tolist() == [[0, 1]] and gt.predicates.tolist() == [31]
    assert visualizer._relation_texts(gt) == ['on']
    assert visualizer._object_texts(gt) == ['0 man', '1 branch', '2 cup']


def test_names_from_dataset_meta_or_ids(visualizer):
    assert visualizer._class_name(77) == 'man'
    assert visualizer._predicate_name(31) == 'on'
    visualizer.dataset_meta = {}
    assert visualizer._class_name(77) == 'class 77'
    assert visualizer._predicate_name(31) == 'predicate 31'


def test_bad_arguments():
    with pytest.raises(ValueError, match='num_relations must be >= 0'):
        SceneGraphLocalVisualizer(name='bad_vis', num_relations=-1)


def test_circle_order_keeps_components_together():
    from mmsgg_rde.visualization import circle_order
    nodes = np.array([0, 1, 2, 3, 5, 7])
    pairs = np.array([[7, 0], [2, 5], [0, 3], [5, 1]])
    assert circle_order(nodes, pairs).tolist() == [0, 3, 7, 1, 5, 2]
    assert circle_order(nodes[:2], np.zeros((0, 2))).tolist() == [0, 1]


def _single_object_sample(score):
    """One predicted object and the benchmark's pair (0, 0) for it."""
    sample = SceneGraphDataSample(metainfo=dict(img_shape=(HEIGHT, WIDTH)))
    sample.pred_instances = InstanceData(
        bboxes=torch.tensor([[5., 5., 40., 50.]]),
        labels=torch.tensor([77]),
        scores=torch.tensor([score]))
    scores = torch.full((1, 51), 1 / 51)
    sample.pred_relations = InstanceData(
        pairs=torch.tensor([[0, 0]]), scores=scores, labels=torch.tensor([1]))
    return sample


def _drawn_texts(visualizer, monkeypatch, sample):
    """The texts drawn for ``sample``'s prediction."""
    texts = []
    draw_texts = SceneGraphLocalVisualizer.draw_texts

    def record(self, text, *args, **kwargs):
        texts.append(text)
        return draw_texts(self, text, *args, **kwargs)

    monkeypatch.setattr(SceneGraphLocalVisualizer, 'draw_texts', record)
    image = np.zeros((HEIGHT, WIDTH, 3), dtype=np.uint8)
    visualizer.add_datasample('img', image, sample, draw_gt=False)
    monkeypatch.setattr(SceneGraphLocalVisualizer, 'draw_texts', draw_texts)
    return texts


def test_no_relation_of_an_object_with_itself(visualizer, monkeypatch):
    graph = visualizer.pred_graph(_single_object_sample(0.9))
    assert graph.pairs.shape == (0, 2) and len(graph.predicates) == 0
    assert graph.objects.tolist() == [0]
    texts = _drawn_texts(visualizer, monkeypatch, _single_object_sample(0.9))
    # the object on both panels and the title; no arrow ('above 0.02')
    assert sorted(texts) == ['0 man 0.90', '0 man 0.90', 'Prediction']


def test_nothing_drawn_says_no_object_above_the_threshold(
        visualizer, monkeypatch):
    empty = SceneGraphDataSample(metainfo=dict(img_shape=(HEIGHT, WIDTH)))
    empty.pred_instances = InstanceData(
        bboxes=torch.zeros(0, 4),
        labels=torch.zeros(0, dtype=torch.long),
        scores=torch.zeros(0))
    empty.pred_relations = InstanceData(
        pairs=torch.zeros(0, 2, dtype=torch.long),
        scores=torch.zeros(0, 51),
        labels=torch.zeros(0, dtype=torch.long))
    message = 'no object above the score threshold'
    # the image panel and the graph panel
    assert _drawn_texts(visualizer, monkeypatch, empty).count(message) == 2
    # one object under pred_score_thr, and no relation to draw it by
    weak = _single_object_sample(0.1)
    assert _drawn_texts(visualizer, monkeypatch, weak).count(message) == 2
    assert message not in _drawn_texts(visualizer, monkeypatch, _sample())
