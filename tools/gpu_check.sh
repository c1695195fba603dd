#!/usr/bin/env bash
# GPU check: the whole stack on a CUDA machine without compiling mmcv.
#
# Made for the GPU machine this project is sometimes lent (one H200; Python
# 3.12, torch 2.11 + CUDA 13, torchvision 0.26, numpy 2.x; no mmcv, mmengine
# or mmdet; no network; files travel inside the 64 MiB working tree). mmcv
# comes as mmcv-lite, whose ops mmsgg_rde/ops provides (torchvision's CUDA
# kernels there). Steps, each printing its figures (about 8 minutes there):
#   1. install the carried wheels (requirements/gpu-check.txt) with --no-deps
#      into a target folder of its own put first on PYTHONPATH, with the
#      checkout after it; nothing is installed into the Python's environment
#      (the checkout's .mim links are made with `setup.py egg_info` if
#      missing, as `make install` makes them);
#   2. the test suite, with the CUDA tests (pytest marker `cuda`, deselected
#      without CUDA);
#   3. a short demo training on CUDA with mixed precision (tools/train.py
#      configs/demo/motifs_demo_predcls.py --amp on SynthVG), then its test;
#      the seconds per iteration are the raw per-iteration times of
#      mmengine's IterTimerHook (kept in the checkpoint's message hub), not
#      the logged window averages;
#   4. PredCls and SGDet inference throughput (images/s, peak GPU memory) at
#      the protocol's sizes, with and without RDE, alternating in one process
#      after warm-up (benchmarks/bench_inference.py).
# The Python: PYTHON, else an activated environment, else the checkout's
# .venv, else python/python3 (tools/python_env.sh).
#
# Preparing the wheel folder (the device README's recipe), once, here, in the
# root of the checkout the device tool sends:
#   echo /.whl/ >> .git/info/exclude
#   bash tools/gpu_check.sh --prepare-wheels .whl    # cp312 manylinux wheels, ~5 MiB
# That runs, for each line of requirements/gpu-check.txt:
#   $PYTHON -m pip download --no-deps --only-binary=:all: --python-version 3.12
#     --implementation cp --platform manylinux_2_28_x86_64 (and _2_27, _2_17,
#     2014, 1) -d .whl NAME==VERSION
# numpy stays the machine's (2.x): mmengine 0.10.7, mmcv-lite 2.1.0, mmdet
# 3.3.0, pycocotools 2.0.11 and shapely 2.2 work with numpy 2.
# Then, on the machine (device tool: carry ['.whl'], timeout_s 600):
#   bash tools/gpu_check.sh --wheels .whl --out "$OUT"
#
# --dry-run: the same steps on the CPU at tiny sizes (and without --amp,
# which mmengine allows on GPUs only). After `make install` it needs nothing
# else: without wheels it runs on the packages of the Python it uses (the
# .venv); with --wheels DIR it installs them into the target folder first,
# e.g. with a Python that has torch and numpy 2 but no OpenMMLab package:
#   bash tools/gpu_check.sh --prepare-wheels build/gpu-wheels --python-version 3.11
#   PYTHON=build/venv-np2/bin/python bash tools/gpu_check.sh --dry-run --wheels build/gpu-wheels
# --skip-tests leaves out step 2 (tests/test_tools/test_shell_scripts.py runs
# the dry run so, inside the test suite).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/tools/python_env.sh"
WHEELS=""
TARGET=/tmp/mmsgg-gpu-check/site
WORK=/tmp/mmsgg-gpu-check/work
OUT_DIR=""
DRY_RUN=0
SKIP_TESTS=0
PREPARE=""
PY_VERSION=3.12

usage() { awk 'NR > 1 && /^set -euo pipefail/ { exit } NR > 1' "$0"; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
    case "$1" in
        --dry-run) DRY_RUN=1 ;;
        --skip-tests) SKIP_TESTS=1 ;;
        --wheels)
            [ -d "${2:-}" ] || { echo "ERROR: --wheels ${2:-}: no such folder; make it with" \
                "bash tools/gpu_check.sh --prepare-wheels ${2:-DIR}"; exit 2; }
            WHEELS="$(cd "$2" && pwd)"; shift ;;
        --target) TARGET="$2"; shift ;;
        --work-dir) WORK="$2"; shift ;;
        --out) OUT_DIR="$2"; shift ;;
        --prepare-wheels) PREPARE="$2"; shift ;;
        --python-version) PY_VERSION="$2"; shift ;;
        -h|--help) usage 0 ;;
        *) echo "unknown argument: $1"; usage 1 ;;
    esac
    shift
done

say() { printf '\n[gpu-check] %s\n' "$*"; }

if [ -n "$PREPARE" ]; then
    mkdir -p "$PREPARE"
    grep -v '^\s*#' "$ROOT/requirements/gpu-check.txt" | grep -v '^\s*$' | while read -r req; do
        "$PYTHON" -m pip download -q --no-deps --only-binary=:all: \
            --python-version "$PY_VERSION" --implementation cp \
            --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
            --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
            --platform manylinux1_x86_64 -d "$PREPARE" "$req"
    done
    du -sh "$PREPARE"; ls "$PREPARE"
    exit 0
fi

# Wheels: --wheels, else the checkout's .whl when it has any.
if [ -z "$WHEELS" ] && compgen -G "$ROOT/.whl/*.whl" >/dev/null; then
    WHEELS="$ROOT/.whl"
fi
if [ -n "$WHEELS" ] && ! compgen -G "$WHEELS/*.whl" >/dev/null; then
    echo "ERROR: no wheels (*.whl) in $WHEELS; prepare them first:" \
        "bash tools/gpu_check.sh --prepare-wheels $WHEELS (see bash tools/gpu_check.sh --help)"
    exit 2
fi
if [ -z "$WHEELS" ] && [ "$DRY_RUN" = 0 ]; then
    echo "ERROR: no wheels: the GPU check installs mmengine, mmcv-lite and mmdet from wheels" \
        "prepared beforehand (there is no network there). Prepare them here with" \
        "bash tools/gpu_check.sh --prepare-wheels .whl and carry .whl (see bash tools/gpu_check.sh --help);" \
        "--dry-run runs without wheels, on the packages of $PYTHON."
    exit 2
fi

mkdir -p "$WORK"
[ -n "$OUT_DIR" ] && mkdir -p "$OUT_DIR"
LOG="$WORK/gpu-check.log"
: > "$LOG"
# Everything printed also goes to $LOG (and to --out at the end).
exec > >(tee -a "$LOG") 2>&1
finish() {
    [ -n "$OUT_DIR" ] && cp "$LOG" "$OUT_DIR/gpu-check.log" 2>/dev/null
    return 0
}
trap finish EXIT
cd "$ROOT"
export PYTHONUNBUFFERED=1
if [ "$DRY_RUN" = 1 ]; then
    DEVICE=cpu; SIZE=tiny; AMP=(); ITERS=4; LOG_EVERY=1; SYNTHVG=tiny; IMAGES=2
    # A rehearsal: a few warm-up rounds, settled or not.
    BENCH_OPTS=(--min-warmup 1 --max-warmup 2)
    export CUDA_VISIBLE_DEVICES=""
else
    DEVICE=cuda; SIZE=protocol; AMP=(--amp); ITERS=450; LOG_EVERY=50; SYNTHVG=default; IMAGES=20
    BENCH_OPTS=()
fi
START=$(date +%s)
elapsed() { echo "$(( $(date +%s) - START ))s"; }

if [ -n "$WHEELS" ]; then
    say "1/4 install the wheels of $WHEELS into $TARGET (not into $PYTHON's environment)"
    "$PYTHON" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir \
        --upgrade --target "$TARGET" "$WHEELS"/*.whl
    export PYTHONPATH="$TARGET:$ROOT${PYTHONPATH:+:$PYTHONPATH}"
else
    say "1/4 no wheels: the dry run uses the packages of $PYTHON as they are"
    export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
fi
# mim's files in the checkout (mmsgg_rde/.mim links and mmsgg_rde.egg-info),
# as `make install` leaves them; the checkout's files only.
if [ ! -L "$ROOT/mmsgg_rde/.mim/tools" ]; then
    "$PYTHON" setup.py -q egg_info > "$WORK/egg-info.log" 2>&1 \
        || { echo "setup.py egg_info failed (the test of the .mim links will fail):"; tail -5 "$WORK/egg-info.log"; }
fi
"$PYTHON" - <<'EOF'
import numpy, torch, mmcv, mmdet, mmengine
import mmsgg_rde
from mmsgg_rde.ops import mmcv_ops_backend
cuda = torch.cuda.is_available()
print(f'python {__import__("sys").version.split()[0]} | torch {torch.__version__} '
      f'| CUDA {torch.version.cuda if cuda else "not available"} '
      f'| {torch.cuda.get_device_name(0) if cuda else "CPU"}')
try:
    import torchvision
    tv = torchvision.__version__
except ImportError:
    tv = 'not installed'
print(f'numpy {numpy.__version__} | torchvision {tv} | mmcv {mmcv.__version__} '
      f'| mmengine {mmengine.__version__} | mmdet {mmdet.__version__} '
      f'| mmcv ops: {mmcv_ops_backend()}')
EOF
echo "[gpu-check] step 1 done at $(elapsed)"

TESTS_RC=0
if [ "$SKIP_TESTS" = 1 ]; then
    say "2/4 test suite: skipped (--skip-tests)"
else
    say "2/4 test suite (CUDA tests: pytest -m cuda, selected only with CUDA)"
    set +e
    OMP_NUM_THREADS=1 "$PYTHON" -m pytest -q -rs tests 2>&1 | tail -n 25
    TESTS_RC=${PIPESTATUS[0]}
    OMP_NUM_THREADS=1 "$PYTHON" -m pytest -q -m cuda tests 2>&1 | tail -n 3
    set -e
    echo "[gpu-check] test suite exit code $TESTS_RC; step 2 done at $(elapsed)"
fi

say "3/4 demo training on $DEVICE ${AMP[*]:-(fp32)}: $ITERS iterations on SynthVG ($SYNTHVG)"
DATA="$WORK/synthvg_$SYNTHVG/"
"$PYTHON" tools/dataset_converters/make_synthvg.py --out "$DATA" --size "$SYNTHVG" --seed 0 | tail -n 2
CFG=configs/demo/motifs_demo_predcls.py
DATA_OPTS=()
for split in train val test; do
    DATA_OPTS+=("${split}_dataloader.dataset.data_root=$DATA")
    # The tiny SynthVG (60 images) cannot spare the config's 50 val images.
    [ "$DRY_RUN" = 1 ] && DATA_OPTS+=("${split}_dataloader.dataset.num_val_images=10")
done
rm -rf "$WORK/demo"
T0=$(date +%s)
"$PYTHON" tools/train.py "$CFG" "${AMP[@]}" --work-dir "$WORK/demo" --cfg-options "${DATA_OPTS[@]}" \
    train_cfg.max_iters=$ITERS train_cfg.val_interval=$ITERS default_hooks.checkpoint.interval=$ITERS \
    default_hooks.logger.interval=$LOG_EVERY \
    > "$WORK/demo-train.log" 2>&1 || { tail -n 40 "$WORK/demo-train.log"; exit 1; }
T1=$(date +%s)
"$PYTHON" tools/test.py "$CFG" "$WORK/demo/iter_$ITERS.pth" --work-dir "$WORK/demo" \
    --cfg-options "${DATA_OPTS[@]}" > "$WORK/demo-test.log" 2>&1 || { tail -n 40 "$WORK/demo-test.log"; exit 1; }
T2=$(date +%s)
"$PYTHON" - "$WORK/demo" "$ITERS" "$((T1 - T0))" "$((T2 - T1))" <<'EOF'
import glob, json, sys
import numpy as np
import torch
work, iters, train_s, test_s = sys.argv[1], int(sys.argv[2]), *map(int, sys.argv[3:])
train, test = [], {}
for path in sorted(glob.glob(f'{work}/*/vis_data/scalars.json')):
    for line in open(path):
        rec = json.loads(line)
        (train.append(rec) if 'loss' in rec else test.update(rec))
# The logged 'time' is a window average; the message hub of the checkpoint
# keeps every iteration's own time (mmengine's IterTimerHook).
hub = torch.load(f'{work}/iter_{iters}.pth', map_location='cpu',
                 weights_only=False)['message_hub']
times = np.asarray(hub['log_scalars']['train/time'].data[0], dtype=float)
q1, median, q3 = np.percentile(times, [25, 50, 75])
mem = max((r.get('memory', 0) for r in train), default=0)
mem = f'{mem} MiB' if mem else 'not logged (CPU)'
print(f'training: {iters} iterations in {train_s} s wall (with start-up and '
      f'the final validation); s/iter of the {len(times)} iterations: median '
      f'{median:.3f}, IQR {q1:.3f}-{q3:.3f}, min-max {times.min():.3f}-'
      f'{times.max():.3f}; peak GPU memory {mem}; last logged loss '
      f'{train[-1]["loss"]:.3f}')
keys = ('R@20', 'R@50', 'R@100', 'mR@50', 'ng-R@50', 'zR@50')
print(f'test ({test_s} s wall): ' + ', '.join(
    f'{k} {test.get(f"predcls/{k}", float("nan")):.2f}' for k in keys))
EOF
echo "[gpu-check] step 3 done at $(elapsed)"

say "4/4 inference throughput at $SIZE sizes on $DEVICE, with and without RDE"
"$PYTHON" benchmarks/bench_inference.py --size "$SIZE" --device "$DEVICE" --iters "$IMAGES" "${BENCH_OPTS[@]}"
echo "[gpu-check] step 4 done at $(elapsed)"

say "done in $(elapsed); test suite exit code $TESTS_RC"
exit "$TESTS_RC"
