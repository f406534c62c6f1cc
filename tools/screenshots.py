"""Screenshots of every screen of the desktop app, in the light and the dark palette, for the README.

Run under a real X server (``make screenshots`` uses ``xvfb-run``): in a throw-away home folder (what the screens
show is what a user sees: ``~/Pictures``, the catalog in the usual data folder, torchvision's cache in
``~/.cache``, never this checkout's paths), builds a library of the shared photos with edited copies
(tools/make_sample_photos.py), an exposure bracket (three shots a second apart, for the Series section), a broken
file and a non-image, scans it, and saves ``<screen>-<theme>.png`` into the folder given. With the ``[train]``
extra and the shared MobileNetV2 weights (copied to ~/Downloads, as a user who has them would choose them with
Browse…), the retrain dialog is also caught in the middle of a real training run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WEIGHTS = REPO.parent / "shared" / "weights" / "mobilenet_v2_imagenet_torchvision_qat.pth"
SIZE = (1440, 900)


def build_library(root: Path) -> Path:
    sys.path.insert(0, str(REPO / "tools"))
    import make_sample_photos

    make_sample_photos.write_sample(root, count=36)
    first = sorted(root.glob("*.jpg"))[0]
    (root / "camera-import").mkdir()
    write_bracket(root / "camera-import", make_sample_photos.originals(40)[-1][1])  # a scene not in the sample
    (root / "camera-import" / "IMG_2041.jpg").write_bytes(first.read_bytes()[:30_000])  # cut short by a bad card
    (root / "camera-import" / "notes.jpg").write_text("not a photo", encoding="utf-8")
    return root


def write_bracket(folder: Path, image) -> None:
    """Three shots of one scene a second apart, darker, as metered and brighter (a camera's exposure bracket):
    a series, not copies, because each says when it was taken."""
    from PIL import Image, ImageEnhance

    for n, exposure in enumerate((0.8, 1.0, 1.25)):
        exif = Image.Exif()
        exif[0x8769] = {0x9003: f"2024:06:01 18:42:{n + 10:02d}"}  # ExifIFD: DateTimeOriginal
        ImageEnhance.Brightness(image).enhance(exposure).save(folder / f"IMG_{2038 + n}.jpg", quality=92,
                                                                exif=exif.tobytes())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--themes", nargs="+", default=["light", "dark"])
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    args.out = args.out.resolve()
    work = Path(tempfile.mkdtemp(prefix="photohash-shots-"))
    home = work / "home"
    # A user's home of its own: the catalog, settings, thumbnails, torchvision's cache and the trash of this run
    # go into it (never into the real user's), and the screens show its paths as ~/…
    os.environ["HOME"] = str(home)
    for name, folder in (("XDG_DATA_HOME", ".local/share"), ("XDG_CONFIG_HOME", ".config"),
                         ("XDG_CACHE_HOME", ".cache")):
        os.environ[name] = str(home / folder)
    for name in ("PHOTOHASH_DATA_DIR", "TORCH_HOME", "PHOTOHASH_WEIGHTS_URL"):
        os.environ.pop(name, None)
    library = build_library(home / "Pictures")

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication, QMessageBox

    from desktop.app import build_window, create_app
    from desktop.retrain_dialog import RetrainDialog
    from desktop.settings_dialog import SettingsDialog, about_text
    from desktop.theme import apply_theme
    from desktop.widgets import shown_path

    app = create_app()

    def settle(seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.02)

    settings = QSettings(str(home / ".config" / "PhotoHash" / "PhotoHash.conf"), QSettings.Format.IniFormat)
    window = build_window(None, settings)  # the catalog in the usual data folder, ~/.local/share/PhotoHash
    window.resize(*SIZE)
    window.show()
    window.activateWindow()  # no window manager under xvfb: take the keyboard focus ourselves
    window.library.add_folder(str(library))
    while window.library.scanning():
        settle(0.2)
    window.context.thumbnails.wait()

    def shoot(widget, name: str, theme: str) -> None:
        settle(1.5)
        window.context.thumbnails.wait()
        settle(0.5)
        path = args.out / f"{name}-{theme}.png"
        widget.grab().save(str(path))
        print(path)

    for theme in args.themes:
        window.context.prefs.theme = theme
        apply_theme(theme)
        window.tabs.setCurrentWidget(window.library)
        shoot(window, "library", theme)

        dupes = window.duplicates
        window.tabs.setCurrentWidget(dupes)
        dupes.refresh()
        settle(2)
        big = max(range(len(dupes.choices)), key=lambda i: len(dupes.choices[i].group.members))
        dupes.list.setCurrentRow(big)
        settle(0.5)
        dupes.step_card(1)
        dupes.step_card(1)
        shoot(window, "duplicates", theme)

        dupes.groups = None
        dupes.series_button.click()
        deadline = time.monotonic() + 60
        while not (dupes.groups is not None and dupes.shown_series) and time.monotonic() < deadline:
            settle(0.2)
        dupes.list.setCurrentRow(0)
        shoot(window, "series", theme)
        dupes.groups = None
        dupes.similar_button.click()
        deadline = time.monotonic() + 60
        while not (dupes.groups is not None and dupes.shown_section == "similar") and time.monotonic() < deadline:
            settle(0.2)
        dupes.list.setCurrentRow(0)
        shoot(window, "similar", theme)
        dupes.copies_button.click()
        settle(2)

        query = sorted((library / "edited").glob("*-crop.png"))[0]
        window.find_similar(str(query))
        shoot(window, "search", theme)

        dialog = SettingsDialog(window.context, window)
        dialog.show()
        shoot(dialog, "settings", theme)
        dialog.close()

        stats = window.context.catalog.stats()
        dialog = RetrainDialog(window.context, stats["present"] - stats["errors"], window)
        dialog.show()
        deadline = time.monotonic() + 180
        while "should take about" not in dialog.eta.text() and time.monotonic() < deadline:
            settle(0.2)  # the child process that loads PyTorch and finds the device
        shoot(dialog, "retrain", theme)
        if WEIGHTS.is_file():  # a real training run, caught mid-way, then cancelled (it saves a checkpoint)
            chosen = home / "Downloads" / WEIGHTS.name
            chosen.parent.mkdir(exist_ok=True)
            shutil.copyfile(WEIGHTS, chosen)
            dialog.weights.setText(shown_path(chosen))
            dialog.epochs.setValue(200)  # long enough to be caught training on a small library
            dialog.start()
            deadline = time.monotonic() + 300
            while "Training: epoch" not in dialog.stage.text() and time.monotonic() < deadline:
                settle(0.2)
            shoot(dialog, "retrain-progress", theme)
            dialog.cancel_or_close()
            while dialog.process.is_running():
                settle(0.2)
            window.context.prefs.qs.setValue("retrain/pending", "")
            window.context.prefs.qs.remove("retrain/weights")  # the next theme's dialog: offering the download again
            window.context.prefs.qs.remove(f"retrain/epochs/{dialog.method.currentData()}")  # the next theme: 60
        dialog.close()

        box = QMessageBox(window)
        box.setWindowTitle("About PhotoHash")
        box.setIconPixmap(window.windowIcon().pixmap(64, 64))
        box.setText(about_text(window.context))
        box.show()
        shoot(box, "about", theme)
        box.close()

    window.close()
    window.context.close()
    QApplication.quit()
    settings.sync()  # written now, not by its destructor at exit, into a folder already gone
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
