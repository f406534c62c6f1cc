"""What finding the catalog's stacks (engine.stacks.catalog_stacks) adds to every grouping, on a synthetic catalog of
--files rows (500 a folder), without RAWs and with one RAW+JPEG pair in every ten files. Prints medians of --repeats.

    .venv/bin/python tests/bench/bench_stacks.py [--files 100000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from engine.catalog import Catalog, ScanRecord  # noqa: E402
from engine.stacks import catalog_stacks  # noqa: E402


def catalog_of(path: str, files: int, raws: bool) -> Catalog:
    catalog = Catalog(path)
    model = catalog.register_model("bench", "/bench.onnx", 64, {})
    records = []
    for i in range(files):
        stem = f"IMG_{i // 2 if i % 10 in (0, 1) else i:06d}"  # files 10k and 10k+1 share a name: a RAW and its JPEG
        ext = ".CR2" if raws and i % 10 == 0 else ".JPG"
        records.append(ScanRecord(f"/library/{i // 500:04d}/{stem}{ext}", 1000, 1, f"h{i}", 10, 10, "JPEG",
                                  "2024-01-01T00:00:00", b"\0" * 8))
    catalog.save_scanned(model, records)
    return catalog


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for raws in (False, True):
            with catalog_of(os.path.join(tmp, f"{raws}.sqlite"), args.files, raws) as catalog:
                times = []
                for _ in range(args.repeats):
                    start = time.perf_counter()
                    stacks = catalog_stacks(catalog)
                    times.append(time.perf_counter() - start)
            print(f"{args.files:,} files, {'a RAW+JPEG pair in ten' if raws else 'no RAW'}: "
                  f"{statistics.median(times):.3f} s (median of {args.repeats}), {len(stacks.others):,} stacks")


if __name__ == "__main__":
    main()
