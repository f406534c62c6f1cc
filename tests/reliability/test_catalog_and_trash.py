"""Issue 20's catalog and trash cases: names that are not UTF-8, a kill between a move and its journal row, a file
edited in place, a full disk, a read-only or immutable catalog, another program's SQLite file, and the CLI's
exit codes and paths. Each ran against a real catalog file and the real CLI; each failed before its fix."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from engine.catalog import Catalog
from engine.errors import CatalogError
from engine.model import HashModel, default_model_path
from engine.scan import scan

from ..conftest import REPO, extract_photos, user_trash


def cli(*args, prefix: list[str] = (), code: str | None = None) -> subprocess.CompletedProcess:
    """The real CLI in its own process (``code``: a Python prelude that stands in for ``python -m photohash_cli``)."""
    cmd = [*prefix, sys.executable] + (["-c", code] if code else ["-m", "photohash_cli"]) + [os.fsdecode(a) for a in args]
    return subprocess.run(cmd, cwd=REPO, capture_output=True, timeout=180)


def one_line(err: bytes) -> str:
    text = err.decode("utf-8", "replace").strip()
    assert "Traceback" not in text, text
    assert len(text.splitlines()) == 1, text
    return text


@pytest.fixture
def twins(tmp_path) -> tuple[Path, Path, bytes]:
    """A folder with a photo and an exact copy whose name is not UTF-8 (byte 0xff)."""
    folder = tmp_path / "d"
    photo = extract_photos(folder, limit=1)[0]
    odd = os.path.join(os.fsencode(folder), b"~x\xff.jpg")
    with open(odd, "wb") as fh:
        fh.write(photo.read_bytes())
    return folder, Path(os.fsdecode(odd)), photo.read_bytes()


# -- 1. names that are not UTF-8 ------------------------------------------------------------------------------------

def test_a_name_that_is_not_utf8_is_scanned_shown_trashed_and_restored(tmp_path, twins):
    folder, odd, data = twins
    catalog = tmp_path / "c.sqlite"
    done = cli("scan", folder, "--catalog", catalog)
    assert done.returncode == 0, done.stderr
    assert b"2 hashed" in done.stdout

    listed = cli("dupes", "--catalog", catalog, "--json")
    assert listed.returncode == 0, listed.stderr
    paths = [f["path"] for g in json.loads(listed.stdout)["groups"] for f in g["files"]]
    assert os.fsencode(str(odd)) in [os.fsencode(p) for p in paths], paths  # the JSON form gives the bytes back
    text = cli("dupes", "--catalog", catalog)
    assert b"~x\\xff.jpg" in text.stdout, text.stdout  # shown escaped, on one line

    moved = cli("trash", "--catalog", catalog, "--yes")
    assert moved.returncode == 0, moved.stderr
    assert not os.path.lexists(odd)
    back = cli("undo", "--catalog", catalog, "--yes")
    assert back.returncode == 0, back.stderr
    assert odd.read_bytes() == data


# -- 2. killed between the move and the journal -----------------------------------------------------------------------

KILL_AFTER_MOVE = """
import os, signal, sys
import engine.trash as trash
real = trash.send2trash
def move_then_die(path):
    real(path)
    os.kill(os.getpid(), signal.SIGKILL)
trash.send2trash = move_then_die
from photohash_cli import main
sys.exit(main(sys.argv[1:]))
"""
KILL_BEFORE_MOVE = KILL_AFTER_MOVE.replace("    real(path)\n", "")


@pytest.mark.parametrize("prelude", [KILL_AFTER_MOVE, KILL_BEFORE_MOVE], ids=["after-move", "before-move"])
def test_a_trash_killed_around_the_move_is_undone(tmp_path, twins, prelude):
    folder, odd, data = twins
    catalog = tmp_path / "c.sqlite"
    assert cli("scan", folder, "--catalog", catalog).returncode == 0
    killed = cli("trash", "--catalog", catalog, "--yes", code=prelude)
    assert killed.returncode == -9
    if prelude is KILL_AFTER_MOVE:
        assert not os.path.lexists(odd), "the kill came after the move"
    back = cli("undo", "--catalog", catalog, "--yes")
    assert back.returncode == 0, back.stderr
    assert odd.read_bytes() == data
    with Catalog(catalog) as c:
        assert c.journal(only_pending=True) == []
        assert c.file_by_path(str(odd)).missing_since is None
    assert not any(p.name.startswith("~x") for p in (user_trash() / "files").glob("*")), "a copy stayed in the trash"


# -- 3. a file edited in place with the same size and mtime -----------------------------------------------------------

def test_a_file_edited_in_place_is_not_trashed(tmp_path, twins):
    folder, odd, data = twins
    catalog = tmp_path / "c.sqlite"
    assert cli("scan", folder, "--catalog", catalog).returncode == 0
    st = os.stat(odd)
    edited = bytearray(data)
    edited[len(edited) // 2] ^= 0xFF  # same size
    odd.write_bytes(bytes(edited))
    os.utime(odd, ns=(st.st_atime_ns, st.st_mtime_ns))  # same mtime

    moved = cli("trash", "--catalog", catalog, "--yes")
    assert moved.returncode == 1
    assert b"contents changed since the last scan" in moved.stderr, moved.stderr
    assert odd.read_bytes() == bytes(edited)


# -- 4. a full disk, a read-only or immutable catalog -----------------------------------------------------------------

def test_a_full_disk_is_one_line_and_the_catalog_stays_intact(tmp_path, photos_dir):
    model = HashModel.load(default_model_path())
    path = tmp_path / "c.sqlite"
    with Catalog(path) as catalog:
        list(scan(catalog, [extract_photos(tmp_path / "first", limit=2)[0].parent], model, workers=0))
    with Catalog(path) as catalog:
        catalog._conn.execute("VACUUM")  # no free space left inside the file's pages
        pages = catalog._conn.execute("PRAGMA page_count").fetchone()[0]
        catalog._conn.execute(f"PRAGMA max_page_count = {pages}")  # SQLite's own way to fill the disk
        more = tmp_path / "more"
        more.mkdir()
        for n, photo in enumerate(sorted(photos_dir.iterdir())):  # long names: rows that cannot fit the pages left
            (more / f"{n:02d}-{'long name ' * 20}.jpg").write_bytes(photo.read_bytes())
        with pytest.raises(CatalogError) as caught:
            list(scan(catalog, [more], model, workers=0, batch_size=4))
    message = str(caught.value)
    assert "disk is full" in message and "\n" not in message and "no transaction" not in message
    with Catalog(path) as catalog:
        assert catalog.integrity_check() == "ok"
        saved = catalog.stats()["files"]  # the batches committed before the disk filled, each whole
        model_id = catalog.model_by_key(model.model_key).id
        assert saved >= 2 and (saved - 2) % 4 == 0 and len(catalog.codes(model_id)[0]) == saved


@pytest.fixture
def shared_catalog(tmp_path_factory):
    """A scanned catalog and its photos in a folder another user can read but not write."""
    top = Path(tempfile.mkdtemp(prefix="photohash-ro-"))
    try:
        photos = extract_photos(top / "photos", limit=3)
        catalog = top / "c.sqlite"
        assert cli("scan", top / "photos", "--catalog", catalog).returncode == 0
        for p in [top, top / "photos", catalog, *photos]:
            p.chmod(0o755 if p.is_dir() else 0o644)
        yield catalog, photos
    finally:
        shutil.rmtree(top, ignore_errors=True)


def check_read_only(catalog: Path, photo: Path, **how) -> None:
    for args in (["stats"], ["dupes"], ["search", photo]):
        done = cli(*args, "--catalog", catalog, **how)
        assert done.returncode == 0, (args, done.stderr)
    assert b"read-only" in cli("stats", "--catalog", catalog, **how).stdout
    scanned = cli("scan", photo.parent, "--catalog", catalog, **how)
    assert scanned.returncode == 1
    assert "read-only" in one_line(scanned.stderr)


def test_a_read_only_catalog_is_read_and_never_written(shared_catalog):
    """The catalog and its folder read-only to their owner. Root ignores permissions, so a root test run drops the
    capabilities that let it (setpriv), as a normal user would run the CLI."""
    catalog, photos = shared_catalog
    catalog.chmod(0o444)
    catalog.parent.chmod(0o555)
    prefix = []
    if os.geteuid() == 0:
        prefix = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search,-fowner", "--"]
        if not shutil.which("setpriv"):
            pytest.skip("needs setpriv (util-linux) to run the CLI as root without its permission override")
    try:
        before = catalog.read_bytes()
        check_read_only(catalog, photos[0], prefix=prefix)
        assert catalog.read_bytes() == before
        assert sorted(p.name for p in catalog.parent.iterdir()) == ["c.sqlite", "photos"]
    finally:
        catalog.parent.chmod(0o755)


def test_an_unreadable_catalog_is_one_line(shared_catalog):
    """A catalog its user may not read: connecting itself fails, and the read-only retry then had no connection to
    close (AttributeError traceback)."""
    catalog, _ = shared_catalog
    catalog.chmod(0)
    prefix = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search,-fowner", "--"] if os.geteuid() == 0 else []
    if prefix and not shutil.which("setpriv"):
        pytest.skip("needs setpriv (util-linux) to run the CLI as root without its permission override")
    done = cli("stats", "--catalog", catalog, prefix=prefix)
    assert done.returncode == 1
    assert "cannot open catalog" in one_line(done.stderr)


def test_an_immutable_catalog_is_read_and_never_written(shared_catalog):
    catalog, photos = shared_catalog
    if subprocess.run(["chattr", "+i", str(catalog)], capture_output=True).returncode:
        pytest.skip("chattr +i is not possible here (needs root and a file system with attributes)")
    try:
        check_read_only(catalog, photos[0])
    finally:
        subprocess.run(["chattr", "-i", str(catalog)])


def test_another_programs_sqlite_file_is_refused_untouched(tmp_path):
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE contacts (name TEXT)")
        conn.execute("INSERT INTO contacts VALUES ('Ada')")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(CatalogError, match="not a PhotoHash catalog"):
        Catalog(path)
    assert path.read_bytes() == before  # not even switched to WAL (header bytes 18-19)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.sqlite"]


# -- the CLI's answers ------------------------------------------------------------------------------------------------

def test_read_commands_refuse_a_missing_catalog_without_creating_it(tmp_path):
    typo = tmp_path / "catlog.sqlite"
    for args in (["stats"], ["dupes"], ["undo"]):
        done = cli(*args, "--catalog", typo)
        assert done.returncode == 1, (args, done.stderr)
        assert "does not exist" in one_line(done.stderr)
    assert not typo.exists()


def test_exit_codes_version_and_absolute_paths(tmp_path, twins, monkeypatch):
    folder, odd, _ = twins
    missing = cli("scan", tmp_path / "does-not-exist", "--catalog", tmp_path / "c.sqlite")
    assert missing.returncode == 1 and b"does-not-exist" in missing.stderr

    version = cli("--version")
    assert version.returncode == 0 and version.stdout.startswith(b"photohash-cli ")

    assert cli("scan", folder, "--catalog", tmp_path / "c.sqlite").returncode == 0
    no_codes = cli("search", odd, "--catalog", tmp_path / "c.sqlite", "--model", "phash64")  # never scanned with it
    assert no_codes.returncode == 1, no_codes.stderr  # an expected state, not a usage error (2)
    assert "no codes" in one_line(no_codes.stderr)

    photo = next(p for p in folder.iterdir() if p.name.endswith(".jpg") and p.name != odd.name)
    done = subprocess.run([sys.executable, "-m", "photohash_cli", "search", photo.name, "--catalog", "../c.sqlite",
                           "--json"], cwd=folder, capture_output=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["query"] == str(photo)
    stats = subprocess.run([sys.executable, "-m", "photohash_cli", "stats", "--catalog", "../c.sqlite", "--json"],
                           cwd=folder, capture_output=True, timeout=120, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert json.loads(stats.stdout)["catalog"] == str(tmp_path / "c.sqlite")
