#!/usr/bin/env bash
# Create (or update) the project's virtual environment with the pinned stack.
#
# Idempotent: a stamp file records the hash of the requirement files; when it
# matches and the key packages import, the script exits in seconds.
#
# Two ways to get mmcv 2.1.0, chosen with MMCV (default: lite):
#   MMCV=lite  mmcv-lite, a pure-Python wheel: installs in about a minute.
#              mmcv has no compiled ops then; mmsgg_rde/ops provides the
#              kernels our models reach (RoIAlign, NMS), and a .pth file in
#              the venv registers them at start-up, so mmdet works on its own.
#   MMCV=full  mmcv built from source with its compiled ops (about 10
#              minutes on 2 cores the first time, seconds once pip cached the
#              wheel); what CI tests against (.ci/run).
# Without MMCV an existing venv keeps the mmcv it has; switching replaces it.
#
# Usage: [MMCV=lite|full] bash tools/install.sh  (VENV=.venv, PYTHON=python3.11)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-$(command -v python3.11 || command -v python3)}"
LOG_DIR="$VENV/install-logs"
STAMP="$VENV/.mmsgg_rde-install-stamp"

DEFAULT_MMCV=lite
OPS_PTH=mmsgg_rde_mmcv_ops.pth

say() { printf '[install] %s\n' "$*"; }

hash_inputs() {
    { cat "$ROOT"/requirements/*.txt "$ROOT/setup.py" "$ROOT/tools/install.sh"; echo "MMCV=$MMCV"; } \
        | sha256sum | cut -d' ' -f1
}

has_dist() {  # has_dist NAME: is the distribution NAME installed in the venv?
    "$PY" -c "import importlib.metadata as m, sys; m.distribution(sys.argv[1])" "$1" >/dev/null 2>&1
}

if [ ! -x "$VENV/bin/python" ]; then
    say "creating virtual environment $VENV with $PYTHON"
    "$PYTHON" -m venv "$VENV"
fi
PY="$VENV/bin/python"
PIP=("$PY" -m pip --disable-pip-version-check)
SITE="$("$PY" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")"
mkdir -p "$LOG_DIR"

if [ -z "${MMCV:-}" ]; then
    if has_dist mmcv; then MMCV=full; elif has_dist mmcv-lite; then MMCV=lite; else MMCV=$DEFAULT_MMCV; fi
fi
case "$MMCV" in
    lite|full) ;;
    *) say "MMCV must be 'lite' or 'full', got '$MMCV'"; exit 1 ;;
esac

WANT="$(hash_inputs)"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ] \
    && [ -d "$ROOT/mmsgg_rde.egg-info" ] && [ -L "$ROOT/mmsgg_rde/.mim/tools" ] \
    && "$PY" -c "import mmcv.ops, mmdet, mmengine, mim, pytest, mmsgg_rde" >/dev/null 2>&1; then
    say "environment $VENV is up to date (MMCV=$MMCV)"
    exit 0
fi

say "installing build requirements (torch, setuptools<81, ninja, psutil)"
"${PIP[@]}" install -q -r "$ROOT/requirements/build.txt" -r "$ROOT/requirements/runtime.txt" \
    > "$LOG_DIR/base.log" 2>&1 \
    || { say "failed, see $LOG_DIR/base.log"; tail -n 20 "$LOG_DIR/base.log"; exit 1; }

if [ "$MMCV" = lite ]; then
    if has_dist mmcv; then
        say "replacing compiled mmcv by mmcv-lite (MMCV=lite)"
        "${PIP[@]}" uninstall -q -y mmcv
    fi
    say "installing mmcv-lite 2.1.0 (no compiled ops; RoIAlign and NMS from mmsgg_rde/ops)"
    "${PIP[@]}" install -q -r "$ROOT/requirements/mmcv-lite.txt" > "$LOG_DIR/mmcv-lite.log" 2>&1 \
        || { say "failed, see $LOG_DIR/mmcv-lite.log"; tail -n 20 "$LOG_DIR/mmcv-lite.log"; exit 1; }
    # Registers mmsgg_rde's mmcv._ext fallback at start-up (stdlib only, no
    # import until something imports mmcv.ops), so that mmdet and mmcv.ops
    # work in this venv before or without `import mmsgg_rde`.
    "$PY" "$ROOT/mmsgg_rde/ops/mmcv_ext_finder.py" > "$SITE/$OPS_PTH"
else
    rm -f "$SITE/$OPS_PTH"
    if has_dist mmcv-lite; then
        say "replacing mmcv-lite by mmcv with compiled ops (MMCV=full)"
        "${PIP[@]}" uninstall -q -y mmcv-lite
    fi
fi

if [ "$MMCV" = full ] && ! "$PY" -c "import mmcv._ext" >/dev/null 2>&1; then
    say "building mmcv 2.1.0 with its ops from source: about 10 minutes on 2 cores"
    say "(pip caches the wheel, later installs take seconds); log: $LOG_DIR/mmcv-build.log"
    MMCV_WITH_OPS=1 MAX_JOBS="${MAX_JOBS:-$(nproc)}" "${PIP[@]}" install -v --no-build-isolation \
        -r "$ROOT/requirements/mmcv.txt" > "$LOG_DIR/mmcv-build.log" 2>&1 &
    pid=$!
    start=$(date +%s)
    while kill -0 "$pid" 2>/dev/null; do
        sleep 15
        step=$(grep -o '\[[0-9]*/[0-9]*\]' "$LOG_DIR/mmcv-build.log" 2>/dev/null | tail -n 1 || true)
        say "  mmcv build: $(( $(date +%s) - start ))s, compile step ${step:-[preparing]}"
    done
    wait "$pid" || { say "mmcv build failed, see $LOG_DIR/mmcv-build.log"; tail -n 30 "$LOG_DIR/mmcv-build.log"; exit 1; }
    say "mmcv built in $(( $(date +%s) - start ))s"
fi

say "installing test tools, openmim and mmsgg_rde (development mode)"
"${PIP[@]}" install -q -r "$ROOT/requirements/tests.txt" -r "$ROOT/requirements/mim.txt" \
    -r "$ROOT/requirements/runtime.txt" > "$LOG_DIR/tests.log" 2>&1 \
    || { say "failed, see $LOG_DIR/tests.log"; tail -n 20 "$LOG_DIR/tests.log"; exit 1; }
# Development install with an egg-link, as `setup.py develop` made: mim finds
# tools and configs under <distribution location>/mmsgg_rde/.mim, which a PEP
# 660 editable install puts in site-packages, where there are none. Here the
# location is the checkout (its mmsgg_rde.egg-info; egg_info also links .mim).
{ (cd / && "${PIP[@]}" uninstall -y mmsgg_rde) && (cd "$ROOT" && "$PY" setup.py -q egg_info); } \
    > "$LOG_DIR/project.log" 2>&1 \
    || { say "failed, see $LOG_DIR/project.log"; tail -n 20 "$LOG_DIR/project.log"; exit 1; }
printf '%s\n.' "$ROOT" > "$SITE/mmsgg-rde.egg-link"
grep -qxF "$ROOT" "$SITE/easy-install.pth" 2>/dev/null || echo "$ROOT" >> "$SITE/easy-install.pth"

"$PY" -c "import mmcv.ops, mmdet, mmengine, mmsgg_rde; from mmsgg_rde.ops import mmcv_ops_backend; print('[install] torch', __import__('torch').__version__, '| mmcv', mmcv.__version__, '| mmdet', mmdet.__version__, '| mmengine', mmengine.__version__, '| mmcv ops:', mmcv_ops_backend())"
hash_inputs > "$STAMP"
say "done: $VENV"
