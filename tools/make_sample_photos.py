"""Write a small sample library for ``make run``: a few photos plus edited copies of some of them.

Uses the shared free photos when ../shared/data/photos-free-1024.zip is there, otherwise draws
synthetic pictures, so ``make run`` works on any fresh machine. Seeded: the same files every time.
"""

from __future__ import annotations

import argparse
import random
import zipfile
from pathlib import Path

from PIL import Image, ImageDraw, ImageEnhance, ImageFilter

PHOTOS_ZIP = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "photos-free-1024.zip"


def originals(count: int) -> list[tuple[str, Image.Image]]:
    if PHOTOS_ZIP.exists():
        with zipfile.ZipFile(PHOTOS_ZIP) as zf:
            names = sorted(n for n in zf.namelist() if n.lower().endswith(".jpg"))[:count]
            out = []
            for name in names:
                with zf.open(name) as fh:
                    out.append((Path(name).stem, Image.open(fh).convert("RGB")))
            return out
    rng = random.Random(7)
    out = []
    for i in range(count):
        img = Image.new("RGB", (800, 600), tuple(rng.randrange(256) for _ in range(3)))
        draw = ImageDraw.Draw(img)
        for _ in range(12):
            x0, y0 = rng.randrange(800), rng.randrange(600)
            box = (x0, y0, x0 + rng.randrange(40, 400), y0 + rng.randrange(40, 300))
            colour = tuple(rng.randrange(256) for _ in range(3))
            (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=colour)
        out.append((f"synthetic-{i:02d}", img.filter(ImageFilter.GaussianBlur(2))))
    return out


def write_sample(dest: Path, count: int = 12) -> Path:
    """``count`` photos in ``dest``, edited copies of every third in ``dest/edited``, one exact copy."""
    (dest / "edited").mkdir(parents=True, exist_ok=True)
    for i, (stem, img) in enumerate(originals(count)):
        img.save(dest / f"{stem}.jpg", quality=92)
        if i % 3:
            continue
        w, h = img.size
        img.resize((w // 2, h // 2), Image.LANCZOS).save(dest / "edited" / f"{stem}-small.jpg", quality=85)
        img.save(dest / "edited" / f"{stem}-q40.jpg", quality=40)
        img.crop((w // 20, h // 20, w - w // 20, h - h // 20)).save(dest / "edited" / f"{stem}-crop.png")
        ImageEnhance.Brightness(img).enhance(1.2).save(dest / "edited" / f"{stem}-bright.jpg", quality=90)
    (dest / "edited" / "copy-of-first.jpg").write_bytes(next(dest.glob("*.jpg")).read_bytes())
    return dest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dest", type=Path)
    parser.add_argument("--count", type=int, default=12)
    args = parser.parse_args()
    print(write_sample(args.dest, args.count))


if __name__ == "__main__":
    main()
