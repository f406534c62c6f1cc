"""A 2-worker local Ray scan (engine.cluster.scan_ray) beside the local pool (engine.scan.scan, workers=2) on the same
12 MP JPEGs, and from the measured rate, the time and cost of 10M and 100M photos on N nodes, on paper.

Run: .venv/bin/python tests/bench/bench_ray_scan.py [--photos 80] [--copies 3] [--repeats 3] [--nodes 1 10 100]
      [--node-cores 16] [--node-price 0.68]

What each figure includes:
- local: walk + decode in 2 worker processes + ONNX Runtime encode + SQLite commits, a fresh catalog; wall clock.
- Ray: the same walk on the driver, then Ray Data with 2 hashing actors (one CPU each: decode in the actor's
  one-process pool, ONNX Runtime on one thread) and the commits on the driver; wall clock, including the actors'
  start (model bytes from the object store, ORT session) every scan pays. ``ray.init`` (start-up of a local Ray) is
  timed apart: a cluster is started once, not per scan.
- driver commit limit: records/s ``Catalog.save_scanned`` takes in batches of 32 (synthetic records): the most a
  driver can take in, whatever the cluster's size.
The paper figures take the Ray scan's per-core rate past its fixed cost (the wall time less that of a 2-photo Ray
scan: a cluster's actors start once per scan, not per photo), scale it to a node of ``--node-cores`` cores, linearly (an assumption:
decode and encode are per-file work with no sharing; memory bandwidth and storage are not modelled), at
``--node-price`` dollars an hour (an assumption: about a 16-vCPU general-purpose cloud VM's on-demand price).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_scan import WORK, make_12mp  # noqa: E402
from engine.catalog import Catalog, ScanRecord  # noqa: E402
from engine.model import HashModel, default_model_path  # noqa: E402
from engine.scan import ScanSummary, scan  # noqa: E402


def local_scan(files: list[Path], model: HashModel, folder: Path) -> float:
    with tempfile.TemporaryDirectory() as tmp, Catalog(Path(tmp) / "c.sqlite") as catalog:
        start = time.perf_counter()
        summary = list(scan(catalog, [folder], model, workers=2))[-1]
        seconds = time.perf_counter() - start
    assert isinstance(summary, ScanSummary) and summary.hashed == len(files), summary
    return seconds


def ray_scan(files: list[Path], model: HashModel, folder: Path) -> float:
    """Wall seconds of the scan."""
    from engine.cluster import scan_ray

    with tempfile.TemporaryDirectory() as tmp, Catalog(Path(tmp) / "c.sqlite") as catalog:
        start = time.perf_counter()
        for event in scan_ray(catalog, [folder], model, workers=2):
            pass
        seconds = time.perf_counter() - start
    assert isinstance(event, ScanSummary) and event.hashed == len(files), event
    return seconds


def commit_rate(model: HashModel, records: int = 20_000) -> float:
    """Records per second the driver's catalog takes, in the scan's batches of 32."""
    import numpy as np

    rng = np.random.default_rng(0)
    code_bytes = model.info.bits // 8
    with tempfile.TemporaryDirectory() as tmp, Catalog(Path(tmp) / "c.sqlite") as catalog:
        from engine.catalog_models import register_model_rows

        model_id, similar_id = register_model_rows(catalog, model)
        batch = []
        start = time.perf_counter()
        for i in range(records):
            batch.append(ScanRecord(f"/library/{i // 1000:05d}/{i:09d}.jpg", 3_000_000 + i, 1_700_000_000_000_000_000 + i,
                                    content_hash=f"{i:032x}", width=4000, height=3000, format="JPEG",
                                    code=rng.integers(0, 256, code_bytes, dtype=np.uint8).tobytes(),
                                    similar_code=rng.integers(0, 256, model.info.similar_bits // 8,
                                                              dtype=np.uint8).tobytes() if similar_id else None))
            if len(batch) == 32:
                catalog.save_scanned(model_id, batch, similar_id)
                batch.clear()
        return records / (time.perf_counter() - start)


def human(seconds: float) -> str:
    return f"{seconds / 86400:.1f} days" if seconds >= 86400 else f"{seconds / 3600:.1f} h"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=80)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--copies", type=int, default=3, help="links to each file in the library (more work, same files)")
    parser.add_argument("--nodes", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--node-cores", type=int, default=16, help="cores of the node on paper (assumption)")
    parser.add_argument("--node-price", type=float, default=0.68,
                        help="dollars an hour for such a node, on demand (assumption)")
    args = parser.parse_args()

    import ray

    files = make_12mp(WORK / "photos-12mp", args.photos)
    with tempfile.TemporaryDirectory() as tmp:  # the first N files, each under --copies names, as a library
        folder, tiny = Path(tmp) / "library", Path(tmp) / "tiny"
        folder.mkdir()
        tiny.mkdir()
        for f in files:
            for k in range(args.copies):
                (folder / f"{f.stem}-{k}.jpg").symlink_to(f)
        for f in files[:2]:
            (tiny / f.name).symlink_to(f)
        files = sorted(folder.iterdir())
        model = HashModel.load(default_model_path())
        local_scan(files, model, folder)  # warm the page cache (not counted)

        start = time.perf_counter()
        ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING", log_to_driver=False)
        init_s = time.perf_counter() - start
        local_s, ray_s, tiny_s = [], [], []
        for _ in range(args.repeats):  # interleaved, so drift in the machine's load hits both alike
            local_s.append(local_scan(files, model, folder))
            ray_s.append(ray_scan(files, model, folder))
            tiny_s.append(ray_scan(files[:2], model, tiny))  # a scan's fixed cost: actors' start, 2 photos
        ray.shutdown()
        commits = commit_rate(model)

    n = len(files)
    local_rate, ray_rate = n / statistics.median(local_s), n / statistics.median(ray_s)
    print(f"{n} × 12 MP JPEG ({n // args.copies} files, {args.copies} names each), default model ({model.path.name}), "
          f"medians of {args.repeats}")
    print(f"  local scan, 2 decode workers: {statistics.median(local_s):.2f} s = {local_rate:.1f} photos/s "
          f"(runs {', '.join(f'{s:.2f}' for s in local_s)})")
    print(f"  Ray scan, 2 hashing actors:   {statistics.median(ray_s):.2f} s = {ray_rate:.1f} photos/s "
          f"(runs {', '.join(f'{s:.2f}' for s in ray_s)})")
    fixed = statistics.median(tiny_s)
    steady_rate = n / max(statistics.median(ray_s) - fixed, 1e-9)
    print(f"  Ray / local: {ray_rate / local_rate:.2f}× end to end; past its fixed cost the Ray scan hashes "
          f"{steady_rate:.1f} photos/s = {steady_rate / local_rate:.2f}× the local scan's whole-run rate")
    print(f"  Ray start-up: ray.init {init_s:.1f} s (once per cluster); each scan's fixed cost {fixed:.1f} s "
          f"(a Ray scan of 2 photos: the actors' start, the model through the object store, one batch)")
    print(f"  driver commit limit: {commits:,.0f} records/s (save_scanned, batches of 32)")

    per_core = steady_rate / 2
    node_rate = per_core * args.node_cores
    print(f"\nOn paper: {per_core:.1f} photos/s per core (the Ray scan's rate past its fixed cost, here), × {args.node_cores} cores = "
          f"{node_rate:.0f} photos/s per node (assumed linear); ${args.node_price:.2f}/h per node (assumed on-demand "
          f"price of a {args.node_cores}-vCPU VM)")
    for photos in (10_000_000, 100_000_000):
        for nodes in args.nodes:
            rate = min(nodes * node_rate, commits)
            seconds = photos / rate + fixed
            cost = nodes * seconds / 3600 * args.node_price
            bound = " (driver commit bound)" if nodes * node_rate > commits else ""
            print(f"  {photos / 1e6:>4.0f}M photos, {nodes:>3} nodes: {human(seconds):>9}, ${cost:,.0f}{bound}")
    print(f"  (+ the driver's walk of the library; the storage must serve {node_rate * max(args.nodes):,.0f} "
          f"files/s at {max(args.nodes)} nodes: at ~4 MB a 12 MP JPEG, {node_rate * max(args.nodes) * 4 / 1000:.1f} GB/s)")


if __name__ == "__main__":
    main()
