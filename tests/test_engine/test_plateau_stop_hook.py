from types import SimpleNamespace

from mmengine.runner import BaseLoop

from mmsgg_rde.engine import PlateauStopHook


class Loop(BaseLoop):
    """A train loop that only holds ``stop_training``."""

    def __init__(self):
        self.stop_training = False

    def run(self):
        pass


def run_hook(schedulers, loop=None):
    loop = Loop() if loop is None else loop
    runner = SimpleNamespace(
        _train_loop=loop, param_schedulers=schedulers, iter=2000)
    PlateauStopHook().after_val_epoch(runner, metrics={})
    return loop


def test_stops_when_a_schedule_is_exhausted():
    done = SimpleNamespace(exhausted=True)
    running = SimpleNamespace(exhausted=False)
    assert run_hook([running, done]).stop_training
    assert run_hook(dict(main=[done])).stop_training
    assert not run_hook([running, SimpleNamespace()]).stop_training


def test_outside_training_does_nothing():
    loop = dict(type='IterBasedTrainLoop')  # not built: runner.val() alone
    run_hook([SimpleNamespace(exhausted=True)], loop=loop)
    assert loop == dict(type='IterBasedTrainLoop')
