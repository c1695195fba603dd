"""Whole benchmark relation checkpoints through the converter (not in CI).

For each relation predictor (``MotifPredictor``, ``VCTreePredictor``,
``TransformerPredictor``, ``IMPPredictor``) this builds the benchmark's
whole relation model with its own code (``build_detection_model`` of
``configs/e2e_relation_X_101_32_8_FPN_1x.yaml`` with the predictor chosen
as its README does, ``MODEL.RELATION_ON True``, on CPU), gives it seeded
random weights (the detector's as ``check_detector.py`` sets them, the
relation head's initialisation perturbed as the predictor parity does,
batch norm statistics included) and saves it as its relation trainer
does: ``{'model', 'optimizer', 'iteration'}`` with DistributedDataParallel's
``module.`` prefix. Then:

1. ``tools/model_converters/sgb_to_mmdet.py`` converts the file (a
   subprocess, as users run it); it fails on any tensor it leaves over.
2. Our model of ``configs/<head>/<head>_x101_fpn_{predcls,sgcls,sgdet}
   _vg150.py`` loads the converted file with ``strict=True``: no missing
   or unexpected key, equal shapes (in PredCls the model itself drops the
   object decoder's or classifier's weights, which that mode does not
   build).
3. In PredCls and SGCls both models run in eval mode on one synthetic image
   (500x375 at 800x600) with the same GT boxes and labels; the relation
   logits of every candidate pair, and in SGCls the object logits, are
   compared. SGDet is loaded, not run: scoring the 6,320 pairs of 80
   detections at full size takes far longer, and its parts are checked on
   their own (``check_detector.py``: the detections;
   ``check_motifs_full_size.py``, ``check_contexts_full_size.py``: the
   predictors on detections).

Both models get the benchmark's normalised, padded input tensor and the GT
boxes in that input frame (scale factor 1): ``check_detector.py`` checks the
input pipeline; this checks the converted weights, end to end through the
backbone, the box head (SGCls) and the relation head. No dataset, GloVe or
training statistics are needed: the benchmark's predictors read a seeded
statistics cache and a tiny GloVe file written under ``--out``, and ours
take every prior from the checkpoint (``DatasetPriorHook`` acts in training
only). All four: about 7 minutes on one CPU core (4 of them building
VCTree's benchmark model, whose tree LSTMs get a block-orthogonal init),
at most 3.6 GB in one process, 4.1 GB with the converter beside it.
Exits non-zero when a step fails or a difference exceeds 1e-4 of the
largest reference value; figures also go to ``<out>/summary.json``.

Usage::

    python tools/parity/check_converted_relation.py --sgb-root /path/to/sgb
    python tools/parity/check_converted_relation.py --predictors motifs imp
"""
import argparse
import contextlib
import gc
import io
import json
import os
import os.path as osp
import subprocess
import sys
import time
import traceback
from collections import OrderedDict
from typing import Dict, List, Tuple
from unittest import mock

import torch

HERE = osp.dirname(osp.abspath(__file__))
ROOT = osp.dirname(osp.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, ROOT)
sys.path.insert(0, osp.join(ROOT, 'tests', 'test_models', 'test_layers'))

import predictor_parity  # noqa: E402
import sgb_detector  # noqa: E402
from sgb_env import activate, benchmark_config, snapshot_id  # noqa: E402

SGB_CONFIG = 'configs/e2e_relation_X_101_32_8_FPN_1x.yaml'
#: Our head name -> the benchmark's ``MODEL.ROI_RELATION_HEAD.PREDICTOR``.
PREDICTORS = OrderedDict(
    motifs='MotifPredictor',
    vctree='VCTreePredictor',
    transformer='TransformerPredictor',
    imp='IMPPredictor')
COMPARED_MODES = ('predcls', 'sgcls')
ALL_MODES = ('predcls', 'sgcls', 'sgdet')
CONVERTER = osp.join(ROOT, 'tools', 'model_converters', 'sgb_to_mmdet.py')
RTOL = 1e-4
NUM_CLASSES = 150


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--sgb-root', help='checkout of the benchmark (default: $SGB_ROOT)')
    parser.add_argument(
        '--predictors',
        nargs='+',
        choices=list(PREDICTORS),
        default=list(PREDICTORS),
        help='heads to check (default: all four)')
    parser.add_argument(
        '--out',
        default=osp.join(ROOT, 'work_dirs', 'check_converted_relation'),
        help='working folder: benchmark files, checkpoints, summary.json')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--num-objects',
        type=int,
        default=12,
        help='GT boxes of the image (all ordered pairs are scored)')
    parser.add_argument(
        '--keep-checkpoints',
        action='store_true',
        help='keep the benchmark and converted files (1.2 GB each)')
    return parser.parse_args()


def sgb_config(predictor: str, mode: str, files_dir: str):
    """The benchmark's relation config, as its README sets a predictor."""
    return benchmark_config(
        SGB_CONFIG,
        MODEL__DEVICE='cpu',
        MODEL__ROI_RELATION_HEAD__PREDICTOR=predictor,
        MODEL__ROI_RELATION_HEAD__USE_GT_BOX=mode != 'sgdet',
        MODEL__ROI_RELATION_HEAD__USE_GT_OBJECT_LABEL=mode == 'predcls',
        # The statistics cache's attribute classes (no attribute head:
        # MODEL.ATTRIBUTE_ON is False, but the predictors check the count).
        MODEL__ROI_ATTRIBUTE_HEAD__NUM_ATTRIBUTES=2,
        OUTPUT_DIR=files_dir,
        GLOVE_DIR=files_dir)


def build_sgb_model(predictor: str, mode: str, files_dir: str):
    """The benchmark's whole relation model (eval mode) and its config."""
    from maskrcnn_benchmark.modeling.detector import build_detection_model
    cfg = sgb_config(predictor, mode, files_dir)
    # Its relation loss moves a class weight it never uses to CUDA when it
    # is built (relation_head/loss.py): that tensor stays on the CPU here.
    # Its predictors print their GloVe lookups (and progress bars).
    with contextlib.redirect_stdout(io.StringIO()), \
            contextlib.redirect_stderr(io.StringIO()), mock.patch.object(
            torch.Tensor, 'cuda', lambda tensor, *args, **kwargs: tensor):
        model = build_detection_model(cfg)
    return model.eval(), cfg


def randomise_relation_model_(model, seed: int) -> None:
    """Seeded weights: the detector's as ``check_detector.py``; the
    relation head's own initialisation (after ``torch.manual_seed``) with
    every tensor perturbed, as the predictor parity generators do
    (``predictor_parity.random_state``)."""
    sgb_detector.randomise_(model, seed, exclude=('roi_heads.relation', ))
    relation = model.roi_heads.relation
    relation.load_state_dict(predictor_parity.random_state(relation))


def unprefixed(state: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """A DistributedDataParallel state dict without ``module.``."""
    return OrderedDict((k[len('module.'):], v) for k, v in state.items())


def convert(src: str, dst: str) -> List[str]:
    """Run the converter tool; its printed lines (raises on failure)."""
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(
        p for p in (ROOT, env.get('PYTHONPATH')) if p)
    result = subprocess.run([sys.executable, CONVERTER, src, dst],
                            env=env,
                            capture_output=True,
                            text=True)
    lines = (result.stdout + result.stderr).strip().splitlines()
    if result.returncode != 0:
        raise AssertionError('sgb_to_mmdet.py failed:\n' + '\n'.join(lines))
    return lines


def build_ours(name: str, mode: str):
    """Our model of ``configs/<name>/<name>_x101_fpn_<mode>_vg150.py``.

    No ``init_weights`` (as ``tools/test.py``): no detector checkpoint or
    GloVe file is read; the converted file provides every weight.
    """
    from mmdet.registry import MODELS
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    import mmsgg_rde  # noqa: F401
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs', name, f'{name}_x101_fpn_{mode}_vg150.py'))
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    cfg.model.detector_checkpoint = None
    return MODELS.build(cfg.model).eval()


def load_strictly(model, filename: str) -> str:
    """Load a converted checkpoint with ``strict=True``; a summary line.

    The model's own loading drops the weights of layers its mode does not
    build (PredCls has no object decoder or classifier; the benchmark's
    checkpoints carry them in every mode); every other key must match.

    Raises:
        AssertionError: On missing or unexpected keys or other shapes.
    """
    state = torch.load(
        filename, map_location='cpu', weights_only=True)['state_dict']
    unused = sorted(set(state) - set(model.state_dict()))
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as err:
        raise AssertionError(f'strict loading failed: {err}') from err
    line = (f'{len(state)} tensors loaded with strict=True (no missing or '
            'unexpected key, equal shapes)')
    if unused:
        parts = sorted({k.rsplit('.', 1)[0] for k in unused})
        line += f'; {len(unused)} dropped by the mode: {parts}'
    return line


class Recorder:
    """Keep a module's call arguments and output (forward hook)."""

    def __init__(self, module) -> None:
        self.args, self.output = None, None
        self.handle = module.register_forward_hook(self)

    def __call__(self, module, args, output) -> None:
        self.args, self.output = args, output


def run_sgb(model, image_list, gt: Tuple[torch.Tensor, torch.Tensor]):
    """The benchmark's relation model on GT boxes: (pairs, obj, rel logits).

    Its ``GeneralizedRCNN.forward`` in eval mode; the predictor's outputs
    are taken before the post-processor's softmax.
    """
    targets = [
        sgb_detector.gt_targets(gt[0], gt[1], image_list.image_sizes[0])
    ]
    recorder = Recorder(model.roi_heads.relation.predictor)
    with torch.no_grad():
        model(image_list, targets)
    recorder.handle.remove()
    obj_logits, rel_logits, _ = recorder.output
    return recorder.args[1][0], obj_logits[0], rel_logits[0]


def run_ours(model, image_list, gt: Tuple[torch.Tensor, torch.Tensor]):
    """Our model on the same input and GT: (pairs, obj, rel logits).

    ``mode='tensor'`` (the relation logits of every candidate pair); the
    head's pairs and object logits are recorded on the way.
    """
    from mmengine.structures import InstanceData

    from mmsgg_rde.structures import SceneGraphDataSample
    height, width = image_list.image_sizes[0]
    padded = tuple(image_list.tensors.shape[-2:])
    sample = SceneGraphDataSample()
    sample.set_metainfo(
        dict(
            img_shape=(height, width),
            ori_shape=(height, width),
            scale_factor=(1., 1.),
            pad_shape=padded,
            batch_input_shape=padded))
    sample.gt_instances = InstanceData(bboxes=gt[0], labels=gt[1] - 1)
    recorder = Recorder(model.relation_head)
    with torch.no_grad():
        (rel_logits, ) = model(image_list.tensors, [sample], mode='tensor')
    recorder.handle.remove()
    return recorder.args[3][0], recorder.output.obj_logits, rel_logits


def compare(name: str, mode: str, ours, theirs) -> Dict[str, list]:
    """Figures of one predictor and mode: [max abs, max rel] per output."""
    from context_parity import bg_last, difference
    pairs_ours, obj_ours, rel_ours = ours
    pairs_theirs, obj_theirs, rel_theirs = theirs
    if not torch.equal(pairs_ours.cpu(), pairs_theirs.cpu()):
        raise AssertionError(f'{name} {mode}: the candidate pairs differ')
    figures = dict(rel_logits=list(difference(rel_ours, rel_theirs)))
    if mode != 'predcls':
        figures['obj_logits'] = list(difference(obj_ours, bg_last(obj_theirs)))
    print(f'  {mode}: {len(pairs_theirs)} pairs; ' + '; '.join(
        f'{key} max abs {v[0]:.2e} rel {v[1]:.2e} '
        f"{tuple((rel_theirs if key == 'rel_logits' else obj_theirs).shape)}"
        for key, v in figures.items()))
    return figures


def saved_benchmark_model(predictor: str, mode: str, files_dir: str, src: str):
    """The benchmark's model for ``mode`` with the weights saved in
    ``src``."""
    model, _ = build_sgb_model(predictor, mode, files_dir)
    state = torch.load(src, map_location='cpu', weights_only=True)['model']
    model.load_state_dict(unprefixed(state))
    return model


def check_predictor(name: str, args, image_list, gt) -> dict:
    """Steps 1-3 for one head; its figures.

    One full-size model at a time: the benchmark's PredCls outputs are
    taken before the conversion, its SGCls model is built from the saved
    file.
    """
    predictor = PREDICTORS[name]
    work = osp.join(args.out, name)
    files_dir = osp.join(work, 'sgb_files')
    os.makedirs(files_dir, exist_ok=True)
    src = osp.join(work, 'model_final.pth')
    dst = osp.join(work, f'{name}_x101_fpn_vg150_sgb.pth')
    result = dict(predictor=predictor)
    start = time.time()

    predictor_parity.write_benchmark_files(predictor, predictor_parity.FULL,
                                           files_dir, 1.0)
    torch.manual_seed(args.seed)
    sgb_model, _ = build_sgb_model(predictor, 'predcls', files_dir)
    randomise_relation_model_(sgb_model, args.seed)
    checkpoint = sgb_detector.benchmark_checkpoint(sgb_model)
    num_relation = sum(
        k.startswith('module.roi_heads.relation.')
        for k in checkpoint['model'])
    torch.save(checkpoint, src)
    print(f"  benchmark checkpoint: {len(checkpoint['model'])} tensors "
          f'({num_relation} of roi_heads.relation), keys module.*, '
          f'{sorted(checkpoint)} ({time.time() - start:.0f} s)')
    theirs = dict(predcls=run_sgb(sgb_model, image_list, gt))
    del checkpoint, sgb_model
    gc.collect()

    t0 = time.time()
    lines = convert(src, dst)
    for line in lines:
        print(f'  converter: {line}')
    result['converter'] = lines
    print(f'  converted in {time.time() - t0:.0f} s')

    for mode in ALL_MODES:
        t0 = time.time()
        if mode in COMPARED_MODES and mode not in theirs:
            sgb_model = saved_benchmark_model(predictor, mode, files_dir, src)
            theirs[mode] = run_sgb(sgb_model, image_list, gt)
            del sgb_model
            gc.collect()
        model = build_ours(name, mode)
        loaded = load_strictly(model, dst)
        if mode in theirs:
            print(f'  {mode}: {loaded}')
            result[mode] = compare(name, mode, run_ours(model, image_list, gt),
                                   theirs[mode])
        else:
            print(f'  {mode}: {loaded} (loaded only)')
        del model
        gc.collect()
        print(f'  ({mode}: {time.time() - t0:.0f} s)')
    if not args.keep_checkpoints:
        os.remove(src)
        os.remove(dst)
    result['seconds'] = round(time.time() - start)
    return result


def main() -> int:
    args = parse_args()
    sgb_root = activate(args.sgb_root)
    torch.manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    # One synthetic image at the protocol size; random GT boxes (whole
    # pixels of the input frame) and classes.
    image = sgb_detector.synthetic_image(500, 375, args.seed)
    image_list, _ = sgb_detector.preprocess(
        image, benchmark_config(SGB_CONFIG, MODEL__DEVICE='cpu'))
    height, width = image_list.image_sizes[0]
    gen = torch.Generator().manual_seed(args.seed)
    gt = (predictor_parity.random_boxes(args.num_objects, (width, height),
                                        gen),
          torch.randint(
              1, NUM_CLASSES + 1, (args.num_objects, ), generator=gen))
    print(f'benchmark {snapshot_id(sgb_root)}, seed {args.seed}, image '
          f'500x375 at {width}x{height}, {args.num_objects} GT objects')
    summary, failed = {}, False
    for name in args.predictors:
        print(f'\n{name} ({PREDICTORS[name]}):')
        try:
            summary[name] = check_predictor(name, args, image_list, gt)
        except AssertionError as err:
            where = traceback.extract_tb(err.__traceback__)[-1]
            print(f'  FAILED: {err} ({where.filename}:{where.lineno})')
            summary[name] = dict(failed=str(err))
            failed = True
            continue
        worst = max(v[1] for mode in COMPARED_MODES
                    for v in summary[name][mode].values())
        status = 'ok' if worst <= RTOL else f'FAILED (> {RTOL:g})'
        failed |= worst > RTOL
        print(f'  worst relative difference {worst:.2e}: {status}')
    with open(osp.join(args.out, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=1)
    print('\nconverted relation checkpoints: ' +
          ('FAILED' if failed else 'ok'))
    return int(failed)


if __name__ == '__main__':
    sys.exit(main())
