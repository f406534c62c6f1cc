"""How long the walk takes to find photos among other files (each name that is not an image's is sniffed: 16 bytes,
opened non-blocking). Prints the median of --repeats walks, warm cache.

    .venv/bin/python tests/bench/bench_walk.py [--folders 20] [--photos 25] [--others 75] [--repeats 9]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from engine.images import walk

OTHER_KINDS = [".txt", ".md", ".json", ".xml", ".xmp", ".csv", ".html", ".pdf", ".doc", ".db", ".ini", ".log", ".mp3",
               ".wav", ".zip", ".gz", ".py", ".js", ".css", ".svg"]
JPEG_HEAD = b"\xff\xd8\xff\xe0" + bytes(4092)  # the walk reads 16 bytes at most; the content need not decode


def build(root: Path, folders: int, photos: int, others: int) -> int:
    for d in range(folders):
        folder = root / str(d)
        folder.mkdir()
        for i in range(photos):
            (folder / f"p{i}.jpg").write_bytes(JPEG_HEAD)
        for i in range(others):
            (folder / f"f{i}{OTHER_KINDS[i % len(OTHER_KINDS)]}").write_bytes(b"x" * 200)
    return folders * (photos + others)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folders", type=int, default=20)
    parser.add_argument("--photos", type=int, default=25)
    parser.add_argument("--others", type=int, default=75)
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        files = build(Path(tmp), args.folders, args.photos, args.others)
        found = sum(1 for _ in walk([tmp]))  # warms the cache
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            sum(1 for _ in walk([tmp]))
            times.append(time.perf_counter() - start)
    print(f"walk: {files} files, {found} photos found; median {statistics.median(times) * 1000:.1f} ms "
          f"(min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f}) over {args.repeats} walks")


if __name__ == "__main__":
    main()
