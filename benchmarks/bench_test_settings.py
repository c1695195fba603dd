"""How much test batch size and mixed precision move the metrics.

Tests one checkpoint with mmengine's Runner at each ``--batch-sizes`` (fp32)
and, with ``--amp``, at batch 1 under autocast (``test_cfg.fp16=True``, the
switch of ``configs/_base_/amp.py``), and prints each setting's metrics and
the largest change of any metric against batch 1 in fp32.

Batches pad their images to a common size, which shifts the features of
the smaller images near their bottom and right borders. The switch computes
in float16 on CUDA and in bfloat16 on the CPU (mmengine's choice); on the
CPU the script also emulates CUDA's float16 with
``torch.autocast('cpu', dtype=torch.float16)``. mmcv's CPU RoIAlign has
neither kernel, so on the CPU its inputs are cast to float32 (the rest of
the model runs under autocast); on CUDA nothing is changed.

Usage::

    python benchmarks/bench_test_settings.py CONFIG CHECKPOINT \\
        [--batch-sizes 1 2 4] [--amp] [--cfg-options KEY=VALUE ...]
"""
import argparse
import tempfile
from typing import Dict, List, Optional, Tuple

import torch
from mmcv.ops import RoIAlign
from mmengine.config import Config, DictAction
from mmengine.logging import MMLogger
from mmengine.runner import Runner
from terminaltables import AsciiTable

import mmsgg_rde  # noqa: F401  (registers modules, safe checkpoint loading)

SHOWN = ('R@50', 'mR@50', 'ng-R@50', 'A@50')


def float32_roi_align(model: torch.nn.Module) -> None:
    """Run mmcv's RoIAlign modules of ``model`` in float32 and return their
    output in the features' dtype (mmcv has no bfloat16 CPU kernel)."""
    dtypes = {}

    def to_float(module: RoIAlign, args: tuple) -> tuple:
        dtypes[module] = args[0].dtype
        return tuple(a.float() for a in args)

    def back(module: RoIAlign, args: tuple,
             output: torch.Tensor) -> torch.Tensor:
        return output.to(dtypes.pop(module))

    for module in model.modules():
        if isinstance(module, RoIAlign):
            module.register_forward_pre_hook(to_float)
            module.register_forward_hook(back)


def test_metrics(cfg: Config, checkpoint: str, batch_size: int,
                 amp: Optional[torch.dtype]) -> Tuple[Dict[str, float], int]:
    """Test ``checkpoint`` with a batch size, in float32 or under autocast
    to ``amp``: the metrics and the number of test images.

    On CUDA (float16) and for bfloat16 on the CPU this is the config switch
    ``test_cfg.fp16=True``; float16 on the CPU (CUDA's format, emulated)
    wraps the test in ``torch.autocast('cpu', dtype=torch.float16)``.
    """
    cfg = cfg.copy()
    cfg.test_dataloader.batch_size = batch_size
    on_cpu = not torch.cuda.is_available()
    emulated = on_cpu and amp == torch.float16
    cfg.test_cfg = dict(
        cfg.get('test_cfg') or {}, fp16=amp is not None and not emulated)
    cfg.load_from = checkpoint
    cfg.work_dir = tempfile.mkdtemp(prefix='bench_test_settings_')
    cfg.visualizer.pop('name', None)
    runner = Runner.from_cfg(cfg)
    if amp is not None and on_cpu:
        float32_roi_align(runner.model)
    with torch.autocast('cpu', dtype=torch.float16, enabled=emulated):
        metrics = runner.test()
    return metrics, len(runner.test_dataloader.dataset)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--batch-sizes', type=int, nargs='+', default=[1, 2])
    parser.add_argument('--amp', action='store_true')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    MMLogger.get_instance('bench_test_settings', log_level='WARNING')
    settings: List[Tuple[str, int,
                         Optional[torch.dtype]]] = [(f'batch {b}', b, None)
                                                    for b in args.batch_sizes]
    if 1 not in args.batch_sizes:
        settings.insert(0, ('batch 1', 1, None))
    if args.amp:
        settings.append(('batch 1, autocast float16', 1, torch.float16))
        if not torch.cuda.is_available():
            settings.append(('batch 1, autocast bfloat16', 1, torch.bfloat16))
    results = {}
    for name, batch, amp in settings:
        results[name], num_images = test_metrics(cfg, args.checkpoint, batch,
                                                 amp)
    reference = results['batch 1']
    mode = cfg.model.mode
    rows = [('setting', ) + SHOWN + ('max |change| (points)', 'metric')]
    for name, metrics in results.items():
        key = max(reference, key=lambda k: abs(metrics[k] - reference[k]))
        rows.append((name, ) +
                    tuple(f'{metrics[f"{mode}/{m}"]:.2f}' if f'{mode}/{m}' in
                          metrics else '-' for m in SHOWN) +
                    (f'{abs(metrics[key] - reference[key]):.3f}', key))
    device = 'CUDA' if torch.cuda.is_available() else 'CPU'
    print(f'{args.config} / {args.checkpoint} on {device}, {num_images} '
          f'test images; changes against batch 1 in fp32 over all '
          f'{len(reference)} metrics:')
    print(AsciiTable(rows).table)


if __name__ == '__main__':
    main()
