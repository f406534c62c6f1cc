"""The scan pipeline: walk ► skip unchanged ► decode in worker processes ► batch encode ► commit.

Why this shape: decoding (JPEG draft + resize) is the slow part and is done by a pool of worker
processes so every core decodes; the model runs in this process on whole batches; each batch is
committed in one transaction, so a scan killed at any moment (even ``kill -9``) loses at most the
batch in flight and a rerun skips everything committed (same size and mtime, code present).

:func:`scan` is a generator of events; the CLI draws them as a progress bar, the GUI forwards them
as signals. Cancelling (set the ``cancel`` event) commits the batch in hand and stops.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import partial

import numpy as np

from .catalog import Catalog, ScanRecord, VideoCodes
from .catalog_models import register_model_rows
from .errors import FileError, printable
from .images import FileEntry, hash_file, is_video, read_image, walk
from .model import HashModel, ModelInfo, prepare
from .file_pool import FilePool
from .videos import sample_frames

BATCH_SIZE = 32
PROGRESS_INTERVAL_S = 0.2


@dataclass(frozen=True, slots=True)
class ScanProgress:
    """Emitted often (at most every 0.2 s and at each commit)."""

    phase: str  # "walking" while listing folders, "hashing" while decoding/encoding
    found: int  # candidate photos found so far
    skipped: int  # unchanged since the last scan
    total: int  # files that need hashing (known once walking ends)
    done: int  # of those, finished (hashed or failed)
    failed: int
    rate: float  # files per second over the hashing phase
    eta_s: float | None
    current: str | None


@dataclass(frozen=True, slots=True)
class ScanFailure:
    """One file or folder that could not be read: the reason is recorded in the catalog."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{printable(self.path)}: {self.reason}"


@dataclass(slots=True)
class ScanSummary:
    """The last event of a scan."""

    found: int = 0
    skipped: int = 0
    hashed: int = 0
    failed: int = 0
    missing: int = 0
    returned: int = 0  # files marked missing before that are back
    cancelled: bool = False
    seconds: float = 0.0
    failures: list[ScanFailure] = field(default_factory=list)


ScanEvent = ScanProgress | ScanFailure | ScanSummary


def decode_for_model(path: str, info: ModelInfo) -> tuple[np.ndarray, dict] | str:
    """Worker side: read one photo and shrink it to the model's input (a video: frames sampled across it, each
    shrunk, with ``meta["video"]``). An error becomes its reason."""
    try:
        if is_video(path):
            return _frames_for_model(path, info)
        decoded = read_image(path, min_side=info.input_size)
        pixels = prepare(decoded.image, info)
    except FileError as exc:
        return exc.reason
    except MemoryError:
        return "not enough memory to decode this image"
    except Exception as exc:  # raised in a worker, it would end the whole scan in future.result()  # noqa: BLE001
        text = " ".join(str(exc).split())[:120]
        return f"cannot decode ({type(exc).__name__}: {text})" if text else f"cannot decode ({type(exc).__name__})"
    meta = {
        "content_hash": decoded.content_hash,
        "width": decoded.width,
        "height": decoded.height,
        "format": decoded.format,
        "captured_at": decoded.captured_at,
        "camera": decoded.camera,
        "has_gps": decoded.has_gps,
    }
    return pixels, meta


def _frames_for_model(path: str, info: ModelInfo) -> tuple[np.ndarray, dict]:
    """A video's sampled frames (engine.videos), each at the model's input, and what the catalog keeps of it."""
    frames = sample_frames(path)
    pixels = np.stack([prepare(image, info) for image in frames.images])
    meta = {"content_hash": hash_file(path), "width": frames.width, "height": frames.height,
            "format": os.path.splitext(path)[1].lstrip(".").upper(), "captured_at": None, "camera": None,
            "has_gps": None, "video": (frames.duration, frames.step, np.asarray(frames.times, np.float64))}
    return pixels, meta


def records_for(model: HashModel, decoded: Sequence[tuple[str, int, int, object]]) -> list[ScanRecord]:
    """The catalog's records for a batch of (path, size, mtime_ns, :func:`decode_for_model`'s result): the photos
    encoded together, each video's frames together, an error as its reason. Shared with the Ray scan
    (engine.cluster), so both write the same rows."""
    records: list[ScanRecord] = []
    photos: list[tuple[int, np.ndarray]] = []
    for path, size, mtime_ns, result in decoded:
        if isinstance(result, str):
            records.append(ScanRecord(path, size, mtime_ns, error=result))
            continue
        pixels, meta = result
        if "video" in meta:
            duration, step, times = meta.pop("video")
            records.append(ScanRecord(path, size, mtime_ns, **meta,
                                      video=VideoCodes(duration, step, times, model.encode(pixels))))
            continue
        photos.append((len(records), pixels))
        records.append(ScanRecord(path, size, mtime_ns, **meta))
    if photos:
        packed, similar = model.encode_both(np.stack([pixels for _, pixels in photos]))
        for j, (i, _) in enumerate(photos):
            records[i] = replace(records[i], code=packed[j].tobytes(),
                                 similar_code=None if similar is None else similar[j].tobytes())
    return records


def _under(path: str, roots: list[str]) -> bool:
    return any(path == root or path.startswith(root.rstrip(os.sep) + os.sep) for root in roots)


def find_work(
    catalog: Catalog,
    roots: list[str],
    states: dict,
    summary: ScanSummary,
    *,
    include_hidden: bool = False,
    videos: bool = True,
    retry_errors: bool = False,
    cancel: threading.Event,
) -> Generator[ScanEvent, None, list[FileEntry]]:
    """Step 1 of a scan, shared by :func:`scan` and the Ray scan (engine.cluster) so both skip exactly the same files:
    walk ``roots`` (absolute), count into ``summary``, yield walking progress and unreadable folders, mark files gone
    or back, and return the files that need hashing (new, changed, or failed before with ``retry_errors``)."""
    todo: list[FileEntry] = []
    seen: set[str] = set()
    returned: list[str] = []
    last_emit = 0.0
    for item in walk(roots, include_hidden=include_hidden, videos=videos):
        if cancel.is_set():
            break
        if isinstance(item, FileError):
            failure = ScanFailure(item.path, item.reason)
            summary.failures.append(failure)
            summary.failed += 1
            yield failure
            continue
        seen.add(item.path)
        summary.found += 1
        state = states.get(item.path)
        unchanged = state is not None and (state.size, state.mtime_ns) == (item.size, item.mtime_ns)
        if unchanged and (state.has_code or (state.has_error and not retry_errors)):
            summary.skipped += 1
            if state.missing:
                returned.append(item.path)
        else:
            todo.append(item)
        now = time.monotonic()
        if now - last_emit >= PROGRESS_INTERVAL_S:
            last_emit = now
            yield ScanProgress("walking", summary.found, summary.skipped, 0, 0, summary.failed, 0.0, None, item.path)

    if not cancel.is_set():
        gone = [p for p, s in states.items() if not s.missing and p not in seen and _under(p, roots)
                and (videos or not is_video(p))]  # a scan without videos leaves the videos it did not look for
        summary.missing = catalog.set_missing(gone, True)
        summary.returned = catalog.set_missing(returned, False)
    return todo


def scan(
    catalog: Catalog,
    roots: Iterable[str | os.PathLike[str]],
    model: HashModel,
    *,
    workers: int | None = None,
    batch_size: int = BATCH_SIZE,
    include_hidden: bool = False,
    videos: bool = True,
    retry_errors: bool = False,
    cancel: threading.Event | None = None,
    background: bool = False,
) -> Iterator[ScanEvent]:
    """Bring the catalog up to date with the photos under ``roots``; yields progress events.

    workers: decode processes (default: one per CPU core; 0 decodes in this process).
    background: run the decode processes at a lower CPU priority (the desktop app's scans).
    retry_errors: read again files that failed before even if unchanged (e.g. after a chmod).
    videos: videos too (engine.videos: frames sampled across each, hashed), grouped apart from photos.
    """
    cancel = cancel or threading.Event()
    workers = (os.cpu_count() or 1) if workers is None else workers
    roots = [os.path.abspath(os.fspath(r)) for r in roots]
    started = time.monotonic()
    summary = ScanSummary()
    model_id, similar_id = register_model_rows(catalog, model)
    states = catalog.file_states(model_id)

    # 1. Walk and decide what needs work (shared with engine.cluster's Ray scan).
    todo = yield from find_work(catalog, roots, states, summary, include_hidden=include_hidden,
                                videos=videos, retry_errors=retry_errors, cancel=cancel)
    last_emit = 0.0

    # 2. Decode in the pool, encode in batches, commit each batch.
    total = len(todo)
    hash_start = time.monotonic()
    decoded: list[tuple[str, int, int, object]] = []  # this batch's decode results, in arrival order

    def commit() -> None:
        records = records_for(model, decoded)
        if records:
            catalog.save_scanned(model_id, records, similar_id)
        summary.hashed += sum(1 for r in records if r.error is None)
        decoded.clear()

    def progress(current: str | None) -> ScanProgress:
        done = summary.hashed + sum(not isinstance(d[3], str) for d in decoded) + (summary.failed - walk_failures)
        elapsed = max(time.monotonic() - hash_start, 1e-9)
        rate = done / elapsed
        eta = (total - done) / rate if rate > 0 else None
        return ScanProgress(
            "hashing", summary.found, summary.skipped, total, done, summary.failed, rate, eta, current
        )

    walk_failures = summary.failed
    decoder = FilePool(partial(decode_for_model, info=model.info), workers if total > 1 else 0, background)
    try:
        for entry, result in decoder.run(todo, cancel):
            if isinstance(result, str):
                failure = ScanFailure(entry.path, result)
                summary.failures.append(failure)
                summary.failed += 1
                yield failure
            decoded.append((entry.path, entry.size, entry.mtime_ns, result))
            if len(decoded) >= batch_size:
                commit()
                last_emit = time.monotonic()
                yield progress(entry.path)
            elif time.monotonic() - last_emit >= PROGRESS_INTERVAL_S:
                last_emit = time.monotonic()
                yield progress(entry.path)
        commit()
    finally:
        decoder.close()
    summary.cancelled = cancel.is_set()
    summary.seconds = time.monotonic() - started
    yield progress(None)
    yield summary

