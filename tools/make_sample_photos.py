"""Write a small sample library for ``make run``: a few photos plus edited copies of some of them.

Uses the shared free photos when ../shared/data/photos-free-1024.zip is there, otherwise draws
synthetic pictures, so ``make run`` works on any fresh machine. Seeded: the same files every time.

``write_library`` (for tools/screenshots.py) writes a larger one shaped like a real person's ~/Pictures: the
shared free photos and a few hundred Imagenette photos in dated event folders, most with copies made the ways
real copies are made (a phone backup, a laptop backup, WhatsApp, an editor), several hundred duplicate groups.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import zipfile
from pathlib import Path

from PIL import Image, ImageDraw, ImageEnhance, ImageFilter

PHOTOS_ZIP = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "photos-free-1024.zip"
IMAGENETTE_ZIP = PHOTOS_ZIP.with_name("imagenette2-224-subset.zip")


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


# -- a library like a real person's (tools/screenshots.py) -------------------------------------------------------------

EVENTS = {  # by season: December to February, March to May, June to August, September to November
    0: ("Snow", "Skiing", "Museum", "New flat", "Birthday", "Old town"),
    1: ("Garden", "Easter", "City walk", "Zoo", "Weekend in Porto", "Market", "Birthday"),
    2: ("Lake trip", "Beach", "Hiking", "Road trip", "Picnic", "Wedding", "Concert", "Fishing", "Airshow"),
    3: ("Autumn walk", "Harbour", "Golf with Dad", "Car show", "Museum", "Birthday", "Vineyard"),
}
CAMERAS = (("Canon", "Canon EOS 80D"), ("FUJIFILM", "X-T3"), ("Google", "Pixel 6"), ("Apple", "iPhone 12"))


def imagenette(count: int, seed: int = 24) -> list[tuple[str, Image.Image]]:
    """``count`` Imagenette photos (224 px, validation split) picked by ``seed``; none when the zip is absent."""
    if not IMAGENETTE_ZIP.exists():
        return []
    with zipfile.ZipFile(IMAGENETTE_ZIP) as zf:
        names = sorted(n for n in zf.namelist() if "/val/" in n and n.lower().endswith(".jpeg"))
        out = []
        for name in sorted(random.Random(seed).sample(names, min(count, len(names)))):
            with zf.open(name) as fh:
                out.append((Path(name).stem, Image.open(fh).convert("RGB")))
        return out


def _exif(when: dt.datetime | None, camera: tuple[str, str] | None) -> bytes:
    exif = Image.Exif()
    if camera:
        exif[0x010F], exif[0x0110] = camera  # Make, Model
    if when:
        exif[0x0132] = when.strftime("%Y:%m:%d %H:%M:%S")  # DateTime
        exif[0x8769] = {0x9003: when.strftime("%Y:%m:%d %H:%M:%S")}  # ExifIFD: DateTimeOriginal
    return exif.tobytes()


def _stamp(path: Path, when: dt.datetime) -> None:
    os.utime(path, (when.timestamp(), when.timestamp()))


def write_library(dest: Path, extra: int = 300, copied: float = 0.75, seed: int = 24,
                  hold_back: int = 0) -> dict[str, int]:
    """The shared free photos (all but the last ``hold_back``) and ``extra`` Imagenette photos as originals in
    ``dest/<year>/<date> <event>/`` (with EXIF capture date and camera), and for a share ``copied`` of them one to
    three copies: byte-exact in "Phone backup" and "Backup old laptop", downscaled and re-encoded without EXIF in
    "WhatsApp Images", cropped, brightened, turned 90°, mirrored, resized or re-saved at low quality in "edited".
    Seeded: the same files every time. Returns counts: originals, copied (groups), copies, files."""
    rng = random.Random(seed)
    photos = originals(10_000)
    photos = photos[:len(photos) - hold_back] if hold_back else photos
    photos += [(f"IMG_{4000 + i}", img) for i, (_stem, img) in enumerate(imagenette(extra, seed))]
    rng.shuffle(photos)
    when = dt.datetime(2019, 4, 6, 10, 12, 5)
    counts = {"originals": 0, "copied": 0, "copies": 0}
    wa = 0
    i = 0
    while i < len(photos):
        when += dt.timedelta(days=rng.randint(15, 60), minutes=rng.randint(0, 600))
        event = "Christmas" if when.month == 12 and when.day > 20 else rng.choice(EVENTS[when.month % 12 // 3])
        camera = rng.choice(CAMERAS)
        folder = dest / str(when.year) / f"{when:%Y-%m-%d} {event}"
        folder.mkdir(parents=True, exist_ok=True)
        shot = when
        for stem, img in photos[i:i + rng.randint(4, 16)]:
            i += 1
            shot += dt.timedelta(minutes=rng.randint(2, 40), seconds=rng.randint(0, 59))
            name = f"{stem}.jpg"
            original = folder / name
            img.save(original, quality=92, exif=_exif(shot, camera))
            _stamp(original, shot)
            counts["originals"] += 1
            if rng.random() >= copied:
                continue
            counts["copied"] += 1
            kinds = rng.sample(("phone", "backup", "whatsapp", "whatsapp", "small", "web", "crop", "bright", "turned",
                                "mirror"), rng.choice((1, 1, 2, 2, 3)))
            later = shot + dt.timedelta(days=rng.randint(1, 300))
            w, h = img.size
            for kind in kinds:
                if kind == "phone":
                    copy = dest / "Phone backup" / f"IMG_{shot:%Y%m%d_%H%M%S}.jpg"
                    copy.parent.mkdir(exist_ok=True)
                    copy.write_bytes(original.read_bytes())
                elif kind == "backup":
                    copy = dest / "Backup old laptop" / str(shot.year) / name
                    copy.parent.mkdir(parents=True, exist_ok=True)
                    copy.write_bytes(original.read_bytes())
                elif kind == "whatsapp":
                    wa += 1
                    copy = dest / "WhatsApp Images" / f"IMG-{later:%Y%m%d}-WA{wa:04d}.jpg"
                    copy.parent.mkdir(exist_ok=True)
                    scale = 0.625 if w > 600 else 1
                    img.resize((round(w * scale), round(h * scale)), Image.LANCZOS).save(copy, quality=62)
                else:
                    (dest / "edited").mkdir(exist_ok=True)
                    keep = _exif(shot, camera) if rng.random() < 0.5 else b""  # some editors keep EXIF
                    if kind == "small":
                        copy = dest / "edited" / f"{stem}-small.jpg"
                        img.resize((w // 2, h // 2), Image.LANCZOS).save(copy, quality=85, exif=keep)
                    elif kind == "web":
                        copy = dest / "edited" / f"{stem}-web.jpg"
                        img.save(copy, quality=40, exif=keep)
                    elif kind == "crop":
                        m = rng.choice((12, 16, 20))
                        copy = dest / "edited" / f"{stem}-crop.{'png' if rng.random() < 0.3 else 'jpg'}"
                        img.crop((w // m, h // m, w - w // m, h - h // m)).save(copy, **(
                            {} if copy.suffix == ".png" else {"quality": 90, "exif": keep}))
                    elif kind == "bright":
                        copy = dest / "edited" / f"{stem}-edit.jpg"
                        ImageEnhance.Brightness(img).enhance(rng.choice((1.15, 1.2, 1.3))).save(
                            copy, quality=90, exif=keep)
                    elif kind == "turned":
                        copy = dest / "edited" / f"{stem}-rotated.jpg"
                        img.transpose(rng.choice((Image.Transpose.ROTATE_90, Image.Transpose.ROTATE_270))).save(
                            copy, quality=90, exif=keep)
                    else:
                        copy = dest / "edited" / f"{stem}-mirror.jpg"
                        img.transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(copy, quality=90, exif=keep)
                _stamp(copy, later)
                counts["copies"] += 1
    counts["files"] = counts["originals"] + counts["copies"]
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dest", type=Path)
    parser.add_argument("--count", type=int, default=12)
    args = parser.parse_args()
    print(write_sample(args.dest, args.count))


if __name__ == "__main__":
    main()
