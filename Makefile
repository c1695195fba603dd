# Every target installs what is missing first (tools/install.sh is idempotent).
VENV ?= .venv
PY := $(VENV)/bin/python
LINT_PATHS := mmsgg_rde configs tools tests benchmarks setup.py

.PHONY: install test demo demo-all lint format bench clean

# MMCV=lite (the default for a new venv): mmcv-lite, with the RoIAlign/NMS
# kernels of mmsgg_rde/ops, in about a minute. MMCV=full: mmcv with its
# compiled ops, built from source. `make test` (what CI's .ci/run runs)
# uses MMCV=full unless MMCV is set, so that tests/test_ops holds our ops to
# mmcv's compiled ones; `MMCV=lite make test` runs the suite on the lite
# path (those comparisons skipped). See README "Two commands".
install:
	@bash tools/install.sh

test: export MMCV ?= full
test: install
	$(PY) -m pytest -q

demo: install
	$(PY) tools/run_demo.py

# The two-stage workflow in every mode: the SynthVG detector, then PredCls,
# SGCls and SGDet for Motifs and Motifs + RDE on it (README, "make demo-all").
demo-all: install
	$(PY) tools/run_demo_all.py

# yapf formats the code and isort then owns the import blocks (the two wrap
# long imports differently), so `format` runs them in that order and `lint`
# checks the result with flake8 and isort.
lint: install
	$(PY) -m flake8 $(LINT_PATHS)
	$(PY) -m isort --check-only --diff $(LINT_PATHS)

format: install
	$(PY) -m yapf --recursive --in-place $(LINT_PATHS)
	$(PY) -m isort $(LINT_PATHS)

bench: install
	$(PY) benchmarks/bench_metric.py
	$(PY) benchmarks/bench_vg150_loader.py
	$(PY) benchmarks/bench_ops.py

clean:
	rm -rf work_dirs build *.egg-info mmsgg_rde/.mim
