"""The catalog: one SQLite file that remembers every photo, its codes per model, and removals.

Why SQLite in WAL mode: one file a user can back up, readers (a search in the GUI) never block the
writer (a scan in the CLI), and a process killed at any point leaves the last committed
transaction intact. ``synchronous=NORMAL`` keeps that guarantee for a killed process; only a
power cut can lose the last few transactions, never corrupt the file.

All writes go through :meth:`Catalog.transaction`; nested transactions collapse into the
outermost one. The schema carries a version; each migration runs in the same transaction as the
row that records it, so a catalog is never half-migrated.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from .errors import CatalogError, printable

DATA_DIR_ENV = "PHOTOHASH_DATA_DIR"
CATALOG_NAME = "catalog.sqlite"

# (version, name, SQL). Append only: never edit a migration that has shipped.
MIGRATIONS: list[tuple[int, str, str]] = [
    (
        1,
        "initial schema",
        """
        CREATE TABLE files (
            id INTEGER PRIMARY KEY,
            path TEXT NOT NULL UNIQUE,
            size INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL,
            content_hash TEXT,
            width INTEGER,
            height INTEGER,
            format TEXT,
            captured_at TEXT,
            error TEXT,
            missing_since TEXT,
            scanned_at TEXT NOT NULL
        );
        CREATE INDEX files_by_content_hash ON files(content_hash);
        CREATE TABLE models (
            id INTEGER PRIMARY KEY,
            model_key TEXT NOT NULL UNIQUE,
            path TEXT NOT NULL,
            bits INTEGER NOT NULL,
            metadata TEXT NOT NULL,
            added_at TEXT NOT NULL
        );
        CREATE TABLE codes (
            model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
            file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
            code BLOB NOT NULL,
            PRIMARY KEY (model_id, file_id)
        ) WITHOUT ROWID;
        CREATE INDEX codes_by_file ON codes(file_id);
        CREATE TABLE settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        CREATE TABLE trash_journal (
            id INTEGER PRIMARY KEY,
            batch INTEGER NOT NULL,
            original_path TEXT NOT NULL,
            trashed_path TEXT,
            content_hash TEXT,
            size INTEGER,
            trashed_at TEXT NOT NULL,
            restored_at TEXT
        );
        CREATE INDEX trash_journal_by_batch ON trash_journal(batch);
        """,
    ),
    (
        2,
        "camera and GPS for the keeper rules; trash intents journaled before the move",
        """
        ALTER TABLE files ADD COLUMN camera TEXT;
        ALTER TABLE files ADD COLUMN has_gps INTEGER;
        ALTER TABLE trash_journal ADD COLUMN moved_at TEXT;
        UPDATE trash_journal SET moved_at = trashed_at;
        """,
    ),
    (
        3,
        "verification: local features by content hash, verdicts by pair of content hashes",
        """
        CREATE TABLE features (
            content_hash TEXT NOT NULL,
            mirrored INTEGER NOT NULL,
            version INTEGER NOT NULL,
            data BLOB,
            PRIMARY KEY (content_hash, mirrored)
        ) WITHOUT ROWID;
        CREATE TABLE verdicts (
            first TEXT NOT NULL,
            second TEXT NOT NULL,
            version INTEGER NOT NULL,
            verdict TEXT NOT NULL,
            PRIMARY KEY (first, second)
        ) WITHOUT ROWID;
        """,
    ),
    (
        4,
        "verification: when each photo's features were made, to keep the newest within a bound",
        """
        ALTER TABLE features ADD COLUMN made_at INTEGER NOT NULL DEFAULT 0;
        """,
    ),
    (
        5,
        "metadata carried to the keeper: each sidecar write journaled before it happens, with the bytes it replaced",
        """
        CREATE TABLE sidecar_journal (
            id INTEGER PRIMARY KEY,
            batch INTEGER NOT NULL,
            photo_path TEXT NOT NULL,
            sidecar_path TEXT NOT NULL,
            previous BLOB,
            written_hash TEXT NOT NULL,
            intended_at TEXT NOT NULL,
            written_at TEXT,
            restored_at TEXT
        );
        CREATE INDEX sidecar_journal_by_batch ON sidecar_journal(batch);
        """,
    ),
    (
        6,
        "videos: the codes of frames sampled across each video, per model (engine.videos)",
        """
        CREATE TABLE video_codes (
            model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
            file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
            duration REAL NOT NULL,
            step REAL NOT NULL,
            times BLOB NOT NULL,
            codes BLOB NOT NULL,
            PRIMARY KEY (model_id, file_id)
        ) WITHOUT ROWID;
        CREATE INDEX video_codes_by_file ON video_codes(file_id);
        """,
    ),
]
SCHEMA_VERSION = MIGRATIONS[-1][0]
VERIFICATION_MIGRATION = 3  # the features and verdicts tables (engine.verification)
# Migrations that only add caches: a read-only catalog without them is read as it is (and keeps nothing).
FEATURES_AGE_MIGRATION = 4  # features.made_at
CACHE_MIGRATIONS = {VERIFICATION_MIGRATION, FEATURES_AGE_MIGRATION}
SIDECAR_JOURNAL_MIGRATION = 5  # sidecar_journal (engine.keeper_metadata)
# Migrations a read-only catalog may lack and still be read: caches, and journals that only a write (a trash batch,
# its undo) fills, which a read-only catalog cannot do anyway.
VIDEO_MIGRATION = 6  # video_codes: a read-only catalog without it has no videos
READ_ONLY_MAY_LACK = CACHE_MIGRATIONS | {SIDECAR_JOURNAL_MIGRATION, VIDEO_MIGRATION}


def _is_read_only_error(exc: sqlite3.DatabaseError) -> bool:
    text = str(exc)
    return "readonly" in text or "read-only" in text or "unable to open" in text


def default_data_dir() -> Path:
    """``$PHOTOHASH_DATA_DIR`` if set (tests point it at a temporary folder), else the platform's app folder."""
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env)
    import appdirs

    return Path(appdirs.user_data_dir("PhotoHash", "PhotoHash"))


def default_catalog_path() -> Path:
    return default_data_dir() / CATALOG_NAME


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def to_db(path: str | os.PathLike[str]) -> str | bytes:
    """A path as SQLite stores it: TEXT when it is valid UTF-8 (every catalog so far), else the file name's own
    bytes as a BLOB. Linux names are bytes; Python holds the undecodable ones as surrogates, which SQLite's TEXT
    cannot take. Both forms compare, sort and stay UNIQUE in one column, and :func:`from_db` reverses either."""
    path = os.fspath(path)
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(path)
    return path


def from_db(value: str | bytes | None) -> str | None:
    """The Python path (surrogate-escaped where the name is not UTF-8) for a value :func:`to_db` stored."""
    return os.fsdecode(value) if isinstance(value, bytes) else value


@dataclass(frozen=True, slots=True)
class FileRow:
    id: int
    path: str
    size: int
    mtime_ns: int
    content_hash: str | None
    width: int | None
    height: int | None
    format: str | None
    captured_at: str | None
    error: str | None
    missing_since: str | None
    camera: str | None = None  # EXIF Make and Model; None also for files scanned before PhotoHash read it
    has_gps: bool | None = None

    @property
    def pixels(self) -> int:
        return (self.width or 0) * (self.height or 0)


@dataclass(frozen=True, slots=True)
class FileState:
    """What a scan needs to decide whether a file must be read again."""

    id: int
    size: int
    mtime_ns: int
    has_code: bool
    has_error: bool
    missing: bool


@dataclass(frozen=True, slots=True)
class ModelRow:
    id: int
    model_key: str
    path: str
    bits: int
    metadata: dict[str, str]
    added_at: str


@dataclass(frozen=True, slots=True)
class VideoCodes:
    """A video as the catalog keeps it for one model: its length, and the codes of frames sampled across it."""

    duration: float  # seconds
    step: float  # seconds between the times sampled
    times: np.ndarray  # float64 [k], seconds from the start
    codes: np.ndarray  # packed uint8 [k, bits / 8]


@dataclass(frozen=True, slots=True)
class ScanRecord:
    """One scanned file, ready to be committed: either a code or an error."""

    path: str
    size: int
    mtime_ns: int
    content_hash: str | None = None
    width: int | None = None
    height: int | None = None
    format: str | None = None
    captured_at: str | None = None
    code: bytes | None = None
    error: str | None = None
    camera: str | None = None
    has_gps: bool | None = None
    similar_code: bytes | None = None  # the model's similarity code, when it has one (kept under its own model row)
    video: VideoCodes | None = None  # a video's frame codes, in place of a photo's code


@dataclass(frozen=True, slots=True)
class JournalEntry:
    id: int
    batch: int
    original_path: str
    trashed_path: str | None
    content_hash: str | None
    size: int | None
    trashed_at: str
    restored_at: str | None
    moved_at: str | None  # None: the move was intended and may not have happened (the process died there)


@dataclass(frozen=True, slots=True)
class SidecarEntry:
    """One write of a photo's XMP sidecar (metadata carried from the copies of a trash batch), with what it
    replaced, so the batch's undo can put the sidecar back."""

    id: int
    batch: int  # the trash batch the carry belongs to
    photo_path: str  # the keeper whose sidecar it is
    sidecar_path: str
    previous: bytes | None  # the sidecar's bytes before the write; None: there was no sidecar
    written_hash: str  # content hash of the bytes written (engine.images.content_hash)
    intended_at: str
    written_at: str | None  # None: the write was intended and may not have happened (the process died there)
    restored_at: str | None


_FILE_COLUMNS = ("id, path, size, mtime_ns, content_hash, width, height, format, captured_at, error, missing_since, "
                 "camera, has_gps")
_JOURNAL_COLUMNS = "id, batch, original_path, trashed_path, content_hash, size, trashed_at, restored_at, moved_at"


_SIDECAR_COLUMNS = ("id, batch, photo_path, sidecar_path, previous, written_hash, intended_at, written_at, "
                    "restored_at")


def _sidecar_entry(row: tuple) -> SidecarEntry:
    values = list(row)
    values[2], values[3] = from_db(values[2]), from_db(values[3])
    if values[4] is not None:
        values[4] = bytes(values[4])
    return SidecarEntry(*values)


def _batch_filter(batch: int | None, only_pending: bool) -> tuple[str, list]:
    """The WHERE clause (and its parameters) that picks a journal's rows of one batch, or its pending ones."""
    clauses, params = [], []
    if batch is not None:
        clauses.append("batch = ?")
        params.append(batch)
    if only_pending:
        clauses.append("restored_at IS NULL")
    return (f"WHERE {' AND '.join(clauses)}" if clauses else ""), params


def _file_row(row: tuple) -> FileRow:
    values = list(row)
    values[1] = from_db(values[1])
    if values[12] is not None:
        values[12] = bool(values[12])
    return FileRow(*values)


def _journal_entry(row: tuple) -> JournalEntry:
    values = list(row)
    values[2], values[3] = from_db(values[2]), from_db(values[3])
    return JournalEntry(*values)


class Catalog:
    """An open catalog file. One per thread; several processes may open the same file.

    ``create=False`` refuses a catalog that does not exist (read commands: a mistyped path must not leave a new
    empty catalog behind). ``write=False`` opens a catalog that cannot be written (a read-only file, folder or
    medium) read-only instead of failing; writes then fail with one line. ``read_only`` says which it got.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, *, busy_timeout: float = 30.0,
                 create: bool = True, write: bool = True):
        self.path = Path(os.path.abspath(path)) if path is not None else default_catalog_path()
        self._depth = 0
        self.read_only = False
        self._conn: sqlite3.Connection | None = None
        if not create and not self.path.is_file():
            what = "is not a file" if self.path.exists() else "does not exist"
            raise CatalogError(f"catalog {printable(self.path)} {what} (scan a folder into it first, or check --catalog)")
        try:
            if create:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            if not write and not self._writable():
                self._open_read_only(busy_timeout)
                return
            self._conn = sqlite3.connect(self.path, timeout=busy_timeout, isolation_level=None)
            self._conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            self._refuse_foreign()
            self._use_wal(busy_timeout)
            self._conn.execute("PRAGMA synchronous = NORMAL")
            self._conn.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            if not write and _is_read_only_error(exc):
                if self._conn is not None:  # connect itself may be what failed
                    self._conn.close()
                self._open_read_only(busy_timeout)
                return
            raise CatalogError(self._explain(exc)) from exc
        except OSError as exc:
            raise CatalogError(f"cannot open catalog {printable(self.path)}: {exc.strerror or exc}") from exc

    def _writable(self) -> bool:
        """Can this process write the catalog and create its WAL files beside it? (``os.access`` also sees an
        immutable file and a read-only mount, which root's permissions would not.)"""
        folder_ok = os.access(self.path.parent, os.W_OK | os.X_OK)
        return folder_ok and (not self.path.exists() or os.access(self.path, os.W_OK))

    def _open_read_only(self, busy_timeout: float) -> None:
        """Open for reading only. A WAL catalog normally needs its ``-shm`` file, which a read-only folder cannot
        hold; there SQLite's ``immutable`` mode reads the file as it is (nobody can be writing it either)."""
        uri = self.path.as_uri()
        last: sqlite3.DatabaseError | None = None
        for mode in ("mode=ro", "mode=ro&immutable=1"):
            self._conn = None
            try:
                self._conn = sqlite3.connect(f"{uri}?{mode}", uri=True, timeout=busy_timeout, isolation_level=None)
                self._conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
                self._refuse_foreign()
                if [version for version, _ in self.pending() if version not in READ_ONLY_MAY_LACK]:
                    raise CatalogError(
                        f"catalog {printable(self.path)} is read-only and was made by an older PhotoHash; open it once "
                        f"where it can be written, so that it is upgraded")
                self.read_only = True
                return
            except sqlite3.DatabaseError as exc:
                last = exc
                if self._conn is not None:  # connect itself may be what failed (an unreadable file)
                    self._conn.close()
        raise CatalogError(self._explain(last)) from last

    def _refuse_foreign(self) -> None:
        """Refuse another program's SQLite file before anything is written to it (not even the WAL switch)."""
        tables = {r[0] for r in self._conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if tables and ("schema_migrations" not in tables or "files" not in tables):
            self._conn.close()
            raise CatalogError(f"catalog {printable(self.path)} is not a PhotoHash catalog (another program's SQLite "
                               f"database, left untouched); choose another --catalog")

    def _use_wal(self, timeout: float) -> None:
        """Switch to WAL. A new file's switch needs it alone for a moment and SQLite answers "locked" at once
        rather than wait (no busy handler), so two programs creating one catalog together retry here."""
        deadline, pause = time.monotonic() + timeout, 0.005
        while True:
            try:
                self._conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(pause)
                pause = min(pause * 2, 0.1)

    def _explain(self, exc: sqlite3.DatabaseError) -> str:
        text = str(exc)
        path = printable(self.path)
        if "disk is full" in text or "database or disk is full" in text:
            return (f"catalog {path}: the disk is full; nothing was lost (the last saved state is intact): free some "
                    f"space and run again")
        if "readonly" in text or "read-only" in text:
            return f"catalog {path} is read-only here ({text}): this needs to write to it; use a writable copy or folder"
        if "unable to open" in text:
            return f"cannot open catalog {path}: {text} (check that the folder exists and is writable)"
        if "not a database" in text or "malformed" in text:
            return f"catalog {path} is not a PhotoHash catalog or is damaged: {text}"
        if "locked" in text or "busy" in text:
            return f"catalog {path} is busy in another program for too long: {text}"
        return f"catalog {path}: {text}"

    # -- lifetime and transactions ------------------------------------------------------------

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (``BEGIN IMMEDIATE``); nested calls join the outer one."""
        if self._depth:
            self._depth += 1
            try:
                yield self._conn
            finally:
                self._depth -= 1
            return
        if self.read_only:
            raise CatalogError(f"catalog {printable(self.path)} is read-only here: this needs to write to it; use a "
                               f"writable copy or folder")
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.DatabaseError as exc:
            raise CatalogError(self._explain(exc)) from exc
        self._depth = 1
        try:
            yield self._conn
        except sqlite3.DatabaseError as exc:
            self._depth = 0
            self._rollback()
            raise CatalogError(self._explain(exc)) from exc
        except BaseException:
            self._depth = 0
            self._rollback()
            raise
        self._depth = 0
        try:
            self._conn.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            self._rollback()
            raise CatalogError(self._explain(exc)) from exc

    def _rollback(self) -> None:
        """Roll back what is still open: SQLite has already rolled back by itself after some errors (a full disk),
        and a ROLLBACK then would fail and hide the real reason."""
        if self._conn.in_transaction:
            try:
                self._conn.execute("ROLLBACK")
            except sqlite3.DatabaseError:
                pass  # the transaction is gone either way; the reason the caller sees is the first error

    def _read(self, sql: str, params: Sequence | dict = ()) -> list[tuple]:
        try:
            return self._conn.execute(sql, params).fetchall()
        except sqlite3.DatabaseError as exc:
            raise CatalogError(self._explain(exc)) from exc

    # -- schema ---------------------------------------------------------------------------------

    def applied(self) -> list[int]:
        """Versions already applied (reads only)."""
        has_table = self._conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
        ).fetchone()
        if not has_table:
            return []
        return [row[0] for row in self._conn.execute("SELECT version FROM schema_migrations ORDER BY version")]

    def pending(self) -> list[tuple[int, str]]:
        """Migrations not yet applied (reads only)."""
        done = set(self.applied())
        return [(version, name) for version, name, _ in MIGRATIONS if version not in done]

    def _migrate(self) -> None:
        done = self.applied()
        if done and done[-1] > SCHEMA_VERSION:
            raise CatalogError(
                f"catalog {self.path} has schema version {done[-1]}, newer than this PhotoHash "
                f"understands ({SCHEMA_VERSION}); update PhotoHash"
            )
        if not self.pending():
            return
        with self.transaction() as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            done = set(self.applied())
            for version, name, sql in MIGRATIONS:
                if version in done:
                    continue
                for statement in sql.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (version, name, now_iso()),
                )

    @property
    def schema_version(self) -> int:
        done = self.applied()
        return done[-1] if done else 0

    def integrity_check(self) -> str:
        return self._read("PRAGMA integrity_check")[0][0]

    # -- settings -------------------------------------------------------------------------------

    def get_setting(self, key: str, default: str | None = None) -> str | None:
        row = self._read("SELECT value FROM settings WHERE key = ?", (key,))
        return row[0][0] if row else default

    def set_setting(self, key: str, value: str | None) -> None:
        with self.transaction() as conn:
            if value is None:
                conn.execute("DELETE FROM settings WHERE key = ?", (key,))
            else:
                conn.execute(
                    "INSERT INTO settings (key, value) VALUES (?, ?) "
                    "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    (key, value),
                )

    def get_json_setting(self, key: str, default=None):
        value = self.get_setting(key)
        return default if value is None else json.loads(value)

    def set_json_setting(self, key: str, value) -> None:
        self.set_setting(key, json.dumps(value))

    # -- verification cache ---------------------------------------------------------------------
    # Keyed by content, so a moved or renamed file keeps them and a changed one gets new ones; each row carries the
    # version of the code that made it (engine.verify), and a row of another version is made again.

    # (The ``mirrored`` column of migration 3 is always 0: a photo's blob holds the keypoints of its mirror image too.)

    def features_of(self, hashes: Iterable[str]) -> dict[str, tuple[int, bytes | None]]:
        """content hash -> (version, data); data None: the photo has too few keypoints to verify."""
        out = {}
        hashes = list(dict.fromkeys(hashes))
        for start in range(0, len(hashes), 500):
            chunk = hashes[start:start + 500]
            rows = self._read(f"SELECT content_hash, version, data FROM features WHERE mirrored = 0 AND content_hash IN "
                              f"({','.join('?' * len(chunk))})", chunk)
            out.update((h, (v, None if d is None else bytes(d))) for h, v, d in rows)
        return out

    def save_features(self, rows: Iterable[tuple[str, int, bytes | None]]) -> None:
        """(content hash, version, data) rows, replacing older ones."""
        made_at = time.time_ns()
        with self.transaction() as conn:
            conn.executemany("INSERT OR REPLACE INTO features (content_hash, mirrored, version, data, made_at) "
                             "VALUES (?, 0, ?, ?, ?)", [(h, v, d, made_at) for h, v, d in rows])

    def features_bytes(self) -> int:
        """The bytes the kept features take."""
        return int(self._read("SELECT COALESCE(SUM(LENGTH(data)), 0) FROM features")[0][0])

    def trim_features(self, limit: int) -> int:
        """Keep the newest features within ``limit`` bytes (older ones are made again when needed); returns the rows
        dropped."""
        if self.features_bytes() <= limit:
            return 0
        with self.transaction() as conn:
            return conn.execute(
                "DELETE FROM features WHERE (content_hash, mirrored) IN (SELECT content_hash, mirrored FROM ("
                "SELECT content_hash, mirrored, SUM(COALESCE(LENGTH(data), 0)) OVER (ORDER BY made_at DESC, "
                "content_hash ROWS UNBOUNDED PRECEDING) AS newer FROM features) WHERE newer > ?)", (limit,)).rowcount

    def verdicts_of(self, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, str]]:
        """(first, second) content hashes -> (version, verdict JSON)."""
        out = {}
        pairs = list(dict.fromkeys(pairs))
        for start in range(0, len(pairs), 400):
            chunk = pairs[start:start + 400]
            where = " OR ".join(["(first = ? AND second = ?)"] * len(chunk))
            rows = self._read(f"SELECT first, second, version, verdict FROM verdicts WHERE {where}",
                              [h for pair in chunk for h in pair])
            out.update(((a, b), (v, text)) for a, b, v, text in rows)
        return out

    def save_verdicts(self, rows: Iterable[tuple[str, str, int, str]]) -> None:
        """(first, second, version, verdict JSON) rows, replacing older ones."""
        with self.transaction() as conn:
            conn.executemany("INSERT OR REPLACE INTO verdicts (first, second, version, verdict) VALUES (?, ?, ?, ?)",
                             list(rows))

    # -- models ---------------------------------------------------------------------------------

    def register_model(self, model_key: str, path: str, bits: int, metadata: dict[str, str]) -> int:
        """Remember a model (keyed by its file's content hash) and return its row id."""
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO models (model_key, path, bits, metadata, added_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(model_key) DO UPDATE SET path = excluded.path",
                (model_key, to_db(path), bits, json.dumps(metadata, sort_keys=True), now_iso()),
            )
            return conn.execute("SELECT id FROM models WHERE model_key = ?", (model_key,)).fetchone()[0]

    def models(self) -> list[ModelRow]:
        rows = self._read("SELECT id, model_key, path, bits, metadata, added_at FROM models ORDER BY id")
        return [ModelRow(r[0], r[1], from_db(r[2]), r[3], json.loads(r[4]), r[5]) for r in rows]

    def model_by_key(self, model_key: str) -> ModelRow | None:
        return next((m for m in self.models() if m.model_key == model_key), None)

    def code_counts(self) -> dict[int, int]:
        """Number of codes stored per model id."""
        return dict(self._read("SELECT model_id, COUNT(*) FROM codes GROUP BY model_id"))

    # -- files: scan side -----------------------------------------------------------------------

    def file_states(self, model_id: int) -> dict[str, FileState]:
        """Every known path with what a scan needs to skip it (one query, fast for 100k files)."""
        videos = ("OR EXISTS (SELECT 1 FROM video_codes v WHERE v.model_id = ? AND v.file_id = f.id)"
                  if self._has_videos() else "")
        rows = self._read(
            "SELECT f.path, f.id, f.size, f.mtime_ns, f.error IS NOT NULL, f.missing_since IS NOT NULL, "
            f"c.file_id IS NOT NULL {videos} FROM files f LEFT JOIN codes c ON c.file_id = f.id AND c.model_id = ?",
            (model_id, model_id) if videos else (model_id,),
        )
        return {from_db(r[0]): FileState(r[1], r[2], r[3], bool(r[6]), bool(r[4]), bool(r[5])) for r in rows}

    def save_scanned(self, model_id: int, records: Iterable[ScanRecord], similar_model_id: int | None = None) -> int:
        """Store a batch of scan results in one transaction; returns how many were written. A record's similarity
        code goes under ``similar_model_id`` (the model's second row).

        A file whose size or mtime changed loses the codes of every model: they described the old
        content.
        """
        scanned_at = now_iso()
        count = 0
        with self.transaction() as conn:
            for rec in records:
                path = to_db(rec.path)
                old = conn.execute("SELECT id, size, mtime_ns FROM files WHERE path = ?", (path,)).fetchone()
                values = (
                    rec.size, rec.mtime_ns, rec.content_hash, rec.width, rec.height, rec.format,
                    rec.captured_at, rec.error, rec.camera, rec.has_gps, scanned_at,
                )
                if old is None:
                    file_id = conn.execute(
                        "INSERT INTO files (size, mtime_ns, content_hash, width, height, format, captured_at, "
                        "error, camera, has_gps, scanned_at, path) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (*values, path),
                    ).lastrowid
                else:
                    file_id = old[0]
                    if (old[1], old[2]) != (rec.size, rec.mtime_ns) or rec.code is None:
                        conn.execute("DELETE FROM codes WHERE file_id = ?", (file_id,))
                    if (old[1], old[2]) != (rec.size, rec.mtime_ns) or rec.video is None:
                        conn.execute("DELETE FROM video_codes WHERE file_id = ?", (file_id,))
                    conn.execute(
                        "UPDATE files SET size = ?, mtime_ns = ?, content_hash = ?, width = ?, height = ?, "
                        "format = ?, captured_at = ?, error = ?, camera = ?, has_gps = ?, scanned_at = ?, "
                        "missing_since = NULL "
                        "WHERE id = ?",
                        (*values, file_id),
                    )
                for row_id, code in ((model_id, rec.code), (similar_model_id, rec.similar_code)):
                    if code is not None and row_id is not None:
                        conn.execute("INSERT OR REPLACE INTO codes (model_id, file_id, code) VALUES (?, ?, ?)",
                                     (row_id, file_id, code))
                if rec.video is not None:
                    v = rec.video
                    conn.execute("INSERT OR REPLACE INTO video_codes (model_id, file_id, duration, step, times, codes) "
                                 "VALUES (?, ?, ?, ?, ?, ?)", (model_id, file_id, v.duration, v.step,
                                                               np.asarray(v.times, np.float64).tobytes(),
                                                               np.ascontiguousarray(v.codes, np.uint8).tobytes()))
                count += 1
        return count

    def set_missing(self, paths: Iterable[str], missing: bool) -> int:
        """Mark files as gone from disk (kept, not deleted: they may come back), or back again."""
        stamp = now_iso() if missing else None
        with self.transaction() as conn:
            count = 0
            for path in paths:
                count += conn.execute(
                    "UPDATE files SET missing_since = ? WHERE path = ? AND (missing_since IS NULL) = ?",
                    (stamp, to_db(path), missing),
                ).rowcount
            return count

    # -- files: query side ----------------------------------------------------------------------

    def codes(self, model_id: int, *, include_missing: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """All codes of one model: (file ids int64 [N], packed codes uint8 [N, B])."""
        where = "" if include_missing else "AND f.missing_since IS NULL"
        rows = self._read(
            f"SELECT c.file_id, c.code FROM codes c JOIN files f ON f.id = c.file_id "
            f"WHERE c.model_id = ? {where} ORDER BY c.file_id",
            (model_id,),
        )
        bits = self._read("SELECT bits FROM models WHERE id = ?", (model_id,))
        nbytes = bits[0][0] // 8 if bits else 0
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        packed = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.uint8).reshape(len(rows), nbytes)
        return ids, packed

    def _has_videos(self) -> bool:
        """False only for a read-only catalog of an older schema (READ_ONLY_MAY_LACK), which has no videos."""
        return not self.read_only or VIDEO_MIGRATION in self.applied()

    def video_codes(self, model_id: int) -> dict[int, VideoCodes]:
        """Every present video's frame codes for one model, by file id."""
        if not self._has_videos():
            return {}
        rows = self._read(
            "SELECT v.file_id, v.duration, v.step, v.times, v.codes, m.bits FROM video_codes v "
            "JOIN files f ON f.id = v.file_id JOIN models m ON m.id = v.model_id "
            "WHERE v.model_id = ? AND f.missing_since IS NULL ORDER BY v.file_id", (model_id,))
        return {file_id: VideoCodes(duration, step, np.frombuffer(times, np.float64),
                                    np.frombuffer(codes, np.uint8).reshape(-1, bits // 8))
                for file_id, duration, step, times, codes, bits in rows}

    def files(self, ids: Iterable[int]) -> dict[int, FileRow]:
        ids = list(ids)
        out: dict[int, FileRow] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self._read(f"SELECT {_FILE_COLUMNS} FROM files WHERE id IN ({marks})", chunk):
                out[row[0]] = _file_row(row)
        return out

    def stored_code(self, model_id: int, path: str | os.PathLike[str], size: int, mtime_ns: int) -> np.ndarray | None:
        """The packed code kept under ``model_id`` for the file at ``path`` if it is the file scanned (the same size
        and mtime, as a rescan skips it), else None."""
        rows = self._read(
            "SELECT c.code FROM files f JOIN codes c ON c.file_id = f.id AND c.model_id = ? "
            "WHERE f.path = ? AND f.size = ? AND f.mtime_ns = ?", (model_id, to_db(path), size, mtime_ns))
        return np.frombuffer(rows[0][0], dtype=np.uint8) if rows else None

    def file_by_path(self, path: str | os.PathLike[str]) -> FileRow | None:
        rows = self._read(f"SELECT {_FILE_COLUMNS} FROM files WHERE path = ?", (to_db(path),))
        return _file_row(rows[0]) if rows else None

    def files_in_folder(self, folder: str | os.PathLike[str]) -> list[FileRow]:
        """The present files directly in ``folder`` (not in its subfolders)."""
        folder = os.path.normpath(os.fspath(folder))
        start = folder.rstrip(os.sep) + os.sep
        rows = self._read(f"SELECT {_FILE_COLUMNS} FROM files WHERE path >= ? AND path < ? AND missing_since IS NULL",
                          (start, start[:-1] + chr(ord(os.sep) + 1)))
        return [f for f in map(_file_row, rows) if os.path.dirname(f.path) == folder]

    def capture_times(self) -> list[tuple[int, str, str | None]]:
        """(id, path, capture time) of every present file: what finding stacks needs, without whole rows."""
        return [(i, from_db(p), t) for i, p, t in
                self._read("SELECT id, path, captured_at FROM files WHERE missing_since IS NULL")]

    def all_files(self, *, include_missing: bool = False) -> list[FileRow]:
        where = "" if include_missing else "WHERE missing_since IS NULL"
        return [_file_row(r) for r in self._read(f"SELECT {_FILE_COLUMNS} FROM files {where} ORDER BY path")]

    def errors(self) -> list[tuple[str, str]]:
        rows = self._read(
            "SELECT path, error FROM files WHERE error IS NOT NULL AND missing_since IS NULL ORDER BY path"
        )
        return [(from_db(p), e) for p, e in rows]

    def exact_copy_groups(self) -> list[list[int]]:
        """Photos present on disk that share a content hash, as lists of file ids (videos are grouped apart)."""
        videos = " AND id NOT IN (SELECT file_id FROM video_codes)" if self._has_videos() else ""  # engine.videos' own
        rows = self._read(
            f"SELECT content_hash, id FROM files WHERE missing_since IS NULL{videos} AND content_hash IN ("
            " SELECT content_hash FROM files WHERE missing_since IS NULL AND content_hash IS NOT NULL"
            " GROUP BY content_hash HAVING COUNT(*) > 1) ORDER BY content_hash, id"
        )
        groups: dict[str, list[int]] = {}
        for content_hash, file_id in rows:
            groups.setdefault(content_hash, []).append(file_id)
        return list(groups.values())

    def stats(self) -> dict[str, int]:
        row = self._read(
            "SELECT COUNT(*), "
            "SUM(missing_since IS NULL), "
            "SUM(missing_since IS NOT NULL), "
            "SUM(error IS NOT NULL AND missing_since IS NULL), "
            "COALESCE(SUM(CASE WHEN missing_since IS NULL THEN size END), 0) FROM files"
        )[0]
        return {
            "files": row[0] or 0,
            "present": row[1] or 0,
            "missing": row[2] or 0,
            "errors": row[3] or 0,
            "bytes": row[4] or 0,
        }

    # -- trash journal --------------------------------------------------------------------------

    def next_trash_batch(self) -> int:
        """A batch number no journal has used: a batch whose moves were all refused may still have written (and
        taken back) a keeper's sidecar."""
        sidecars = " UNION ALL SELECT batch FROM sidecar_journal" if self._has_sidecar_journal() else ""
        return (self._read(f"SELECT COALESCE(MAX(batch), 0) FROM (SELECT batch FROM trash_journal{sidecars})")[0][0]
                or 0) + 1

    def journal_intend(self, batch: int, original_path: str, content_hash: str | None, size: int | None) -> int:
        """Record a move to the trash *before* it happens: a process killed during the move leaves a row that
        ``undo`` can finish or reverse (:meth:`journal_moved` completes it, :meth:`journal_forget` drops it)."""
        with self.transaction() as conn:
            return conn.execute(
                "INSERT INTO trash_journal (batch, original_path, content_hash, size, trashed_at) VALUES (?, ?, ?, ?, ?)",
                (batch, to_db(original_path), content_hash, size, now_iso()),
            ).lastrowid

    def journal_moved(self, entry_id: int, trashed_path: str | None) -> None:
        """The move happened: say where the file went, and mark it gone from the library, in one transaction."""
        with self.transaction() as conn:
            conn.execute("UPDATE trash_journal SET trashed_path = ?, moved_at = ? WHERE id = ?",
                         (None if trashed_path is None else to_db(trashed_path), now_iso(), entry_id))
            path = conn.execute("SELECT original_path FROM trash_journal WHERE id = ?", (entry_id,)).fetchone()[0]
            conn.execute("UPDATE files SET missing_since = ? WHERE path = ? AND missing_since IS NULL",
                         (now_iso(), path))

    def journal_forget(self, entry_id: int) -> None:
        """The intended move did not happen: the file never left its place."""
        with self.transaction() as conn:
            conn.execute("DELETE FROM trash_journal WHERE id = ?", (entry_id,))

    def journal(self, batch: int | None = None, *, only_pending: bool = False) -> list[JournalEntry]:
        """Journal entries, newest batch first; ``only_pending`` leaves out restored ones."""
        where, params = _batch_filter(batch, only_pending)
        rows = self._read(f"SELECT {_JOURNAL_COLUMNS} FROM trash_journal {where} ORDER BY batch DESC, id", params)
        return [_journal_entry(r) for r in rows]

    def journal_mark_restored(self, entry_id: int) -> None:
        with self.transaction() as conn:
            conn.execute("UPDATE trash_journal SET restored_at = ? WHERE id = ?", (now_iso(), entry_id))

    # -- sidecar journal ------------------------------------------------------------------------
    # Metadata carried to a keeper is written to its XMP sidecar (engine.keeper_metadata); each write is journaled
    # here before it happens, with the bytes it replaces, so the trash batch's undo can put the sidecar back, also
    # after a crash between the two.

    def _has_sidecar_journal(self) -> bool:
        """False only for a read-only catalog of an older schema (READ_ONLY_MAY_LACK), which holds no sidecar writes."""
        return not self.read_only or SIDECAR_JOURNAL_MIGRATION in self.applied()

    def sidecar_intend(self, batch: int, photo_path: str, sidecar_path: str, previous: bytes | None,
                       written_hash: str) -> int:
        """Record a sidecar write *before* it happens: a process killed during the write leaves a row that the undo
        can finish or drop (:meth:`sidecar_written` completes it, :meth:`sidecar_forget` drops it)."""
        with self.transaction() as conn:
            return conn.execute(
                "INSERT INTO sidecar_journal (batch, photo_path, sidecar_path, previous, written_hash, intended_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (batch, to_db(photo_path), to_db(sidecar_path), previous, written_hash, now_iso()),
            ).lastrowid

    def sidecar_written(self, entry_id: int) -> None:
        """The write happened."""
        with self.transaction() as conn:
            conn.execute("UPDATE sidecar_journal SET written_at = ? WHERE id = ?", (now_iso(), entry_id))

    def sidecar_forget(self, entry_id: int) -> None:
        """The intended write did not happen: the sidecar is as it was."""
        with self.transaction() as conn:
            conn.execute("DELETE FROM sidecar_journal WHERE id = ?", (entry_id,))

    def sidecar_mark_restored(self, entry_id: int) -> None:
        with self.transaction() as conn:
            conn.execute("UPDATE sidecar_journal SET restored_at = ? WHERE id = ?", (now_iso(), entry_id))

    def sidecar_journal(self, batch: int | None = None, *, only_pending: bool = False) -> list[SidecarEntry]:
        """Sidecar writes, newest batch first and in the order they were made within a batch; ``only_pending``
        leaves out restored ones."""
        if not self._has_sidecar_journal():
            return []
        where, params = _batch_filter(batch, only_pending)
        rows = self._read(f"SELECT {_SIDECAR_COLUMNS} FROM sidecar_journal {where} ORDER BY batch DESC, id", params)
        return [_sidecar_entry(r) for r in rows]
