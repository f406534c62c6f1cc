"""The catalog on a real SQLite file: schema, migrations, scan bookkeeping, errors a user can act on."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from engine.catalog import MIGRATIONS, SCHEMA_VERSION, SIDECAR_JOURNAL_MIGRATION, Catalog, ScanRecord
from engine.errors import CatalogError


def record(path, code=b"\x00" * 8, size=100, mtime=1, content_hash="h", **kw):
    return ScanRecord(path, size, mtime, content_hash, 10, 10, "JPEG", None, code, **kw)


@pytest.fixture
def catalog(tmp_path):
    with Catalog(tmp_path / "c.sqlite") as cat:
        yield cat


def test_new_catalog_is_wal_and_at_latest_schema(catalog):
    assert catalog.schema_version == SCHEMA_VERSION
    assert catalog.pending() == []
    assert catalog._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert catalog.integrity_check() == "ok"


def test_migrates_an_empty_database_built_by_another_tool(tmp_path):
    """An empty SQLite file becomes a catalog; one holding another program's tables is refused (tests/reliability)."""
    path = tmp_path / "old.sqlite"
    sqlite3.connect(path).executescript("CREATE TABLE unrelated (x); DROP TABLE unrelated").close()
    with Catalog(path) as cat:
        assert cat.applied() == [v for v, _, _ in MIGRATIONS]
        assert cat.stats()["files"] == 0


def test_reopening_does_not_migrate_again(tmp_path):
    Catalog(tmp_path / "c.sqlite").close()
    with Catalog(tmp_path / "c.sqlite") as cat:
        rows = cat._conn.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0]
    assert rows == len(MIGRATIONS)


def test_refuses_a_catalog_from_a_newer_photohash(tmp_path):
    Catalog(tmp_path / "c.sqlite").close()
    conn = sqlite3.connect(tmp_path / "c.sqlite")
    conn.execute("INSERT INTO schema_migrations VALUES (999, 'future', 'x')")
    conn.commit()
    conn.close()
    with pytest.raises(CatalogError, match="newer than this PhotoHash"):
        Catalog(tmp_path / "c.sqlite")


def test_a_file_that_is_not_a_database_gets_a_clear_error(tmp_path):
    path = tmp_path / "notes.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(CatalogError, match="not a PhotoHash catalog or is damaged"):
        Catalog(path)


def test_a_catalog_under_a_file_cannot_be_created(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(CatalogError, match="cannot open catalog"):
        Catalog(blocker / "c.sqlite")


def test_nested_transactions_roll_back_together(catalog):
    with pytest.raises(RuntimeError):
        with catalog.transaction():
            catalog.set_setting("a", "1")
            with catalog.transaction():
                catalog.set_setting("b", "2")
            raise RuntimeError("boom")
    assert catalog.get_setting("a") is None and catalog.get_setting("b") is None
    catalog.set_setting("a", "1")
    assert catalog.get_setting("a") == "1"


def test_codes_are_per_model_and_change_invalidates_them(catalog):
    m1 = catalog.register_model("key1", "/m1.onnx", 64, {})
    m2 = catalog.register_model("key2", "/m2.onnx", 64, {})
    assert catalog.register_model("key1", "/moved/m1.onnx", 64, {}) == m1
    catalog.save_scanned(m1, [record("/a.jpg", b"\x01" * 8), record("/b.jpg", b"\x02" * 8, content_hash="h2")])
    catalog.save_scanned(m2, [record("/a.jpg", b"\x03" * 8)])
    ids, codes = catalog.codes(m1)
    assert codes.shape == (2, 8) and codes.dtype == np.uint8
    assert catalog.code_counts() == {m1: 2, m2: 1}
    # Same size and mtime: the other model's code stays. A new mtime drops every model's code.
    assert catalog.file_states(m2)["/a.jpg"].has_code
    catalog.save_scanned(m1, [record("/a.jpg", b"\x04" * 8, mtime=2)])
    assert not catalog.file_states(m2)["/a.jpg"].has_code
    assert catalog.file_states(m1)["/a.jpg"].has_code
    assert catalog.models()[0].path == "/moved/m1.onnx"


def test_errors_missing_and_exact_copies(catalog):
    m = catalog.register_model("k", "/m.onnx", 64, {})
    catalog.save_scanned(
        m,
        [
            record("/a.jpg", content_hash="same"),
            record("/b.jpg", content_hash="same"),
            record("/c.jpg", content_hash="other"),
            ScanRecord("/bad.jpg", 5, 1, error="not an image (unrecognised content)"),
        ],
    )
    assert catalog.errors() == [("/bad.jpg", "not an image (unrecognised content)")]
    assert len(catalog.exact_copy_groups()) == 1
    assert catalog.set_missing(["/b.jpg"], True) == 1
    assert catalog.set_missing(["/b.jpg"], True) == 0  # already marked: the first date stays
    assert catalog.exact_copy_groups() == []
    assert len(catalog.codes(m)[0]) == 3 - 1
    assert catalog.stats() == {"files": 4, "present": 3, "missing": 1, "errors": 1, "bytes": 205}
    assert catalog.set_missing(["/b.jpg"], False) == 1
    assert len(catalog.exact_copy_groups()) == 1


def test_journal_batches(catalog):
    b = catalog.next_trash_batch()
    assert b == 1
    e1 = catalog.journal_intend(b, "/a.jpg", "h", 10)
    catalog.journal_moved(e1, "/trash/a.jpg")
    e2 = catalog.journal_intend(b, "/b.jpg", "h", 10)
    assert [e.moved_at is None for e in catalog.journal(b)] == [False, True]
    catalog.journal_moved(e2, None)
    e3 = catalog.journal_intend(b, "/c.jpg", "h", 10)
    catalog.journal_forget(e3)  # the move did not happen
    assert catalog.next_trash_batch() == 2
    catalog.journal_mark_restored(e1)
    pending = catalog.journal(b, only_pending=True)
    assert [e.original_path for e in pending] == ["/b.jpg"]


def test_programs_creating_one_catalog_together_all_open_it(tmp_path):
    """A new file's switch to WAL answered "database is locked" at once instead of waiting (it has no busy
    handler): the GUI's first engine tasks on a fresh catalog, and two programs started together, failed."""
    import threading

    failures = []
    for trial in range(60):
        path = tmp_path / f"{trial}.sqlite"

        def open_it():
            try:
                with Catalog(path) as catalog:
                    catalog.schema_version  # noqa: B018 - a read through the new connection
            except CatalogError as exc:
                failures.append(str(exc))

        threads = [threading.Thread(target=open_it) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert failures == []


def v4_catalog(path) -> None:
    """A catalog as PhotoHash left it before the sidecar journal (schema version 4), with a trashed file."""
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                 "applied_at TEXT NOT NULL)")
    for version, name, sql in MIGRATIONS[:4]:
        conn.executescript(sql)
        conn.execute("INSERT INTO schema_migrations VALUES (?, ?, 'then')", (version, name))
    conn.execute("INSERT INTO trash_journal (batch, original_path, trashed_at, moved_at) VALUES (3, '/a.jpg', 't', 't')")
    conn.commit()
    conn.close()


def test_a_v4_catalog_gets_the_sidecar_journal_and_keeps_its_trash_journal(tmp_path):
    path = tmp_path / "v4.sqlite"
    v4_catalog(path)
    with Catalog(path) as cat:
        assert cat.applied() == [v for v, _, _ in MIGRATIONS] and SIDECAR_JOURNAL_MIGRATION in cat.applied()
        assert [e.original_path for e in cat.journal(3)] == ["/a.jpg"] and cat.next_trash_batch() == 4
        assert cat.sidecar_journal() == []
        done = cat.sidecar_intend(4, "/k.jpg", "/k.jpg.xmp", None, "h1")
        cat.sidecar_written(done)
        crashed = cat.sidecar_intend(4, "/k.jpg", "/k.jpg.xmp", b"", "h2")  # b"": an empty sidecar, not none
        gone = cat.sidecar_intend(4, "/m.jpg", "/m.xmp", b"<x/>", "h3")
        cat.sidecar_forget(gone)
        entries = cat.sidecar_journal(4, only_pending=True)
        assert [(e.id, e.previous, e.written_at is None) for e in entries] == [(done, None, False), (crashed, b"", True)]
        cat.sidecar_mark_restored(done)
        assert [e.id for e in cat.sidecar_journal(4, only_pending=True)] == [crashed]
        assert cat.integrity_check() == "ok"


def test_a_read_only_v4_catalog_is_still_read(tmp_path, monkeypatch):
    """The sidecar journal only fills when copies go to the trash, which a read-only catalog cannot do: an older
    one is read as it is, with no sidecar writes."""
    path = tmp_path / "v4.sqlite"
    v4_catalog(path)
    monkeypatch.setattr(Catalog, "_writable", lambda self: False)  # as for a file its user may not write
    with Catalog(path, write=False) as cat:
        assert cat.read_only and cat.applied() == [1, 2, 3, 4]
        assert cat.sidecar_journal(3) == [] and [e.batch for e in cat.journal()] == [3]
