"""Bit agreement between our ONNX pHash (the default model) and ImageHash's ``phash``.

Run: .venv/bin/python tests/bench/bench_phash_agreement.py
Over all 103 photos of ../shared/data/photos-free-1024.zip (read from the zip). ImageHash is
called as a user would: ``imagehash.phash(Image.open(file))``. Our side is the engine's path:
read_image ► prepare (32×32 Lanczos) ► ONNX Runtime ► bits. Differences come from the order of
resize and grey conversion (ImageHash converts to 8-bit grey first, then resizes).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from engine import codes  # noqa: E402
from engine.model import HashModel, default_model_path  # noqa: E402
from engine.search import encode_file  # noqa: E402

PHOTOS_ZIP = REPO.parent / "shared" / "data" / "photos-free-1024.zip"


def agreement(paths: list[Path]) -> list[float]:
    import imagehash
    from PIL import Image

    model = HashModel.load(default_model_path())
    out = []
    for path in paths:
        ours = codes.unpack(encode_file(model, path)[None])[0]
        theirs = imagehash.phash(Image.open(path)).hash.flatten()
        out.append(float(np.mean(ours == theirs)))
    return out


def main() -> None:
    if not PHOTOS_ZIP.exists():
        sys.exit(f"needs {PHOTOS_ZIP} (shared data file is missing)")
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(PHOTOS_ZIP) as zf:
        paths = []
        for name in sorted(n for n in zf.namelist() if n.lower().endswith(".jpg")):
            target = Path(tmp) / name.replace("/", "_")
            target.write_bytes(zf.read(name))
            paths.append(target)
        scores = agreement(paths)
    print(f"pHash bit agreement, ONNX default model vs ImageHash phash, {len(scores)} photos:")
    print(f"  mean {statistics.mean(scores):.4f}  median {statistics.median(scores):.4f}  min {min(scores):.4f}")
    print(f"  identical 64-bit hashes: {sum(s == 1.0 for s in scores)}/{len(scores)}")
    print(f"  within 2 bits: {sum(s >= 62 / 64 for s in scores)}/{len(scores)}")


if __name__ == "__main__":
    main()
