"""Command start-up, from the shell (issue 26): how long ``photohash-cli`` takes, as a fresh process, for each command
on a small real catalog, beside a bare ``python -c pass`` timed in the same run; and ``search`` on a 100,000-photo
catalog, for a photo the catalog has (its stored code) and one it does not have (the model is loaded to encode it).

Run: .venv/bin/python tests/bench/bench_startup.py [--runs 7] [--photos 100000] [--skip-100k] [--no-steps]
(the 100k catalog is written once, about a minute, and kept in build/bench/startup/.)

Each figure is the median wall time of ``--runs`` fresh processes after one warm-up, stdout thrown away. Two columns:
with Python's bytecode cache (as a pip install has it: the figure a user sees) and without (PYTHONDONTWRITEBYTECODE=1,
every module compiled each run, as this repository's development shell runs). The targets: stats, dupes, search and
undo within 0.3 s; search on the 100k catalog within 1 s.

The 100k catalog is real SQLite written through the real Catalog API with the default model's rows; its codes are
random (simulated photos, paths that are not on disk), but for two real photos: one scanned into it with the model
(the query it has) and one that is not (the query it must encode). After the end-to-end figures, the search's steps
are timed in one process, to show where the time goes.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tools"))

WORK = REPO / "build" / "bench" / "startup"


def cli() -> list[str]:
    """``photohash-cli`` as the console script runs it, from this checkout (run in REPO: an older copy of the
    repository, e.g. one extracted with ``git archive``, times its own code)."""
    return [sys.executable, "-m", "photohash_cli"]


def environments(tmp: Path) -> dict[str, dict[str, str]]:
    base = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
    # the cache goes to a folder of this run's: the checkout is left as it is
    return {"bytecode cached": {**base, "PYTHONPYCACHEPREFIX": str(tmp / "pycache")},
            "no bytecode": {**base, "PYTHONDONTWRITEBYTECODE": "1"}}


def median_wall(command: list[str], env: dict[str, str], runs: int) -> float:
    """Median seconds of ``runs`` fresh processes, after one warm-up (which also fills the bytecode cache)."""
    times = []
    for i in range(runs + 1):
        start = time.perf_counter()
        done = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=REPO)
        if i:
            times.append(time.perf_counter() - start)
        if done.returncode:
            raise SystemExit(f"{' '.join(command)} failed ({done.returncode}): {done.stderr.decode()[-500:]}")
    return statistics.median(times)


def small_catalog(tmp: Path) -> tuple[Path, Path, Path]:
    """(catalog, a photo in it, an empty folder): the sample library scanned with the default model."""
    from make_sample_photos import write_sample

    library = tmp / "library"
    write_sample(library)
    catalog = tmp / "small.sqlite"
    subprocess.run([*cli(), "scan", "--catalog", str(catalog), str(library)], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    empty = tmp / "empty"
    empty.mkdir()
    photo = sorted(library.glob("*.jpg"))[0]
    return catalog, photo, empty


def bench_commands(tmp: Path, runs: int) -> None:
    catalog, photo, empty = small_catalog(tmp)
    c = ["--catalog", str(catalog)]
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "--help": [*cli(), "--help"],
        "stats": [*cli(), "stats", *c],
        "dupes": [*cli(), "dupes", *c],
        "dupes --no-verify": [*cli(), "dupes", "--no-verify", *c],
        "search (photo in catalog)": [*cli(), "search", *c, str(photo)],
        "undo": [*cli(), "undo", *c],
        "scan (empty folder)": [*cli(), "scan", *c, str(empty)],
    }
    envs = environments(tmp)
    print(f"Start-up on a catalog of {len(list((tmp / 'library').rglob('*.jpg')))} photos, median of {runs} fresh "
          f"processes ({os.cpu_count()} CPUs):")
    print(f"{'command':28s}" + "".join(f"{name:>18s}" for name in envs))
    for name, command in commands.items():
        print(f"{name:28s}" + "".join(f"{median_wall(command, env, runs):17.3f}s" for env in envs.values()),
              flush=True)


def big_catalog(photos: int) -> tuple[Path, Path, Path]:
    """(catalog, a real photo in it, a real photo not in it), written once and kept."""
    import numpy as np

    from engine.catalog import Catalog, ScanRecord
    from engine.catalog_models import register_model_rows
    from engine.model import HashModel, default_model_path
    from engine.scan import scan
    from make_sample_photos import write_sample

    folder = WORK / f"search-{photos}"
    catalog_path, inside, outside = folder / "catalog.sqlite", folder / "in" / "query.jpg", folder / "out" / "query.jpg"
    if (folder / "done").exists():
        return catalog_path, inside, outside
    shutil.rmtree(folder, ignore_errors=True)
    write_sample(folder / "sample")
    samples = sorted((folder / "sample").glob("*.jpg"))
    inside.parent.mkdir(parents=True)
    outside.parent.mkdir(parents=True)
    shutil.copyfile(samples[0], inside)
    shutil.copyfile(samples[1], outside)
    model = HashModel.load(default_model_path())
    info = model.info
    rng = np.random.default_rng(26)
    started = time.perf_counter()
    with Catalog(catalog_path) as catalog:
        row, similar_row = register_model_rows(catalog, model)
        for start in range(0, photos - 1, 10_000):
            n = min(10_000, photos - 1 - start)
            codes = rng.integers(0, 256, (n, info.bits // 8), dtype=np.uint8)
            similar = rng.integers(0, 256, (n, max(info.similar_bits, 8) // 8), dtype=np.uint8)
            catalog.save_scanned(row, [
                ScanRecord(f"/simulated/{(start + i) // 1000:04d}/{start + i:07d}.jpg", 2_000_000 + i, 10**18 + i,
                           f"{start + i:032x}", 4000, 3000, "JPEG", None, codes[i].tobytes(),
                           similar_code=similar[i].tobytes() if similar_row else None)
                for i in range(n)], similar_row)
        for _ in scan(catalog, [inside], model):
            pass
        count = catalog.code_counts()[row]
    assert count == photos, count
    print(f"({photos:,}-photo catalog written once in {time.perf_counter() - started:.0f} s: {catalog_path})")
    (folder / "done").write_text("")
    return catalog_path, inside, outside


def bench_search(tmp: Path, photos: int, runs: int, steps: bool) -> None:
    catalog, inside, outside = big_catalog(photos)
    env = environments(tmp)["bytecode cached"]
    print(f"\nsearch on a catalog of {photos:,} photos, end to end from the shell, median of {runs} fresh processes:")
    for name, query in (("a photo in the catalog (stored code)", inside), ("a photo not in it (encoded)", outside)):
        print(f"  {name:40s} {median_wall([*cli(), 'search', '--catalog', str(catalog), str(query)], env, runs):.3f} s",
              flush=True)
    if steps:
        breakdown(catalog, inside, outside)


def breakdown(catalog_path: Path, inside: Path, outside: Path) -> None:
    """The search's steps, timed once each in this process (imports already paid)."""
    from engine.catalog import Catalog
    from engine.catalog_models import catalog_model, similar_row_id
    from engine.model import HashModel, default_model_path
    from engine.search import LibraryIndex, encode_file

    steps = []

    def step(name, fn):
        start = time.perf_counter()
        out = fn()
        steps.append((name, time.perf_counter() - start))
        return out

    with Catalog(catalog_path, write=False) as catalog:
        known = step("model key and metadata from the catalog", lambda: catalog_model(catalog, default_model_path()))
        step("load the codes from SQLite", lambda: catalog.codes(similar_row_id(catalog, known)))
        library = step("load the codes and build the index", lambda: LibraryIndex(catalog, known))
        code = step("stored code of the photo in the catalog", lambda: library.query_code(inside))
        step("first query (k = 20)", lambda: library.index.knn(code, 20))
        step("second query (k = 20)", lambda: library.index.knn(code, 20))
        step("the whole search, again", lambda: library.search(inside))
        step("load the model the catalog knows (ORT only)",
             lambda: HashModel.load(default_model_path(), checked=known))
        model = step("load the model in full (ONNX + ORT)", lambda: HashModel.load(default_model_path()))
        step("decode and encode the photo not in it", lambda: encode_file(model, outside))
    print("  steps, in one process:")
    for name, seconds in steps:
        print(f"    {name:44s} {seconds * 1000:8.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="fresh processes per figure, after one warm-up (7)")
    parser.add_argument("--photos", type=int, default=100_000, help="photos in the big catalog (100000)")
    parser.add_argument("--skip-100k", action="store_true", help="only the small catalog's commands")
    parser.add_argument("--skip-commands", action="store_true", help="only the big catalog's search")
    parser.add_argument("--no-steps", action="store_true", help="without the search's steps timed in one process")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_commands:
            bench_commands(Path(tmp), args.runs)
        if not args.skip_100k:
            bench_search(Path(tmp), args.photos, args.runs, not args.no_steps)


if __name__ == "__main__":
    main()
