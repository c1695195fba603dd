import pytest
import torch
from mmdet.registry import PARAM_SCHEDULERS

from mmsgg_rde.engine import DecayOnPlateauLR


def make_scheduler(**kwargs):
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([param], lr=1.0)
    cfg = dict(
        type='DecayOnPlateauLR',
        optimizer=optimizer,
        monitor='R@100',
        rule='greater',
        threshold=0.1,
        threshold_rule='abs',
        factor=0.1,
        patience=2,
        max_decays=2)
    cfg.update(kwargs)
    return PARAM_SCHEDULERS.build(cfg), optimizer


def metrics(value, mode='sgcls'):
    return {f'{mode}/R@100': value, f'{mode}/ng-R@100': 99.0}


def test_benchmark_plateau_rule():
    scheduler, optimizer = make_scheduler()
    assert isinstance(scheduler, DecayOnPlateauLR)
    # The benchmark's WarmupReduceLROnPlateau: improve = more than best +
    # threshold; the LR decays at the 2nd validation in a row without.
    lrs = []
    for value in (10., 10.05, 10.2, 10.2, 10.25, 9., 9.):
        assert not scheduler.exhausted
        scheduler.step(metrics(value))
        lrs.append(optimizer.param_groups[0]['lr'])
    assert lrs == pytest.approx([1, 1, 1, 1, 0.1, 0.1, 0.01])
    assert scheduler.num_decays == 2 and scheduler.exhausted
    assert scheduler.best == 10.2


def test_best_starts_at_zero_and_counts_steps():
    scheduler, optimizer = make_scheduler()
    scheduler.step()  # an iteration, not a validation
    scheduler.step(metrics(0.05))
    scheduler.step(metrics(0.08))
    assert optimizer.param_groups[0]['lr'] == pytest.approx(0.1)
    scheduler, optimizer = make_scheduler(initial_best=None)
    scheduler.step(metrics(0.05))
    scheduler.step(metrics(0.08))
    assert optimizer.param_groups[0]['lr'] == 1.0


def test_monitor_follows_the_mode_and_must_be_unique():
    scheduler, _ = make_scheduler()
    scheduler.step(metrics(5., mode='predcls'))
    scheduler.step({'R@100': 6.})
    assert scheduler.best == 6.
    with pytest.raises(KeyError, match='matches'):
        scheduler.step({'a/R@100': 1., 'b/R@100': 2.})
    with pytest.raises(KeyError, match='none'):
        scheduler.step({'sgdet/R@50': 1.})


def test_state_survives_a_checkpoint():
    scheduler, _ = make_scheduler()
    for value in (10., 10., 10.):
        scheduler.step(metrics(value))
    state = scheduler.state_dict()
    restored, _ = make_scheduler()
    restored.load_state_dict(state)
    assert restored.num_decays == 1 and restored.best == 10.
