"""UI responsiveness: the longest time the desktop app's event loop is blocked (target < 50 ms).

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python tests/bench/bench_ui.py [--repeats 3]

A precise 5 ms heartbeat timer runs on the UI thread; a block is the gap between two beats minus
the 5 ms. Two cases, each in the real main window over a real catalog file:
- scan: "Add folder" of 1,000 real photos, with the pHash model (fast) and with the default photohash192
  (pHash + a MobileNetV2-sized network: a longer scan, busier workers) (the 103 shared photos re-encoded at other sizes,
  qualities and turns), from the click until the scan is over, the grid reloaded and the visible
  thumbnails made (fresh thumbnail cache); the scan's own workers run meanwhile.
- grid: a catalog of 50,000 photos (hard links to the shared photos, so every thumbnail is a real
  decode) loaded into the grid, then scrolled top to bottom and back one page per 16 ms frame
  (a fast fling), with the thumbnails of each page requested as it passes; fresh cache. Also how
  soon the page the fling stops on has its thumbnails, and how many were made on the way.
Prints the longest block, the 99th percentile and the count of blocks over 50 ms, per run, and the
medians.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import traceback
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

PHOTOS_ZIP = REPO.parent / "shared" / "data" / "photos-free-1024.zip"
WORK = REPO / "build" / "bench-ui"
BEAT_MS = 5


def shared_photos(dest: Path) -> list[Path]:
    if not PHOTOS_ZIP.exists():
        sys.exit(f"needs {PHOTOS_ZIP} (shared data file is missing)")
    dest.mkdir(parents=True, exist_ok=True)
    out = []
    with zipfile.ZipFile(PHOTOS_ZIP) as zf:
        for name in sorted(n for n in zf.namelist() if n.lower().endswith(".jpg")):
            target = dest / Path(name).name
            if not target.exists():
                target.write_bytes(zf.read(name))
            out.append(target)
    return out


def scan_library(count: int) -> Path:
    """``count`` distinct real photos: each shared photo at several sizes, qualities and turns (cached)."""
    from PIL import Image

    root = WORK / f"scan-{count}"
    if (root / "done").exists():
        return root / "photos"
    originals = shared_photos(WORK / "originals")
    rng = random.Random(0)
    (root / "photos").mkdir(parents=True, exist_ok=True)
    for i in range(count):
        source = originals[i % len(originals)]
        with Image.open(source) as img:
            img = img.convert("RGB")
            scale = rng.uniform(0.5, 1.0)
            img = img.resize((int(img.width * scale), int(img.height * scale)))
            img = img.rotate(90 * rng.randrange(4), expand=True)
            folder = root / "photos" / f"{i // 100:02d}"
            folder.mkdir(exist_ok=True)
            img.save(folder / f"{source.stem}-{i:04d}.jpg", quality=rng.randrange(60, 95))
    (root / "done").write_text("")
    return root / "photos"


def grid_library(count: int) -> Path:
    """``count`` hard links to the shared photos in folders of 1,000 (cached)."""
    root = WORK / f"grid-{count}"
    if (root / "done").exists():
        return root / "photos"
    originals = shared_photos(WORK / "originals")
    for i in range(count):
        folder = root / "photos" / f"{i // 1000:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        source = originals[i % len(originals)]
        os.link(source, folder / f"{source.stem}-{i:05d}.jpg")
    (root / "done").write_text("")
    return root / "photos"


def fill_catalog(catalog_path: Path, folder: Path) -> int:
    """Catalog rows for every file, as a finished scan leaves them (random codes: the grid never reads them)."""
    import numpy as np

    from engine.catalog import Catalog, ScanRecord
    from engine.model import HashModel, default_model_path

    model = HashModel.load(default_model_path())
    rng = np.random.default_rng(0)
    records = []
    for sub in sorted(folder.iterdir()):
        for entry in os.scandir(sub):
            st = entry.stat()
            records.append(ScanRecord(entry.path, st.st_size, st.st_mtime_ns, f"{st.st_ino}-{len(records)}", 1024, 683,
                                      "JPEG", None, rng.integers(0, 256, 8, dtype=np.uint8).tobytes()))
    with Catalog(catalog_path) as catalog:
        model_id = catalog.register_model(model.model_key, str(model.path), model.info.bits, model.info.to_metadata())
        catalog.save_scanned(model_id, records)
        catalog.set_json_setting("library_folders", [str(folder)])
    return len(records)


class Heartbeat:
    """Beats on the UI thread; a watchdog thread notes where the UI thread is when a beat is late."""

    def __init__(self):
        from PySide6.QtCore import QTimer, Qt

        self.gaps: list[float] = []
        self.last = time.perf_counter()
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(BEAT_MS)
        self.timer.timeout.connect(self.beat)
        self.ui_thread = threading.main_thread().ident
        self.stacks: dict[float, str] = {}  # beat time -> where the UI thread was 25 ms into that block
        self.running = False

    def _gc(self, phase: str, info: dict) -> None:
        if phase == "start":
            self.gc_started = time.perf_counter()
        else:
            pause = (time.perf_counter() - self.gc_started) * 1000
            self.gc_pauses[info["generation"]] = max(self.gc_pauses.get(info["generation"], 0.0), pause)

    def start(self) -> None:
        self.gc_pauses: dict[int, float] = {}
        gc.callbacks.append(self._gc)
        self.last = time.perf_counter()
        self.running = True
        self.timer.start()
        threading.Thread(target=self._watch, daemon=True).start()

    def beat(self) -> None:
        now = time.perf_counter()
        self.gaps.append((now - self.last) * 1000 - BEAT_MS)
        self.last = now

    def _watch(self) -> None:
        noted = None
        while self.running:
            time.sleep(0.002)
            last = self.last
            if (time.perf_counter() - last) * 1000 > 25 + BEAT_MS and noted != last:
                noted = last
                frame = sys._current_frames().get(self.ui_thread)
                self.stacks[last] = " <- ".join(f"{Path(f.f_code.co_filename).name}:{lineno} {f.f_code.co_name}" for f, lineno in
                                                traceback.walk_stack(frame))[:600] if frame else "?"

    def stop(self) -> dict:
        self.timer.stop()
        self.running = False
        gc.callbacks.remove(self._gc)
        gaps = sorted(self.gaps)
        return {"max": gaps[-1], "p99": gaps[int(len(gaps) * 0.99)], "over50": sum(g > 50 for g in gaps),
                "beats": len(gaps), "where": list(self.stacks.values()),
                "gc": self.gc_pauses}


def open_window(work: Path, catalog: Path, model: str | None = None):
    from PySide6.QtCore import QSettings

    from desktop.app import build_window
    from engine.catalog import Catalog
    from engine.catalog_models import set_active_model
    from engine.model import resolve_model_name

    os.environ["PHOTOHASH_DATA_DIR"] = str(work / "data")  # a fresh thumbnail cache
    if model:
        with Catalog(catalog) as c:
            set_active_model(c, resolve_model_name(model))
    settings = QSettings(str(work / "settings.ini"), QSettings.Format.IniFormat)
    window = build_window(str(catalog), settings)
    window.resize(1280, 800)
    window.show()
    return window


def run_until(app, done, timeout_s: float) -> float:
    """Run the event loop until ``done()`` (checked every 50 ms) or the timeout; returns the seconds."""
    from PySide6.QtCore import QEventLoop, QTimer

    start = time.perf_counter()
    loop = QEventLoop()

    def check() -> None:
        if done() or time.perf_counter() - start > timeout_s:
            loop.quit()

    timer = QTimer()
    timer.setInterval(50)
    timer.timeout.connect(check)
    timer.start()
    loop.exec()
    timer.stop()
    return time.perf_counter() - start


def visible_thumbnails_ready(window) -> bool:
    """The first screenful of the grid has its thumbnails (asked for when painted, made in the pool)."""
    model, store = window.library.model, window.context.thumbnails
    rows = range(min(20, model.rowCount()))
    return bool(rows) and all((model.rows[r][0], model.size) in store.memory for r in rows)


def bench_scan(app, photos: Path, count: int, model: str | None) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        window = open_window(work, work / "catalog.sqlite", model)
        beat = Heartbeat()
        summaries = []
        window.library.scan_finished.connect(summaries.append)
        beat.start()
        window.library.add_folder(str(photos))
        seconds = run_until(app, lambda: summaries and not window.library.scanning()
                            and window.library.model.rowCount() == count and visible_thumbnails_ready(window), 900)
        result = beat.stop() | {"seconds": seconds, "hashed": summaries[0].hashed if summaries else 0}
        window.close()
        window.context.close()
    return result


def bench_grid(app, photos: Path, count: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        fill_catalog(work / "catalog.sqlite", photos)
        window = open_window(work, work / "catalog.sqlite")  # the window is built; its grid loads in the background
        beat = Heartbeat()
        beat.start()
        loaded = run_until(app, lambda: window.library.model.rowCount() == count, 120)
        grid = window.library.grid
        bar = grid.verticalScrollBar()
        run_until(app, lambda: bar.maximum() > 0, 30)  # the batched layout of 50,000 cells
        from PySide6.QtCore import QTimer

        frames = {"down": True, "count": 0}

        def frame():
            frames["count"] += 1
            step = bar.pageStep()
            if frames["down"]:
                bar.setValue(min(bar.maximum(), bar.value() + step))
                frames["down"] = bar.value() < bar.maximum()
            else:
                bar.setValue(max(0, bar.value() - step))

        flick = QTimer()
        flick.setInterval(16)
        flick.timeout.connect(frame)
        flick.start()
        scrolled = run_until(app, lambda: not frames["down"] and bar.value() == 0, 600)
        flick.stop()
        settled = run_until(app, lambda: visible_thumbnails_ready(window), 120)
        result = beat.stop() | {"load_s": loaded, "scroll_s": scrolled, "frames": frames["count"],
                                "pages": bar.maximum() // max(bar.pageStep(), 1), "settled_s": settled,
                                "made": len(list((work / "data" / "thumbnails").glob("*/*.jpg")))}
        window.context.thumbnails.pool.clear()
        window.close()
        window.context.close()
    return result


def explain(result: dict, args) -> None:
    if args.explain:
        print("    longest garbage-collector pause by generation: " +
              ", ".join(f"gen {g} {ms:.1f} ms" for g, ms in sorted(result["gc"].items())))
        for where in result["where"]:
            print(f"    blocked in: {where}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--scan-photos", type=int, default=1000)
    parser.add_argument("--grid-photos", type=int, default=50_000)
    parser.add_argument("--scan-models", nargs="+", default=["phash64", "default"],
                        help="models to scan with: the default (pHash) and the learned, MobileNet-sized one")
    parser.add_argument("--explain", action="store_true", help="print where the UI thread was in each block > 25 ms")
    parser.add_argument("--only", choices=["scan", "grid"], help="run one case")
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from desktop.app import create_app
    import desktop.main_window  # noqa: F401 - imported before the clock starts, as in the app

    app = create_app()
    photos = scan_library(args.scan_photos)
    grid = grid_library(args.grid_photos)
    print(f"UI thread blocks (heartbeat {BEAT_MS} ms; a block = gap between beats - {BEAT_MS} ms), "
          f"{os.cpu_count()} CPUs, QT_QPA_PLATFORM={os.environ['QT_QPA_PLATFORM']}")
    scans, grids = [], []
    runs = [(i, model) for model in args.scan_models for i in range(args.repeats)] if args.only != "grid" else []
    for i, model in runs:
        r = bench_scan(app, photos, args.scan_photos, None if model == "default" else model)
        scans.append(r)
        print(f"  scan {args.scan_photos} photos, {model} model, run {i + 1}: longest block {r['max']:.1f} ms, p99 {r['p99']:.1f} ms, "
              f"{r['over50']} blocks > 50 ms; {r['hashed']} hashed in {r['seconds']:.1f} s", flush=True)
        explain(r, args)
    for i in range(args.repeats if args.only != "scan" else 0):
        r = bench_grid(app, grid, args.grid_photos)
        grids.append(r)
        print(f"  grid {args.grid_photos:,} photos, run {i + 1}: longest block {r['max']:.1f} ms, p99 {r['p99']:.1f} ms, "
              f"{r['over50']} blocks > 50 ms; loaded in {r['load_s']:.2f} s, {r['pages']} pages down and up in "
              f"{r['scroll_s']:.1f} s ({r['frames']} frames); back at the top, its thumbnails in {r['settled_s']:.2f} s; "
              f"{r['made']:,} thumbnails made on the way", flush=True)
        explain(r, args)
    for name, runs in (("scan", scans), ("grid", grids)):
        if runs:
            print(f"median longest block, {name}: {statistics.median(r['max'] for r in runs):.1f} ms (target < 50 ms)")


if __name__ == "__main__":
    main()
