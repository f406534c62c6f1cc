"""The Ray scan (engine.cluster, ``photohash-cli scan --ray``) on a local Ray with two CPUs: the same catalog and groups as
a local scan of the same folder, a worker killed mid-run, and a driver killed mid-run then run again.

Real photos, the real default model in ONNX Runtime, real SQLite catalogs, a real Ray (``ray.init(num_cpus=2)``).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.catalog import Catalog
from engine.catalog_models import model_row_id, similar_row_id
from engine.duplicates import model_groups
from engine.model import HashModel, default_model_path
from engine.scan import ScanProgress, ScanSummary, scan

from ..conftest import REPO, build_library, extract_photos


def needs_ray() -> None:
    pytest.importorskip("ray.data", reason="needs Ray for the cluster scan: pip install 'photohash[cluster]'")
    if sys.platform != "linux":
        pytest.skip("the kill tests find Ray's worker processes in /proc")


def scan_ray(*args, **kwargs):
    from engine.cluster import scan_ray

    return scan_ray(*args, **kwargs)


HASHER_TITLE = b"MapBatches(_Hasher)"  # in the process title Ray gives a hashing actor


@pytest.fixture(scope="module")
def model():
    return HashModel.load(default_model_path())


@pytest.fixture(scope="module")
def local_ray():
    needs_ray()
    import ray as ray_core

    ray_core.init(num_cpus=2, include_dashboard=False, logging_level="WARNING", log_to_driver=False)
    yield ray_core
    ray_core.shutdown()


def snapshot(path: Path, model: HashModel) -> tuple[dict, dict, list]:
    """What a scan leaves in a catalog, by path: file rows (metadata and error), both codes, and duplicate groups."""
    with Catalog(path) as catalog:
        files = {r.path: (r.size, r.mtime_ns, r.content_hash, r.width, r.height, r.format, r.captured_at, r.error,
                          r.camera, r.has_gps, r.missing_since) for r in catalog.all_files(include_missing=True)}
        codes = {}
        for kind, row in (("duplicate", model_row_id(catalog, model)), ("similar", similar_row_id(catalog, model))):
            ids, packed = catalog.codes(row)
            rows = catalog.files(ids.tolist())
            codes[kind] = {rows[int(i)].path: packed[k].tobytes() for k, i in enumerate(ids)}
        groups = sorted(sorted(m.file.path for m in g.members) for g in model_groups(catalog, model))
    return files, codes, groups


def local_snapshot(tmp_path: Path, root: Path, model: HashModel):
    with Catalog(tmp_path / "local.sqlite") as catalog:
        summary = list(scan(catalog, [root], model, workers=2))[-1]
    assert isinstance(summary, ScanSummary)
    return snapshot(tmp_path / "local.sqlite", model)


def hasher_pids() -> list[int]:
    """The processes Ray runs hashing actors in (by their process title)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if HASHER_TITLE in (entry / "cmdline").read_bytes():
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def test_a_ray_scan_gives_the_local_scans_catalog_and_groups(tmp_path, local_ray, model):
    library = build_library(tmp_path / "library")
    with Catalog(tmp_path / "ray.sqlite") as catalog:
        events = list(scan_ray(catalog, [library.root], model, batch_size=8))
    summary = events[-1]
    assert isinstance(summary, ScanSummary)
    assert (summary.found, summary.hashed, summary.failed) == (len(library.photos) + 1, len(library.photos), 1)
    assert [f.path for f in summary.failures] == [str(library.broken)]
    assert any(isinstance(e, ScanProgress) and e.phase == "hashing" and 0 < e.done < e.total for e in events)

    files, codes, groups = snapshot(tmp_path / "ray.sqlite", model)
    local_files, local_codes, local_groups = local_snapshot(tmp_path, library.root, model)
    assert files == local_files  # the same rows, the broken file's reason word for word
    assert files[str(library.broken)][7] and len(codes["duplicate"]) == len(library.photos)
    assert codes == local_codes
    assert groups == local_groups
    assert any(str(library.exact_copy) in g for g in groups)

    # a second Ray scan finds nothing to do, as a local rescan would
    with Catalog(tmp_path / "ray.sqlite") as catalog:
        again = list(scan_ray(catalog, [library.root], model))[-1]
    assert (again.hashed, again.failed, again.skipped) == (0, 0, summary.found)


def test_a_hashing_worker_killed_mid_run_loses_no_file(tmp_path, local_ray, model):
    root = tmp_path / "photos"
    photos = extract_photos(root, limit=40)
    killed: list[int] = []
    stale = set(hasher_pids())  # actors of an earlier scan, perhaps still ending: killing one would prove nothing
    with Catalog(tmp_path / "ray.sqlite") as catalog:
        events = []
        for event in scan_ray(catalog, [root], model, batch_size=4, files_per_task=4):
            events.append(event)
            if not killed and isinstance(event, ScanProgress) and event.phase == "hashing" and event.done:
                pids = [pid for pid in hasher_pids() if pid not in stale]
                assert pids, "no hashing actor process of this scan found to kill"
                os.kill(pids[0], signal.SIGKILL)
                killed.append(pids[0])
                left_at_kill = event.total - event.done
    assert killed and left_at_kill > 0, "the worker must die while there is work left"
    assert not Path(f"/proc/{killed[0]}").exists() or b"Z" in Path(f"/proc/{killed[0]}/stat").read_bytes().split()[2]
    summary = events[-1]
    assert (summary.hashed, summary.failed) == (len(photos), 0)
    files, codes, _ = snapshot(tmp_path / "ray.sqlite", model)
    _, local_codes, _ = local_snapshot(tmp_path, root, model)
    assert codes == local_codes


def committed(catalog: Path) -> int:
    try:
        with sqlite3.connect(f"file:{catalog}?mode=ro", uri=True, timeout=5) as db:
            return db.execute("SELECT count(*) FROM files").fetchone()[0]
    except sqlite3.OperationalError:  # not made yet
        return 0


def test_a_ray_scan_whose_driver_is_killed_resumes_to_the_local_scans_catalog(tmp_path, model):
    """The driver (``photohash-cli scan --ray local``, its own local Ray) is SIGKILLed after some batches are committed;
    the same command run again finishes the rest, and the catalog is a local scan's."""
    needs_ray()
    root = tmp_path / "photos"
    photos = extract_photos(root, limit=60)
    (root / "broken.jpg").write_bytes(photos[0].read_bytes()[:2000])
    catalog = tmp_path / "ray.sqlite"
    command = [sys.executable, "-m", "photohash_cli", "scan", str(root), "--catalog", str(catalog), "--json",
               "--batch-size", "4", "--ray", "local"]
    env = {**os.environ, "PYTHONPATH": str(REPO), "RAY_DEDUP_LOGS": "0"}
    driver = subprocess.Popen(command, env=env, cwd=tmp_path, start_new_session=True, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while committed(catalog) < 8 and driver.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(driver.pid, signal.SIGKILL)
        driver.wait(10)
        at_kill = committed(catalog)
    finally:
        try:
            os.killpg(driver.pid, signal.SIGKILL)  # what Ray left of the killed driver's cluster
        except ProcessLookupError:
            pass
    assert driver.returncode == -signal.SIGKILL, driver.stderr.read().decode()[-2000:]
    assert 8 <= at_kill < len(photos) + 1, f"killed with {at_kill} of {len(photos) + 1} files committed"

    rerun = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    report = json.loads(rerun.stdout)
    assert report["unchanged"] == at_kill and report["hashed"] + report["failed"] == len(photos) + 1 - at_kill
    assert snapshot(catalog, model) == local_snapshot(tmp_path, root, model)


def test_without_the_cluster_extra_ray_is_one_line_naming_it(tmp_path):
    """Where Ray is not installed (here: its import blocked), ``--ray`` says how to install it, and touches nothing."""
    code = ("import sys; sys.modules['ray'] = None; from photohash_cli import main; "
            f"sys.exit(main(['scan', {str(tmp_path)!r}, '--catalog', {str(tmp_path / 'c.sqlite')!r}, '--ray']))")
    result = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(REPO)},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr == ("photohash-cli: error: the Ray scan needs the cluster extra: "
                             "pip install 'photohash[cluster]'\n")
    assert not (tmp_path / "c.sqlite").exists()


def test_a_folder_taken_as_the_ray_address_is_one_line(tmp_path):
    """``scan --ray /photos /more``: argparse gives the first folder to --ray and would scan only the second; that is
    said, before Ray or the catalog is touched."""
    photos, more = tmp_path / "photos", tmp_path / "more"
    photos.mkdir()
    more.mkdir()
    code = ("import sys; from photohash_cli import main; "
            f"sys.exit(main(['scan', '--catalog', {str(tmp_path / 'c.sqlite')!r}, '--ray', {str(photos)!r}, "
            f"{str(more)!r}]))")
    result = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(REPO)},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert result.stderr == (f"photohash-cli: error: --ray took {photos} as the cluster's address: put the folders "
                             "first, or give the address (--ray auto)\n")
    assert not (tmp_path / "c.sqlite").exists()
