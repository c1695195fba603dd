"""Give debiasing components the predicate counts of the training set."""
from mmdet.registry import DATASETS, HOOKS
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.runner import BaseLoop

from mmsgg_rde.datasets import count_predicates
from mmsgg_rde.models.debias import PredicatePrior

__all__ = ['PredicateCountsHook']


@HOOKS.register_module()
class PredicateCountsHook(Hook):
    """Hand the training predicate counts to every :class:`PredicatePrior`.

    Reweighted and logit-adjusted losses and the post-hoc
    :class:`LogitAdjustment` need the number of training relations of each
    predicate. In ``before_run`` of training, validation and testing this
    hook counts them on the training set (``runner.train_dataloader``'s
    dataset when training, else the one ``train_dataloader.dataset`` of the
    config describes; dataset wrappers such as
    :class:`PredicateBalancedDataset` are looked through, so resampling does
    not change the counts) and calls ``set_predicate_counts`` on the
    model's components that have none yet (counts given in a component's
    config are kept). A model without such components is left alone.
    """

    priority = 'VERY_HIGH'

    def before_run(self, runner) -> None:
        """Count the training predicates and hand them out."""
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        consumers = [
            m for m in model.modules()
            if isinstance(m, PredicatePrior) and m.counts.numel() == 0
        ]
        if not consumers:
            return
        if isinstance(runner._train_loop, BaseLoop):
            dataset = runner.train_dataloader.dataset
        else:
            loader_cfg = runner.cfg.get('train_dataloader')
            if not loader_cfg or 'dataset' not in loader_cfg:
                raise KeyError(
                    'PredicateCountsHook needs train_dataloader.dataset in '
                    'the config to count the training predicates; add it, or '
                    'give predicate_counts to '
                    f'{type(consumers[0]).__name__}')
            dataset = DATASETS.build(loader_cfg['dataset'])
        counts = count_predicates(dataset)
        for module in consumers:
            module.set_predicate_counts(counts)
        print_log(
            f'PredicateCountsHook: {int(counts.sum())} training relations '
            f'of {int((counts > 0).sum())} predicates counted for '
            f'{len(consumers)} module(s)',
            logger='current')
