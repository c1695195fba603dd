"""The three scene graph tasks and their check."""
__all__ = ['MODES', 'check_mode']

#: The scene graph tasks: GT boxes and labels (PredCls), GT boxes
#: (SGCls), detections (SGDet).
MODES = ('predcls', 'sgcls', 'sgdet')


def check_mode(mode: str, field: str = 'mode') -> str:
    """Return ``mode`` if it is one of :data:`MODES`, else raise.

    Args:
        mode (str): The mode to check.
        field (str): The config field it comes from, named in the error.
    """
    if mode not in MODES:
        raise ValueError(f'{field}={mode!r} is not one of {MODES}; set the '
                         f'config field "{field}" to one of them.')
    return mode
