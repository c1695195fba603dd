# Sourced by tools/*.sh: sets PYTHON to the interpreter that runs the tools.
# PYTHON when set; else `python` of an activated virtualenv or conda
# environment; else the checkout's .venv (created by `make install`) when it
# exists, so the scripts work without activating it; else `python`, or
# `python3` where there is no `python`.
if [ -z "${PYTHON:-}" ]; then
    _checkout="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    if [ -z "${VIRTUAL_ENV:-}${CONDA_PREFIX:-}" ] \
        && [ -x "$_checkout/.venv/bin/python" ]; then
        PYTHON="$_checkout/.venv/bin/python"
    elif command -v python >/dev/null 2>&1 || ! command -v python3 >/dev/null 2>&1; then
        PYTHON=python
    else
        PYTHON=python3
    fi
fi
