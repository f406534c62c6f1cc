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

.PHONY: run test app qt-x11 screenshots translations bench bench-ui bench-scale bench-train bench-quality bench-selection bench-similar bench-verified package clean

SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

# The system libraries Qt's wheels load (the offscreen platform the tests use, and a real X11 screen).
QT_DEBS := libegl1 libgl1 libglib2.0-0 libfontconfig1 libfreetype6 libdbus-1-3 libxkbcommon0 libxkbcommon-x11-0 \
	libx11-xcb1 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 \
	libxcb-shape0 libxcb-xfixes0 libxcb-xkb1 fonts-dejavu-core

# The libraries Qt's X11 platform plugin (libqxcb.so) cannot find, one word each: `make app` needs them on a real
# screen, and the offscreen platform the tests use does not load them, so only ldd on the plugin shows them missing.
QT_MISSING = $(PY) -c 'import pathlib, PySide6; print(pathlib.Path(PySide6.__file__).parent / "Qt/plugins/platforms/libqxcb.so")' \
	| xargs ldd 2>/dev/null | awk '/not found/ {print $$1}' | sort -u | tr '\n' ' '
# Install QT_DEBS (and xvfb, for the test that opens the real window) when a Qt library or xvfb-run is missing, then
# check again: what is still missing (no apt-get here, or a library QT_DEBS does not name) is one line, and $(1) runs.
define QT_SYSTEM_LIBS
@missing="$$($(QT_MISSING))"; \
if [ -n "$$missing" ] || ! command -v xvfb-run >/dev/null \
	|| ! QT_QPA_PLATFORM=offscreen $(PY) -c 'from PySide6.QtWidgets import QApplication; QApplication([])' 2>/dev/null; then \
	if command -v apt-get >/dev/null; then $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $(QT_DEBS) xvfb xauth; fi; \
	missing="$$($(QT_MISSING))"; \
	if [ -n "$$missing" ]; then \
		echo "Qt cannot open a window on X11 here: missing $$missing(install them with your package manager; on Debian: $(QT_DEBS))"; \
		$(1); \
	fi; \
fi
endef

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import ensurepip' 2>/dev/null || $(SUDO) apt-get install -y python3-venv
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	$(call QT_SYSTEM_LIBS,true)
	touch $@

# Checked again on every `make app` / `make screenshots` (a venv installed before this check, or a library removed since).
qt-x11: $(VENV)/.installed
	$(call QT_SYSTEM_LIBS,exit 1)

$(SAMPLE): | $(VENV)/.installed
	$(PY) tools/make_sample_photos.py $(SAMPLE)

# make run [PHOTOS=~/Pictures] [CATALOG=path]: scan a folder, then list its duplicate groups.
run: $(VENV)/.installed $(if $(filter $(SAMPLE),$(PHOTOS)),$(SAMPLE))
	$(CLI) scan $(CATALOG_ARG) $(PHOTOS)
	$(CLI) dupes $(CATALOG_ARG)

test: $(VENV)/.installed
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

# The desktop app on your screen (a catalog of your own; the sample library's with PHOTOS unset).
app: qt-x11 $(if $(filter $(SAMPLE),$(PHOTOS)),$(SAMPLE))
	$(VENV)/bin/photohash $(CATALOG_ARG) --add $(PHOTOS)

# docs/screenshots: every screen, light and dark, on a library of the shared photos with edited copies.
screenshots: qt-x11
	xvfb-run -a -s "-screen 0 1600x1000x24" $(PY) tools/screenshots.py docs/screenshots

# The app's strings into resources/translations/photohash_en.ts (the translators' template), and each translated
# photohash_<language>.ts compiled into the .qm the app loads for the user's language.
translations: $(VENV)/.installed
	$(PY) tools/update_translations.py --release

# Benchmarks print their figures (docs/benchmark.md). The CNN-model scan figure needs the [train]
# extra: tools/export_random_cnn.py, then bench_scan.py --cnn-model (see docs/benchmark.md).
bench: $(VENV)/.installed
	$(PY) tests/bench/bench_phash_agreement.py
	$(PY) tests/bench/bench_index.py --repeats 5
	$(PY) tests/bench/bench_scan.py --repeats 5
	$(PY) tests/bench/bench_scan.py --repeats 5 --grain 4 --skip-rescan
	$(PY) tests/bench/bench_walk.py
	$(PY) tests/bench/bench_verify.py

# How long the UI thread is ever blocked: during a 1,000-photo scan and scrolling a 50,000-photo grid.
bench-ui: $(VENV)/.installed
	QT_QPA_PLATFORM=offscreen $(PY) tests/bench/bench_ui.py --repeats 3

# Speed and scale (docs/benchmark.md, issue 26): command start-up, the default model's 1M join, and a 2-actor local
# Ray scan beside the local pool (needs the [cluster] extra, which [dev] includes).
bench-scale: $(VENV)/.installed
	$(PY) tests/bench/bench_startup.py --runs 5
	$(PY) tests/bench/bench_index.py --scale 1000000
	$(PY) tests/bench/bench_ray_scan.py --photos 80 --copies 3 --repeats 3

# The Linux app bundle (PyInstaller, without the trainer): dist/photohash/.
package: $(VENV)/.installed
	packaging/build.sh

# The trainer's figures (needs ../shared): mAP@1000 tables and PR curves (docs/retrieval/), and the
# 5,000-photo end-to-end retrains: the shipped recipe (the default; its radius checked on the near-duplicate test
# half) and WCH alone. About 55 minutes on a 2-core CPU, most of it computed once and cached.
bench-train: $(VENV)/.installed
	$(PY) tests/bench/bench_retrieval.py --dataset cifar10 --bits 16 32 64
	$(PY) tests/bench/bench_retrieval.py --dataset imagenette --bits 64
	$(PY) tests/bench/bench_retrain.py --method photohash
	$(PY) tests/bench/bench_retrain.py --method wch --bits 64

# The near-duplicate quality table (needs ../shared): builds the edited copies, trains the baseline, NSH,
# WCH and the shipped recipe, calibrates the radii, runs the default model (photohash192) through the
# engine, and its CIFAR-10 mAP@1000. About 27 min on a 2-core CPU from a clean clone.
# Add ARGS=--ship to re-export resources/models/photohash192.onnx and its card.
bench-quality: $(VENV)/.installed
	$(PY) tests/bench/bench_quality.py $(ARGS)

# How the shipped recipe's views were chosen: 500 held-out Imagenette photos with the 41 edits, three seeds
# per candidate (about 12 min; needs the view caches bench-quality leaves in build/bench/quality).
bench-selection: $(VENV)/.installed
	$(PY) tests/bench/bench_selection.py $(ARGS)

# The similarity code beside the default model's duplicate code (needs ../shared): WCH, NSH and WCH on the recipe's
# views, each added to the shipped model and measured through the engine (Imagenette mAP@1000, its radius). About
# 38 min on a 2-core CPU the first time; ARGS="--ship wch" writes it into resources/models, ARGS=--scale times
# similar groups at 100,000 photos.
bench-similar: $(VENV)/.installed
	$(PY) tests/bench/bench_similar.py $(ARGS)

# Verified duplicates (needs ../shared): dupes with and without verification, from the groups a user is shown, on the
# near-duplicate test half, on a 9,817-photo library with a tenth copied, and on look-alikes (../data-lookalikes, named
# in bench_lookalikes.py; skipped when missing). About 25 minutes on a 2-core CPU the first time (build/bench keeps
# the catalogs).
bench-verified: $(VENV)/.installed
	$(PY) tests/bench/bench_verified.py
	$(PY) tests/bench/bench_dupes_scale.py
	$(PY) tests/bench/bench_lookalikes.py

clean:
	rm -rf build $(VENV)
