"""Errors about the user's files and settings, shown as one line by tools.

Every error that a user fixes by changing a file or a setting (a checkpoint,
an image, a config field) derives from :class:`UserError`. ``tools/train.py``
and ``tools/test.py`` run their ``main()`` through :func:`run_cli`, which
prints such an error (and ``FileNotFoundError``) as one line plus a hint
instead of a traceback; ``MMSGG_RDE_DEBUG=1`` shows the traceback.
"""
import os
import re
import sys
from typing import Any, Callable

__all__ = ['UserError', 'DEBUG_ENV', 'one_line_message', 'run_cli']

#: Environment variable that makes :func:`run_cli` show full tracebacks.
DEBUG_ENV = 'MMSGG_RDE_DEBUG'
# torch's DataLoader re-raises a worker's error with its traceback in the
# message, after this line.
_WORKER_TRACEBACK_MARK = 'Original Traceback'


class UserError(Exception):
    """An error the user fixes by changing a file or a setting."""


def one_line_message(error: BaseException) -> str:
    """The message of ``error`` on one line, with its type name.

    An error raised in a DataLoader worker carries the worker's traceback
    in its message; only the original error at its end is kept.

    Args:
        error: The exception.

    Returns:
        str: ``'<TypeName>: <message>'`` without line breaks.
    """
    message = str(error.args[0]) if len(error.args) == 1 else str(error)
    name = type(error).__name__
    if _WORKER_TRACEBACK_MARK in message:
        lines = message.split(_WORKER_TRACEBACK_MARK, 1)[1].splitlines()
        for index in range(len(lines) - 1, -1, -1):
            # The traceback's frames are indented; the error line is not.
            match = re.match(r'([A-Za-z_][\w.]*): ', lines[index])
            if match:
                name = match.group(1).rsplit('.', 1)[-1]
                message = ' '.join([lines[index][match.end():]] +
                                   lines[index + 1:])
                break
    return f'{name}: {" ".join(message.split())}'


def run_cli(main: Callable[[], Any]) -> None:
    """Run a tool's ``main()``; print user errors as one line and exit 1.

    :class:`UserError` and ``FileNotFoundError`` are printed to stderr as
    one line followed by a hint; any other exception propagates with its
    traceback. With ``MMSGG_RDE_DEBUG=1`` every exception propagates.

    Args:
        main: The tool's entry point.
    """
    try:
        main()
    except (UserError, FileNotFoundError) as error:
        if os.environ.get(DEBUG_ENV, '') not in ('', '0'):
            raise
        print(
            f'error: {one_line_message(error)}\n'
            f'(set {DEBUG_ENV}=1 to see the full traceback)',
            file=sys.stderr)
        sys.exit(1)
