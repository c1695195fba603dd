"""Run the scene graph benchmark's Faster R-CNN on random weights.

Shared by ``check_detector.py`` (full size, prints the figures) and
``gen_detector.py`` (reduced widths, the test fixture). Everything here runs
the benchmark's own modules (``sgb_env.activate`` first); the only code of
ours is the seeded randomisation of its weights and the glue that calls its
RPN and box head the way its ``GeneralizedRCNN``/``ROIBoxHead`` do for
SGDet (``MODEL.ROI_RELATION_HEAD.USE_GT_BOX False``).
"""
import math
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
import torch
from PIL import Image
from sgb_env import benchmark_config
from torch import Tensor, nn

__all__ = [
    'build_benchmark_detector', 'randomise_', 'calibrate_outputs_',
    'benchmark_checkpoint', 'preprocess', 'run_benchmark', 'synthetic_image',
    'box_head_on', 'level_boundary_rois', 'gt_targets'
]

#: (module name, target output std) of the output layers scaled after the
#: random initialisation, so that objectness, class scores and box deltas
#: have a realistic spread (enough detections above the score threshold,
#: boxes that move) instead of the near-constant outputs of a small init.
OUTPUT_STDS = (('rpn.head.cls_logits', 1.5), ('rpn.head.bbox_pred', 0.25),
               ('roi_heads.box.predictor.cls_score',
                2.0), ('roi_heads.box.predictor.bbox_pred', 2.0))


def build_benchmark_detector(config_file: str, **options):
    """The benchmark's ``GeneralizedRCNN`` without relation head, on CPU.

    Args:
        config_file (str): A yaml of the benchmark's ``configs/``.
        **options: ``KEY__SUBKEY=value`` config overrides.

    Returns:
        tuple: (model in eval mode, its yacs config).
    """
    from maskrcnn_benchmark.modeling.detector import build_detection_model
    cfg = benchmark_config(
        config_file, MODEL__DEVICE='cpu', MODEL__RELATION_ON=False, **options)
    model = build_detection_model(cfg)
    return model.eval(), cfg


def randomise_(model: nn.Module, seed: int,
               exclude: Sequence[str] = ()) -> None:
    """Seeded random weights, frozen batch norm buffers included.

    Convolutions and FCs get He-normal weights and small random biases;
    every ``FrozenBatchNorm2d`` gets a random scale, shift, mean and
    variance (variances of 0.01-0.1, so that its missing epsilon matters);
    the last norm of each residual branch is damped to keep the 101-layer
    activations in range. Anchors are left as computed.

    Args:
        model (nn.Module): The benchmark's model.
        seed (int): Seed of the weights.
        exclude (Sequence[str]): Names of submodules left as they are
            (e.g. ``'roi_heads.relation'``, whose recurrent layers want
            their own initialisation: He-normal recurrent weights make
            them chaotic, so that float rounding grows step by step).
    """
    from maskrcnn_benchmark.layers import FrozenBatchNorm2d
    gen = torch.Generator().manual_seed(seed)

    def uniform(t: Tensor, low: float, high: float) -> None:
        t.copy_(torch.rand(t.shape, generator=gen) * (high - low) + low)

    with torch.no_grad():
        for name, module in model.named_modules():
            if any(name == ex or name.startswith(ex + '.') for ex in exclude):
                continue
            if isinstance(module, FrozenBatchNorm2d):
                # Small variances, so that an epsilon of 1e-5 would show.
                damped = name.endswith(('bn3', 'downsample.1'))
                uniform(module.weight, *((0.02, 0.06) if damped else
                                         (0.1, 0.3)))
                module.bias.copy_(
                    torch.randn(module.bias.shape, generator=gen) * 0.1)
                module.running_mean.copy_(
                    torch.randn(module.running_mean.shape, generator=gen) *
                    0.1)
                uniform(module.running_var, 0.01, 0.1)
            elif isinstance(module, (nn.Conv2d, nn.Linear)):
                fan_in = module.weight[0].numel()
                module.weight.copy_(
                    torch.randn(module.weight.shape, generator=gen) *
                    math.sqrt(2. / fan_in))
                if module.bias is not None:
                    module.bias.copy_(
                        torch.randn(module.bias.shape, generator=gen) * 0.01)


def calibrate_outputs_(model: nn.Module,
                       image_list,
                       stds: Sequence[Tuple[str,
                                            float]] = OUTPUT_STDS) -> None:
    """Scale the output layers so that their outputs have ``stds``.

    One forward pass of the detector (eval) on ``image_list``, then the
    RPN's objectness/deltas and the box head's logits/deltas are rescaled
    (weights and biases) to the target standard deviations.
    """
    modules = dict(model.named_modules())
    outputs: Dict[str, list] = {name: [] for name, _ in stds}

    def hook(name: str):
        return lambda module, inputs, output: outputs[name].append(
            output.detach().flatten())

    handles = [
        modules[name].register_forward_hook(hook(name)) for name in outputs
    ]
    with torch.no_grad():
        model(image_list)
        for handle in handles:
            handle.remove()
        for name, target in stds:
            scale = target / max(torch.cat(outputs[name]).std().item(), 1e-12)
            modules[name].weight.mul_(scale)
            modules[name].bias.mul_(scale)


def benchmark_checkpoint(model: nn.Module, distributed: bool = True) -> dict:
    """The model saved as the benchmark's trainer saves it.

    ``{'model': state_dict, 'optimizer': ..., 'iteration': ...}``, with the
    ``module.`` prefix of its DistributedDataParallel training.
    """
    prefix = 'module.' if distributed else ''
    state = {prefix + k: v.clone() for k, v in model.state_dict().items()}
    optimizer = torch.optim.SGD(
        [p for p in model.parameters() if p.requires_grad][:2],
        lr=0.01,
        momentum=0.9)
    return dict(model=state, optimizer=optimizer.state_dict(), iteration=0)


def synthetic_image(width: int, height: int, seed: int) -> np.ndarray:
    """A deterministic BGR uint8 image: gradients, boxes and noise."""
    rng = np.random.RandomState(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    img = np.stack([
        128 + 100 * np.sin(xx / (17 + 13 * c) + yy / (23 + 7 * c) + c)
        for c in range(3)
    ], -1)
    for _ in range(12):
        x1, y1 = rng.randint(0, width - 8), rng.randint(0, height - 8)
        x2 = rng.randint(x1 + 4, min(width, x1 + width // 2) + 1)
        y2 = rng.randint(y1 + 4, min(height, y1 + height // 2) + 1)
        img[y1:y2, x1:x2] = rng.randint(0, 256, size=3)
    img += rng.normal(0, 8, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def preprocess(image_bgr: np.ndarray, cfg, train: bool = False):
    """The benchmark's input for one image: resize, BGR*255, mean, pad.

    Its ``Resize.get_size`` gives the size; torchvision's ``F.resize`` of a
    PIL image (what its ``Resize`` calls) is PIL's bilinear ``resize``;
    ``F.to_tensor`` divides by 255 and its ``Normalize(to_bgr255=True)``
    multiplies back, reorders to BGR and subtracts ``PIXEL_MEAN`` /
    ``PIXEL_STD``; ``to_image_list`` pads with zeros to a multiple of
    ``SIZE_DIVISIBILITY``. (torchvision is not needed.)

    Returns:
        tuple: (ImageList, the resized RGB uint8 array).
    """
    from maskrcnn_benchmark.data.transforms.transforms import Resize
    from maskrcnn_benchmark.structures.image_list import to_image_list
    pil = Image.fromarray(image_bgr[:, :, ::-1].copy())
    min_size = cfg.INPUT.MIN_SIZE_TRAIN if train else cfg.INPUT.MIN_SIZE_TEST
    max_size = cfg.INPUT.MAX_SIZE_TRAIN if train else cfg.INPUT.MAX_SIZE_TEST
    height, width = Resize(min_size, max_size).get_size(pil.size)
    resized = np.asarray(pil.resize((width, height), Image.BILINEAR))
    tensor = torch.from_numpy(resized.copy()).permute(2, 0, 1).float().div(255)
    tensor = tensor[[2, 1, 0]] * 255
    mean = torch.tensor(cfg.INPUT.PIXEL_MEAN).view(3, 1, 1)
    std = torch.tensor(cfg.INPUT.PIXEL_STD).view(3, 1, 1)
    tensor = (tensor - mean) / std
    image_list = to_image_list([tensor], cfg.DATALOADER.SIZE_DIVISIBILITY)
    return image_list, resized


def gt_targets(gt_bboxes: Tensor, gt_labels: Tensor, image_size):
    """GT BoxList (labels 1-based, zero attributes) of one image.

    ``image_size`` is (height, width), as ``ImageList.image_sizes``.
    """
    from maskrcnn_benchmark.structures.bounding_box import BoxList
    height, width = image_size
    target = BoxList(gt_bboxes, (width, height), mode='xyxy')
    target.add_field('labels', gt_labels)
    target.add_field('attributes',
                     torch.zeros(len(gt_labels), 10, dtype=torch.long))
    return target


#: RoI sizes ("+1" pixels) on both sides of each FPN level boundary of the
#: benchmark's LevelMapper (56, 112, 224, 448).
LEVEL_BOUNDARY_SIZES = (55, 56, 111, 112, 223, 224, 447, 448)


def level_boundary_rois() -> Tensor:
    """Square boxes of :data:`LEVEL_BOUNDARY_SIZES` at (2, 2)."""
    sizes = torch.tensor(LEVEL_BOUNDARY_SIZES, dtype=torch.float32)
    return torch.stack([
        torch.full_like(sizes, 2.),
        torch.full_like(sizes, 2.), sizes + 1, sizes + 1
    ], 1)


@torch.no_grad()
def box_head_on(model: nn.Module, features, boxes: Tensor,
                image_size) -> Tuple[Tensor, Tensor]:
    """The box head's class logits and deltas on given boxes."""
    from maskrcnn_benchmark.structures.bounding_box import BoxList
    height, width = image_size
    box = model.roi_heads.box
    x = box.feature_extractor(features,
                              [BoxList(boxes, (width, height), mode='xyxy')])
    return box.predictor(x)


@torch.no_grad()
def run_benchmark(model: nn.Module,
                  image_list,
                  gt: Optional[Tuple[Tensor,
                                     Tensor]] = None) -> Dict[str, Tensor]:
    """Features, proposals, box head outputs and SGDet detections.

    Without ``gt`` the RPN and box head run in eval mode (SGDet test);
    with ``gt`` = (boxes, labels 1..C-1) in the network input frame they
    run as in the benchmark's SGDet training (its relation stage keeps the
    detector in training mode): the RPN adds the GT boxes to its proposals
    and the box head labels the proposals by IoU with the GT.

    Returns:
        dict[str, Tensor]: ``features`` (tuple), ``proposals``,
        ``objectness``, ``cls_logits`` and ``bbox_deltas`` of the box head
        on those proposals, and the detections ``det_bboxes``,
        ``det_labels`` (1-based), ``det_scores``, ``det_logits``,
        ``det_boxes_per_cls`` (+ ``det_assigned_labels`` with ``gt``).
    """
    from maskrcnn_benchmark.modeling.roi_heads.box_head.box_head import \
        add_predict_logits
    box = model.roi_heads.box
    training = gt is not None
    targets = None
    if training:
        targets = [gt_targets(gt[0], gt[1], image_list.image_sizes[0])]
    model.train(training)
    features = model.backbone(image_list.tensors)
    proposals, _ = model.rpn(image_list, features, targets)
    out = dict(
        features=tuple(features),
        proposals=proposals[0].bbox.clone(),
        objectness=proposals[0].get_field('objectness').clone())
    if training:
        proposals = box.samp_processor.assign_label_to_proposals(
            proposals, targets)
    box.post_processor.custum_eval = not training
    x = box.feature_extractor(features, proposals)
    class_logits, box_regression = box.predictor(x)
    out.update(cls_logits=class_logits, bbox_deltas=box_regression)
    proposals = add_predict_logits(proposals, class_logits)
    _, result = box.post_processor((x, class_logits, box_regression),
                                   proposals,
                                   relation_mode=True)
    det = result[0]
    out.update(
        det_bboxes=det.bbox,
        det_labels=det.get_field('pred_labels'),
        det_scores=det.get_field('pred_scores'),
        det_logits=det.get_field('predict_logits'),
        det_boxes_per_cls=det.get_field('boxes_per_cls'))
    if training:
        out['det_assigned_labels'] = det.get_field('labels')
    model.eval()
    return out
