"""How fast a camera RAW is hashed, against a JPEG on the same core (issue 25's target: 20 RAWs a second a core
through the embedded preview). Prints its figures (docs/benchmark.md, "RAW photos").

Per file, what a scan does: the worker's read and decode to the model's input (engine.scan.decode_for_model: the
preview where it is large enough, else a half-size demosaic), then the model's code (one ONNX Runtime thread, in
batches of 32, the time shared out). The RAWs are the real samples in ../data-raw (see its PROVENANCE.md), and a
DNG made from a shared photo with no preview (so LibRaw demosaics it); the peer is that shared photo as a JPEG.

    .venv/bin/python tests/bench/bench_raw.py [--repeats 15]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from engine.model import HashModel, default_model_path  # noqa: E402
from engine.scan import decode_for_model  # noqa: E402

RAW_SAMPLES = REPO.parent / "data-raw"
SAMPLES = ("canon-eos-d30.crw", "sony-slt-a55_preview-only.arw", "lg-g4_sample_1mp.dng")


def median_ms(work, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def cpu_name() -> str:
    try:
        return next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    model = HashModel.load(default_model_path(), threads=1)
    info = model.info
    with tempfile.TemporaryDirectory() as tmp:
        sys.path.insert(0, str(REPO / "tests"))
        from tests.conftest import extract_photos  # noqa: E402  (the shared photos, read in place)
        from tests.integration.test_raw import make_dng  # noqa: E402

        jpeg = extract_photos(Path(tmp) / "photos", limit=1)[0]
        files = [("JPEG (peer)", jpeg)]
        files += [(name, RAW_SAMPLES / name) for name in SAMPLES if (RAW_SAMPLES / name).is_file()]
        missing = [name for name in SAMPLES if not (RAW_SAMPLES / name).is_file()]
        files.append(("DNG made from the JPEG, no preview", make_dng(jpeg, Path(tmp) / "made.dng")))
        batch = np.stack([decode_for_model(str(jpeg), info)[0]] * 32)
        encode_ms = median_ms(lambda: model.encode(batch), max(3, args.repeats // 3)) / 32
        print(f"machine: {cpu_name()}, {os.cpu_count()} CPUs; "
              f"one core; model {default_model_path().name}: {encode_ms:.1f} ms a photo to encode (batches of 32)")
        if missing:
            print(f"skipped (not in {RAW_SAMPLES}): {', '.join(missing)}")
        peer = None
        print(f"{'file':40} {'size':>9} {'decode ms':>9} {'+ code ms':>9} {'per s':>6} {'vs JPEG':>7}")
        for label, path in files:
            result = decode_for_model(str(path), info)
            if isinstance(result, str):
                print(f"{label:40} failed: {result}")
                continue
            decode = median_ms(lambda: decode_for_model(str(path), info), args.repeats)
            total = decode + encode_ms
            peer = peer or total
            print(f"{label:40} {result[1]['format']:>4} {os.path.getsize(path) / 1e6:>4.1f}MB {decode:>9.1f} "
                  f"{total:>9.1f} {1000 / total:>6.0f} {total / peer:>6.2f}×")


if __name__ == "__main__":
    main()
