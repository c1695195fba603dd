# Sourced by tools/*.sh: sets PYTHON to the interpreter that runs the tools.
# PYTHON when set; else `python` of an activated virtualenv or conda
# environment; else the checkout's .venv (created by `make install`) when it
# exists, so the scripts work without activating it; else `python`.
if [ -z "${PYTHON:-}" ]; then
    _checkout="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    if [ -z "${VIRTUAL_ENV:-}${CONDA_PREFIX:-}" ] \
        && [ -x "$_checkout/.venv/bin/python" ]; then
        PYTHON="$_checkout/.venv/bin/python"
    else
        PYTHON=python
    fi
fi
