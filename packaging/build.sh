#!/usr/bin/env bash
# Builds the Linux app bundle dist/photohash/ (PyInstaller, one folder, no trainer) in a virtualenv of
# its own, so that nothing from the dev environment (PyTorch above all) can slip in.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=build/package-venv
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet '.[package]'
"$VENV/bin/pyinstaller" --noconfirm --clean --log-level WARN --distpath dist --workpath build/pyinstaller \
    packaging/photohash.spec
if "$VENV/bin/python" -c 'import torch' 2>/dev/null; then echo "warning: torch is in the build venv"; fi
du -sh dist/photohash
echo "built dist/photohash/photohash; packaging/install.sh puts it in your applications menu"
