"""DESIGN.md's layout as a check: the engine imports neither a GUI toolkit nor torch."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import engine

from .conftest import REPO


def test_engine_imports_neither_qt_nor_torch():
    modules = [f"engine.{m.name}" for m in pkgutil.walk_packages(engine.__path__, "") if not m.name.endswith("__main__")]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "banned = sorted(m for m in sys.modules if m.split('.')[0] in {'torch', 'torchvision', 'PySide6', 'PyQt5', 'PyQt6'})\n"
        "print(banned)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    assert len(modules) >= 10
