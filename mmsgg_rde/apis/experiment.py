"""Train-and-test runs on SynthVG, as ``make demo`` and the tables do them."""
import os.path as osp
from typing import Dict, Optional, Sequence, Tuple

from mmengine.config import Config
from mmengine.logging import print_log
from terminaltables import AsciiTable

from mmsgg_rde.datasets import ensure_synthvg
from mmsgg_rde.engine import SceneGraphRunner

__all__ = [
    'LOADERS', 'synthvg_config', 'prepare_synthvg', 'train_and_test',
    'final_checkpoint', 'train_or_reuse', 'metric_table', 'beats_prior'
]

#: The dataloaders of a config that read the dataset files.
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def _loader_dataset(cfg: Config, loader: str) -> Config:
    """The scene graph dataset of a loader (looking through wrappers)."""
    dataset = cfg[loader].dataset
    while 'dataset' in dataset:
        dataset = dataset.dataset
    return dataset


def synthvg_config(path: str,
                   work_dir: str,
                   seed: int,
                   data_root: Optional[str] = None,
                   options: Optional[dict] = None) -> Config:
    """A config set up for one run.

    Args:
        path (str): Config file.
        work_dir (str): Checkpoints and logs of the run.
        seed (int): Training seed (``randomness.seed``, not deterministic).
        data_root (str, optional): Replaces the data root of every
            dataloader present (and of evaluator files under it). Defaults
            to None (the config's).
        options (dict, optional): Dotted keys merged into the config, as
            ``--cfg-options`` does.

    Returns:
        Config: The config.
    """
    cfg = Config.fromfile(path)
    if options:
        cfg.merge_from_dict(options)
    if data_root is not None:
        old_root = _loader_dataset(cfg, 'test_dataloader').data_root
        for loader in LOADERS:
            if cfg.get(loader) is not None:
                _loader_dataset(cfg, loader).data_root = data_root
        for evaluator in ('val_evaluator', 'test_evaluator'):
            dict_file = (cfg.get(evaluator) or {}).get('dict_file', '')
            if dict_file.startswith(old_root):
                cfg[evaluator].dict_file = osp.join(data_root,
                                                    dict_file[len(old_root):])
    cfg.work_dir = work_dir
    cfg.randomness = dict(seed=seed, deterministic=False)
    return cfg


def prepare_synthvg(cfg: Config, **overrides) -> Dict[str, str]:
    """Generate the SynthVG world a config reads, unless it is there.

    The world is the one of the config's ``synthvg`` dict (``size``,
    ``seed`` and generation parameters; default: the default world, seed
    0), at the data root of its train dataset.

    Args:
        cfg (Config): A config with a SynthVG ``train_dataloader``.
        **overrides: Replace entries of ``synthvg`` (e.g. ``seed``).

    Returns:
        dict: The paths of :func:`ensure_synthvg`.
    """
    world = dict(size='default', seed=0)
    world.update(cfg.get('synthvg') or {})
    world.update(overrides)
    data_root = _loader_dataset(cfg, 'train_dataloader').data_root
    return ensure_synthvg(data_root, **world)


def train_and_test(cfg: Config,
                   checkpoint: Optional[str] = None) -> Dict[str, float]:
    """Train with :class:`SceneGraphRunner` (as ``tools/train.py``) and test
    the final model.

    Args:
        cfg (Config): The run's config (see :func:`synthvg_config`).
        checkpoint (str, optional): Test this checkpoint instead of
            training. Defaults to None.

    Returns:
        dict: The test metrics.
    """
    if checkpoint is not None:
        cfg.load_from = checkpoint
        return SceneGraphRunner.from_cfg(cfg).test()
    runner = SceneGraphRunner.from_cfg(cfg)
    runner.train()
    return runner.test()


def final_checkpoint(cfg: Config) -> str:
    """Path of the last checkpoint of an iteration-based run."""
    return osp.join(cfg.work_dir, f'iter_{cfg.train_cfg.max_iters}.pth')


def train_or_reuse(cfg: Config) -> Dict[str, float]:
    """Test the run's final checkpoint if it exists, else train and test.

    A second run of a sequence of runs (``make demo-all``) then only
    evaluates. The checkpoint is reused whatever config made it: remove the
    work dir to train again.

    Args:
        cfg (Config): The run's config (see :func:`synthvg_config`).

    Returns:
        dict: The test metrics.
    """
    checkpoint = final_checkpoint(cfg)
    if osp.isfile(checkpoint):
        print_log(
            f'Reusing {checkpoint} (remove {cfg.work_dir} to train again)',
            logger='current')
        return train_and_test(cfg, checkpoint)
    return train_and_test(cfg)


def metric_table(rows: Sequence[Tuple[str, Dict[str, float]]], mode: str,
                 columns: Sequence[str]) -> str:
    """An ASCII table of one mode's metrics (percent), one row per model.

    Args:
        rows: (name, metrics) pairs; metrics named ``{mode}/{column}``.
        mode (str): 'predcls', 'sgcls' or 'sgdet'.
        columns: Metric names without the mode prefix (missing: nan).

    Returns:
        str: The table.
    """
    data = [('model', *columns)]
    for name, metrics in rows:
        data.append(
            (name, *(f"{metrics.get(f'{mode}/{col}', float('nan')):.2f}"
                     for col in columns)))
    return AsciiTable(data).table


def beats_prior(prior: Dict[str, float], model: Dict[str, float], mode: str,
                keys: Sequence[str]) -> bool:
    """Whether a model's ``{mode}/{key}`` exceed the prior's for all keys."""
    return all(model[f'{mode}/{key}'] > prior[f'{mode}/{key}'] for key in keys)
