"""Scene graphs for anyone's images: mmengine's inferencer workflow."""
import copy
import logging
import os.path as osp
from functools import partial
from typing import (Callable, Dict, Iterable, Iterator, List, Optional, Tuple,
                    Union)

import mmengine
import numpy as np
import torch
import torch.nn as nn
from mmdet.registry import DATASETS
from mmengine.config import Config, ConfigDict
from mmengine.dataset import Compose
from mmengine.infer.infer import BaseInferencer, ModelType
from mmengine.logging import print_log
from mmengine.model.utils import revert_sync_batchnorm
from mmengine.registry import FUNCTIONS, init_default_scope
from mmengine.runner.checkpoint import _load_checkpoint_to_model
from mmengine.visualization import Visualizer
from rich.progress import track

from mmsgg_rde.datasets.vg150_io import DEFAULT_DICT_FILE, load_vocabulary
from mmsgg_rde.engine import (check_checkpoint_match,
                              register_checkpoint_loaders)
from mmsgg_rde.evaluation.functional import top_relations
from mmsgg_rde.structures import SceneGraphDataSample
from mmsgg_rde.visualization import (NO_OBJECT_MESSAGE,
                                     SceneGraphLocalVisualizer)
from .inference_inputs import (BoxesArg, ImageSource, InferenceInput,
                               InferenceInputError, attach_boxes, check_boxes,
                               list_images, read_image)

__all__ = ['SceneGraphInferencer', 'drop_self_relations', 'SCORE_DIGITS']

InputsType = Union[ImageSource, List[ImageSource]]
#: A prepared image: its input, and the pipeline output or why it failed.
Prepared = Tuple[InferenceInput, Union[dict, InferenceInputError]]
#: Significant digits of the scores in the results.
SCORE_DIGITS = 6


def _significant(value: float, digits: int = SCORE_DIGITS) -> float:
    """``value`` rounded to ``digits`` significant digits (a weak model's
    triplet score of 1e-9 stays 1e-9, where rounding to decimals gives 0).
    """
    return float(f'{float(value):.{digits}g}')


def drop_self_relations(pred: SceneGraphDataSample) -> SceneGraphDataSample:
    """Remove the relations of an object with itself from a prediction.

    The relation heads give a single object the pair (0, 0), as the
    benchmark does and as its metric counts it (kept there for parity);
    no user-facing output should contain such a relation.

    Args:
        pred: A predicted data sample; changed in place.

    Returns:
        SceneGraphDataSample: ``pred``.
    """
    if 'pred_relations' in pred:
        pairs = pred.pred_relations.pairs.reshape(-1, 2)
        keep = pairs[:, 0] != pairs[:, 1]
        if not bool(keep.all()):
            pred.pred_relations = pred.pred_relations[keep]
    return pred


class SceneGraphInferencer(BaseInferencer):
    """Scene graph inference on images, in mmdet's ``DetInferencer`` style.

    ``preprocess`` (test pipeline, batching) -> ``forward``
    (``model.test_step``) -> ``visualize`` (:class:`SceneGraphLocalVisualizer`)
    -> ``postprocess`` (JSON-ready dicts, written to ``out_dir/preds``).

    The mode comes from the config (``model.mode``) or ``mode``: SGDet
    needs images only; PredCls needs boxes and labels for each image and
    SGCls boxes (see :mod:`mmsgg_rde.apis.inference_inputs` for the JSON
    layout). Each image's result::

        {'image': 'street.jpg', 'width': 640, 'height': 480,
         'mode': 'sgdet',
         'objects': [{'index': 0, 'bbox': [x1, y1, x2, y2], 'label': 12,
                      'class': 'horse', 'score': 0.93}, ...],
         'relations': [{'subject': 0, 'object': 3, 'predicate': 'on',
                        'predicate_id': 31, 'score': 0.42}, ...]}

    ``objects`` are all objects of the image (in PredCls/SGCls the given
    boxes, in order); ``relations`` the top ``num_relations`` by triplet
    score ``s_sub * s_obj * P(predicate)``, best first, never of an object
    with itself (the benchmark's pair (0, 0) of a single object is dropped;
    scores have 6 significant digits). An image that cannot be used gives
    ``{'image': ..., 'error': message}`` and the others are processed.

    Class and predicate names come from the checkpoint's
    ``meta['dataset_meta']`` (saved by mmengine's Runner), else from the
    test dataset's metainfo, else from the VG-150 vocabulary file shipped
    with mmsgg_rde.

    Args:
        model (str | dict | Config): Config file or config.
        weights (str, optional): Checkpoint file.
        device (str, optional): 'cpu', 'cuda', 'cuda:1' ...; the available
            device when None.
        mode (str, optional): Run the model in this mode instead of the
            config's ('predcls', 'sgcls' or 'sgdet').
        scope (str): Registry scope. Defaults to 'mmdet'.
        show_progress (bool): Show a progress bar. Defaults to True.
        trust_checkpoint (bool): Load a checkpoint that needs full
            unpickling (arbitrary code). Only for files you trust.
    """

    preprocess_kwargs: set = set()
    forward_kwargs: set = set()
    visualize_kwargs: set = set()
    postprocess_kwargs: set = set()

    def __init__(self,
                 model: Union[ModelType, str],
                 weights: Optional[str] = None,
                 device: Optional[str] = None,
                 mode: Optional[str] = None,
                 scope: str = 'mmdet',
                 show_progress: bool = True,
                 trust_checkpoint: bool = False) -> None:
        init_default_scope(scope)
        register_checkpoint_loaders(trust_checkpoint=trust_checkpoint)
        if mode is not None:
            model = (
                Config.fromfile(model)
                if isinstance(model, str) else copy.deepcopy(model))
            model.model.mode = mode
            for key in ('val_evaluator', 'test_evaluator'):
                if isinstance(model.get(key), dict):
                    model[key].mode = mode
        self.num_visualized_imgs = 0
        self.num_inputs = 0
        self._weights = weights
        super().__init__(
            model=model, weights=weights, device=device, scope=scope)
        self.model = revert_sync_batchnorm(self.model)
        self.show_progress = show_progress

    @property
    def mode(self) -> str:
        """The model's mode: 'predcls', 'sgcls' or 'sgdet'."""
        return self.model.mode

    @property
    def dataset_meta(self) -> dict:
        """``classes`` and ``predicates`` of the model."""
        return self.model.dataset_meta

    # ------------------------------------------------------------------
    # Building
    # ------------------------------------------------------------------
    def _load_weights_to_model(self, model: nn.Module,
                               checkpoint: Optional[dict],
                               cfg: Optional[Config]) -> None:
        """Load the weights and the class and predicate names.

        A checkpoint holding fewer of the model's weights than the config's
        ``default_hooks.checkpoint_match.min_fraction`` (0.5 when unset) is
        refused, as ``tools/test.py`` refuses it.
        """
        meta = {}
        if checkpoint is not None:
            hook = (cfg.get('default_hooks') or {}).get('checkpoint_match', {})
            check_checkpoint_match(
                model.state_dict(), checkpoint, self._weights,
                0. if hook is None else hook.get('min_fraction', 0.5))
            _load_checkpoint_to_model(model, checkpoint)
            meta = checkpoint.get('meta', {}).get('dataset_meta') or {}
        else:
            print_log(
                'SceneGraphInferencer: no weights given, the model is '
                'randomly initialised.',
                logger='current',
                level=logging.WARNING)
        if not (meta.get('classes') and meta.get('predicates')):
            meta = self._vocabulary_of(cfg)
        model.dataset_meta = dict(
            classes=tuple(meta['classes']),
            predicates=tuple(meta['predicates']))

    @staticmethod
    def _vocabulary_of(cfg: Config) -> dict:
        """Names from the test dataset's metainfo, else the shipped
        VG-150 vocabulary."""
        dataset_cfg = copy.deepcopy(cfg.test_dataloader.dataset)
        dataset_cfg['lazy_init'] = True
        try:
            return dict(DATASETS.build(dataset_cfg).metainfo)
        except FileNotFoundError as e:
            print_log(
                'SceneGraphInferencer: the checkpoint has no dataset_meta and '
                f'the test dataset is not available ({str(e).splitlines()[0]}'
                f'); using the class and predicate names of '
                f'{DEFAULT_DICT_FILE}.',
                logger='current',
                level=logging.WARNING)
            return dict(load_vocabulary(DEFAULT_DICT_FILE))

    def _init_pipeline(self, cfg: Config) -> Compose:
        """The test pipeline, reading images from arrays; annotations are
        loaded (the user's boxes) only in PredCls and SGCls."""
        pipeline = []
        for transform in copy.deepcopy(cfg.test_dataloader.dataset.pipeline):
            kind = transform['type']
            if kind in ('LoadImageFromFile', 'mmdet.LoadImageFromFile'):
                transform['type'] = 'mmdet.InferencerLoader'
            elif kind == 'LoadSceneGraphAnnotations' and (cfg.model.mode
                                                          == 'sgdet'):
                continue
            if 'meta_keys' in transform:
                transform['meta_keys'] = tuple(k
                                               for k in transform['meta_keys']
                                               if k != 'img_id')
            pipeline.append(transform)
        if not any(t['type'] == 'mmdet.InferencerLoader' for t in pipeline):
            raise ValueError('SceneGraphInferencer: the test pipeline has no '
                             'LoadImageFromFile.')
        return Compose(pipeline)

    def _init_collate(self, cfg: Config) -> Callable:
        """The test dataloader's ``collate_fn``, as the Runner builds it.

        mmengine's inferencer looks it up in the ``function`` registry of
        the ``mmdet`` scope, which does not exist (mmdet registers no
        functions), and warns at every start. The collate functions are
        mmengine's (``pseudo_collate`` when the config names none).
        """
        collate_cfg = copy.deepcopy(
            cfg.test_dataloader.get('collate_fn', dict(type='pseudo_collate')))
        if not isinstance(collate_cfg, dict):
            return collate_cfg
        collate_fn = collate_cfg.pop('type')
        if isinstance(collate_fn, str):
            collate_fn = FUNCTIONS.get(collate_fn)
        return partial(collate_fn, **collate_cfg)

    def _init_visualizer(self, cfg: Config) -> Visualizer:
        """The config's visualizer, which must draw scene graphs."""
        if 'visualizer' not in cfg:
            cfg.visualizer = ConfigDict(type='SceneGraphLocalVisualizer')
        # Pictures are written to out_dir, not to the training backends.
        cfg.visualizer.pop('vis_backends', None)
        visualizer = super()._init_visualizer(cfg)
        if not isinstance(visualizer, SceneGraphLocalVisualizer):
            raise TypeError(
                'SceneGraphInferencer: the config\'s visualizer is '
                f'{type(visualizer).__name__}; set visualizer = dict(type='
                "'SceneGraphLocalVisualizer') (configs/_base_/"
                'default_runtime.py does).')
        visualizer.dataset_meta = self.model.dataset_meta
        return visualizer

    # ------------------------------------------------------------------
    # Inference
    # ------------------------------------------------------------------
    def _prepare(self, item: InferenceInput) -> dict:
        """Read and check one input and run the pipeline on it."""
        img = read_image(item)
        results = dict(img=img)
        if self.mode != 'sgdet':
            height, width = img.shape[:2]
            results.update(
                check_boxes(item, width, height, self.dataset_meta['classes'],
                            self.mode == 'predcls'),
                relations=np.zeros((0, 3), dtype=np.int64))
        return self.pipeline(results)

    def preprocess(self,
                   inputs: Iterable[InferenceInput],
                   batch_size: int = 1,
                   **kwargs) -> Iterator[List[Prepared]]:
        """Batches of prepared inputs (failed ones carry their error)."""
        chunk: List[Prepared] = []
        for item in inputs:
            try:
                chunk.append((item, self._prepare(item)))
            except InferenceInputError as error:
                chunk.append((item, error))
            if sum(isinstance(d, dict) for _, d in chunk) == batch_size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    @torch.no_grad()
    def forward(self, inputs: List[Prepared],
                **kwargs) -> List[Optional[SceneGraphDataSample]]:
        """Predict the prepared inputs of a batch (None for failed ones),
        without relations of an object with itself."""
        valid = [data for _, data in inputs if isinstance(data, dict)]
        preds = iter(
            self.model.test_step(self.collate_fn(valid)) if valid else [])
        return [
            drop_self_relations(next(preds))
            if isinstance(data, dict) else None for _, data in inputs
        ]

    def __call__(self,
                 inputs: InputsType,
                 boxes: BoxesArg = None,
                 batch_size: int = 1,
                 num_relations: int = 20,
                 relation_score_thr: float = 0.,
                 multi_predicate: bool = False,
                 out_dir: str = '',
                 no_save_pred: bool = False,
                 no_save_vis: bool = False,
                 return_vis: bool = False,
                 show: bool = False,
                 wait_time: float = 0,
                 pred_score_thr: float = 0.3,
                 return_datasamples: bool = False,
                 print_result: bool = False) -> dict:
        """Infer scene graphs.

        Args:
            inputs: Image path, folder, BGR array, or a list of paths and
                arrays.
            boxes: PredCls/SGCls objects: a boxes JSON file, a dict keyed by
                image path or file name, or a list (one entry per image) of
                ``{'bboxes': [[x1, y1, x2, y2], ...], 'labels': [...]}``.
            batch_size: Images per forward pass. Defaults to 1.
            num_relations: Relations kept per image (K). Defaults to 20.
            relation_score_thr: Lowest triplet score kept. Defaults to 0.
            multi_predicate: Allow several predicates per pair (ranked as
                ng-R@K ranks them). Defaults to False (one per pair).
            out_dir: Write ``preds/<image>.json`` and ``vis/<image>`` there
                (nothing when empty).
            no_save_pred: Do not write the JSON files.
            no_save_vis: Do not draw pictures into ``out_dir``.
            return_vis: Return the pictures (RGB arrays).
            show: Show the pictures in a window.
            wait_time: Seconds to show each.
            pred_score_thr: Objects scoring above this are drawn even
                without a drawn relation. Defaults to 0.3.
            return_datasamples: Return data samples instead of dicts.
            print_result: Print the results.

        Returns:
            dict: ``predictions`` (one dict, data sample or error dict per
            image, in input order) and ``visualization`` (list of pictures
            when drawn and ``return_vis``, else None).
        """
        if batch_size < 1 or num_relations < 0:
            raise ValueError('batch_size must be >= 1 and num_relations >= '
                             f'0, got {batch_size} and {num_relations}.')
        items = attach_boxes(
            list_images(inputs, start_index=self.num_inputs), boxes)
        self.num_inputs += len(items)
        if self.mode != 'sgdet' and all(i.boxes is None for i in items):
            raise InferenceInputError(
                f'The model runs in {self.mode} mode, which takes the '
                f'objects\' boxes{" and labels" if self.mode == "predcls" else ""}'  # noqa: E501
                ' as input, and none were given: pass boxes= (tools/infer.py '
                '--boxes FILE; layout in docs/inference.md), or use an '
                'sgdet config (or mode=\'sgdet\') to detect objects.')
        relation_cfg = dict(
            num_relations=num_relations,
            relation_score_thr=relation_score_thr,
            multi_predicate=multi_predicate)
        batches = self.preprocess(
            track(items, description='Inference')
            if self.show_progress else items,
            batch_size=batch_size)
        results = dict(predictions=[], visualization=[])
        for chunk in batches:
            preds = self.forward(chunk)
            self._report_errors(chunk)
            self._report_empty(chunk, preds)
            visualization = self.visualize(
                chunk,
                preds,
                return_vis=return_vis,
                show=show,
                wait_time=wait_time,
                pred_score_thr=pred_score_thr,
                img_out_dir='' if no_save_vis else out_dir,
                **relation_cfg)
            batch_results = self.postprocess(
                chunk,
                preds,
                visualization,
                return_datasamples=return_datasamples,
                pred_out_dir='' if no_save_pred else out_dir,
                **relation_cfg)
            results['predictions'].extend(batch_results['predictions'])
            if batch_results['visualization'] is not None:
                results['visualization'].extend(batch_results['visualization'])
        if print_result:
            print_log(results['predictions'], logger='current')
        if not results['visualization']:
            results['visualization'] = None
        return results

    @staticmethod
    def _report_errors(chunk: List[Prepared]) -> None:
        """Log the inputs of a batch that were skipped."""
        for item, data in chunk:
            if isinstance(data, InferenceInputError):
                print_log(
                    f'Skipped {data}', logger='current', level=logging.WARNING)

    def _report_empty(self, chunk: List[Prepared],
                      preds: List[Optional[SceneGraphDataSample]]) -> None:
        """Log the images in which the model found no object."""
        for (item, _), pred in zip(chunk, preds):
            if pred is None or len(pred.pred_instances) > 0:
                continue
            rcnn_cfg = (self.model.cfg.model.get('test_cfg')
                        or {}).get('rcnn') or {}
            threshold = (f' (model.test_cfg.rcnn.score_thr='
                         f'{rcnn_cfg["score_thr"]})'
                         if 'score_thr' in rcnn_cfg else '')
            print_log(
                f'{item.name}: {NO_OBJECT_MESSAGE}{threshold}, so no scene '
                'graph. A model trained on SynthVG (the demo models) does '
                'not know real photos; docs/inference.md ("Which weights '
                'give scene graphs of real photos") says which weights do.',
                logger='current',
                level=logging.WARNING)

    def visualize(self,
                  inputs: List[Prepared],
                  preds: List[Optional[SceneGraphDataSample]],
                  return_vis: bool = False,
                  show: bool = False,
                  wait_time: float = 0,
                  pred_score_thr: float = 0.3,
                  img_out_dir: str = '',
                  **relation_cfg) -> Optional[List[np.ndarray]]:
        """Draw the predicted scene graphs of a batch.

        Pictures go to ``img_out_dir/vis/<image file name>``.

        Returns:
            list[np.ndarray] | None: The pictures (RGB) of the successful
            inputs when ``return_vis``.
        """
        if not (show or img_out_dir or return_vis):
            return None
        pictures = []
        for (item, data), pred in zip(inputs, preds):
            if pred is None:
                continue
            img = read_image(item)[..., ::-1]
            name = osp.basename(item.name)
            out_file = osp.join(img_out_dir, 'vis',
                                name) if img_out_dir else None
            self.visualizer.add_datasample(
                name,
                img,
                pred,
                draw_gt=False,
                show=show,
                wait_time=wait_time,
                out_file=out_file,
                pred_score_thr=pred_score_thr,
                **relation_cfg)
            pictures.append(self.visualizer.get_image())
            self.num_visualized_imgs += 1
        return pictures if return_vis else None

    def postprocess(self,
                    inputs: List[Prepared],
                    preds: List[Optional[SceneGraphDataSample]],
                    visualization: Optional[List[np.ndarray]] = None,
                    return_datasamples: bool = False,
                    pred_out_dir: str = '',
                    **relation_cfg) -> Dict[str, object]:
        """Results of a batch as dicts (written as JSON to
        ``pred_out_dir/preds/<image stem>.json``) or data samples."""
        results = []
        for (item, data), pred in zip(inputs, preds):
            if pred is None:
                result = dict(image=item.name, error=str(data))
            else:
                result = self.pred2dict(item, pred, **relation_cfg)
            if pred_out_dir:
                stem = osp.splitext(osp.basename(item.name))[0]
                mmengine.dump(
                    result,
                    osp.join(pred_out_dir, 'preds', f'{stem}.json'),
                    indent=1)
            results.append(
                pred if return_datasamples and pred is not None else result)
        return dict(predictions=results, visualization=visualization)

    def pred2dict(self,
                  item: InferenceInput,
                  pred: SceneGraphDataSample,
                  num_relations: int = 20,
                  relation_score_thr: float = 0.,
                  multi_predicate: bool = False) -> dict:
        """One image's scene graph as a JSON-ready dict (see the class
        doc)."""
        instances = pred.pred_instances
        bboxes = instances.bboxes.float().cpu().numpy()
        labels = instances.labels.cpu().numpy()
        scores = instances.scores.float().cpu().numpy()
        pairs = pred.pred_relations.pairs.cpu().numpy().reshape(-1, 2)
        rows, predicates, rel_scores = top_relations(
            pred.pred_relations.scores.float().cpu().numpy(),
            scores[pairs[:, 0]], scores[pairs[:, 1]], num_relations,
            multi_predicate, relation_score_thr)
        classes = self.dataset_meta['classes']
        names = self.dataset_meta['predicates']
        height, width = pred.metainfo['ori_shape'][:2]
        return dict(
            image=item.name,
            width=int(width),
            height=int(height),
            mode=self.mode,
            objects=[{
                'index': i,
                'bbox': [round(float(v), 2) for v in bboxes[i]],
                'label': int(labels[i]),
                'class': classes[labels[i]],
                'score': _significant(scores[i])
            } for i in range(len(labels))],
            relations=[
                dict(
                    subject=int(pairs[r, 0]),
                    object=int(pairs[r, 1]),
                    predicate=names[p - 1],
                    predicate_id=int(p),
                    score=_significant(s))
                for r, p, s in zip(rows, predicates, rel_scores)
            ])
