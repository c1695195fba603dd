"""Give models the priors they take from the training set."""
from mmdet.registry import HOOKS
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.runner import BaseLoop

from mmsgg_rde.models.layers import (ClassEmbedding, FrequencyBias,
                                     VCTreePairScorer)

__all__ = ['DatasetPriorHook']


@HOOKS.register_module()
class DatasetPriorHook(Hook):
    """Initialise frequency biases and class embeddings from the train set.

    In ``before_run`` it reads ``get_statistics()['pred_dist']`` and
    ``metainfo['classes']`` of ``runner.train_dataloader.dataset`` and hands
    them to every :class:`FrequencyBias` and :class:`VCTreePairScorer`
    (``set_prior``) and :class:`ClassEmbedding` (GloVe lookup by name) of
    the model.

    mmengine's ``Runner.train`` runs ``before_run`` hooks, then
    ``model.init_weights()`` (which applies these priors), then
    ``load_or_resume()``: a loaded or resumed checkpoint therefore always
    wins over the dataset priors. Outside training (no train dataloader)
    the hook does nothing.

    Args:
        statistics_key (str): Key of the log-prior in the statistics dict.
            Defaults to 'pred_dist'.
    """

    priority = 'VERY_HIGH'

    def __init__(self, statistics_key: str = 'pred_dist') -> None:
        self.statistics_key = statistics_key

    def before_run(self, runner) -> None:
        """Hand the train set's priors to the model's prior modules."""
        # Runner.train builds its loop before ``before_run``; test() and
        # val() do not, and need no priors.
        if not isinstance(runner._train_loop, BaseLoop):
            return
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        biases = [
            m for m in model.modules()
            if isinstance(m, (FrequencyBias, VCTreePairScorer))
        ]
        embeds = [m for m in model.modules() if isinstance(m, ClassEmbedding)]
        if not biases and not embeds:
            return
        dataset = runner.train_dataloader.dataset
        if biases:
            if not hasattr(dataset, 'get_statistics'):
                raise TypeError(
                    f'{type(dataset).__name__} has no get_statistics(); the '
                    'DatasetPriorHook needs a scene graph dataset (e.g. '
                    'VG150Dataset) as train_dataloader.dataset, or remove '
                    'the hook from custom_hooks.')
            statistics = dataset.get_statistics()
            if self.statistics_key not in statistics:
                raise KeyError(
                    f'{type(dataset).__name__}.get_statistics() has no '
                    f'"{self.statistics_key}"; set statistics_key of '
                    f'DatasetPriorHook to one of {sorted(statistics)}.')
            for bias in biases:
                bias.set_prior(statistics[self.statistics_key])
        for embed in embeds:
            embed.set_class_names(dataset.metainfo['classes'])
        print_log(
            f'DatasetPriorHook: priors of {type(dataset).__name__} given to '
            f'{len(biases)} prior (FrequencyBias, VCTreePairScorer) and '
            f'{len(embeds)} ClassEmbedding '
            'modules (checkpoints loaded later take precedence).',
            logger='current')
