"""Thumbnails made off the UI thread, kept on disk between runs and in memory while shown: a photo's, a video's
poster frame (engine.previews), and, in a store of their own, videos' frame strips.

The newest request runs first (a higher thread-pool priority), so the photos on screen appear
before those the user has scrolled past, and requests left far behind by fast scrolling are
skipped. The disk cache key includes the file's size and mtime, so an edited photo gets a new
thumbnail; the cache is pruned, oldest first, to its size limit.
"""

from __future__ import annotations

import hashlib
import os
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from PIL import Image
from PySide6.QtCore import QObject, QRunnable, QThread, QThreadPool, Signal
from PySide6.QtGui import QGuiApplication, QImage, QPixmap

from engine.errors import FileError
from engine.previews import frame_strip, thumbnail

STRIP_FRAMES = 4  # frames in a video's strip (the Duplicates screen's video cards)


def cache_key(path: str, size: int, stamp: tuple[int, int], kind: str = "") -> str:
    """The disk cache's name for one picture of a file (``kind``: "" for its thumbnail, else what else it is)."""
    kind = f"\0{kind}" if kind else ""  # a thumbnail's key is as it always was: the caches made before stay good
    return hashlib.blake2b(f"{path}\0{size}\0{stamp[0]}\0{stamp[1]}{kind}".encode("utf-8", "surrogatepass"),
                           digest_size=16).hexdigest()


STALE_AFTER = 400  # a request this many requests old is for a cell scrolled past: skip it


def video_strip(path: str, pixels: int) -> Image.Image:
    """A video's frame strip, each frame fitting in ``pixels``×``pixels`` (a store's ``make``)."""
    return frame_strip(path, STRIP_FRAMES, pixels)


class _Relay(QObject):
    # Paths travel as Python objects: a QString would drop the bytes of a name that is not UTF-8.
    loaded = Signal(object, int, object, QImage)  # path, size, stamp, image (null image: unreadable)
    skipped = Signal(object, int, int)  # path, size, ticket: no longer on screen, not made


class _Job(QRunnable):
    def __init__(self, store: ThumbnailStore, path: str, size: int, stamp: tuple[int, int]):
        super().__init__()
        self.store, self.relay, self.folder = store, store.relay, store.folder
        self.path, self.size, self.stamp = path, size, stamp
        self.pixels = round(size * store.scale)  # the size in device pixels: sharp on high-DPI screens
        self.ticket = store.requests

    def run(self) -> None:
        latest = self.store.pending.get((self.path, self.size))
        if latest != self.ticket:
            return  # asked again since: a newer job makes it
        if self.store.requests - self.ticket > STALE_AFTER:
            self.relay.skipped.emit(self.path, self.size, self.ticket)
            return
        key = cache_key(self.path, self.pixels, self.stamp, self.store.kind)
        cached = self.folder / key[:2] / f"{key}.jpg"
        image = QImage(str(cached)) if cached.exists() else QImage()
        if image.isNull():
            image = self._make(cached)
        else:
            try:
                os.utime(cached)  # recently used: pruned last
            except OSError:
                pass
        if not image.isNull():
            image = image.convertToFormat(QImage.Format.Format_RGB32)  # the screen's format: no work on the UI thread
        self.relay.loaded.emit(self.path, self.size, self.stamp, image)

    def _make(self, cached: Path) -> QImage:
        try:
            img = self.store.make(self.path, self.pixels)
        except FileError:
            return QImage()
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            tmp = cached.with_suffix(".tmp")
            img.save(tmp, "JPEG", quality=85)
            os.replace(tmp, cached)
        except OSError:
            pass  # a read-only cache only costs speed
        pixels = img.tobytes()  # RGB; converted (a copy) while ``pixels`` is alive
        return QImage(pixels, img.width, img.height, 3 * img.width, QImage.Format.Format_RGB888).convertToFormat(
            QImage.Format.Format_RGB32)


class _Prune(QRunnable):
    def __init__(self, folder: Path, limit: int):
        super().__init__()
        self.folder, self.limit = folder, limit

    def run(self) -> None:
        prune(self.folder, self.limit)


def prune(folder: Path, limit_bytes: int) -> int:
    """Remove the least recently used thumbnails until the cache fits; returns bytes removed."""
    files = []
    for entry in folder.glob("*/*.jpg"):
        try:
            st = entry.stat()
        except OSError:
            continue
        files.append((st.st_mtime, st.st_size, entry))
    total = sum(f[1] for f in files)
    removed = 0
    for _, size, entry in sorted(files):
        if total - removed <= limit_bytes:
            break
        try:
            entry.unlink()
            removed += size
        except OSError:
            pass
    return removed


class ThumbnailStore(QObject):
    """``get`` answers at once from memory or asks for the thumbnail; ``ready`` says when it is there.

    ``make(path, pixels)``: the picture of a file, an RGB PIL image (by default its thumbnail fitting in
    ``pixels``×``pixels``, engine.previews), run in the store's threads; ``kind`` names what it makes in the disk
    cache's keys when it is not the thumbnail (a store of strips shares the thumbnails' folder and pruning)."""

    ready = Signal(object, int)  # path (a Python str, see _Relay), size

    def __init__(self, folder: Path, *, memory_items: int = 3000, threads: int = 2, scale: float | None = None,
                 make: Callable[[str, int], Image.Image] = thumbnail, kind: str = "", parent: QObject | None = None):
        super().__init__(parent)
        self.folder = Path(folder)
        self.make, self.kind = make, kind
        screen = QGuiApplication.primaryScreen()
        self.scale = scale or (screen.devicePixelRatio() if screen else 1.0)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(threads)
        # Below the UI thread: on Linux Qt maps this to SCHED_IDLE, so painting always gets the CPU first.
        self.pool.setThreadPriority(QThread.Priority.IdlePriority)
        self.relay = _Relay(self)
        self.relay.loaded.connect(self._loaded)
        self.relay.skipped.connect(self._skipped)
        self.requests = 0
        # (path, size) -> ((size, mtime) of the file it was made from, the pixmap or None: unreadable)
        self.memory: OrderedDict[tuple[str, int], tuple[tuple[int, int], QPixmap | None]] = OrderedDict()
        self.memory_items = memory_items
        self.pending: dict[tuple[str, int], int] = {}  # -> the ticket of the job that will make it

    def get(self, path: str, size: int, stamp: tuple[int, int]) -> QPixmap | None | bool:
        """The pixmap; False while it is being made; None when the file cannot be read."""
        key = (path, size)
        made_from, pixmap = self.memory.get(key, (None, None))
        if made_from == stamp:  # an edited photo gets a new thumbnail
            self.memory.move_to_end(key)
            return pixmap
        ticket = self.pending.get(key)
        if ticket is None or self.requests - ticket > STALE_AFTER // 2:
            # new, or asked long ago and still queued behind newer ones: ask again at the front
            self.requests += 1
            self.pending[key] = self.requests
            # newest first; the priority wraps well before it could overflow Qt's int
            self.pool.start(_Job(self, path, size, stamp), self.requests % 2_000_000_000)
        return False

    def _skipped(self, path: str, size: int, ticket: int) -> None:
        if self.pending.get((path, size)) == ticket:
            del self.pending[(path, size)]  # asked again if it comes back on screen

    def _loaded(self, path: str, size: int, stamp: tuple[int, int], image: QImage) -> None:
        key = (path, size)
        self.pending.pop(key, None)
        pixmap = None
        if not image.isNull():
            pixmap = QPixmap.fromImage(image)
            pixmap.setDevicePixelRatio(self.scale)
        self.memory[key] = (stamp, pixmap)
        self.memory.move_to_end(key)
        while len(self.memory) > self.memory_items:
            self.memory.popitem(last=False)
        self.ready.emit(path, size)

    def forget(self, path: str) -> None:
        for key in [k for k in self.memory if k[0] == path]:
            del self.memory[key]

    def prune_later(self, limit_bytes: int) -> None:
        self.pool.start(_Prune(self.folder, limit_bytes), -1)

    def wait(self, msecs: int = 30000) -> bool:
        return self.pool.waitForDone(msecs)
