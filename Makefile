# The README's two commands: `make run` (set up and scan) and `make test` (the whole test suite).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
CLI := $(VENV)/bin/photohash-cli
SAMPLE := build/sample-photos
PHOTOS ?= $(SAMPLE)
# The sample library gets its own catalog; a folder of your own goes into your user catalog.
CATALOG ?= $(if $(filter $(SAMPLE),$(PHOTOS)),build/sample-catalog.sqlite,)
CATALOG_ARG := $(if $(CATALOG),--catalog $(CATALOG),)

.PHONY: run test bench bench-train bench-quality clean

SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import ensurepip' 2>/dev/null || $(SUDO) apt-get install -y python3-venv
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

$(SAMPLE): | $(VENV)/.installed
	$(PY) tools/make_sample_photos.py $(SAMPLE)

# make run [PHOTOS=~/Pictures] [CATALOG=path]: scan a folder, then list its duplicate groups.
run: $(VENV)/.installed $(if $(filter $(SAMPLE),$(PHOTOS)),$(SAMPLE))
	$(CLI) scan $(CATALOG_ARG) $(PHOTOS)
	$(CLI) dupes $(CATALOG_ARG)

test: $(VENV)/.installed
	$(PY) -m pytest -q

# Benchmarks print their figures (docs/benchmark.md). The CNN-model scan figure needs the [train]
# extra: tools/export_random_cnn.py, then bench_scan.py --cnn-model (see docs/benchmark.md).
bench: $(VENV)/.installed
	$(PY) tests/bench/bench_phash_agreement.py
	$(PY) tests/bench/bench_index.py --repeats 5
	$(PY) tests/bench/bench_scan.py --repeats 5
	$(PY) tests/bench/bench_scan.py --repeats 5 --grain 4 --skip-rescan

# The trainer's figures (needs ../shared): mAP@1000 tables and PR curves (docs/retrieval/), and the
# 5,000-photo end-to-end retrain. About 45 minutes on a 2-core CPU, most of it computed once and cached.
bench-train: $(VENV)/.installed
	$(PY) tests/bench/bench_retrieval.py --dataset cifar10 --bits 16 32 64
	$(PY) tests/bench/bench_retrieval.py --dataset imagenette --bits 64
	$(PY) tests/bench/bench_retrain.py --method wch --bits 64

# The near-duplicate quality table (needs ../shared): builds the edited copies, trains the baseline, NSH,
# WCH and the shipped recipe, calibrates the radii, runs the learned model (photohash64) through the
# engine, and its CIFAR-10 mAP@1000. About 25 min on a 2-core CPU from a clean clone.
# Add ARGS=--ship to re-export resources/models/photohash64.onnx and its card.
bench-quality: $(VENV)/.installed
	$(PY) tests/bench/bench_quality.py $(ARGS)

clean:
	rm -rf build $(VENV)
