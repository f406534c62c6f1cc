"""Scan benchmarks: full-scan throughput on 12 MP JPEGs, and the rescan of an unchanged 100k library.

Run: .venv/bin/python tests/bench/bench_scan.py [--photos 200] [--repeats 3] [--rescan-files 100000]
      [--cnn-model build/bench/mobilenetv2-random.onnx]

What each figure includes:
- full scan: walk + read + BLAKE2 of the bytes + JPEG draft decode + resize (2 worker processes) +
  ONNX Runtime encode + SQLite commit, into a fresh catalog, wall clock; median of the repeats.
- ImageHash: the same files, one process, ``imagehash.phash(Image.open(path))`` as a user would call it.
- rescan: a catalog that already knows every file (same size and mtime); wall clock of the scan
  that finds nothing to do (walk + compare + mark).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import zipfile
from functools import partial
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from engine.catalog import Catalog, ScanRecord  # noqa: E402
from engine.model import HashModel, default_model_path  # noqa: E402
from engine.scan import BATCH_SIZE, ScanSummary, scan  # noqa: E402

PHOTOS_ZIP = REPO.parent / "shared" / "data" / "photos-free-1024.zip"
WORK = REPO / "build" / "bench"


def make_12mp(dest: Path, count: int, grain: float = 0.0, turned: bool = False) -> list[Path]:
    """Upscale the shared photos to 4000×3000 and save at quality 90 (cached between runs).

    Upscaled photos are smoother than a camera's (about 0.9 MB each at q90); ``grain`` adds
    Gaussian sensor-like noise of that standard deviation so the files carry a camera's entropy
    (σ = 4 gives about 4 MB, like a real 12 MP JPEG) and the decoder does the work it does on them.
    """
    import numpy as np
    from PIL import Image

    dest.mkdir(parents=True, exist_ok=True)
    existing = sorted(dest.glob("*.jpg"))
    if len(existing) >= count:
        return existing[:count]
    if not PHOTOS_ZIP.exists():
        sys.exit(f"needs {PHOTOS_ZIP} (shared data file is missing)")
    with zipfile.ZipFile(PHOTOS_ZIP) as zf:
        names = sorted(n for n in zf.namelist() if n.lower().endswith(".jpg"))
        for i in range(count):
            target = dest / f"{i:04d}.jpg"
            if target.exists():
                continue
            with zf.open(names[i % len(names)]) as fh:
                img = Image.open(fh).convert("RGB")
            if i >= len(names):  # a different picture, not a byte copy: mirror and shift the crop
                img = img.transpose(Image.FLIP_LEFT_RIGHT).crop((i % 7, 0, img.width, img.height))
            img = img.resize((4000, 3000), Image.BICUBIC)
            if turned:  # as a viewer's "rotate" button writes it: a model with a ``turn`` output encodes it twice
                img = img.transpose(Image.ROTATE_90)
            if grain:
                noise = np.random.default_rng(i).normal(0, grain, (3000, 4000, 3))
                img = Image.fromarray(np.clip(np.asarray(img) + noise, 0, 255).astype(np.uint8))
            img.save(target, quality=90)
            print(f"\rmaking 12 MP photos {i + 1}/{count}", end="", file=sys.stderr)
    print(file=sys.stderr)
    return sorted(dest.glob("*.jpg"))[:count]


def timed_scan(folder: Path, model: HashModel, workers: int | None) -> tuple[float, ScanSummary]:
    with tempfile.TemporaryDirectory() as tmp, Catalog(Path(tmp) / "c.sqlite") as catalog:
        start = time.perf_counter()
        summary = list(scan(catalog, [folder], model, workers=workers))[-1]
        return time.perf_counter() - start, summary


def decode_rate(files: list[Path], model: HashModel, workers: int | None) -> tuple[float, list]:
    """Photos a second of the scan's decode alone (read, BLAKE2, draft decode, resize), in its own worker pool."""
    import threading

    from engine.file_pool import FilePool
    from engine.images import FileEntry
    from engine.scan import decode_for_model

    entries = [FileEntry(str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files]
    workers = os.cpu_count() if workers is None else workers
    with FilePool(partial(decode_for_model, info=model.info), workers) as pool:
        start = time.perf_counter()
        pixels = [result[0] for _, result in pool.run(entries, threading.Event())]
        return len(files) / (time.perf_counter() - start), pixels


def jpeg_decoders(files: list[Path], min_side: int) -> None:
    """The same draft decode through Pillow and through OpenCV (both libjpeg-turbo's scaled IDCT), one process,
    so the scan's choice of decoder rests on a figure."""
    import io

    import cv2
    import numpy as np
    from PIL import Image

    cv2.setNumThreads(1)
    data = [p.read_bytes() for p in files]

    def pillow(blob: bytes) -> None:
        image = Image.open(io.BytesIO(blob))
        scale = min(image.size) / min_side
        image.draft("RGB", (int(image.width / scale), int(image.height / scale)))
        image.load()

    def opencv(blob: bytes) -> None:
        cv2.imdecode(np.frombuffer(blob, np.uint8), cv2.IMREAD_REDUCED_COLOR_8 | cv2.IMREAD_IGNORE_ORIENTATION)

    for label, decode in (("Pillow draft", pillow), ("OpenCV IMREAD_REDUCED_COLOR_8", opencv)):
        times = []
        for _ in range(3):
            start = time.perf_counter()
            for blob in data:
                decode(blob)
            times.append((time.perf_counter() - start) / len(data))
        print(f"  JPEG decode at 1/8, one process, {label:30s} median {statistics.median(times) * 1000:5.1f} ms a photo")


def encode_rate(model: HashModel, pixels: list, batch_size: int) -> float:
    """Photos a second of the model alone on the scan's batches, on every core (ONNX Runtime's own threads)."""
    import numpy as np

    start = time.perf_counter()
    for i in range(0, len(pixels), batch_size):
        model.encode_both(np.stack(pixels[i:i + batch_size]))
    return len(pixels) / (time.perf_counter() - start)


def bench_full_scan(args) -> None:
    folder_name = (f"photos-12mp-grain{args.grain:g}" if args.grain else "photos-12mp") + ("-turned" if args.turned else "")
    files = make_12mp(WORK / folder_name, args.photos, args.grain, args.turned)
    folder = files[0].parent
    mean_mb = sum(p.stat().st_size for p in files) / len(files) / 1e6
    models = [(f"default ({default_model_path().stem})", default_model_path())]
    models += [(Path(path).stem, Path(path)) for path in args.cnn_model]
    print(f"\nFull scan of {len(files)} 12 MP JPEGs (4000×3000{', turned a quarter' if args.turned else ''}, q90, "
          f"grain σ={args.grain:g}, mean {mean_mb:.1f} MB), "
          f"{os.cpu_count()} cores")
    jpeg_decoders(files[:30], HashModel.inspect(default_model_path()).info.input_size)
    for label, path in models:
        model = HashModel.load(path)
        timed_scan(folder, model, args.workers)  # warm the page cache
        rates = []
        for _ in range(args.repeats):
            seconds, summary = timed_scan(folder, model, args.workers)
            assert summary.hashed == len(files), summary
            rates.append(len(files) / seconds)
        print(f"  {label:32s} median {statistics.median(rates):6.1f} photos/s   "
              f"(runs: {', '.join(f'{r:.1f}' for r in rates)})")
        decodes, encodes = [], []
        for _ in range(args.repeats):
            rate, pixels = decode_rate(files, model, args.workers)
            decodes.append(rate)
            encodes.append(encode_rate(model, pixels, BATCH_SIZE))
        decode, encode = statistics.median(decodes), statistics.median(encodes)
        limit = 1 / (1 / decode + 1 / encode)  # both on the same cores, one after the other
        print(f"  {'':32s} decode alone {decode:.1f}/s, encode alone {encode:.1f}/s: limit {limit:.1f}/s, "
              f"the scan reaches {statistics.median(rates) / limit:.0%} of it")
        if label.startswith("default"):
            ours = statistics.median(rates)
    import imagehash
    from PIL import Image

    subset = files[: args.imagehash_photos]
    rates = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        for p in subset:
            imagehash.phash(Image.open(p))
        rates.append(len(subset) / (time.perf_counter() - start))
    theirs = statistics.median(rates)
    print(f"  {'ImageHash phash, 1 process':32s} median {theirs:6.1f} photos/s   "
          f"(first {len(subset)} files; runs: {', '.join(f'{r:.1f}' for r in rates)})")
    print(f"  speed-up of the default model over ImageHash: {ours / theirs:.1f}×")


def bench_rescan(args) -> None:
    from PIL import Image

    root = WORK / f"rescan-{args.rescan_files}"
    if not (root / "done").exists():
        root.mkdir(parents=True, exist_ok=True)
        buf = root / "_seed.jpg"
        Image.new("RGB", (16, 16), (120, 30, 200)).save(buf)
        data = buf.read_bytes()
        buf.unlink()
        for i in range(args.rescan_files):
            d = root / f"{i // 1000:03d}"
            d.mkdir(exist_ok=True)
            (d / f"{i:06d}.jpg").write_bytes(data)
        (root / "done").write_text("")
    model = HashModel.load(default_model_path())
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        with Catalog(Path(tmp) / "c.sqlite") as catalog:
            model_id = catalog.register_model(model.model_key, str(model.path), model.info.bits,
                                              model.info.to_metadata())
            records = []
            for d in sorted(p for p in root.iterdir() if p.is_dir()):
                for f in os.scandir(d):
                    st = f.stat()
                    records.append(ScanRecord(f.path, st.st_size, st.st_mtime_ns, "x", 16, 16, "JPEG", None,
                                              b"\0" * 8))
            catalog.save_scanned(model_id, records)
        for _ in range(args.repeats):
            with Catalog(Path(tmp) / "c.sqlite") as catalog:
                start = time.perf_counter()
                summary = list(scan(catalog, [root], model))[-1]
                times.append(time.perf_counter() - start)
                assert summary.hashed == 0 and summary.skipped == args.rescan_files, summary
    print(f"\nRescan of an unchanged library of {args.rescan_files} files: median {statistics.median(times):.2f} s "
          f"(runs: {', '.join(f'{t:.2f}' for t in times)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=int, default=200)
    parser.add_argument("--imagehash-photos", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--grain", type=float, default=0.0, help="sensor-like noise σ added to the 12 MP files")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--rescan-files", type=int, default=100_000)
    parser.add_argument("--cnn-model", action="append", default=[],
                        help="a MobileNet-sized ONNX hash model to time as well (repeatable)")
    parser.add_argument("--turned", action="store_true", help="every 12 MP photo turned a quarter (3000×4000)")
    parser.add_argument("--skip-full", action="store_true")
    parser.add_argument("--skip-rescan", action="store_true")
    args = parser.parse_args()
    if not args.skip_full:
        bench_full_scan(args)
    if not args.skip_rescan:
        bench_rescan(args)


if __name__ == "__main__":
    main()
