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
- groups: a catalog of 10,000 duplicate groups (25,000 files: hard links to the shared photos, so every thumbnail is
  a real decode; 40 % exact copies, 60 % verified copies whose verdicts the catalog already holds, as on a second
  look) opened in the Duplicates tab: how long from the refresh's start until the table shows the 10,000 groups
  (split into the engine's grouping in the worker, the table's fill on the UI thread and its first paint), a
  switch to the tab, a refresh on it; then the blocks while sorting by each column (both ways), filtering by each
  kind, by text and by folder, Ctrl+A in the table, previewing each bulk rule over all groups, marking the largest's
  plan in the review, and 50 presses of Down (the cards rebuilt each time).
Prints the longest block, the 99th percentile and the count of blocks over 50 ms, per run, and the
medians.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import shutil
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


GROUP_SIZES = (2, 3, 2, 2, 4, 2, 3, 2)  # photos per group, in turn: 2.5 on average
COPY_SCALES = (1.0, 0.75, 0.5, 0.6)  # a verified copy's side beside its group's first photo (exact copies: 1.0)


def groups_library(count: int) -> tuple[Path, list[list[Path]]]:
    """``count`` groups of hard links to the shared photos (a group's files are links to one photo): its first file
    under originals/NN, its copies under copies/NN, 500 groups a folder (cached)."""
    root = WORK / f"groups-{count}"
    originals = shared_photos(WORK / "originals")
    groups = []
    for g in range(count):
        source = originals[g % len(originals)]
        files = []
        for k in range(GROUP_SIZES[g % len(GROUP_SIZES)]):
            folder = root / "photos" / ("originals" if k == 0 else "copies") / f"{g // 500:02d}"
            files.append(folder / f"{source.stem}-{g:05d}-{k}.jpg")
        groups.append(files)
    if not (root / "done").exists():
        for g, files in enumerate(groups):
            for path in files:
                path.parent.mkdir(parents=True, exist_ok=True)
                if not path.exists():
                    os.link(originals[g % len(originals)], path)
        (root / "done").write_text("")
    return root / "photos", groups


def groups_catalog(count: int) -> Path:
    """A catalog of ``count`` duplicate groups, as a scan and a first verification leave it (cached; copy it before
    use). Rows are the real files' (size, time, format); each group's codes are one random code with a few bits
    turned per copy (within the model's duplicate radius and gates), groups far apart; 40 % of the groups are exact
    copies (one content hash), the rest verified copies at other sizes, the verdict on every pair kept."""
    import numpy as np
    from PIL import Image

    from engine.catalog import Catalog, ScanRecord
    from engine.catalog_models import register_model_rows
    from engine.model import HashModel, default_model_path
    from engine.verify import VERSION, Verdict

    photos, groups = groups_library(count)
    catalog_path = photos.parent / f"catalog-v{VERSION}.sqlite"
    if catalog_path.exists():
        return catalog_path
    model = HashModel.load(default_model_path())
    nbytes = model.info.bits // 8
    rng = np.random.default_rng(0)
    sizes: dict[Path, tuple[int, int]] = {}
    records, verdicts = [], []
    for g, files in enumerate(groups):
        exact = g % 5 < 2
        base = rng.integers(0, 256, nbytes, dtype=np.uint8)
        captured = f"20{10 + g % 14:02d}-{1 + g % 12:02d}-{1 + g % 28:02d}T{g % 24:02d}:{g % 60:02d}:00" if g % 2 else None
        for k, path in enumerate(files):
            st = path.stat()
            if st.st_ino not in sizes:
                with Image.open(path) as img:
                    sizes[st.st_ino] = img.size
            width, height = sizes[st.st_ino]
            scale = 1.0 if exact else COPY_SCALES[k]
            code = base.copy()
            if k and not exact:
                for bit in rng.choice(np.r_[0:3, 64:67, 128:131] + 3 * k, 4, replace=False):  # 4 bits: 2 + 2 gates
                    code[bit // 8] ^= 1 << (bit % 8)
            records.append(ScanRecord(str(path), st.st_size, st.st_mtime_ns, f"exact-{g}" if exact else f"copy-{g}-{k}",
                                      round(width * scale), round(height * scale), "JPEG", captured, code.tobytes()))
        if not exact:
            for i in range(len(files)):
                for j in range(len(files)):
                    if i != j:
                        verdict = Verdict("copy", inliers=180, scale=COPY_SCALES[j] / COPY_SCALES[i], agreement=0.96)
                        verdicts.append((f"copy-{g}-{i}", f"copy-{g}-{j}", VERSION, verdict.to_json()))
    partial = catalog_path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    with Catalog(partial) as catalog:
        model_id, _ = register_model_rows(catalog, model)
        catalog.save_scanned(model_id, records)
        catalog.save_verdicts(verdicts)
        catalog.set_json_setting("library_folders", [str(photos)])
    partial.rename(catalog_path)
    return catalog_path


def wait(app, seconds: float) -> None:
    """Let the event loop run for ``seconds`` (paints, thumbnails, timers)."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(round(seconds * 1000), loop.quit)
    loop.exec()


def gap_stats(gaps: list[float]) -> dict:
    gaps = sorted(gaps) or [0.0]
    return {"max": gaps[-1], "p99": gaps[min(len(gaps) - 1, int(len(gaps) * 0.99))], "over50": sum(g > 50 for g in gaps)}


class Phases:
    """The heartbeat's gaps cut into named phases, and how long each action's own call took (its synchronous part:
    the slot chain a click or a key runs before the event loop gets back)."""

    def __init__(self, app, beat: Heartbeat, profile: bool = False):
        self.app, self.beat = app, beat
        self.results: dict[str, dict] = {}
        self.profile = profile  # print where each phase's actions spend their time (their synchronous part)

    def run(self, name: str, actions, pause: float = 0.12, until=None) -> dict:
        import cProfile
        import pstats

        start, calls = len(self.beat.gaps), []
        began = time.perf_counter()
        profile = cProfile.Profile() if self.profile else None
        for label, action in actions:
            t = time.perf_counter()
            if profile:
                profile.enable()
            action()
            if profile:
                profile.disable()
            calls.append((label, (time.perf_counter() - t) * 1000))
            if until is not None:
                run_until(self.app, until, 60)
            wait(self.app, pause)
        if profile:
            print(f"    -- profile of {name} (the actions' own calls, by cumulative time):")
            pstats.Stats(profile).sort_stats("cumulative").print_stats(14)
        result = gap_stats(self.beat.gaps[start:]) | {
            "seconds": time.perf_counter() - began, "calls": calls,
            "slowest": max(calls, key=lambda c: c[1]) if calls else ("", 0.0)}
        self.results[name] = result
        return result


def engine_grouping(catalog_path: Path) -> tuple[float, int, str]:
    """The worker's question asked on this thread, with no window: the engine's grouping alone (seconds, groups,
    the top of its profile)."""
    import cProfile
    import io
    import pstats

    from desktop.duplicates_view import COPIES, _groups
    from engine.catalog import Catalog
    from engine.catalog_models import active_model_path
    from engine.keepers import KEEPER_RULES
    from engine.model import HashModel

    with Catalog(catalog_path) as catalog:
        model = HashModel.load(active_model_path(catalog))
        duplicate = model.info.radius_duplicate
        profile = cProfile.Profile()
        t = time.perf_counter()
        profile.enable()
        answer = _groups(catalog, model, duplicate, [], KEEPER_RULES, duplicate, None, None, COPIES)
        profile.disable()
        seconds = time.perf_counter() - t
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(8)
    return seconds, len(answer.groups), out.getvalue()


def bench_groups(app, count: int, args) -> dict:
    from PySide6.QtCore import QEvent, QObject, QPoint, QSettings, Qt
    from PySide6.QtTest import QTest

    import desktop.duplicates_view as dv
    from desktop.groups_table import KINDS

    source = groups_catalog(count)
    photos = source.parent / "photos"
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        catalog = work / "catalog.sqlite"
        shutil.copy(source, catalog)
        engine_s, engine_groups, profile = engine_grouping(catalog)

        # what the screen does, timed: the refresh asked, the worker's question, the table filled, its first paint
        marks: dict[str, list[float]] = {"refresh": [], "worker": [], "worker_end": [], "fill": [], "fill_end": [],
                                         "paint": []}
        real_groups, real_show, real_refresh = dv._groups, dv.DuplicatesView._show_groups, dv.DuplicatesView.refresh

        def timed_groups(*a, **k):
            marks["worker"].append(time.perf_counter())
            try:
                return real_groups(*a, **k)
            finally:
                marks["worker_end"].append(time.perf_counter())

        def timed_show(self, answer):
            import cProfile
            import pstats

            profile = cProfile.Profile() if args.profile else None
            marks["fill"].append(time.perf_counter())
            if profile:
                profile.enable()
            real_show(self, answer)
            if profile:
                profile.disable()
            marks["fill_end"].append(time.perf_counter())
            if profile:
                print("    -- profile of the table's fill (DuplicatesView._show_groups), by cumulative time:")
                pstats.Stats(profile).sort_stats("cumulative").print_stats(16)

        def timed_refresh(self):
            marks["refresh"].append(time.perf_counter())
            real_refresh(self)

        class Painted(QObject):
            def eventFilter(self, watched, event):  # noqa: N802
                if event.type() == QEvent.Type.Paint:
                    marks["paint"].append(time.perf_counter())
                return False

        def shown_after(start: float) -> bool:
            ends = [t for t in marks["fill_end"] if t > start]
            return bool(ends) and any(p > ends[0] for p in marks["paint"])

        def split(start: float) -> dict:
            """From ``start`` (a refresh asked) to the table painted with the groups, and its parts."""
            worker = next(t for t in marks["worker"] if t >= start)
            worker_end = next(t for t in marks["worker_end"] if t > worker)
            fill = next(t for t in marks["fill"] if t > worker_end)
            fill_end = next(t for t in marks["fill_end"] if t > fill)
            paint = next(t for t in marks["paint"] if t > fill_end)
            return {"total": paint - start, "queued": worker - start, "worker": worker_end - worker,
                    "delivered": fill - worker_end, "fill": fill_end - fill, "paint": paint - fill_end}

        dv._groups, dv.DuplicatesView._show_groups, dv.DuplicatesView.refresh = timed_groups, timed_show, timed_refresh
        painted = Painted()
        try:
            # the window opens on the Duplicates tab (as it reopens after a session there): its refresh starts at once
            QSettings(str(work / "settings.ini"), QSettings.Format.IniFormat).setValue("window/tab", 1)
            built = time.perf_counter()
            window = open_window(work, catalog)
            built = time.perf_counter() - built
            view = window.duplicates
            table = view.table
            table.view.viewport().installEventFilter(painted)
            beat = Heartbeat()
            beat.start()
            phases = Phases(app, beat, args.profile)
            start = marks["refresh"][0]
            run_until(app, lambda: table.model.rowCount() == count and shown_after(start), 300)
            if table.model.rowCount() != count:
                raise SystemExit(f"the Duplicates tab shows {table.model.rowCount():,} groups, not {count:,}: "
                                 f"{view.summary.text()}")
            opened = split(start)
            open_stats = gap_stats(beat.gaps)
            phases.results["open"] = open_stats | {"seconds": opened["total"], "calls": [], "slowest": ("", 0.0)}
            wait(app, 1.0)  # the first thumbnails come

            # a switch away and back: the table painted again
            window.tabs.setCurrentWidget(window.library)
            wait(app, 0.3)
            switched = time.perf_counter()
            phases.run("switch to the tab", [("switch", lambda: window.tabs.setCurrentWidget(view))],
                       until=lambda: any(p > switched for p in marks["paint"]))
            switch_s = next(p for p in marks["paint"] if p > switched) - switched

            # a refresh on the tab (as after a scan): the worker's question again, the table filled again
            refreshed = time.perf_counter()
            phases.run("refresh on the tab", [("refresh", view.refresh)], until=lambda: shown_after(refreshed))
            again = split(refreshed)

            header = table.view.horizontalHeader()

            def click(column: int):
                x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
                return lambda: QTest.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))

            names = table.model.headers
            phases.run("sort by each column", [(f"{names[c]} {way}", click(c)) for c in range(len(names))
                                               for way in ("first click", "second click")], pause=0.2)

            def type_text(text: str):
                def act():
                    table.search.clear()
                    QTest.keyClicks(table.search, text)
                    table.typing.stop()  # what the pause in typing starts: the filter itself, timed as the action
                    table._search()
                return act

            kinds = [(f"kind {kind}", lambda i=i: table.kind_box.setCurrentIndex(i)) for i, kind in
                     enumerate(KINDS, 1)] + [("all kinds", lambda: table.kind_box.setCurrentIndex(0))]
            folder = str(photos / "copies" / "03")
            phases.run("filter by each filter", kinds + [
                ("text '-0420'", type_text("-0420")), ("text 'copies/1'", type_text("copies/1")),
                ("text cleared", type_text("")),
                ("folder copies/03", lambda: table.filter.set_folder(folder)),
                ("folder cleared", lambda: table.filter.set_folder(""))], pause=0.2)

            table.view.setFocus()
            phases.run("select all (Ctrl+A)", [
                ("Ctrl+A", lambda: QTest.keyClick(table.view, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier))])

            dialogs = []
            rules = [("keep the largest", 0, ""), ("keep the oldest", 1, ""), ("keep the one in a folder", 2, folder),
                     ("mark everything in a folder", 3, folder), ("never touch a folder", 4, folder)]
            preview_s = {}

            def open_dialog(name: str):
                def act():  # the Bulk… button: the dialog opens, previewing its first rule
                    dialog = table.bulk_dialog()
                    enable = dialog._enable

                    def enabled(plan, dialog=dialog):  # the preview's last slice: its plan is shown
                        enable(plan)
                        if plan is not None and dialog.plan is plan and name in preview_s:
                            preview_s[name] = time.perf_counter() - preview_s[name]
                    dialog._enable = enabled
                    dialog.show()
                    dialogs.append(dialog)
                return act

            def choose(name: str, index: int, in_folder: str):
                def act():  # a click on the rule (and its folder chosen): the preview starts again
                    preview_s[name] = time.perf_counter()
                    dialogs[-1].set_rule(index)
                    if in_folder:
                        dialogs[-1].set_folder(in_folder)
                return act

            def planned() -> bool:
                return bool(dialogs) and dialogs[-1].plan is not None

            for name, index, in_folder in rules:
                phases.run(f"bulk preview: {name}", [("open the dialog", open_dialog(name)),
                                                     (name, choose(name, index, in_folder))], until=planned)
                if name != "keep the largest":  # closed and let go, as the app does with a dialog (its plan too)
                    closing = dialogs.pop()
                    closing.close()
                    closing.deleteLater()
            largest = dialogs[0]
            phases.run("mark the largest's plan in the review", [("accept", lambda: table.accept_plan(largest))],
                       pause=0.3)
            largest.close()
            plan_words = largest.plan.words
            for dialog in dialogs:
                dialog.deleteLater()

            table.view.setFocus()
            table.view.setCurrentIndex(table.filter.index(0, 0))
            wait(app, 0.3)
            first = view.list.currentRow()
            phases.run("Down x50 (cards rebuilt)", [("Down", lambda: QTest.keyClick(table.view, Qt.Key.Key_Down))
                                                    for _ in range(50)], pause=0.08)
            moved = table.view.currentIndex().row()
            if moved != 50 or view.list.currentRow() == first:
                print(f"    (Down moved to row {moved}, not 50)")

            whole = beat.stop()
            result = {"phases": phases.results, "opened": opened, "again": again, "switch_s": switch_s,
                      "built_s": built, "engine_s": engine_s, "engine_groups": engine_groups, "profile": profile,
                      "preview_s": preview_s, "plan": plan_words, "where": whole["where"], "gc": whole["gc"]}
            window.context.thumbnails.pool.clear()
            window.close()
            window.context.close()
        finally:
            dv._groups, dv.DuplicatesView._show_groups, dv.DuplicatesView.refresh = real_groups, real_show, real_refresh
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
    parser.add_argument("--profile", action="store_true", help="groups: profile each phase's actions (cProfile)")
    parser.add_argument("--groups", type=int, default=10_000, help="duplicate groups in the groups case")
    parser.add_argument("--only", choices=["scan", "grid", "groups"], help="run one case")
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from desktop.app import create_app
    import desktop.main_window  # noqa: F401 - imported before the clock starts, as in the app

    app = create_app()
    photos = scan_library(args.scan_photos) if args.only in (None, "scan") else None
    grid = grid_library(args.grid_photos) if args.only in (None, "grid") else None
    print(f"UI thread blocks (heartbeat {BEAT_MS} ms; a block = gap between beats - {BEAT_MS} ms), "
          f"{os.cpu_count()} CPUs, QT_QPA_PLATFORM={os.environ['QT_QPA_PLATFORM']}")
    scans, grids = [], []
    runs = [(i, model) for model in args.scan_models for i in range(args.repeats)] if args.only in (None, "scan") else []
    for i, model in runs:
        r = bench_scan(app, photos, args.scan_photos, None if model == "default" else model)
        scans.append(r)
        print(f"  scan {args.scan_photos} photos, {model} model, run {i + 1}: longest block {r['max']:.1f} ms, p99 {r['p99']:.1f} ms, "
              f"{r['over50']} blocks > 50 ms; {r['hashed']} hashed in {r['seconds']:.1f} s", flush=True)
        explain(r, args)
    for i in range(args.repeats if args.only in (None, "grid") else 0):
        r = bench_grid(app, grid, args.grid_photos)
        grids.append(r)
        print(f"  grid {args.grid_photos:,} photos, run {i + 1}: longest block {r['max']:.1f} ms, p99 {r['p99']:.1f} ms, "
              f"{r['over50']} blocks > 50 ms; loaded in {r['load_s']:.2f} s, {r['pages']} pages down and up in "
              f"{r['scroll_s']:.1f} s ({r['frames']} frames); back at the top, its thumbnails in {r['settled_s']:.2f} s; "
              f"{r['made']:,} thumbnails made on the way", flush=True)
        explain(r, args)
    groups = []
    for i in range(args.repeats if args.only in (None, "groups") else 0):
        r = bench_groups(app, args.groups, args)
        groups.append(r)
        report_groups(r, i, args)
    for name, runs in (("scan", scans), ("grid", grids)):
        if runs:
            print(f"median longest block, {name}: {statistics.median(r['max'] for r in runs):.1f} ms (target < 50 ms)")
    if groups:
        medians_groups(groups, args)


def report_groups(r: dict, i: int, args) -> None:
    o, a = r["opened"], r["again"]
    print(f"  groups {args.groups:,}, run {i + 1}: engine grouping alone {r['engine_s']:.2f} s ({r['engine_groups']:,} "
          f"groups); window built in {r['built_s']:.2f} s", flush=True)
    for name, t in (("open (window opened on the tab)", o), ("refresh on the tab", a)):
        print(f"    {name}: groups shown {t['total']:.2f} s after the refresh: worker {t['worker']:.2f} s (queued "
              f"{t['queued'] * 1000:.0f} ms), delivered {t['delivered'] * 1000:.0f} ms, table fill {t['fill'] * 1000:.0f} ms, "
              f"first paint {t['paint'] * 1000:.0f} ms")
    print(f"    switch to the tab: painted in {r['switch_s'] * 1000:.0f} ms")
    for name, ph in r["phases"].items():
        slowest = f"; slowest call {ph['slowest'][0]} {ph['slowest'][1]:.0f} ms" if ph["calls"] else ""
        print(f"    {name}: longest block {ph['max']:.1f} ms, p99 {ph['p99']:.1f} ms, {ph['over50']} > 50 ms{slowest}")
    print("    bulk previews done in: " + ", ".join(f"{n} {s:.2f} s" for n, s in r["preview_s"].items()) +
          f" (keep the largest: {r['plan']})", flush=True)
    if args.explain:
        for name, ph in r["phases"].items():
            calls = ", ".join(f"{label} {ms:.0f}" for label, ms in ph["calls"] if ms > 10)
            if calls:
                print(f"    calls over 10 ms in {name}: {calls}")
        print("    engine grouping profile (by own time):\n" + "\n".join(
            "      " + line for line in r["profile"].splitlines()[6:20] if line.strip()))
        explain(r, args)


def medians_groups(runs: list[dict], args) -> None:
    med = statistics.median
    print(f"medians over {len(runs)} runs, groups {args.groups:,}:")
    for key, name in (("opened", "open"), ("again", "refresh")):
        print(f"  {name}: shown in {med(r[key]['total'] for r in runs):.2f} s (target <= 1 s): engine grouping in the "
              f"worker {med(r[key]['worker'] for r in runs):.2f} s, table fill {med(r[key]['fill'] for r in runs) * 1000:.0f} ms, "
              f"first paint {med(r[key]['paint'] for r in runs) * 1000:.0f} ms")
    print(f"  engine grouping alone (no window): {med(r['engine_s'] for r in runs):.2f} s; switch to the tab "
          f"{med(r['switch_s'] for r in runs) * 1000:.0f} ms")
    for name in runs[0]["phases"]:
        phs = [r["phases"][name] for r in runs]
        print(f"  {name}: longest block {med(p['max'] for p in phs):.1f} ms, p99 {med(p['p99'] for p in phs):.1f} ms, "
              f"{med(p['over50'] for p in phs):g} > 50 ms (target: none)")
    print("  bulk previews: " + ", ".join(f"{n} {med(r['preview_s'][n] for r in runs):.2f} s" for n in runs[0]["preview_s"]))


if __name__ == "__main__":
    main()
