#!/usr/bin/env bash
# A full-size benchmark detector checkpoint through the converter into the
# Motifs configs: seeded random weights (tools/parity/sgb_detector.py) saved
# as the benchmark's trainer saves them, converted by
# tools/model_converters/sgb_to_mmdet.py, then for PredCls, SGCls and SGDet
# one training iteration (2 images) and a test (2 images) on a tiny SynthVG
# at the benchmark's 600/1000 input size. About 5 GB and 4 minutes on CPU.
#
# Usage: SGB_ROOT=/path/to/sgb bash tools/parity/check_converted_motifs.sh [OUT]
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-work_dirs/check_converted_motifs}
PYTHON=${PYTHON:-python}
export PYTHONPATH=$PWD:${PYTHONPATH:-}
mkdir -p "$OUT"

$PYTHON - "$OUT/model_final.pth" <<'PYEOF'
import sys
import torch
sys.path.insert(0, 'tools/parity')
from sgb_env import activate
activate()
import sgb_detector
model, cfg = sgb_detector.build_benchmark_detector(
    'configs/e2e_relation_detector_X_101_32_8_FPN_1x.yaml')
sgb_detector.randomise_(model, 1)
image_list, _ = sgb_detector.preprocess(
    sgb_detector.synthetic_image(500, 375, 1), cfg)
# Realistic output ranges: uncalibrated random logits saturate the softmax,
# every score ties at 1.0 and the 80-detection cap keeps all ties.
sgb_detector.calibrate_outputs_(model, image_list)
torch.save(sgb_detector.benchmark_checkpoint(model), sys.argv[1])
PYEOF
DETECTOR=$OUT/faster-rcnn_x101-32x8d_fpn_vg150_sgb.pth
$PYTHON tools/model_converters/sgb_to_mmdet.py "$OUT/model_final.pth" "$DETECTOR"
[ -d "$OUT/synthvg" ] || $PYTHON tools/dataset_converters/make_synthvg.py \
    --out "$OUT/synthvg" --size tiny --seed 0

# No GloVe vectors here: the class embeddings learn from random init.
OPTIONS=(model.detector_checkpoint="$DETECTOR"
         model.relation_head.embed_init=random)
for loader in train val test; do
  OPTIONS+=("${loader}_dataloader.dataset.data_root=$OUT/synthvg/"
            "${loader}_dataloader.num_workers=0"
            "${loader}_dataloader.persistent_workers=False")
done
OPTIONS+=(train_dataloader.dataset.num_val_images=10
          val_dataloader.dataset.num_val_images=10
          val_dataloader.dataset.indices=1 test_dataloader.dataset.indices=2
          train_dataloader.dataset.statistics_cache_dir="$OUT/cache")
for mode in predcls sgcls sgdet; do
  CONFIG=configs/motifs/motifs_x101_fpn_${mode}_vg150.py
  echo "== $mode: one training iteration, then a test"
  $PYTHON tools/train.py "$CONFIG" --work-dir "$OUT/$mode" \
      --total-batch-size 2 --cfg-options "${OPTIONS[@]}" train_cfg.max_iters=1
  $PYTHON tools/test.py "$CONFIG" "$OUT/$mode/iter_1.pth" \
      --work-dir "$OUT/$mode" --cfg-options "${OPTIONS[@]}"
done
