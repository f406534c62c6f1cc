"""Shared fixtures: real photos from ../shared/data, read straight from the zip.

Tests that need a shared file skip with a message naming it; nothing is written into the
working folder (everything goes under pytest's tmp_path).
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
PHOTOS_ZIP = SHARED / "data" / "photos-free-1024.zip"
IMAGENETTE_ZIP = SHARED / "data" / "imagenette2-224-subset.zip"
CIFAR_ZIP = SHARED / "data" / "cifar10-jpg.zip"
WEIGHTS = SHARED / "weights" / "mobilenet_v2_imagenet_torchvision_qat.pth"


def require(path: Path) -> Path:
    """Skip the calling test unless a shared file exists; the message names the file."""
    if not path.exists():
        pytest.skip(f"needs {path} (shared data file is missing)")
    return path


def photo_names(limit: int | None = None) -> list[str]:
    """Member names of the shared photos zip, sorted, so every run picks the same photos."""
    with zipfile.ZipFile(require(PHOTOS_ZIP)) as zf:
        names = sorted(n for n in zf.namelist() if n.lower().endswith(".jpg"))
    return names[:limit] if limit else names


def extract_photos(dest: Path, limit: int | None = None) -> list[Path]:
    """Write the first ``limit`` shared photos into ``dest`` (flat, original file names)."""
    dest.mkdir(parents=True, exist_ok=True)
    out = []
    with zipfile.ZipFile(require(PHOTOS_ZIP)) as zf:
        for name in photo_names(limit):
            target = dest / Path(name).name
            target.write_bytes(zf.read(name))
            out.append(target)
    return out


@pytest.fixture(scope="session")
def photos_dir(tmp_path_factory) -> Path:
    """A session-wide folder of 24 real shared photos (read-only by convention: copy before editing)."""
    folder = tmp_path_factory.mktemp("photos")
    extract_photos(folder, limit=24)
    return folder


def make_edits(original: Path, dest: Path) -> list[Path]:
    """Edited copies a user's tools make: half size, JPEG quality 30, a 5 % crop. Returns their paths."""
    from PIL import Image

    dest.mkdir(parents=True, exist_ok=True)
    stem = original.stem
    with Image.open(original) as img:
        img = img.convert("RGB")
        w, h = img.size
        out = [dest / f"{stem}-half.jpg", dest / f"{stem}-q30.jpg", dest / f"{stem}-crop.jpg"]
        img.resize((w // 2, h // 2), Image.LANCZOS).save(out[0], quality=90)
        img.save(out[1], quality=30)
        img.crop((w * 5 // 200, h * 5 // 200, w - w * 5 // 200, h - h * 5 // 200)).save(out[2], quality=92)
    return out


class Library:
    """A small real library: originals, edited copies of some, one exact copy, one broken file."""

    def __init__(self, root: Path, originals: list[Path], edits: dict[Path, Path], exact_copy: Path, broken: Path):
        self.root = root
        self.originals = originals
        self.edits = edits  # edited copy -> its original
        self.exact_copy = exact_copy
        self.broken = broken

    @property
    def photos(self) -> list[Path]:
        return self.originals + list(self.edits) + [self.exact_copy]


def build_library(root: Path, count: int = 10, edited: int = 3) -> Library:
    originals = extract_photos(root / "originals", limit=count)
    edits = {}
    for original in originals[:edited]:
        for copy in make_edits(original, root / "edits"):
            edits[copy] = original
    exact = root / "copies" / f"copy of {originals[-1].name}"
    exact.parent.mkdir()
    exact.write_bytes(originals[-1].read_bytes())
    broken = root / "broken.jpg"
    broken.write_bytes(originals[0].read_bytes()[:2000])
    return Library(root, originals, edits, exact, broken)


@pytest.fixture
def library(tmp_path) -> Library:
    return build_library(tmp_path / "library")


def pytest_configure(config):
    """Never touch the real user's trash: send2trash reads XDG_DATA_HOME once, at import, so the
    whole session gets its own before any test module imports it."""
    os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="photohash-test-xdg-")
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # the desktop tests need no screen


def pytest_collection_modifyitems(items):
    """Each test is marked with its kind, the folder it lives in, so ``-m unit`` or ``-m "not gui"`` select by kind."""
    for item in items:
        kind = Path(item.fspath).parent.name
        if kind in ("unit", "integration", "gui", "reliability"):
            item.add_marker(kind)


def user_trash() -> Path:
    return Path(os.environ["XDG_DATA_HOME"]) / "Trash"


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path, monkeypatch):
    """Never touch the real user's catalog: the data folder points into tmp_path."""
    monkeypatch.setenv("PHOTOHASH_DATA_DIR", str(tmp_path / "photohash-data"))


@pytest.fixture
def make_window(qapp, qtbot, tmp_path):
    """A main window over a catalog file in tmp_path, with its own QSettings ini file (tests/gui and the
    reliability suite's screens)."""
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from desktop.app import build_window, create_app, install_crash_handler

    create_app()
    install_crash_handler()
    windows = []

    def make():
        settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
        window = build_window(str(tmp_path / "catalog.sqlite"), settings)
        qtbot.addWidget(window)
        window.show()
        window.activateWindow()  # keyboard shortcuts go to the active window, as on a desktop
        qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
        windows.append(window)
        return window

    yield make
    for window in windows:
        if window.library.scanning():
            window.library.cancel_scan()
            window.library.worker.wait(30_000)
        window.context.close()
