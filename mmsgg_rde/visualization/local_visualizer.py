"""Scene graph pictures: boxes and relation arrows on the image, plus the
graph drawn beside it (matplotlib only, no graphviz)."""
from typing import List, NamedTuple, Optional, Sequence, Tuple

import mmcv
import numpy as np
import torch
from matplotlib import colormaps
from mmdet.registry import VISUALIZERS
from mmdet.structures.bbox import get_box_tensor
from mmdet.visualization import DetLocalVisualizer
from mmengine.dist import master_only

from mmsgg_rde.evaluation.functional import top_relations

__all__ = [
    'SceneGraphLocalVisualizer', 'DrawnGraph', 'object_colors', 'circle_order',
    'NO_OBJECT_MESSAGE'
]

#: Written on a prediction's panels when no object is drawn.
NO_OBJECT_MESSAGE = 'no object above the score threshold'

#: Curvature (matplotlib ``arc3`` rad) of an arrow whose reverse is drawn
#: too, so that A -> B and B -> A do not overlap.
_ARC_RAD = 0.25


class DrawnGraph(NamedTuple):
    """The part of a scene graph that is drawn.

    Attributes:
        bboxes: (N, 4) xyxy boxes of all objects of the image.
        labels: (N,) object classes.
        scores: (N,) object scores, or None (ground truth).
        objects: (n,) indices of the drawn objects.
        pairs: (R, 2) subject and object indices of the drawn relations.
        predicates: (R,) predicate ids 1..C.
        rel_scores: (R,) triplet scores, or None (ground truth).
    """

    bboxes: np.ndarray
    labels: np.ndarray
    scores: Optional[np.ndarray]
    objects: np.ndarray
    pairs: np.ndarray
    predicates: np.ndarray
    rel_scores: Optional[np.ndarray]


def _numpy(value: object, dtype: Optional[type] = None) -> np.ndarray:
    """A tensor or box structure as a numpy array."""
    if not isinstance(value, (np.ndarray, torch.Tensor)):
        value = get_box_tensor(value)
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu()
        # bfloat16 (autocast on CPU) has no numpy dtype.
        value = (value.float() if value.is_floating_point() else value).numpy()
    return np.asarray(value, dtype=dtype)


def circle_order(nodes: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """Order graph nodes for a circular layout: connected components one
    after the other, each in breadth-first order from its smallest node,
    so that related objects sit near each other.

    Args:
        nodes: (n,) node ids, ascending.
        pairs: (E, 2) edges between them.

    Returns:
        np.ndarray: (n,) the node ids in circle order.
    """
    neighbours = {int(n): set() for n in nodes}
    for s, o in np.asarray(pairs).reshape(-1, 2).tolist():
        neighbours[s].add(o)
        neighbours[o].add(s)
    order, seen = [], set()
    for start in neighbours:
        queue = [start] if start not in seen else []
        seen.update(queue)
        while queue:
            node = queue.pop(0)
            order.append(node)
            for nxt in sorted(neighbours[node] - seen):
                seen.add(nxt)
                queue.append(nxt)
    return np.asarray(order, dtype=np.int64)


def object_colors(num: int) -> List[Tuple[int, int, int]]:
    """One RGB colour per object index (matplotlib's ``tab20``, cycled)."""
    table = colormaps['tab20'].colors
    # Even entries first: the saturated half of tab20.
    order = list(range(0, 20, 2)) + list(range(1, 20, 2))
    return [
        tuple(int(round(c * 255)) for c in table[order[i % 20]])
        for i in range(num)
    ]


@VISUALIZERS.register_module()
class SceneGraphLocalVisualizer(DetLocalVisualizer):
    """Draw scene graphs: the image and the graph beside it.

    Each drawn graph is two panels of equal height: the image with numbered,
    class-named boxes and an arrow from subject to object (predicate name on
    it) for each drawn relation, and the graph itself (nodes = objects,
    edges = predicates) in a square panel. With ground truth and prediction
    (``tools/test.py --show-dir`` through mmdet's ``DetVisualizationHook``),
    the ground truth is on the left and the prediction on the right.

    The predicted relations drawn are the ``num_relations`` best by triplet
    score, as the metric ranks them (one predicate per pair, or several with
    ``multi_predicate``). Drawn objects: those of the drawn relations and
    those scoring above ``pred_score_thr``. Object numbers are their indices
    in the data sample (the ``index`` of the inferencer's JSON). Class and
    predicate names come from ``dataset_meta`` (``classes``, ``predicates``).
    A relation of an object with itself (the benchmark's pair (0, 0) of a
    single object) is never drawn; a prediction with no drawn object says
    :data:`NO_OBJECT_MESSAGE` on both panels.

    Images are scaled up so that a panel is at least ``min_height`` pixels
    high; the picture is ``H x (W' + H)`` per graph, with ``H = max(h,
    min_height)`` and ``W' = w * H / h`` (``W'`` alone without the graph).

    Args:
        name (str): Instance name. Defaults to 'visualizer'.
        image (np.ndarray, optional): RGB image to draw on.
        vis_backends (list, optional): Visual backend configs.
        save_dir (str, optional): Save directory of the backends.
        text_color (tuple): RGB colour of the texts. Defaults to white.
        line_width (float): Width of boxes and arrows. Defaults to 2.
        alpha (float): Opacity of boxes. Defaults to 0.9.
        num_relations (int): Predicted relations drawn. Defaults to 10.
        relation_score_thr (float): Lowest triplet score of a drawn
            predicted relation. Defaults to 0.
        multi_predicate (bool): Allow several predicates per pair among the
            drawn relations. Defaults to False.
        min_height (int): Smallest panel height in pixels. Defaults to 480.
        draw_graph (bool): Draw the graph panel. Defaults to True.
    """

    def __init__(self,
                 name: str = 'visualizer',
                 image: Optional[np.ndarray] = None,
                 vis_backends: Optional[List[dict]] = None,
                 save_dir: Optional[str] = None,
                 text_color: Tuple[int, int, int] = (255, 255, 255),
                 line_width: float = 2,
                 alpha: float = 0.9,
                 num_relations: int = 10,
                 relation_score_thr: float = 0.,
                 multi_predicate: bool = False,
                 min_height: int = 480,
                 draw_graph: bool = True) -> None:
        super().__init__(
            name=name,
            image=image,
            vis_backends=vis_backends,
            save_dir=save_dir,
            text_color=text_color,
            line_width=line_width,
            alpha=alpha)
        if num_relations < 0 or min_height < 1:
            raise ValueError(
                'SceneGraphLocalVisualizer: num_relations must be >= 0 and '
                f'min_height >= 1, got {num_relations} and {min_height}.')
        self.num_relations = num_relations
        self.relation_score_thr = relation_score_thr
        self.multi_predicate = multi_predicate
        self.min_height = min_height
        self.draw_graph = draw_graph

    # ------------------------------------------------------------------
    # What to draw
    # ------------------------------------------------------------------
    @staticmethod
    def gt_graph(data_sample) -> Optional[DrawnGraph]:
        """All GT objects and relations of a data sample (None if absent)."""
        if 'gt_instances' not in data_sample:
            return None
        instances = data_sample.gt_instances
        bboxes = _numpy(instances.bboxes, np.float32).reshape(-1, 4)
        pairs = np.zeros((0, 2), dtype=np.int64)
        predicates = np.zeros(0, dtype=np.int64)
        if 'gt_relations' in data_sample:
            pairs = _numpy(data_sample.gt_relations.pairs,
                           np.int64).reshape(-1, 2)
            predicates = _numpy(data_sample.gt_relations.labels, np.int64)
        return DrawnGraph(bboxes, _numpy(instances.labels, np.int64), None,
                          np.arange(len(bboxes)), pairs, predicates, None)

    def pred_graph(self,
                   data_sample,
                   pred_score_thr: float = 0.3,
                   num_relations: Optional[int] = None,
                   relation_score_thr: Optional[float] = None,
                   multi_predicate: Optional[bool] = None
                   ) -> Optional[DrawnGraph]:
        """The predicted objects and top relations of a data sample,
        without relations of an object with itself.

        Unset options take the visualizer's values. None if the sample has
        no prediction.
        """
        if 'pred_instances' not in data_sample:
            return None
        instances = data_sample.pred_instances
        bboxes = _numpy(instances.bboxes, np.float32).reshape(-1, 4)
        scores = _numpy(instances.scores, np.float64)
        pairs = np.zeros((0, 2), dtype=np.int64)
        predicates = np.zeros(0, dtype=np.int64)
        rel_scores = np.zeros(0)
        if 'pred_relations' in data_sample:
            all_pairs = _numpy(data_sample.pred_relations.pairs,
                               np.int64).reshape(-1, 2)
            all_scores = _numpy(data_sample.pred_relations.scores, np.float64)
            distinct = all_pairs[:, 0] != all_pairs[:, 1]
            all_pairs, all_scores = all_pairs[distinct], all_scores[distinct]
            rows, predicates, rel_scores = top_relations(
                all_scores, scores[all_pairs[:, 0]], scores[all_pairs[:, 1]],
                self.num_relations if num_relations is None else num_relations,
                self.multi_predicate if multi_predicate is None else
                multi_predicate, self.relation_score_thr
                if relation_score_thr is None else relation_score_thr)
            pairs = all_pairs[rows]
        objects = np.union1d(pairs.ravel(),
                             np.flatnonzero(scores > pred_score_thr))
        return DrawnGraph(bboxes, _numpy(instances.labels, np.int64), scores,
                          objects, pairs, predicates, rel_scores)

    # ------------------------------------------------------------------
    # Drawing
    # ------------------------------------------------------------------
    def _class_name(self, label: int) -> str:
        classes = self.dataset_meta.get('classes')
        return classes[label] if classes and 0 <= label < len(
            classes) else f'class {label}'

    def _predicate_name(self, predicate: int) -> str:
        predicates = self.dataset_meta.get('predicates')
        if predicates and 1 <= predicate <= len(predicates):
            return predicates[predicate - 1]
        return f'predicate {predicate}'

    def _font_size(self, height: int) -> int:
        """Font size (points) for a panel ``height`` pixels high."""
        return max(7, int(round(height / 42)))

    def _object_texts(self, graph: DrawnGraph) -> List[str]:
        """``'<index> <class>'`` (and the score, if not all 1) per object."""
        with_score = graph.scores is not None and np.any(graph.scores < 1)
        texts = []
        for i in graph.objects:
            text = f'{i} {self._class_name(int(graph.labels[i]))}'
            if with_score:
                text += f' {graph.scores[i]:.2f}'
            texts.append(text)
        return texts

    def _relation_texts(self, graph: DrawnGraph) -> List[str]:
        """Predicate name (and triplet score) per drawn relation."""
        texts = []
        for r, predicate in enumerate(graph.predicates):
            text = self._predicate_name(int(predicate))
            if graph.rel_scores is not None:
                text += f' {graph.rel_scores[r]:.2f}'
            texts.append(text)
        return texts

    def _draw_arrows(self, graph: DrawnGraph, points: np.ndarray,
                     colors: Sequence[Tuple[int, int, int]], shrink: float,
                     font_size: int) -> None:
        """Subject -> object arrows between ``points`` (per object), one per
        ordered pair, labelled with its predicates."""
        labels = {}
        for (s, o), text in zip(graph.pairs.tolist(),
                                self._relation_texts(graph)):
            labels.setdefault((s, o), []).append(text)
        shrink_points = shrink * 72 / self.dpi
        for (s, o), texts in labels.items():
            start, end = points[s], points[o]
            rad = _ARC_RAD if (o, s) in labels else 0.
            color = tuple(c / 255 for c in colors[s])
            self.ax_save.annotate(
                '',
                xy=end,
                xytext=start,
                arrowprops=dict(
                    arrowstyle='-|>',
                    color=color,
                    lw=self.line_width,
                    shrinkA=shrink_points,
                    shrinkB=shrink_points,
                    mutation_scale=2.5 * font_size,
                    connectionstyle=f'arc3,rad={rad}'))
            # Midpoint of the arc (image coordinates, y pointing down),
            # inside the panel.
            dx, dy = end - start
            middle = np.clip((start + end) / 2 + rad / 2 * np.array([-dy, dx]),
                             0, [self.width - 1, self.height - 1])
            self.draw_texts(
                '\n'.join(texts),
                middle,
                font_sizes=font_size,
                colors=self.text_color,
                vertical_alignments='center',
                horizontal_alignments='center',
                bboxes=dict(
                    facecolor=color,
                    alpha=0.75,
                    pad=0.2,
                    edgecolor='none',
                    boxstyle='round'))

    def _draw_no_object(self, graph: DrawnGraph, width: int, height: int,
                        font_size: int) -> None:
        """Write :data:`NO_OBJECT_MESSAGE` in the middle of a prediction's
        ``width`` x ``height`` panel when it shows no object."""
        if graph.scores is None or len(graph.objects):
            return
        self.draw_texts(
            NO_OBJECT_MESSAGE,
            np.array([width / 2, height / 2]),
            font_sizes=font_size,
            colors=(255, 255, 255),
            vertical_alignments='center',
            horizontal_alignments='center',
            bboxes=dict(
                facecolor=(0, 0, 0),
                alpha=0.7,
                pad=0.4,
                edgecolor='none',
                boxstyle='round'))

    def _draw_image_panel(self, image: np.ndarray, graph: DrawnGraph,
                          scale: np.ndarray) -> np.ndarray:
        """The image with boxes and relation arrows.

        ``scale`` is (4,) x, y, x, y factors from the boxes' image to
        ``image``. A box may reach the image's right and bottom edge (x2 =
        width), where mmengine's bounds check ends (x < width): boxes are
        drawn clipped to the last pixel row and column.
        """
        self.set_image(image)
        font_size = self._font_size(image.shape[0])
        colors = object_colors(len(graph.bboxes))
        height, width = image.shape[:2]
        bboxes = np.clip(graph.bboxes * scale, 0,
                         [width - 1, height - 1] * 2).reshape(-1, 4)
        if len(graph.objects):
            self.draw_bboxes(
                bboxes[graph.objects],
                edge_colors=[colors[i] for i in graph.objects],
                alpha=self.alpha,
                line_widths=self.line_width)
        centres = (bboxes[:, :2] + bboxes[:, 2:]) / 2
        self._draw_arrows(graph, centres, colors, 0, font_size)
        for i, text in zip(graph.objects, self._object_texts(graph)):
            self.draw_texts(
                text,
                np.minimum(bboxes[i, :2] + self.line_width,
                           [width - 1, height - 1]),
                font_sizes=font_size,
                colors=self.text_color,
                bboxes=dict(
                    facecolor=tuple(c / 255 for c in colors[i]),
                    alpha=0.8,
                    pad=0.2,
                    edgecolor='none'))
        self._draw_no_object(graph, image.shape[1], image.shape[0], font_size)
        return self.get_image()

    def _draw_graph_panel(self, size: int, graph: DrawnGraph,
                          title: str) -> np.ndarray:
        """The graph in a ``size`` x ``size`` white panel: the objects of
        the drawn relations (all drawn objects if there is none) on a circle
        in :func:`circle_order`."""
        self.set_image(np.full((size, size, 3), 255, dtype=np.uint8))
        font_size = self._font_size(size)
        colors = object_colors(len(graph.bboxes))
        nodes = circle_order(
            np.unique(graph.pairs) if len(graph.pairs) else graph.objects,
            graph.pairs)
        angles = 2 * np.pi * np.arange(len(nodes)) / max(len(nodes),
                                                         1) - np.pi / 2
        points = np.zeros((len(graph.bboxes), 2))
        points[nodes] = np.array([size / 2, size / 2 + font_size]) + (
            0.36 * size *
            np.stack([np.cos(angles), np.sin(angles)], 1))
        self._draw_arrows(graph, points, colors, 0.05 * size, font_size)
        texts = dict(zip(graph.objects.tolist(), self._object_texts(graph)))
        for i in nodes:
            self.draw_texts(
                texts.get(int(i), str(i)),
                points[i],
                font_sizes=font_size,
                colors=self.text_color,
                vertical_alignments='center',
                horizontal_alignments='center',
                bboxes=dict(
                    facecolor=tuple(c / 255 for c in colors[i]),
                    alpha=1.0,
                    pad=0.4,
                    edgecolor='none',
                    boxstyle='round'))
        self.draw_texts(
            title,
            np.array([font_size / 2, font_size / 2]),
            font_sizes=font_size,
            colors=(0, 0, 0))
        self._draw_no_object(graph, size, size, font_size)
        return self.get_image()

    def draw_scene_graph(self, image: np.ndarray, graph: DrawnGraph,
                         title: str) -> np.ndarray:
        """The image panel (and the graph panel) of one scene graph.

        Args:
            image (np.ndarray): (h, w, 3) RGB image.
            graph (DrawnGraph): What to draw, boxes in image pixels.
            title (str): Title of the graph panel.

        Returns:
            np.ndarray: (H, W' + H, 3) RGB picture (see the class doc).
        """
        height, width = image.shape[:2]
        if self.min_height > height:
            image = mmcv.imrescale(
                image, self.min_height / height, interpolation='bilinear')
        # The rescaled sides are rounded: each axis has its own factor.
        scale = np.array([image.shape[1] / width, image.shape[0] / height] * 2)
        panels = [self._draw_image_panel(image, graph, scale)]
        if self.draw_graph:
            panels.append(self._draw_graph_panel(image.shape[0], graph, title))
        return np.concatenate(panels, axis=1)

    @master_only
    def add_datasample(self,
                       name: str,
                       image: np.ndarray,
                       data_sample=None,
                       draw_gt: bool = True,
                       draw_pred: bool = True,
                       show: bool = False,
                       wait_time: float = 0,
                       out_file: Optional[str] = None,
                       pred_score_thr: float = 0.3,
                       step: int = 0,
                       num_relations: Optional[int] = None,
                       relation_score_thr: Optional[float] = None,
                       multi_predicate: Optional[bool] = None) -> None:
        """Draw the GT and/or predicted scene graph of a data sample.

        Same arguments as :meth:`DetLocalVisualizer.add_datasample` (so that
        mmdet's ``DetVisualizationHook`` drives it), plus the relation
        options, which default to the visualizer's.

        Args:
            name (str): Image identifier.
            image (np.ndarray): RGB image.
            data_sample (SceneGraphDataSample, optional): Sample with
                ``gt_instances``/``gt_relations`` and/or
                ``pred_instances``/``pred_relations``.
            draw_gt (bool): Draw the ground truth. Defaults to True.
            draw_pred (bool): Draw the prediction. Defaults to True.
            show (bool): Show the picture in a window. Defaults to False.
            wait_time (float): Seconds to show it. Defaults to 0.
            out_file (str, optional): Write the picture there instead of to
                the backends.
            pred_score_thr (float): Predicted objects scoring above this
                are drawn even without a drawn relation. Defaults to 0.3.
            step (int): Global step for the backends. Defaults to 0.
            num_relations (int, optional): Predicted relations drawn.
            relation_score_thr (float, optional): Lowest triplet score drawn.
            multi_predicate (bool, optional): Several predicates per pair.
        """
        image = image.clip(0, 255).astype(np.uint8)
        panels = []
        if data_sample is not None:
            data_sample = data_sample.cpu()
            gt = self.gt_graph(data_sample) if draw_gt else None
            if gt is not None:
                panels.append(self.draw_scene_graph(image, gt, 'Ground truth'))
            pred = self.pred_graph(data_sample, pred_score_thr, num_relations,
                                   relation_score_thr,
                                   multi_predicate) if draw_pred else None
            if pred is not None:
                panels.append(self.draw_scene_graph(image, pred, 'Prediction'))
        drawn = np.concatenate(panels, axis=1) if panels else image
        self.set_image(drawn)
        if show:
            self.show(drawn, win_name=name, wait_time=wait_time)
        if out_file is not None:
            mmcv.imwrite(drawn[..., ::-1], out_file)
        else:
            self.add_image(name, drawn, step)
