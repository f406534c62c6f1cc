"""The scan pipeline end to end: real photos, real decoding pool, the real default ONNX model, a real catalog."""

from __future__ import annotations

import os
import threading
import time

import numpy as np
import pytest

from engine.catalog import Catalog
from engine.duplicates import model_groups
from engine.model import HashModel, default_model_path
from engine.scan import ScanFailure, ScanProgress, ScanSummary, scan
from engine.catalog_models import model_row_id


@pytest.fixture(scope="module")
def model():
    return HashModel.load(default_model_path())


def run_scan(catalog, roots, model, **kw) -> tuple[ScanSummary, list]:
    events = list(scan(catalog, roots, model, **kw))
    assert isinstance(events[-1], ScanSummary)
    return events[-1], events


def folder_state(root) -> dict[str, tuple[int, int]]:
    return {
        os.path.join(d, f): (os.stat(os.path.join(d, f)).st_size, os.stat(os.path.join(d, f)).st_mtime_ns)
        for d, _, files in os.walk(root)
        for f in files
    }


def test_scan_groups_edited_copies_with_their_originals(tmp_path, library, model):
    before = folder_state(library.root)
    with Catalog(tmp_path / "c.sqlite") as catalog:
        summary, events = run_scan(catalog, [library.root], model, workers=2)
        assert summary.found == len(library.photos) + 1
        assert summary.hashed == len(library.photos)
        assert [f.path for f in summary.failures] == [str(library.broken)]
        assert "truncated" in summary.failures[0].reason or "corrupt" in summary.failures[0].reason
        assert any(isinstance(e, ScanProgress) and e.phase == "hashing" for e in events)
        assert catalog.errors() == [(str(library.broken), summary.failures[0].reason)]

        groups = model_groups(catalog, model)
    by_path = {m.file.path: gi for gi, g in enumerate(groups) for m in g.members}
    for copy, original in library.edits.items():
        assert by_path.get(str(copy)) is not None, f"{copy.name} was not grouped"
        assert by_path[str(copy)] == by_path.get(str(original)), f"{copy.name} not with {original.name}"
    assert by_path[str(library.exact_copy)] == by_path[str(library.originals[-1])]
    for g in groups:
        originals_in_group = {m.file.path for m in g.members} & {str(p) for p in library.originals}
        assert len(originals_in_group) == 1, f"unrelated photos grouped: {sorted(originals_in_group)}"
    assert folder_state(library.root) == before, "a scan must never change the photos"


def test_rescan_skips_unchanged_and_notices_changes(tmp_path, library, model):
    with Catalog(tmp_path / "c.sqlite") as catalog:
        first, _ = run_scan(catalog, [library.root], model, workers=2)
        again, _ = run_scan(catalog, [library.root], model, workers=2)
        assert (again.hashed, again.failed, again.skipped) == (0, 0, first.found)

        changed = library.originals[1]
        changed.write_bytes(library.originals[2].read_bytes())
        gone = library.originals[3]
        saved = gone.read_bytes()
        gone.unlink()
        third, _ = run_scan(catalog, [library.root], model, workers=2)
        assert (third.hashed, third.missing) == (1, 1)
        assert catalog.file_by_path(str(gone)).missing_since is not None
        assert catalog.file_by_path(str(changed)).content_hash == catalog.file_by_path(
            str(library.originals[2])
        ).content_hash

        gone.write_bytes(saved)
        os.utime(gone, ns=(catalog.file_by_path(str(gone)).mtime_ns,) * 2)
        fourth, _ = run_scan(catalog, [library.root], model, workers=2)
        assert (fourth.hashed, fourth.returned) == (0, 1)
        assert catalog.file_by_path(str(gone)).missing_since is None

        retried, _ = run_scan(catalog, [library.root], model, workers=0, retry_errors=True)
        assert (retried.hashed, retried.failed) == (0, 1)


def test_pool_and_in_process_decoding_give_identical_codes(tmp_path, library, model):
    results = []
    for workers, background in ((0, False), (2, False), (2, True)):
        with Catalog(tmp_path / f"c{workers}{background}.sqlite") as catalog:
            run_scan(catalog, [library.root], model, workers=workers, background=background)
            ids, codes = catalog.codes(model_row_id(catalog, model))
            paths = [catalog.files([i])[i].path for i in ids.tolist()]
            results.append(dict(zip(paths, map(bytes, codes))))
    assert results[0] == results[1] == results[2]


@pytest.mark.skipif(not hasattr(os, "nice"), reason="os.nice is POSIX")
def test_background_scan_workers_run_at_a_lower_priority():
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    from engine.file_pool import _lower_priority

    with ProcessPoolExecutor(1, mp_context=get_context("spawn"), initializer=_lower_priority) as pool:
        assert pool.submit(os.nice, 0).result() == min(19, os.nice(0) + 10)


def test_cancel_commits_what_is_done_and_the_next_scan_finishes(tmp_path, library, model):
    cancel = threading.Event()
    with Catalog(tmp_path / "c.sqlite") as catalog:
        events = []
        for event in scan(catalog, [library.root], model, workers=1, batch_size=2, cancel=cancel):
            events.append(event)
            if isinstance(event, ScanProgress) and event.phase == "hashing" and event.done >= 2:
                cancel.set()
        summary = events[-1]
        assert summary.cancelled
        committed = catalog.code_counts().get(model_row_id(catalog, model), 0)
        assert 0 < committed < len(library.photos)
        rest, _ = run_scan(catalog, [library.root], model, workers=2)
        assert rest.hashed == len(library.photos) - committed
        assert catalog.integrity_check() == "ok"


def test_failures_are_reported_and_the_scan_goes_on(tmp_path, library, model):
    (library.root / "notes.jpg").write_bytes(os.urandom(5000))
    (library.root / "empty.png").write_bytes(b"")
    (library.root / "folder.jpg").mkdir()
    with Catalog(tmp_path / "c.sqlite") as catalog:
        summary, events = run_scan(catalog, [library.root, tmp_path / "no-such-folder"], model, workers=2)
        reasons = {os.path.basename(f.path): f.reason for f in events if isinstance(f, ScanFailure)}
    assert summary.hashed == len(library.photos)
    assert set(reasons) >= {"notes.jpg", "empty.png", "broken.jpg", "no-such-folder"}
    assert "folder.jpg" not in reasons
    assert all(reason and "\n" not in reason for reason in reasons.values())


def test_codes_match_the_model_run_directly(tmp_path, photos_dir, model):
    from engine.search import encode_file

    with Catalog(tmp_path / "c.sqlite") as catalog:
        run_scan(catalog, [photos_dir], model, workers=2)
        ids, codes = catalog.codes(model_row_id(catalog, model))
        rows = catalog.files(ids.tolist())
    for file_id, code in list(zip(ids.tolist(), codes))[:5]:
        assert np.array_equal(encode_file(model, rows[file_id].path, "duplicate"), code)


def test_a_scan_of_the_bad_input_corpus(tmp_path, photos_dir, model):
    """Every bad file gets a recorded one-line reason or a correct code; the scan completes; nothing changes."""
    from PIL import Image

    from .test_images import exif_oriented_jpeg, marker_image, png_header_claiming

    real = sorted(photos_dir.iterdir())[0].read_bytes()
    root = tmp_path / "corpus ünïcødé"
    (root / "sub folder with spaces").mkdir(parents=True)
    expect_error = {
        "empty.jpg": b"",
        "truncated.jpg": real[: len(real) // 2],
        "random.jpg": np.random.default_rng(1).bytes(3000),
        "bomb.png": png_header_claiming(30000, 30000),
    }
    for name, data in expect_error.items():
        (root / name).write_bytes(data)
    marker_image().save(root / "png-named.jpg", "PNG")
    Image.new("RGB", (1, 1), (9, 9, 9)).save(root / "tiny.png")
    Image.new("CMYK", (40, 40), (0, 255, 255, 0)).save(root / "cmyk.jpg")
    Image.fromarray(np.full((16, 16), 40000, np.uint16)).save(root / "deep.png")
    pal = Image.new("P", (10, 10), 0)
    pal.putpalette([0, 0, 0, 0, 0, 255] + [0] * 762)
    pal.save(root / "palette.png", transparency=0)
    frames = [Image.new("RGB", (20, 20), c) for c in ((255, 0, 0), (0, 255, 0))]
    frames[0].save(root / "anim.gif", save_all=True, append_images=frames[1:])
    exif_oriented_jpeg(root / "o6.jpg", 6)
    exif_oriented_jpeg(root / "o8.jpg", 8)
    (root / "sub folder with spaces" / "☀ photo.jpg").write_bytes(real)
    (root / "dir.jpg").mkdir()
    (root / "loop").symlink_to(root)
    (root / "zzz-vanishing.jpg").write_bytes(real)
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and p.name != "zzz-vanishing.jpg"}

    with Catalog(tmp_path / "c.sqlite") as catalog:
        events = []
        for event in scan(catalog, [root], model, workers=0, batch_size=1):
            events.append(event)
            vanishing = root / "zzz-vanishing.jpg"
            if isinstance(event, ScanProgress) and event.phase == "hashing" and vanishing.exists():
                vanishing.unlink()  # found by the walk, gone before it is decoded
        summary = events[-1]
        expect_error["zzz-vanishing.jpg"] = b""
        failures = {os.path.basename(f.path): f.reason for f in summary.failures}
        assert set(failures) == set(expect_error), failures
        assert failures["zzz-vanishing.jpg"] == "no such file (moved or deleted)"
        assert failures["bomb.png"].startswith("decompression bomb")
        decoded_ok = {"png-named.jpg", "tiny.png", "cmyk.jpg", "deep.png", "palette.png", "anim.gif", "o6.jpg",
                      "o8.jpg", "☀ photo.jpg"}
        assert summary.hashed == len(decoded_ok)
        coded = {os.path.basename(r.path) for r in catalog.all_files() if r.error is None}
        assert coded == decoded_ok
        rows = {os.path.basename(r.path): r for r in catalog.all_files()}
        assert (rows["o6.jpg"].width, rows["o6.jpg"].height) == (40, 60)
        assert all(rows[n].error == failures[n] for n in expect_error)
    assert {p: p.read_bytes() for p in before} == before


def test_a_crashed_decode_worker_is_replaced_and_no_file_is_lost(photos_dir, model):
    """Kill a real worker process mid-scan (as a decoder crash on a hostile file would)."""
    import signal

    from engine.images import walk
    from functools import partial

    from engine.scan import decode_for_model
    from engine.file_pool import FilePool

    entries = [e for e in walk([photos_dir])]
    decoder = FilePool(partial(decode_for_model, info=model.info), workers=2)
    results = {}
    try:
        for entry, result in decoder.run(entries, threading.Event()):
            results[entry.path] = result
            if len(results) == 1:
                crashed_pool = decoder.pool
                os.kill(next(iter(crashed_pool._processes)), signal.SIGKILL)
        assert decoder.pool is not crashed_pool, "the crash went unnoticed"
    finally:
        decoder.close()
    assert set(results) == {e.path for e in entries}
    assert all(not isinstance(r, str) for r in results.values()), "a healthy file was given up after the crash"


def _half_a_result_then_die(path: str) -> str:
    """In a worker: write the start of a result to the executor's result pipe and die there, as a worker SIGKILLed
    while it sends a large result (a decoded image) does; other files are returned as they are."""
    if "poison" not in path:
        return path
    import gc
    import signal
    import struct
    from multiprocessing.queues import SimpleQueue

    pipe = next(o for o in gc.get_objects() if isinstance(o, SimpleQueue))._writer  # the only one in a worker
    pipe._send(struct.pack("!i", 1_000_000) + b"half")  # a header that promises a megabyte, and 4 bytes of it
    os.kill(os.getpid(), signal.SIGKILL)


def test_a_worker_killed_while_it_sends_a_result_is_replaced_and_nothing_hangs():
    """CPython's executor then reads the rest of the message for ever: the pool must see the dead worker itself."""
    from types import SimpleNamespace

    from engine.file_pool import CRASHED, FilePool

    items = [SimpleNamespace(path=f"/nowhere/{i}.jpg") for i in range(12)]
    items.insert(5, SimpleNamespace(path="/nowhere/poison.jpg"))
    results = {}
    started = time.monotonic()
    with FilePool(_half_a_result_then_die, workers=2) as pool:
        for item, result in pool.run(items, threading.Event()):
            results[item.path] = result
    assert time.monotonic() - started < 60
    assert results.pop("/nowhere/poison.jpg") == CRASHED
    assert results == {i.path: i.path for i in items if "poison" not in i.path}, "a healthy file was lost or given up"
    from concurrent.futures.process import _ExecutorManagerThread

    threads = [t for t in threading.enumerate() if isinstance(t, _ExecutorManagerThread)]
    deadline = time.monotonic() + 20
    while any(t.is_alive() for t in threads) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(t.is_alive() for t in threads), "an executor's thread still waits (the interpreter would not exit)"
