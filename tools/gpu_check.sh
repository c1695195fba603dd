#!/usr/bin/env bash
# GPU check: the whole stack on a CUDA machine without compiling mmcv.
#
# Made for the GPU machine this project is sometimes lent (one H200; Python
# 3.12, torch 2.11 + CUDA 13, torchvision 0.26, numpy 2.x; no mmcv, mmengine
# or mmdet; no network; files travel inside the 64 MiB working tree). mmcv
# comes as mmcv-lite, whose ops mmsgg_rde/ops provides (torchvision's CUDA
# kernels there). Steps, each printing its figures (about 8 minutes there):
#   1. install the carried wheels (requirements/gpu-check.txt) with --no-deps
#      into a target folder put first on PYTHONPATH; mmsgg_rde editable, and
#      the .pth that registers its mmcv ops (as `MMCV=lite make install`);
#   2. the test suite, with the CUDA tests (pytest marker `cuda`, deselected
#      without CUDA);
#   3. a short demo training on CUDA with mixed precision (tools/train.py
#      configs/demo/motifs_demo_predcls.py --amp on SynthVG), then its test;
#   4. PredCls and SGDet inference throughput (images/s, peak GPU memory) at
#      the protocol's sizes, with and without RDE (benchmarks/bench_inference.py).
#
# Preparing the wheel folder (the device README's recipe), once, here, in the
# root of the checkout the device tool sends:
#   echo /.whl/ >> .git/info/exclude
#   bash tools/gpu_check.sh --prepare-wheels .whl    # cp312 manylinux wheels, ~5 MiB
# That runs, for each line of requirements/gpu-check.txt:
#   python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12
#     --implementation cp --platform manylinux_2_28_x86_64 (and _2_27, _2_17,
#     2014, 1) -d .whl NAME==VERSION
# numpy stays the machine's (2.x): mmengine 0.10.7, mmcv-lite 2.1.0, mmdet
# 3.3.0, pycocotools 2.0.11 and shapely 2.2 work with numpy 2.
# Then, on the machine (device tool: carry ['.whl'], timeout_s 600):
#   bash tools/gpu_check.sh --wheels .whl --out "$OUT"
#
# --dry-run: the same steps on the CPU at tiny sizes (and without --amp,
# which mmengine allows on GPUs only), e.g. here with a Python that has torch
# and numpy 2 but no OpenMMLab package:
#   bash tools/gpu_check.sh --prepare-wheels build/gpu-wheels --python-version 3.11
#   PYTHON=build/venv-np2/bin/python bash tools/gpu_check.sh --dry-run --wheels build/gpu-wheels
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
WHEELS="$ROOT/.whl"
TARGET=/tmp/mmsgg-gpu-check/site
WORK=/tmp/mmsgg-gpu-check/work
OUT_DIR=""
DRY_RUN=0
PREPARE=""
PY_VERSION=3.12

usage() { sed -n '2,40p' "$0"; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
    case "$1" in
        --dry-run) DRY_RUN=1 ;;
        --wheels) WHEELS="$(cd "$2" && pwd)"; shift ;;
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
        python3 -m pip download -q --no-deps --only-binary=:all: \
            --python-version "$PY_VERSION" --implementation cp \
            --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
            --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
            --platform manylinux1_x86_64 -d "$PREPARE" "$req"
    done
    du -sh "$PREPARE"; ls "$PREPARE"
    exit 0
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
    export CUDA_VISIBLE_DEVICES=""
else
    DEVICE=cuda; SIZE=protocol; AMP=(--amp); ITERS=450; LOG_EVERY=50; SYNTHVG=default; IMAGES=20
fi
START=$(date +%s)
elapsed() { echo "$(( $(date +%s) - START ))s"; }

say "1/4 install the wheels of $WHEELS into $TARGET"
"$PYTHON" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir \
    --upgrade --target "$TARGET" "$WHEELS"/*.whl
export PYTHONPATH="$TARGET:$ROOT"
"$PYTHON" -m pip install -q --no-index --no-deps --no-build-isolation -e "$ROOT" \
    > "$WORK/editable-install.log" 2>&1 \
    || { echo "editable install failed (mim files missing):"; tail -5 "$WORK/editable-install.log"; }
SITE="$("$PYTHON" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")"
"$PYTHON" "$ROOT/mmsgg_rde/ops/mmcv_ext_finder.py" > "$SITE/mmsgg_rde_mmcv_ops.pth" \
    || echo "could not write $SITE/mmsgg_rde_mmcv_ops.pth (tools import mmsgg_rde first anyway)"
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

say "2/4 test suite (CUDA tests: pytest -m cuda, selected only with CUDA)"
set +e
OMP_NUM_THREADS=1 "$PYTHON" -m pytest -q -rs tests 2>&1 | tail -n 25
TESTS_RC=${PIPESTATUS[0]}
OMP_NUM_THREADS=1 "$PYTHON" -m pytest -q -m cuda tests 2>&1 | tail -n 3
set -e
echo "[gpu-check] test suite exit code $TESTS_RC; step 2 done at $(elapsed)"

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
import glob, json, statistics, sys
work, iters, train_s, test_s = sys.argv[1], int(sys.argv[2]), *map(int, sys.argv[3:])
train, test = [], {}
for path in sorted(glob.glob(f'{work}/*/vis_data/scalars.json')):
    for line in open(path):
        rec = json.loads(line)
        (train.append(rec) if 'loss' in rec else test.update(rec))
times = [r['time'] for r in train if 'time' in r]
mem = max((r.get('memory', 0) for r in train), default=0)
mem = f'{mem} MiB' if mem else 'not logged (CPU)'
print(f'training: {iters} iterations in {train_s} s wall (with start-up and '
      f'the final validation); median logged s/iter {statistics.median(times):.3f}; '
      f'peak GPU memory {mem}; last loss {train[-1]["loss"]:.3f}')
keys = ('R@20', 'R@50', 'R@100', 'mR@50', 'ng-R@50', 'zR@50')
print(f'test ({test_s} s wall): ' + ', '.join(
    f'{k} {test.get(f"predcls/{k}", float("nan")):.2f}' for k in keys))
EOF
echo "[gpu-check] step 3 done at $(elapsed)"

say "4/4 inference throughput at $SIZE sizes on $DEVICE, with and without RDE"
"$PYTHON" benchmarks/bench_inference.py --size "$SIZE" --device "$DEVICE" --iters "$IMAGES"
echo "[gpu-check] step 4 done at $(elapsed)"

say "done in $(elapsed); test suite exit code $TESTS_RC"
exit "$TESTS_RC"
