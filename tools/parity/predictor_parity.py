"""Shared parts of the relation predictor parity generators.

``gen_vctree.py``, ``gen_transformer.py`` and ``gen_imp.py`` build one of
the benchmark's relation predictors (``VCTreePredictor``,
``TransformerPredictor``, ``IMPPredictor``) from its own code with seeded
random weights and run it on the same two images in PredCls, SGCls and
SGDet, fed directly with RoI and union features (the feature extractors are
the Motifs parity's). A record holds, in the benchmark's conventions
(labels 1..C, background first in every class dimension):

- ``weights``: the predictor's state dict, keys ``predictor.*`` as under
  ``roi_heads.relation.`` in a checkpoint;
- per mode ``inputs``: concatenated boxes (xyxy), labels, detector logits,
  SGDet class boxes, per-image counts, image sizes (w, h), candidate pairs
  (every ordered pair, the benchmark's order) and features;
- per mode ``outputs``: what the predictor returns (object and relation
  logits) and what it computes on the way (object labels of the frequency
  bias, per-object edge context, the relation feature f_k...).

:func:`run` takes the sizes, so ``check_contexts_full_size.py`` runs the
protocol sizes with the same code.
"""
import contextlib
import io
import os.path as osp
import tempfile
from typing import Callable, Dict, List, Tuple

import torch
from torch import Tensor, nn

#: Reduced widths of the recorded fixtures.
SMALL = dict(
    feat_dim=24,
    hidden_dim=12,
    embed_dim=8,
    num_classes=10,
    num_predicates=6,
    num_heads=2,
    key_dim=4,
    value_dim=4,
    inner_dim=16,
    img_sizes=((60, 44), (52, 64)),
    num_gt=(6, 4),
    num_dets=(9, 6))
#: The protocol sizes: 4096-d features, 150 classes, 51 predicates, the
#: default contexts; an image of 25 (PredCls/SGCls) or 80 (SGDet) objects.
FULL = dict(
    feat_dim=4096,
    hidden_dim=512,
    embed_dim=200,
    num_classes=150,
    num_predicates=51,
    num_heads=8,
    key_dim=64,
    value_dim=64,
    inner_dim=2048,
    img_sizes=((1000, 600), (800, 600)),
    num_gt=(25, 20),
    num_dets=(80, 60))
MODES = ('predcls', 'sgcls', 'sgdet')
SEED = 7
#: The benchmark config's ``TEST.RELATION.LATER_NMS_PREDICTION_THRES``.
NMS_THRESHOLD = 0.5
GLOVE_WORDS = ('start', 'man', 'dog', 'table', 'tree', 'car', 'hat')


def benchmark_cfg(predictor: str, sizes: dict, out_dir: str, mode: str):
    """The benchmark's relation config for ``predictor`` at ``sizes``."""
    from sgb_env import benchmark_config
    return benchmark_config(
        'configs/e2e_relation_X_101_32_8_FPN_1x.yaml',
        OUTPUT_DIR=out_dir,
        GLOVE_DIR=out_dir,
        MODEL__ROI_RELATION_HEAD__PREDICTOR=predictor,
        MODEL__ROI_RELATION_HEAD__USE_GT_BOX=mode != 'sgdet',
        MODEL__ROI_RELATION_HEAD__USE_GT_OBJECT_LABEL=mode == 'predcls',
        MODEL__ROI_BOX_HEAD__NUM_CLASSES=sizes['num_classes'] + 1,
        MODEL__ROI_RELATION_HEAD__NUM_CLASSES=sizes['num_predicates'],
        MODEL__ROI_ATTRIBUTE_HEAD__NUM_ATTRIBUTES=2,
        MODEL__ROI_BOX_HEAD__MLP_HEAD_DIM=sizes['feat_dim'],
        MODEL__ROI_RELATION_HEAD__CONTEXT_POOLING_DIM=sizes['feat_dim'],
        MODEL__ROI_RELATION_HEAD__CONTEXT_HIDDEN_DIM=sizes['hidden_dim'],
        MODEL__ROI_RELATION_HEAD__EMBED_DIM=sizes['embed_dim'],
        MODEL__ROI_RELATION_HEAD__TRANSFORMER__NUM_HEAD=sizes['num_heads'],
        MODEL__ROI_RELATION_HEAD__TRANSFORMER__KEY_DIM=sizes['key_dim'],
        MODEL__ROI_RELATION_HEAD__TRANSFORMER__VAL_DIM=sizes['value_dim'],
        MODEL__ROI_RELATION_HEAD__TRANSFORMER__INNER_DIM=sizes['inner_dim'],
        TEST__RELATION__LATER_NMS_PREDICTION_THRES=NMS_THRESHOLD)


def write_benchmark_files(predictor: str, sizes: dict, out_dir: str,
                          prior_scale: float) -> None:
    """The statistics cache and GloVe file the predictors read.

    ``pred_dist`` is ``prior_scale`` times a standard normal table (VCTree
    builds its pair prior from its sums over predicates).
    """
    num_obj = sizes['num_classes'] + 1
    num_rel = sizes['num_predicates']
    gen = torch.Generator().manual_seed(5)
    statistics = dict(
        fg_matrix=torch.zeros(num_obj, num_obj, num_rel, dtype=torch.long),
        pred_dist=prior_scale *
        torch.randn(num_obj, num_obj, num_rel, generator=gen),
        obj_classes=['__background__'] +
        [f'class{i}' for i in range(1, num_obj)],
        rel_classes=['__background__'] +
        [f'pred{i}' for i in range(1, num_rel)],
        att_classes=['__background__', 'attribute'])
    cfg = benchmark_cfg(predictor, sizes, out_dir, 'predcls')
    torch.save(
        statistics,
        osp.join(out_dir, ''.join(cfg.DATASETS.TRAIN) + '_statistics.cache'))
    lines = []
    for word in GLOVE_WORDS:
        values = torch.randn(sizes['embed_dim'], generator=gen)
        lines.append(word + ' ' + ' '.join(f'{v:.5f}' for v in values))
    with open(osp.join(out_dir, f'glove.6B.{sizes["embed_dim"]}d.txt'),
              'w') as f:
        f.write('\n'.join(lines) + '\n')


def build_predictor(cfg, sizes: dict) -> nn.Module:
    """The benchmark's predictor (quietly: it prints GloVe lookups)."""
    from maskrcnn_benchmark.modeling.roi_heads.relation_head import \
        roi_relation_predictors
    with contextlib.redirect_stdout(io.StringIO()):
        return roi_relation_predictors.make_roi_relation_predictor(
            cfg, sizes['feat_dim'])


def random_state(module: nn.Module) -> Dict[str, Tensor]:
    """The module's weights, perturbed so that biases and norms matter."""
    gen = torch.Generator().manual_seed(SEED)
    state = {}
    for key, value in module.state_dict().items():
        value = value.clone()
        if not value.is_floating_point():
            pass
        elif key.endswith('running_var'):
            value = torch.rand(value.shape, generator=gen) + 0.5
        elif key.endswith('running_mean'):
            value = 0.1 * torch.randn(value.shape, generator=gen)
        else:
            scale = value.std().item() if value.numel() > 1 else 0.0
            value += max(scale, 0.05) * 0.2 * torch.randn(
                value.shape, generator=gen)
        state[key] = value
    return state


def random_boxes(num: int, size: Tuple[int, int],
                 gen: torch.Generator) -> Tensor:
    """(num, 4) whole-pixel boxes inside a (width, height) image."""
    w, h = size
    wh = torch.rand(num, 2, generator=gen) * 0.5 + 0.1
    xy = torch.rand(num, 2, generator=gen) * (1 - wh)
    boxes = torch.cat([xy, xy + wh], 1) * torch.tensor([w, h, w, h]) - 1
    return boxes.clamp(min=0).round()


def _all_pairs(num: int) -> Tensor:
    """Every ordered pair i != j, row-major (``prepare_test_pairs``)."""
    return (torch.ones(num, num) - torch.eye(num)).nonzero()


def _duplicates(counts: List[int]) -> Tuple[Tensor, Tensor]:
    """(copies, originals): per image, the last third of the objects copy
    the first third (detections that the label NMS separates)."""
    copies, originals, offset = [], [], 0
    for num in counts:
        dup = num // 3
        originals.append(torch.arange(dup) + offset)
        copies.append(torch.arange(num - dup, num) + offset)
        offset += num
    return torch.cat(copies), torch.cat(originals)


def make_inputs(sizes: dict, mode: str) -> Dict[str, Tensor]:
    """Seeded objects, pairs and features of two images for ``mode``.

    In SGDet a third of the detections nearly repeat others (box, features
    and logits), so that per-class label NMS has work to do.
    """
    gen = torch.Generator().manual_seed(SEED + MODES.index(mode))
    num_cls = sizes['num_classes']
    counts = sizes['num_dets'] if mode == 'sgdet' else sizes['num_gt']
    boxes = torch.cat([
        random_boxes(n, size, gen)
        for n, size in zip(counts, sizes['img_sizes'])
    ])
    num = sum(counts)
    logits = 2 * torch.randn(num, num_cls + 1, generator=gen)
    roi_feats = torch.randn(num, sizes['feat_dim'], generator=gen)
    if mode == 'sgdet':
        copies, originals = _duplicates(list(counts))
        boxes[copies] = boxes[originals] + torch.randint(
            0, 2, (len(copies), 4), generator=gen)
        logits[copies] = logits[originals] + 0.1 * torch.randn(
            len(copies), num_cls + 1, generator=gen)
        roi_feats[copies] = roi_feats[originals] + 0.05 * torch.randn(
            len(copies), sizes['feat_dim'], generator=gen)
    # Class boxes: each detection's box moved a little per class.
    jitter = 3 * torch.randn(num, num_cls + 1, 4, generator=gen)
    per_cls = boxes[:, None] + jitter
    per_cls[..., 2:] = torch.maximum(per_cls[..., 2:], per_cls[..., :2] + 2)
    pairs = [_all_pairs(n) for n in counts]
    return dict(
        img_sizes=torch.tensor(sizes['img_sizes']),
        num_objs=torch.tensor(counts),
        boxes=boxes,
        labels=torch.randint(1, num_cls + 1, (num, ), generator=gen),
        logits=logits,
        boxes_per_cls=per_cls.clamp(min=0),
        pairs=torch.cat(pairs),
        num_pairs=torch.tensor([len(p) for p in pairs]),
        roi_feats=roi_feats,
        union_feats=torch.randn(
            sum(len(p) for p in pairs), sizes['feat_dim'], generator=gen))


def proposals(inputs: Dict[str, Tensor], mode: str) -> list:
    """The benchmark's BoxLists of the inputs."""
    from maskrcnn_benchmark.structures.bounding_box import BoxList
    out = []
    counts = inputs['num_objs'].tolist()
    fields = dict(
        labels=inputs['labels'],
        predict_logits=inputs['logits'],
        boxes_per_cls=inputs['boxes_per_cls'])
    for i, (boxes, size) in enumerate(
            zip(inputs['boxes'].split(counts), inputs['img_sizes'].tolist())):
        box = BoxList(boxes, tuple(size), 'xyxy')
        for name, value in fields.items():
            if name == 'labels' or mode != 'predcls':
                box.add_field(name, value.split(counts)[i])
        out.append(box)
    return out


def split_pairs(inputs: Dict[str, Tensor]) -> List[Tensor]:
    """Per image candidate pairs."""
    return list(inputs['pairs'].split(inputs['num_pairs'].tolist()))


class Capture:
    """Record a module's inputs or outputs while the predictor runs."""

    def __init__(self) -> None:
        self.values: Dict[str, object] = {}
        self.handles = []

    def output(self, module: nn.Module, name: str,
               pick: Callable[[object], object]) -> None:
        """Record ``pick(output)`` of ``module`` as ``name``."""

        def hook(mod, args, out):
            self.values[name] = pick(out)

        self.handles.append(module.register_forward_hook(hook))

    def input(self, module: nn.Module, name: str) -> None:
        """Record the first input of ``module`` as ``name``."""

        def hook(mod, args):
            self.values[name] = args[0].detach().clone()

        self.handles.append(module.register_forward_pre_hook(hook))

    def remove(self) -> None:
        for handle in self.handles:
            handle.remove()


def run_predictor(predictor: nn.Module,
                  inputs: Dict[str, Tensor],
                  mode: str,
                  capture: Capture,
                  rel_binarys: List[Tensor] = None) -> Dict[str, Tensor]:
    """Run the predictor; return its logits and the captured values."""
    obj_dists, rel_dists, add_losses = predictor(
        proposals(inputs, mode), split_pairs(inputs), None, rel_binarys,
        inputs['roi_feats'], inputs['union_feats'])
    out = dict(
        obj_logits=torch.cat(obj_dists).detach(),
        rel_logits=torch.cat(rel_dists).detach())
    for name, loss in add_losses.items():
        out[name] = loss.detach()
    for name, value in capture.values.items():
        out[name] = value
    return out


def run(predictor_name: str,
        sizes: dict,
        hooks: Callable[[nn.Module, Capture], None],
        prior_scale: float = 0.1,
        build: Callable[[object, dict], nn.Module] = build_predictor) -> dict:
    """Eval-mode records of ``predictor_name`` in the three modes.

    Args:
        predictor_name (str): The benchmark's predictor.
        sizes (dict): :data:`SMALL` or :data:`FULL`.
        hooks (callable): Registers what to capture on a predictor.
        prior_scale (float): Scale of the random ``pred_dist``.
        build (callable): Builds the predictor from config and sizes.

    Returns:
        dict: ``sizes``, ``weights`` and per mode ``inputs``/``outputs``.
    """
    data = dict(sizes={k: v for k, v in sizes.items() if isinstance(v, int)})
    # The benchmark initialises its layers from the global generator.
    torch.manual_seed(SEED)
    with tempfile.TemporaryDirectory() as tmp:
        write_benchmark_files(predictor_name, sizes, tmp, prior_scale)
        weights = None
        for mode in MODES:
            predictor = build(
                benchmark_cfg(predictor_name, sizes, tmp, mode), sizes)
            if weights is None:
                # Read back: tensors shared under two names (VCTree's
                # decoder) hold the value loaded last.
                predictor.load_state_dict(random_state(predictor))
                weights = {
                    k: v.clone()
                    for k, v in predictor.state_dict().items()
                }
            predictor.load_state_dict(weights)
            predictor.eval()
            inputs = make_inputs(sizes, mode)
            capture = Capture()
            hooks(predictor, capture)
            with torch.no_grad():
                outputs = run_predictor(predictor, inputs, mode, capture)
            capture.remove()
            data[mode] = dict(inputs=inputs, outputs=outputs)
        data['weights'] = {f'predictor.{k}': v for k, v in weights.items()}
    return data
