"""mmcv without compiled ops imports and runs once the finder is installed."""
import os
import os.path as osp
import subprocess
import sys
import textwrap

import mmcv

from mmsgg_rde.ops import (MmcvExtFallbackFinder, install_mmcv_ext_fallback,
                           mmcv_ext_finder)

# Runs in a fresh interpreter on an mmcv whose package path hides any
# compiled extension (what mmcv-lite is): argv[1] is that path.
LITE_SCRIPT = textwrap.dedent('''
    import sys
    import mmcv
    mmcv.__path__[:] = [sys.argv[1]]
    # As in a venv without the .pth file (a lite venv has one).
    sys.meta_path[:] = [f for f in sys.meta_path
                        if not getattr(f, 'is_mmsgg_rde_mmcv_ext_finder', 0)]
    try:
        import mmcv.ops
    except ModuleNotFoundError as err:
        assert err.name == 'mmcv._ext', err
    else:
        raise AssertionError('mmcv.ops imported without mmcv._ext')

    # What the .pth file written by tools/install.sh runs at start-up.
    exec(sys.argv[2])
    import torch
    import mmdet.models  # noqa: F401  (imports names from mmcv.ops)
    from mmcv.ops import RoIAlign, batched_nms
    feats = torch.randn(1, 4, 16, 16, requires_grad=True)
    rois = torch.tensor([[0., 2., 3., 40., 50.], [0., 10., 0., 64., 30.]])
    RoIAlign(7, 0.25, 0)(feats, rois).sum().backward()
    assert feats.grad.abs().sum() > 0
    boxes = torch.tensor([[0., 0., 10., 10.], [1., 1., 10., 10.],
                          [20., 20., 30., 30.]])
    _, keep = batched_nms(boxes, torch.tensor([.9, .8, .7]),
                          torch.tensor([0, 0, 0]),
                          dict(type='nms', iou_threshold=0.5))
    assert keep.tolist() == [0, 2], keep
    try:
        mmcv.ops.soft_nms(boxes, torch.tensor([.9, .8, .7]))
    except NotImplementedError as err:
        assert "'softnms'" in str(err), err
    else:
        raise AssertionError('soft_nms ran without its kernel')

    import mmsgg_rde
    from mmsgg_rde.ops import mmcv_ops_backend
    finders = [f for f in sys.meta_path
               if getattr(f, 'is_mmsgg_rde_mmcv_ext_finder', False)]
    assert len(finders) == 1, finders
    print('backend', mmcv_ops_backend(), mmcv._ext.__file__)
''')


def lite_mmcv_path(tmp_path):
    """A copy of mmcv's package path, by links, without ``_ext``."""
    real = osp.dirname(mmcv.__file__)
    for name in os.listdir(real):
        if not name.startswith('_ext'):
            os.symlink(osp.join(real, name), tmp_path / name)
    return str(tmp_path)


def test_mmcv_without_compiled_ops_runs_on_the_fallback(tmp_path):
    result = subprocess.run([
        sys.executable, '-c', LITE_SCRIPT,
        lite_mmcv_path(tmp_path),
        mmcv_ext_finder.pth_line()
    ],
                            capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    backend, ext_file = result.stdout.split()[-2:]
    assert backend in ('torch', 'torchvision')
    assert ext_file == mmcv_ext_finder.FALLBACK_FILE


def test_finder_answers_for_mmcv_ext_only():
    finder = MmcvExtFallbackFinder()
    assert finder.find_spec('mmcv.ops') is None
    assert finder.find_spec('mmcv') is None
    spec = finder.find_spec('mmcv._ext')
    assert spec.name == 'mmcv._ext'
    assert spec.origin == mmcv_ext_finder.FALLBACK_FILE


def test_install_is_idempotent_and_last():
    install_mmcv_ext_fallback()
    install_mmcv_ext_fallback()
    finders = [
        f for f in sys.meta_path
        if getattr(f, 'is_mmsgg_rde_mmcv_ext_finder', False)
    ]
    assert len(finders) == 1
    # Python's own finders come first: a compiled mmcv._ext wins.
    assert sys.meta_path.index(finders[0]) > 0
