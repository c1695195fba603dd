"""The fallback kernels compute what mmcv's compiled ones compute."""
import copy
import os.path as osp

import pytest
import torch
from kernel_switch import fallback_kernels, requires_compiled_mmcv
from mmcv.ops import batched_nms, nms, roi_align
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

from mmsgg_rde.ops import mmcv_ext
from mmsgg_rde.structures import SceneGraphDataSample

DEMO_CFG = osp.join(
    osp.dirname(__file__), '..', '..', 'configs', 'demo',
    'motifs_demo_predcls.py')
TOL = dict(rtol=0, atol=1e-5)


def random_rois(gen, num, num_images, height, width, scale):
    """RoIs in image pixels, some partly or wholly outside the map."""
    size = torch.tensor([width, height]) / scale
    xy = torch.rand(num, 2, generator=gen) * size * 1.2 - size * 0.1
    wh = torch.rand(num, 2, generator=gen) * size * 0.6
    rois = torch.cat([
        torch.randint(0, num_images,
                      (num, 1), generator=gen).float(), xy, xy + wh
    ], 1)
    rois[0, 1:] = torch.tensor([-40., -40., -30., -30.])  # outside
    rois[1, 1:] = torch.tensor([10., 10., 10., 10.])  # empty
    rois[2, 1:] = torch.cat([size - 4, size + 30])  # past the far edge
    return rois


def random_boxes(gen, num, side=200.):
    xy = torch.rand(num, 2, generator=gen) * side
    return torch.cat([xy, xy + torch.rand(num, 2, generator=gen) * 60], 1)


def roi_align_with_grad(feats, rois, ratio, aligned):
    feats = feats.detach().requires_grad_()
    out = roi_align(feats, rois, (7, 5), 0.25, ratio, 'avg', aligned)
    grad_out = torch.linspace(
        -1, 1, out.numel(), dtype=out.dtype, device=out.device).view_as(out)
    grad, = torch.autograd.grad(out, feats, grad_out)
    return out, grad


@requires_compiled_mmcv
@pytest.mark.parametrize('aligned', [True, False])
@pytest.mark.parametrize('ratio', [0, 1, 2, 3])
def test_roi_align_matches_mmcv(aligned, ratio):
    gen = torch.Generator().manual_seed(ratio)
    feats = torch.randn(2, 6, 19, 27, generator=gen)
    rois = random_rois(gen, 60, 2, 19, 27, 0.25)
    expected, expected_grad = roi_align_with_grad(feats, rois, ratio, aligned)
    with fallback_kernels():
        out, grad = roi_align_with_grad(feats, rois, ratio, aligned)
    torch.testing.assert_close(out, expected, **TOL)
    torch.testing.assert_close(grad, expected_grad, **TOL)


def test_roi_align_without_rois():
    with fallback_kernels():
        out = roi_align(torch.randn(1, 3, 8, 8), torch.zeros(0, 5), (7, 5))
    assert out.shape == (0, 3, 7, 5)


def test_roi_align_refuses_what_it_does_not_provide():
    feats = torch.randn(1, 3, 8, 8)
    rois = torch.tensor([[0., 1., 1., 5., 5.]])
    with fallback_kernels():
        with pytest.raises(NotImplementedError, match="pool_mode='max'"):
            roi_align(feats, rois, 2, 1.0, 0, 'max', True)
        with pytest.raises(ValueError, match='negative'):
            roi_align(feats, rois[:, [0, 3, 4, 1, 2]], 2, 1.0, 0, 'avg', True)


@requires_compiled_mmcv
@pytest.mark.parametrize('offset', [0, 1])
def test_nms_matches_mmcv(offset):
    gen = torch.Generator().manual_seed(offset)
    boxes = random_boxes(gen, 500)
    scores = torch.rand(500, generator=gen)
    for kwargs in (dict(), dict(score_threshold=0.3, max_num=50)):
        expected_dets, expected = nms(boxes, scores, 0.5, offset, **kwargs)
        with fallback_kernels():
            dets, keep = nms(boxes, scores, 0.5, offset, **kwargs)
        assert 0 < keep.numel() < 500
        assert torch.equal(keep, expected)
        assert torch.equal(dets, expected_dets)


@requires_compiled_mmcv
@pytest.mark.parametrize('split_thr', [10000, 100])
def test_batched_nms_matches_mmcv(split_thr):
    gen = torch.Generator().manual_seed(split_thr)
    boxes = random_boxes(gen, 400)
    scores = torch.rand(400, generator=gen)
    labels = torch.randint(0, 7, (400, ), generator=gen)
    cfg = dict(type='nms', iou_threshold=0.3, split_thr=split_thr)
    expected_dets, expected = batched_nms(boxes, scores, labels, cfg)
    with fallback_kernels():
        dets, keep = batched_nms(boxes, scores, labels, cfg)
    assert torch.equal(keep, expected)
    assert torch.equal(dets, expected_dets)


def test_nms_without_boxes():
    keep = mmcv_ext.nms(
        torch.zeros(0, 4), torch.zeros(0), iou_threshold=0.5, offset=0)
    assert keep.dtype == torch.long and keep.numel() == 0


def test_kernels_not_provided_name_themselves():
    assert set(mmcv_ext.PROVIDED) <= set(vars(mmcv_ext))
    with pytest.raises(NotImplementedError, match="'deform_conv_forward'"):
        mmcv_ext.deform_conv_forward(torch.zeros(1))
    with pytest.raises(AttributeError):
        mmcv_ext._private_name


@pytest.mark.cuda
@pytest.mark.parametrize('backend', [None, 'torch'])
@pytest.mark.parametrize('aligned', [True, False])
@pytest.mark.parametrize('ratio', [0, 2])
def test_cuda_roi_align_matches_cpu(backend, aligned, ratio):
    """CUDA kernels (torchvision's by default) against the CPU ones, which
    the tests above hold to mmcv's."""
    gen = torch.Generator().manual_seed(ratio)
    feats = torch.randn(2, 6, 19, 27, generator=gen)
    rois = random_rois(gen, 60, 2, 19, 27, 0.25)
    grad_out = torch.randn(60, 6, 7, 5, generator=gen)
    outs, grads = [], []
    for device, name in (('cpu', 'torch'), ('cuda', backend)):
        x = feats.to(device).requires_grad_()
        out = mmcv_ext.roi_align(x, rois.to(device), (7, 5), 0.25, ratio,
                                 aligned, name)
        grads.append(torch.autograd.grad(out, x, grad_out.to(device))[0])
        outs.append(out)
    torch.testing.assert_close(outs[1].cpu(), outs[0], **TOL)
    torch.testing.assert_close(grads[1].cpu(), grads[0], **TOL)


@pytest.mark.cuda
def test_cuda_roi_align_runs_under_autocast():
    gen = torch.Generator().manual_seed(0)
    feats = torch.randn(2, 6, 19, 27, generator=gen).cuda()
    rois = random_rois(gen, 60, 2, 19, 27, 0.25).cuda()
    expected, expected_grad = roi_align_with_grad(feats, rois, 0, True)
    with fallback_kernels(), torch.autocast('cuda', dtype=torch.float16):
        out, grad = roi_align_with_grad(feats.half(), rois.half(), 0, True)
    tol = dict(rtol=0, atol=2e-2)
    torch.testing.assert_close(out.float(), expected, **tol)
    torch.testing.assert_close(grad.float(), expected_grad, **tol)


@pytest.mark.cuda
@pytest.mark.parametrize('backend', [None, 'torch'])
@pytest.mark.parametrize('offset', [0, 1])
def test_cuda_nms_matches_cpu(backend, offset):
    gen = torch.Generator().manual_seed(offset)
    boxes = random_boxes(gen, 2000)
    scores = torch.rand(2000, generator=gen)
    expected = mmcv_ext.nms_indices(boxes, scores, 0.5, offset, 'torch')
    keep = mmcv_ext.nms_indices(boxes.cuda(), scores.cuda(), 0.5, offset,
                                backend)
    assert torch.equal(keep.cpu(), expected)


def demo_model(mode):
    init_default_scope('mmdet')
    cfg = Config.fromfile(DEMO_CFG).model
    cfg.mode = mode
    # Random weights score every class about equally: keep all boxes, but
    # few of them, for speed.
    cfg.test_cfg.rcnn.update(score_thr=0.0, max_per_img=12)
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    return model.eval()


def demo_batch(model):
    gen = torch.Generator().manual_seed(0)
    inputs, samples = [], []
    for boxes in ([[4., 6., 50., 40.], [30., 20., 90., 70.],
                   [5., 50., 60., 90.]], [[0., 0., 64., 64.],
                                          [60., 30., 120., 90.]]):
        sample = SceneGraphDataSample(
            metainfo=dict(
                img_shape=(96, 128),
                ori_shape=(96, 128),
                scale_factor=(1., 1.)))
        sample.gt_instances = InstanceData(
            bboxes=torch.tensor(boxes), labels=torch.arange(1,
                                                            len(boxes) + 1))
        samples.append(sample)
        inputs.append(
            torch.randint(
                0, 256, (3, 96, 128), dtype=torch.uint8, generator=gen))
    return model.data_preprocessor(dict(inputs=inputs, data_samples=samples))


@requires_compiled_mmcv
@pytest.mark.parametrize('mode', ['predcls', 'sgdet'])
def test_demo_model_predicts_the_same_with_either_kernels(mode):
    model = demo_model(mode)
    batch = demo_batch(model)
    with torch.no_grad():
        # predict() writes into the data samples it is given: copy them.
        expected = model.predict(batch['inputs'],
                                 copy.deepcopy(batch['data_samples']))
        with fallback_kernels():
            results = model.predict(batch['inputs'],
                                    copy.deepcopy(batch['data_samples']))
    for result, ref in zip(results, expected):
        assert result is not ref and len(ref.pred_instances) > 0
        assert_same(result.pred_instances, ref.pred_instances)
        # Relations are ranked by triplet score, which random weights make
        # nearly equal for many pairs: compare them pair by pair.
        assert_same(
            by_pair(result.pred_relations), by_pair(ref.pred_relations))


def by_pair(relations):
    key = relations.pairs[:, 0] * (relations.pairs.max() + 1) + \
        relations.pairs[:, 1]
    return relations[key.argsort()]


def assert_same(got, want):
    assert set(got.keys()) == set(want.keys())
    for name in want.keys():
        if want[name].is_floating_point():
            torch.testing.assert_close(got[name], want[name], **TOL)
        else:
            assert torch.equal(got[name], want[name]), name
