# The README's two commands: `make run` (set up and scan) and `make test` (the whole test suite).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
CLI := $(VENV)/bin/photohash-cli
SAMPLE := build/sample-photos
PHOTOS ?= $(SAMPLE)
CATALOG ?= build/sample-catalog.sqlite

.PHONY: run test bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

$(SAMPLE): | $(VENV)/.installed
	$(PY) tools/make_sample_photos.py $(SAMPLE)

# make run [PHOTOS=~/Pictures] [CATALOG=path]: scan a folder, then list its duplicate groups.
run: $(VENV)/.installed $(if $(filter $(SAMPLE),$(PHOTOS)),$(SAMPLE))
	$(CLI) scan --catalog $(CATALOG) $(PHOTOS)
	$(CLI) dupes --catalog $(CATALOG)

test: $(VENV)/.installed
	$(PY) -m pytest -q

bench: $(VENV)/.installed
	$(PY) tests/bench/bench_index.py
	$(PY) tests/bench/bench_scan.py

clean:
	rm -rf build $(VENV)
