"""Scene graphs of a few test images of a config's dataset (``make demo``).
"""
import copy
import os.path as osp
from typing import List, Optional, Union

from mmdet.registry import DATASETS
from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.registry import init_default_scope
from mmengine.runner import find_latest_checkpoint

from .scene_graph_inferencer import SceneGraphInferencer

__all__ = ['draw_test_scene_graphs']


def draw_test_scene_graphs(cfg: Union[str, Config],
                           out_dir: str,
                           checkpoint: Optional[str] = None,
                           num_images: int = 4,
                           num_relations: int = 10,
                           device: Optional[str] = None) -> List[str]:
    """Infer and draw the first test images of a config's dataset.

    In PredCls and SGCls the images' annotated boxes (and labels) are the
    given objects. Writes ``out_dir/vis/<image>`` and
    ``out_dir/preds/<image>.json`` (see :class:`SceneGraphInferencer`).

    Args:
        cfg (str | Config): The model's config (its ``test_dataloader``
            gives the images).
        out_dir (str): Output folder.
        checkpoint (str, optional): Weights; defaults to the latest
            checkpoint in ``cfg.work_dir``.
        num_images (int): How many test images. Defaults to 4.
        num_relations (int): Relations kept per image. Defaults to 10.
        device (str, optional): Inference device.

    Returns:
        list[str]: The pictures written.
    """
    cfg = Config.fromfile(cfg) if isinstance(cfg, str) else copy.deepcopy(cfg)
    if checkpoint is None:
        checkpoint = find_latest_checkpoint(cfg.work_dir)
        if checkpoint is None:
            raise FileNotFoundError(
                f'No checkpoint in {cfg.work_dir}; train the model first or '
                'pass checkpoint=.')
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    dataset_cfg = copy.deepcopy(cfg.test_dataloader.dataset)
    dataset_cfg.pop('indices', None)
    dataset = DATASETS.build(dataset_cfg)
    infos = [
        dataset.get_data_info(i) for i in range(min(num_images, len(dataset)))
    ]
    classes = dataset.metainfo['classes']
    boxes = [
        dict(
            bboxes=info['bboxes'].tolist(),
            labels=[classes[label] for label in info['bbox_labels']])
        for info in infos
    ]
    inferencer = SceneGraphInferencer(
        cfg, weights=checkpoint, device=device, show_progress=False)
    inferencer([info['img_path'] for info in infos],
               boxes=None if inferencer.mode == 'sgdet' else boxes,
               num_relations=num_relations,
               out_dir=out_dir)
    pictures = [
        osp.join(out_dir, 'vis', osp.basename(info['img_path']))
        for info in infos
    ]
    print_log(
        f'Scene graphs of {len(pictures)} test images ({inferencer.mode}, '
        f'{checkpoint}): pictures in {osp.join(out_dir, "vis")}, JSON in '
        f'{osp.join(out_dir, "preds")}',
        logger='current')
    return pictures
