import pytest
from mmengine.config import Config

from mmsgg_rde.utils import apply_total_batch_size, launcher_world_size


def config(total):
    return Config(
        dict(total_batch_size=total, train_dataloader=dict(batch_size=6)))


@pytest.mark.parametrize('world_size,per_process', [(1, 12), (2, 6), (4, 3),
                                                    (12, 1)])
def test_total_batch_divided_among_processes(world_size, per_process):
    cfg = config(12)
    assert apply_total_batch_size(cfg, world_size) == per_process
    assert cfg.train_dataloader.batch_size == per_process


def test_indivisible_total_names_the_fix():
    with pytest.raises(ValueError, match='--total-batch-size .* 8 or 16'):
        apply_total_batch_size(config(12), 8)


def test_no_total_keeps_the_per_process_batch():
    cfg = config(None)
    assert apply_total_batch_size(cfg, 8) is None
    assert cfg.train_dataloader.batch_size == 6


def test_launcher_world_size(monkeypatch):
    assert launcher_world_size('none') == 1
    monkeypatch.setenv('WORLD_SIZE', '4')
    assert launcher_world_size('pytorch') == 4
    monkeypatch.setenv('SLURM_NTASKS', '8')
    assert launcher_world_size('slurm') == 8
    monkeypatch.delenv('OMPI_COMM_WORLD_SIZE', raising=False)
    with pytest.raises(RuntimeError, match='OMPI_COMM_WORLD_SIZE'):
        launcher_world_size('mpi')
