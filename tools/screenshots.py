"""Screenshots of every screen of the desktop app, in the light and the dark palette, for the README.

Run under a real X server (``make screenshots`` uses ``xvfb-run``): in a throw-away home folder (what the screens
show is what a user sees: ``~/Pictures``, the catalog in the usual data folder, torchvision's cache in
``~/.cache``, never this checkout's paths), builds a library of several hundred groups of copies from the shared
photos (tools/make_sample_photos.py's write_library), phone clips and copies of them (write_videos, for the Videos
section), an exposure bracket (three shots a second apart, for the Series section), a RAW+JPEG shot and its backup
(a group of two stacks, with pidng), a broken file and a non-image, scans it, and saves ``<screen>-<theme>.png`` into
the folder given.
With the ``[train]`` extra and the shared MobileNetV2 weights (copied to ~/Downloads, as a user who has them would
choose them with Browse…), the retrain dialog is also caught in the middle of a real training run.
"""

from __future__ import annotations

import argparse
import atexit
import datetime
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
    """A ~/Pictures like a real person's, with several hundred groups of copies (make_sample_photos.write_library:
    the shared free photos and 300 Imagenette photos in dated event folders, most copied by a phone backup, a
    laptop backup, WhatsApp or an editor), three phone clips and copies of two of them (make_sample_photos.write_videos:
    re-encoded smaller by WhatsApp, cut in an editor, backed up byte for byte), and in camera-import an exposure
    bracket, a RAW+JPEG shot (also in the laptop backup: a group of two stacks; with pidng, the dev extra), a file
    cut short and a non-image."""
    sys.path.insert(0, str(REPO / "tools"))
    import make_sample_photos

    held = make_sample_photos.originals(10_000)[-2:]  # scenes held back from the library: the bracket, the RAW shot
    bracket = held[-1][1]
    counts = make_sample_photos.write_library(root, extra=300, hold_back=2)
    videos = make_sample_photos.write_videos(root)
    first = min(root.glob("20*/*/*.jpg"))
    (root / "camera-import").mkdir()
    write_bracket(root / "camera-import", bracket)
    (root / "camera-import" / "IMG_2041.jpg").write_bytes(first.read_bytes()[:30_000])  # cut short by a bad card
    (root / "camera-import" / "notes.jpg").write_text("not a photo", encoding="utf-8")
    raw = 0
    try:
        import pidng  # noqa: F401  (the dev extra)
    except ImportError:
        print("no pidng (the dev extra): no RAW+JPEG shot", flush=True)
    else:
        shot = datetime.datetime(2024, 6, 1, 18, 45, 2)
        raw += len(make_sample_photos.write_raw_shot(root / "camera-import", held[-2][1], "IMG_2050", shot))
        backed_up = (shot + datetime.timedelta(days=200)).timestamp()  # copied later: the shot itself is kept
        for path in make_sample_photos.write_raw_shot(root / "Backup old laptop" / "camera-import", held[-2][1],
                                                      "IMG_2050", shot):
            os.utime(path, (backed_up, backed_up))
            raw += 1
    print(f"library: {counts['originals'] + 3} photos, {counts['copies']} copies of {counts['copied']} of them, "
          f"{videos['clips']} videos and {videos['copies']} copies of them, an exposure bracket of 3, "
          f"{'a RAW+JPEG shot and its backup, ' if raw else ''}a broken file and a non-image", flush=True)
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
    atexit.register(shutil.rmtree, work, ignore_errors=True)  # gone even when a screen fails to be shot
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

    from PySide6.QtCore import QSettings, Qt
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

    def open_section(dupes, button, section: str) -> None:
        """Click a section of the Duplicates screen and wait (a minute at most) for its groups."""
        dupes.groups = None
        button.click()
        deadline = time.monotonic() + 60
        while not (dupes.groups is not None and dupes.shown_section == section) and time.monotonic() < deadline:
            settle(0.2)

    settings = QSettings(str(home / ".config" / "PhotoHash" / "PhotoHash.conf"), QSettings.Format.IniFormat)
    window = build_window(None, settings)  # the catalog in the usual data folder, ~/.local/share/PhotoHash
    window.resize(*SIZE)
    window.show()
    window.activateWindow()  # no window manager under xvfb: take the keyboard focus ourselves
    started = time.monotonic()
    window.library.add_folder(str(library))
    while window.library.scanning():
        settle(0.2)
    window.context.thumbnails.wait()
    print(f"scanned in {time.monotonic() - started:.0f} s", flush=True)

    def shoot(widget, name: str, theme: str) -> None:
        settle(1.5)
        window.context.thumbnails.wait()
        window.context.strips.wait()  # videos' strips of frames (the Videos section's cards)
        settle(0.5)
        path = args.out / f"{name}-{theme}.png"
        widget.grab().save(str(path))
        print(f"{path} at {time.monotonic() - started:.0f} s", flush=True)

    for theme in args.themes:
        window.context.prefs.theme = theme
        apply_theme(theme)
        window.tabs.setCurrentWidget(window.library)
        shoot(window, "library", theme)

        dupes = window.duplicates
        window.tabs.setCurrentWidget(dupes)
        dupes.groups = None
        dupes.refresh()
        deadline = time.monotonic() + 300  # the first look reads the photos to check which are copies
        while not (dupes.groups is not None and dupes.shown_section == "copies") and time.monotonic() < deadline:
            settle(0.2)
        print(f"{len(dupes.choices)} groups of copies at {time.monotonic() - started:.0f} s", flush=True)
        big = max(range(len(dupes.choices)), key=lambda i: len(dupes.choices[i].group.members))
        dupes.list.setCurrentRow(big)
        window.activateWindow()  # the dialogs shot before took the focus: the card the keys act on shows it
        settle(0.5)
        dupes.step_card(1)
        dupes.step_card(1)
        shoot(window, "duplicates", theme)

        compare = dupes.compare_focused()  # the focused copy beside the photo kept (the C key)
        shown = []
        compare.previews_ready.connect(lambda shown=shown: shown.append(True))
        deadline = time.monotonic() + 30
        while not shown and time.monotonic() < deadline:
            settle(0.2)
        shoot(compare, "compare", theme)
        compare.close()

        bulk = dupes.table.bulk_dialog()
        bulk.show()
        shoot(bulk, "bulk", theme)
        bulk.close()
        bulk.deleteLater()

        stacked = [i for i, c in enumerate(dupes.choices) if any(m.stack for m in c.group.members)]
        if stacked:  # the RAW+JPEG shot and its backup: each card names its RAW, which moves with it
            dupes.list.setCurrentRow(stacked[0])
            window.activateWindow()
            shoot(window, "stack", theme)

        open_section(dupes, dupes.series_button, "series")
        print(f"{len(dupes.choices)} series at {time.monotonic() - started:.0f} s", flush=True)
        dupes.list.setCurrentRow(max(range(len(dupes.choices)), key=lambda i: len(dupes.choices[i].group.members)))
        shoot(window, "series", theme)
        open_section(dupes, dupes.similar_button, "similar")
        print(f"{len(dupes.choices)} groups of similar photos at {time.monotonic() - started:.0f} s", flush=True)
        dupes.list.setCurrentRow(0)
        shoot(window, "similar", theme)
        open_section(dupes, dupes.videos_button, "videos")
        print(f"{len(dupes.choices)} groups of copies of videos at {time.monotonic() - started:.0f} s", flush=True)
        dupes.list.setCurrentRow(max(range(len(dupes.choices)), key=lambda i: len(dupes.choices[i].group.members)))
        shoot(window, "videos", theme)
        dupes.copies_button.click()
        settle(2)

        crops = (library / "edited").glob("*-crop.*")
        query = min(p for p in crops if not p.name.startswith("IMG_"))  # one of the 1024 px photos
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
            dialog.start()
            # Caught training where it gets there within a minute, else reading the library (on this library of
            # about a thousand photos, reading them takes minutes on a laptop's processor: too long to wait twice)
            deadline = time.monotonic() + 60
            while " epoch " not in dialog.stage.text() and time.monotonic() < deadline:
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
        about = about_text(window.context)  # its text, and the details behind "Show Details..."
        text, details = about if isinstance(about, tuple) else (about, "")
        box.setTextFormat(Qt.TextFormat.RichText)
        box.setText(text)
        if details:
            box.setDetailedText(details)
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
