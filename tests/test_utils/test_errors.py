import pytest
from torch.utils.data._utils.worker import ExceptionWrapper

from mmsgg_rde.utils import DEBUG_ENV, UserError, one_line_message, run_cli


class _SettingError(UserError, ValueError):
    pass


def _raiser(error):

    def main():
        raise error

    return main


def test_user_error_is_one_line_and_exit_1(capsys, monkeypatch):
    monkeypatch.delenv(DEBUG_ENV, raising=False)
    with pytest.raises(SystemExit) as info:
        run_cli(_raiser(_SettingError('bad value\n  of model.x; set it')))
    assert info.value.code == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [
        'error: _SettingError: bad value of model.x; set it',
        f'(set {DEBUG_ENV}=1 to see the full traceback)'
    ]


def test_missing_file_is_one_line(capsys, monkeypatch):
    monkeypatch.delenv(DEBUG_ENV, raising=False)
    with pytest.raises(SystemExit):
        run_cli(_raiser(FileNotFoundError('configs/x.py not found')))
    assert capsys.readouterr().err.startswith(
        'error: FileNotFoundError: configs/x.py not found\n')


def test_debug_env_and_other_errors_keep_the_traceback(monkeypatch):
    monkeypatch.setenv(DEBUG_ENV, '1')
    with pytest.raises(_SettingError):
        run_cli(_raiser(_SettingError('x')))
    monkeypatch.delenv(DEBUG_ENV)
    with pytest.raises(ZeroDivisionError):
        run_cli(_raiser(ZeroDivisionError('a bug')))


def test_error_from_a_dataloader_worker_keeps_its_last_line():
    try:
        raise _SettingError('Image 7.jpg is 20x10 but\nits boxes are 40x20')
    except _SettingError:
        wrapped = ExceptionWrapper(where='in DataLoader worker process 0')
    with pytest.raises(_SettingError) as info:
        wrapped.reraise()
    assert one_line_message(info.value) == (
        '_SettingError: Image 7.jpg is 20x10 but its boxes are 40x20')
