"""A two-stage detector with a relation head: PredCls, SGCls and SGDet."""
import logging
import os.path as osp
from typing import List, Optional, Tuple

import torch
from mmdet.models.detectors import TwoStageDetector
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from mmdet.structures.bbox import bbox2roi, get_box_tensor, scale_boxes
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig
from mmengine.logging import print_log
from mmengine.runner import CheckpointLoader, load_state_dict
from mmengine.structures import InstanceData
from torch import Tensor

from mmsgg_rde.structures import check_mode
from mmsgg_rde.utils import UserError
from ..detectron import assign_proposal_labels
from ..layers import single_label_nms

__all__ = [
    'SceneGraphRCNN', 'DetectorNotLoadedError',
    'DetectorCheckpointNotFoundError'
]

#: Submodules that make up the (pretrained, optionally frozen) detector.
DETECTOR_PARTS = ('backbone', 'neck', 'rpn_head', 'roi_head')
#: Where a VG-150 detector checkpoint comes from, for error messages.
DETECTOR_SOURCES = (
    'convert the scene graph benchmark\'s VG-150 Faster R-CNN with '
    'tools/model_converters/sgb_to_mmdet.py, or train one with '
    'configs/detectors/faster-rcnn_x101-32x8d_fpn_vg150_sgb.py')


class DetectorNotLoadedError(UserError, RuntimeError):
    """SGCls/SGDet training on a detector that has no trained weights."""


class DetectorCheckpointNotFoundError(UserError, FileNotFoundError):
    """``detector_checkpoint`` names a file that does not exist."""


@MODELS.register_module()
class SceneGraphRCNN(TwoStageDetector):
    """Scene graph generation on top of an mmdet two-stage detector.

    The detector parts (backbone, neck, RPN, RoI head) are configured as in
    mmdet, so a VG-150 Faster R-CNN trained with mmdet plugs in through
    ``detector_checkpoint``. The objects given to the relation head depend
    on ``mode``:

    - ``predcls``: GT boxes and labels, scores 1.
    - ``sgcls``: GT boxes, labels/scores of the detector's box head and its
      ``logits`` (N, C + 1), background last.
    - ``sgdet``: the detector's detections, post-processed as the scene
      graph benchmark does (per-class NMS, one label per box, at most
      ``test_cfg.rcnn.max_per_img``), with ``logits`` and the per-class
      boxes ``bboxes_per_cls`` (N, C, 4) (to re-regress a box to another
      class). In training the RPN uses ``train_cfg.rpn_proposal``, the GT
      boxes join the proposals and each detection carries
      ``assigned_labels`` (``train_cfg.sgdet``).

    GT boxes come in the network input frame in training and, following
    mmdet's test pipelines, in original pixels at test time (they are scaled
    by ``scale_factor`` here). Predicted boxes are returned in original
    pixels when ``rescale=True``.

    Args:
        backbone (dict): Backbone config.
        relation_head (dict): Relation head config; ``mode``, ``train_cfg``
            (``train_cfg.relation``) and ``test_cfg`` (``test_cfg.relation``)
            are filled in.
        mode (str): 'predcls', 'sgcls' or 'sgdet'. Defaults to 'predcls'.
        neck (dict, optional): Neck config.
        rpn_head (dict, optional): RPN head config (needed for SGDet).
        roi_head (dict, optional): RoI head config (needed for SGCls and
            SGDet).
        freeze_detector (bool): Freeze the detector parts (no gradients, eval
            mode even in training). Defaults to True.
        detector_checkpoint (str, optional): mmdet checkpoint loaded into the
            detector parts by :meth:`init_weights`; the relation head's FC
            layers are then copied from the box head where shapes match.
            SGCls and SGDet refuse to train on a detector whose weights
            came from neither this file nor ``load_from``/``resume``: its
            detections are random and the relation losses are zero.
        detector_config (str, optional): The config that trains the
            detector of ``detector_checkpoint`` (e.g. SynthVG's), named by
            the errors about a missing detector. None: a VG-150 detector
            (the benchmark's, converted, or
            configs/detectors/faster-rcnn_x101-32x8d_fpn_vg150_sgb.py).
        train_detector (bool): Add the detector's own RPN and box losses to
            the training losses (needs ``freeze_detector=False``), so that
            SGCls/SGDet can train on a detector without a checkpoint, as in
            a demo; a warning says so. The benchmark trains relations on a
            frozen pretrained detector. Defaults to False.
        train_cfg (dict, optional): mmdet ``rpn``/``rpn_proposal``/``rcnn``
            configs, ``sgdet`` (``add_gt_as_proposals``, ``pos_iou_thr``)
            for SGDet training and ``relation`` for the relation head.
        test_cfg (dict, optional): mmdet ``rpn``/``rcnn`` configs (used for
            SGDet detections) plus ``relation`` for the relation head.
        data_preprocessor (dict, optional): Data preprocessor config.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 backbone: ConfigType,
                 relation_head: ConfigType,
                 mode: str = 'predcls',
                 neck: OptConfigType = None,
                 rpn_head: OptConfigType = None,
                 roi_head: OptConfigType = None,
                 freeze_detector: bool = True,
                 detector_checkpoint: Optional[str] = None,
                 detector_config: Optional[str] = None,
                 train_detector: bool = False,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        check_mode(mode, 'model.mode')
        if mode != 'predcls' and roi_head is None:
            raise ValueError(f'mode={mode!r} needs the detector roi_head; '
                             'add roi_head to the model config.')
        if mode == 'sgdet' and rpn_head is None:
            raise ValueError("mode='sgdet' needs the detector rpn_head; add "
                             'rpn_head to the model config.')
        if train_detector and (freeze_detector or rpn_head is None
                               or roi_head is None):
            raise ValueError(
                'train_detector=True trains the detector with its RPN and box '
                'losses: set freeze_detector=False and give rpn_head and '
                'roi_head in the model config.')
        super().__init__(
            backbone=backbone,
            neck=neck,
            rpn_head=rpn_head,
            roi_head=roi_head,
            train_cfg=train_cfg,
            test_cfg=test_cfg,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        self.mode = mode
        relation_head = dict(relation_head)
        relation_head.update(
            mode=mode,
            train_cfg=(train_cfg or {}).get('relation'),
            test_cfg=(test_cfg or {}).get('relation'))
        self.relation_head = MODELS.build(relation_head)
        self.freeze_detector = freeze_detector
        self.detector_checkpoint = detector_checkpoint
        self.detector_config = detector_config
        self.train_detector = train_detector
        # Whether detector weights came from a checkpoint; checked once by
        # the first loss() (after the runner's load_from / resume).
        self._detector_loaded = False
        self._detector_checked = False
        if freeze_detector:
            for module in self._detector_modules():
                module.requires_grad_(False)

    def _detector_modules(self) -> List[torch.nn.Module]:
        """The detector parts present in this model."""
        return [
            getattr(self, name) for name in DETECTOR_PARTS
            if getattr(self, name, None) is not None
        ]

    def train(self, mode: bool = True) -> 'SceneGraphRCNN':
        """Set train mode; a frozen detector stays in eval mode."""
        super().train(mode)
        if self.freeze_detector:
            for module in self._detector_modules():
                module.eval()
        return self

    def init_weights(self) -> None:
        """Initialise, then load ``detector_checkpoint`` if given."""
        super().init_weights()
        if self.detector_checkpoint is not None:
            self.load_detector(self.detector_checkpoint)

    def _detector_sources(self) -> str:
        """Where this model's detector checkpoint comes from, for errors."""
        if self.detector_config is None:
            return f'a VG-150 detector in mmdet format: {DETECTOR_SOURCES}'
        name = osp.splitext(osp.basename(self.detector_config))[0]
        return (f'the detector of {self.detector_config}: train it with '
                f'`python tools/train.py {self.detector_config}` (it saves '
                f'work_dirs/{name}/iter_<n>.pth)')

    def load_detector(self, filename: str) -> None:
        """Load an mmdet two-stage detector checkpoint into the detector.

        Args:
            filename (str): Checkpoint path or URL.
        """
        if '://' not in filename and not osp.isfile(osp.expanduser(filename)):
            raise DetectorCheckpointNotFoundError(
                f'model.detector_checkpoint "{filename}" does not exist. It '
                f'is {self._detector_sources()}; then set '
                'model.detector_checkpoint=PATH (--cfg-options).')
        checkpoint = CheckpointLoader.load_checkpoint(
            filename, map_location='cpu', logger='current')
        state_dict = checkpoint.get('state_dict', checkpoint)
        loaded = []
        for name in DETECTOR_PARTS:
            module = getattr(self, name, None)
            prefix = f'{name}.'
            part = {
                k[len(prefix):]: v
                for k, v in state_dict.items() if k.startswith(prefix)
            }
            if module is not None and part:
                load_state_dict(module, part, logger='current')
                loaded.append(name)
        if not loaded:
            raise ValueError(
                f'{filename}: no backbone/neck/rpn_head/roi_head weights; '
                'detector_checkpoint must be an mmdet two-stage detector '
                'checkpoint.')
        self._detector_loaded = True
        print_log(
            f'Detector parts {loaded} loaded from {filename}.',
            logger='current')
        bbox_head = getattr(getattr(self, 'roi_head', None), 'bbox_head', None)
        if 'roi_head' in loaded and hasattr(bbox_head, 'shared_fcs'):
            self.relation_head.load_box_head_fcs(bbox_head.shared_fcs)

    def _load_from_state_dict(self, state_dict: dict, prefix: str, *args,
                              **kwargs) -> None:
        """Note detector weights in a loaded state dict (load_from, resume).
        """
        parts = tuple(f'{prefix}{name}.' for name in DETECTOR_PARTS)
        if any(key.startswith(parts) for key in state_dict):
            self._detector_loaded = True
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def _check_detector_loaded(self) -> None:
        """Refuse SGCls/SGDet training on a detector that was never loaded.

        A warning instead when ``train_detector`` makes it deliberate, or in
        PredCls with a frozen detector (the relation head still learns, on
        features of a random backbone).
        """
        self._detector_checked = True
        if self._detector_loaded:
            return
        if self.train_detector:
            print_log(
                f'SceneGraphRCNN (mode={self.mode!r}): the detector has no '
                'trained weights and learns from scratch with its own losses '
                '(train_detector=True). Fine for a demo; results are not '
                'comparable with the benchmark, which trains relations on a '
                'frozen pretrained detector.',
                logger='current',
                level=logging.WARNING)
        elif self.mode != 'predcls':
            raise DetectorNotLoadedError(
                f'SceneGraphRCNN (mode={self.mode!r}): the detector has no '
                'trained weights (model.detector_checkpoint is None and no '
                'load_from/resume checkpoint held detector weights), so its '
                'detections are random and the relation losses would be '
                'zero. Set model.detector_checkpoint=PATH to '
                f'{self._detector_sources()}; for a demo, set '
                'model.train_detector=True and model.freeze_detector=False '
                'to train it with the relation head.')
        elif self.freeze_detector:
            print_log(
                'SceneGraphRCNN (PredCls): the frozen detector has no '
                'trained weights (model.detector_checkpoint is None): the '
                'relation head learns on features of a random backbone.',
                logger='current',
                level=logging.WARNING)

    def extract_feat(self, batch_inputs: Tensor) -> Tuple[Tensor]:
        """Image features; without gradients when the detector is frozen."""
        with torch.set_grad_enabled(torch.is_grad_enabled()
                                    and not self.freeze_detector):
            return super().extract_feat(batch_inputs)

    def _gt_objects(self, batch_data_samples: SampleList, *,
                    in_original_frame: bool) -> List[InstanceData]:
        """GT objects in the input frame, scores 1."""
        objects = []
        for sample in batch_data_samples:
            gt = sample.gt_instances
            bboxes = get_box_tensor(gt.bboxes).float()
            if in_original_frame:
                bboxes = scale_boxes(bboxes, sample.metainfo['scale_factor'])
            objects.append(
                InstanceData(
                    bboxes=bboxes,
                    labels=gt.labels.long(),
                    scores=bboxes.new_ones(bboxes.size(0))))
        return objects

    def _classify_boxes(self, x: Tuple[Tensor],
                        objects: List[InstanceData]) -> None:
        """Label objects with the box head: labels, scores and logits."""
        bbox_head = self.roi_head.bbox_head
        with torch.set_grad_enabled(torch.is_grad_enabled()
                                    and not self.freeze_detector):
            cls_score = self.roi_head._bbox_forward(
                x, bbox2roi([o.bboxes for o in objects]))['cls_score']
        probs = cls_score.softmax(dim=-1)[:, :bbox_head.num_classes]
        scores, labels = probs.max(dim=1)
        sizes = [len(o) for o in objects]
        for obj, logits_i, labels_i, scores_i in zip(objects,
                                                     cls_score.split(sizes),
                                                     labels.split(sizes),
                                                     scores.split(sizes)):
            obj.logits = logits_i
            obj.labels = labels_i
            obj.scores = scores_i

    def _single_label_detections(self, proposals: Tensor, cls_score: Tensor,
                                 bbox_pred: Tensor, img_shape: Tuple[int, int]
                                 ) -> Tuple[InstanceData, Tensor]:
        """One image's detections, as the benchmark post-processes them.

        Boxes decoded per class and clipped, softmax over all classes, then
        :func:`single_label_nms` with ``test_cfg.rcnn`` (``score_thr``,
        ``nms``, ``max_per_class``, ``max_per_img``).

        Returns:
            tuple[InstanceData, Tensor]: The detections (``bboxes``,
            ``labels``, ``scores``, ``logits`` (N, C + 1) and
            ``bboxes_per_cls`` (N, C, 4)) and the indices of their
            proposals.
        """
        bbox_head = self.roi_head.bbox_head
        num_classes = bbox_head.num_classes
        rcnn_cfg = self.test_cfg.rcnn
        bboxes = bbox_head.bbox_coder.decode(
            proposals, bbox_pred, max_shape=img_shape)
        # (n, 4) when regression is class agnostic, else (n, C * 4).
        bboxes = bboxes.view(proposals.size(0), -1, 4)
        bboxes = bboxes.expand(-1, num_classes, -1)
        scores = cls_score.softmax(dim=-1)[:, :num_classes]
        keep, labels, scores = single_label_nms(
            bboxes, scores, rcnn_cfg.score_thr, rcnn_cfg.nms,
            rcnn_cfg.max_per_img, rcnn_cfg.get('max_per_class', -1))
        detections = InstanceData(
            bboxes=bboxes[keep, labels],
            labels=labels,
            scores=scores,
            logits=cls_score[keep],
            bboxes_per_cls=bboxes[keep].contiguous())
        return detections, keep

    def _proposals(self, x: Tuple[Tensor],
                   batch_data_samples: SampleList) -> List[Tensor]:
        """RPN proposals (input frame); in training plus the GT boxes.

        Training uses ``train_cfg.rpn_proposal`` and, with
        ``train_cfg.sgdet.add_gt_as_proposals``, appends the GT boxes, as
        the benchmark's RPN does in its (training mode) relation stage.
        """
        metas = [s.metainfo for s in batch_data_samples]
        rpn_cfg = self.test_cfg.rpn
        if self.training:
            rpn_cfg = self._train_option('rpn_proposal')
        results = self.rpn_head.predict_by_feat(
            *self.rpn_head(x), batch_img_metas=metas, cfg=rpn_cfg)
        proposals = [r.bboxes for r in results]
        if self.training and self._train_option('sgdet').get(
                'add_gt_as_proposals', False):
            proposals = [
                torch.cat([p, get_box_tensor(s.gt_instances.bboxes).to(p)])
                for p, s in zip(proposals, batch_data_samples)
            ]
        return proposals

    def _train_option(self, key: str) -> dict:
        """``train_cfg[key]``, with an error naming it when missing."""
        if not self.train_cfg or key not in self.train_cfg:
            raise KeyError(
                f"SGDet training needs train_cfg.{key} in the model config "
                '(see configs/_base_/models/motifs.py).')
        return self.train_cfg[key]

    @torch.no_grad()
    def _detect(self, x: Tuple[Tensor],
                batch_data_samples: SampleList) -> List[InstanceData]:
        """Detections in the input frame, one label per box (SGDet).

        In training each detection also gets ``assigned_labels``: the class
        of the GT box its proposal overlaps most, when that IoU ("+1"
        areas) reaches ``train_cfg.sgdet.pos_iou_thr``, else the background
        index ``num_classes`` (the benchmark's labels of SGDet proposals).
        """
        proposals = self._proposals(x, batch_data_samples)
        bbox_results = self.roi_head._bbox_forward(x, bbox2roi(proposals))
        sizes = [len(p) for p in proposals]
        num_classes = self.roi_head.bbox_head.num_classes
        detections = []
        for props, cls_score, bbox_pred, sample in zip(
                proposals, bbox_results['cls_score'].split(sizes),
                bbox_results['bbox_pred'].split(sizes), batch_data_samples):
            dets, keep = self._single_label_detections(
                props, cls_score, bbox_pred, sample.metainfo['img_shape'])
            if self.training:
                gt = sample.gt_instances
                dets.assigned_labels = assign_proposal_labels(
                    props[keep],
                    get_box_tensor(gt.bboxes).to(props), gt.labels,
                    self._train_option('sgdet')['pos_iou_thr'], num_classes)
            detections.append(dets)
        return detections

    def _objects(self, x: Tuple[Tensor], batch_data_samples: SampleList, *,
                 in_original_frame: bool) -> List[InstanceData]:
        """The objects the relation head works on, per ``mode``."""
        if self.mode == 'sgdet':
            return self._detect(x, batch_data_samples)
        objects = self._gt_objects(
            batch_data_samples, in_original_frame=in_original_frame)
        if self.mode == 'sgcls':
            self._classify_boxes(x, objects)
        return objects

    def loss(self, batch_inputs: Tensor,
             batch_data_samples: SampleList) -> dict:
        """Relation head losses of a batch.

        Args:
            batch_inputs (Tensor): (B, C, H, W) images.
            batch_data_samples (list[SceneGraphDataSample]): Samples with
                ``gt_instances`` (input frame) and ``gt_relations``.

        Returns:
            dict[str, Tensor]: Losses; with ``train_detector`` also the
            detector's (``loss_rpn_cls``, ``loss_cls``, ...).
        """
        if not self._detector_checked:
            self._check_detector_loaded()
        losses = super().loss(
            batch_inputs, batch_data_samples) if self.train_detector else {}
        x = self.extract_feat(batch_inputs)
        objects = self._objects(x, batch_data_samples, in_original_frame=False)
        losses.update(self.relation_head.loss(x, objects, batch_data_samples))
        return losses

    def predict(self,
                batch_inputs: Tensor,
                batch_data_samples: SampleList,
                rescale: bool = True) -> SampleList:
        """Predict scene graphs.

        Args:
            batch_inputs (Tensor): (B, C, H, W) images.
            batch_data_samples (list[SceneGraphDataSample]): Samples from a
                test pipeline (GT boxes, if any, in original pixels).
            rescale (bool): Return boxes in original pixels. Defaults to
                True.

        Returns:
            list[SceneGraphDataSample]: The samples with ``pred_instances``
            and ``pred_relations`` set.
        """
        x = self.extract_feat(batch_inputs)
        objects = self._objects(x, batch_data_samples, in_original_frame=True)
        obj_results, rel_results = self.relation_head.predict(
            x, objects, batch_data_samples)
        for sample, obj_result, rel_result in zip(batch_data_samples,
                                                  obj_results, rel_results):
            if rescale:
                obj_result.bboxes = self._to_original_frame(
                    obj_result.bboxes, sample)
            sample.pred_instances = obj_result
            sample.pred_relations = rel_result
        return batch_data_samples

    @staticmethod
    def _to_original_frame(bboxes: Tensor, sample) -> Tensor:
        """Boxes from the input frame of a sample to original pixels."""
        return scale_boxes(bboxes,
                           [1 / s for s in sample.metainfo['scale_factor']])

    def predict_objects(self,
                        batch_inputs: Tensor,
                        batch_data_samples: SampleList,
                        rescale: bool = True) -> List[InstanceData]:
        """The objects the relation head gets at test time, per ``mode``.

        PredCls: the GT boxes and labels; SGCls: the GT boxes labelled by
        the box head; SGDet: the detections. Baselines that predict
        relations from the objects alone (the frequency prior) use them.

        Args:
            batch_inputs (Tensor): (B, C, H, W) images.
            batch_data_samples (list[SceneGraphDataSample]): Samples from a
                test pipeline (GT boxes, if any, in original pixels).
            rescale (bool): Return boxes in original pixels. Defaults to
                True.

        Returns:
            list[InstanceData]: Per image ``bboxes``, ``labels`` and
            ``scores``, and the detector's ``logits`` in SGCls/SGDet (and
            in SGDet ``bboxes_per_cls``, which stay in the input frame).
        """
        x = self.extract_feat(batch_inputs)
        objects = self._objects(x, batch_data_samples, in_original_frame=True)
        if rescale:
            for obj, sample in zip(objects, batch_data_samples):
                obj.bboxes = self._to_original_frame(obj.bboxes, sample)
        return objects

    def _forward(self, batch_inputs: Tensor,
                 batch_data_samples: SampleList) -> Tuple[Tensor]:
        """Raw relation logits of every candidate pair, per image.

        Returns:
            tuple[Tensor]: Per image, (K_i, num_predicates) logits.
        """
        x = self.extract_feat(batch_inputs)
        objects = self._objects(x, batch_data_samples, in_original_frame=True)
        head = self.relation_head
        rel_pairs = [head.test_pairs(obj) for obj in objects]
        _, rel_logits = head.forward_pairs(
            x, objects, rel_pairs, [s.metainfo for s in batch_data_samples])
        return tuple(rel_logits.split([len(p) for p in rel_pairs]))
