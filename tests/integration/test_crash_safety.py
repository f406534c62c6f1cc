"""A scan killed with SIGKILL at several points resumes without corrupting or redoing anything;
a scan and a search can use one catalog at the same time."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from engine.catalog import Catalog
from engine.model import HashModel, default_model_path
from engine.search import search

from ..conftest import REPO, extract_photos

PHOTOS = 60


def start_scan(library, catalog_path, *extra) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "photohash_cli", "scan", "--catalog", str(catalog_path), "--workers", "1",
           "--batch-size", "4", *extra, str(library)]
    return subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def committed_codes(catalog_path) -> int:
    try:
        conn = sqlite3.connect(f"file:{catalog_path}?mode=ro", uri=True, timeout=5)
        try:
            # photos with codes (a model with a similarity code commits two codes a photo, in one transaction)
            return conn.execute("SELECT COUNT(DISTINCT file_id) FROM codes").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return 0  # not created yet


def kill_when(proc, catalog_path, at_least: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while committed_codes(catalog_path) < at_least and proc.poll() is None:
        if time.monotonic() > deadline:
            break
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


@pytest.fixture(scope="module")
def big_library(tmp_path_factory):
    root = tmp_path_factory.mktemp("big")
    extract_photos(root, limit=PHOTOS)
    return root


def test_sigkill_at_several_points_then_resume(tmp_path, big_library):
    catalog_path = tmp_path / "c.sqlite"
    seen = []
    for at_least in (0, 8, 24, 40):
        proc = start_scan(big_library, catalog_path)
        kill_when(proc, catalog_path, at_least)
        with Catalog(catalog_path) as cat:
            assert cat.integrity_check() == "ok"
        seen.append(committed_codes(catalog_path))
    assert seen == sorted(seen), "committed work was lost"
    assert seen[-1] < PHOTOS, "the scan finished before the last kill: nothing was tested"

    before = committed_codes(catalog_path)
    done = subprocess.run(
        [sys.executable, "-m", "photohash_cli", "scan", "--catalog", str(catalog_path), "--json", str(big_library)],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    import json

    summary = json.loads(done.stdout)
    assert summary["hashed"] == PHOTOS - before, "committed work was redone, or some was skipped"
    assert summary["unchanged"] == before
    assert committed_codes(catalog_path) == PHOTOS
    with Catalog(catalog_path) as cat:
        assert cat.integrity_check() == "ok"


def test_scan_and_search_share_a_catalog(tmp_path, big_library):
    catalog_path = tmp_path / "c.sqlite"
    model = HashModel.load(default_model_path())
    query = sorted(big_library.iterdir())[0]
    proc = start_scan(big_library, catalog_path, "--batch-size", "1")  # a commit a photo: more to read beside it
    searches_during_scan = 0
    try:
        while proc.poll() is None:
            if committed_codes(catalog_path) > 0:
                with Catalog(catalog_path) as cat:
                    hits = search(cat, model, query, k=5)
                assert hits
                if proc.poll() is None:
                    searches_during_scan += 1
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    out, err = proc.communicate()
    assert proc.returncode == 0, err.decode()
    assert searches_during_scan > 0, "the scan ended before any search ran beside it"
    with Catalog(catalog_path) as cat:
        hits = search(cat, model, query, k=1)
    assert hits[0].distance == 0 and hits[0].file.path == str(query)
