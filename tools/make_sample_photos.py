"""Write a small sample library for ``make run``: a few photos plus edited copies of some of them.

Uses the shared free photos when ../shared/data/photos-free-1024.zip is there, otherwise draws
synthetic pictures, so ``make run`` works on any fresh machine. Seeded: the same files every time.

``write_library`` (for tools/screenshots.py) writes a larger one shaped like a real person's ~/Pictures: the
shared free photos and a few hundred Imagenette photos in dated event folders, most with copies made the ways
real copies are made (a phone backup, a laptop backup, WhatsApp, an editor), several hundred duplicate groups.
``write_videos`` adds a few phone clips and copies of them made the same ways (with PyAV; ``write_clip`` encodes
the tests' clips too).
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


# -- videos and their copies (tools/screenshots.py) --------------------------------------------------------------------


def _panning(photo: Image.Image, seconds: float, fps: int, size: tuple[int, int]):
    """Frames of a slow pan from left to right over ``photo`` while zooming in from 75 % to 55 % of its width, as a
    hand-held phone films a scene (tests/clips.py makes the tests' clips the same way)."""
    import math

    w, h = photo.size
    aspect = size[0] / size[1]
    count = round(seconds * fps)
    for i in range(count):
        p = i / max(1, count - 1)
        crop_h = min(h, w * (0.75 - 0.20 * p) / aspect)
        crop_w = crop_h * aspect
        left = (w - crop_w) * (0.1 + 0.8 * p)
        top = (h - crop_h) * (0.5 + 0.3 * math.sin(math.pi * p))
        yield photo.resize(size, Image.BILINEAR, box=(left, top, left + crop_w, top + crop_h))


def _opening(frames, fps: int, black_s: float, fade_s: float):
    """``black_s`` seconds of black, then ``frames`` fading in from black over ``fade_s`` seconds."""
    frames = iter(frames)
    first = next(frames)
    for _ in range(round(black_s * fps)):
        yield Image.new("RGB", first.size)
    fade = round(fade_s * fps)
    for i, frame in enumerate([first, *frames]):
        yield Image.eval(frame, lambda v, a=(i + 1) / (fade + 1): round(v * a)) if i < fade else frame


def video_codec() -> str:
    """H.264 where PyAV's FFmpeg has it (the wheels do), else MPEG-4 part 2, which every FFmpeg build encodes."""
    import av

    return "libx264" if "libx264" in av.codecs_available else "mpeg4"


def write_clip(frames, out: Path, fps: int, *, bit_rate: int | None = None, rotation: int = 0,
               faststart: bool = False, keyframe_every: int | None = None) -> Path:
    """Encode ``frames`` (RGB, even sizes) as an MP4 in :func:`video_codec` (the tests' clips are made with it too:
    tests/clips.py). ``bit_rate`` None: constant quality (CRF 23, as a phone app or a
    converter's default). ``rotation``: the display matrix a phone writes for a portrait shot, turning the stored
    frames counterclockwise by that many degrees. ``faststart``: the index first, as web videos are (a cut-off
    download then still opens). ``keyframe_every``: frames between keyframes (None: the encoder's default, 250 for
    x264, as converters leave it; a phone camera writes one a second or so)."""
    import itertools
    from fractions import Fraction

    import av

    codec = video_codec()
    frames = iter(frames)
    first = next(frames)
    out.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(out), "w", options={"movflags": "faststart"} if faststart else {}) as container:
        options = {"preset": "veryfast"} if codec == "libx264" else {}
        if codec == "libx264" and not bit_rate:
            options["crf"] = "23"
        stream = container.add_stream(codec, rate=fps, options=options)
        stream.width, stream.height = first.size
        stream.pix_fmt = "yuv420p"
        stream.time_base = Fraction(1, fps)
        if bit_rate:
            stream.bit_rate = bit_rate
        if keyframe_every:
            stream.codec_context.gop_size = keyframe_every
        if rotation:
            stream.set_display_rotation(rotation)
        for i, image in enumerate(itertools.chain([first], frames)):
            frame = av.VideoFrame.from_image(image)
            frame.pts = i
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out


def _decoded(path: Path, start: float = 0.0, end: float | None = None):
    """A clip's frames between ``start`` and ``end`` seconds, one at a time, as a converter or an editor reads them."""
    import av

    with av.open(str(path)) as container:
        for frame in container.decode(container.streams.video[0]):
            if start - 1e-6 <= frame.time and (end is None or frame.time < end - 1e-6):
                yield frame.to_image(threads=1)


def write_videos(dest: Path, fps: int = 25) -> dict[str, int]:
    """Phone clips (a slow pan and zoom over a shared photo, 640×360, two opening on a second of black that fades in)
    in ``dest/<year>/<date> <event>/``, and copies of them made as real ones are: a WhatsApp re-encode at 480×270 in
    "WhatsApp Video", a cut of a few seconds in "edited", a byte-exact copy in "Phone backup"; one clip has none.
    Needs PyAV (a dependency of the app). Returns counts: clips, copies."""
    photos = originals(40)
    shots = (  # (photo, when, seconds, opens on black)
        (photos[23][1], dt.datetime(2024, 8, 3, 15, 30, 12), 8.0, True),  # tea gardens
        (photos[13][1], dt.datetime(2024, 8, 3, 16, 5, 44), 6.0, False),  # otters
        (photos[21][1], dt.datetime(2024, 12, 24, 19, 10, 3), 5.0, True),  # a firework
    )
    clips = []
    for photo, when, seconds, black in shots:
        event = "Lake trip" if when.month == 8 else "Christmas"
        out = dest / str(when.year) / f"{when:%Y-%m-%d} {event}" / f"VID_{when:%Y%m%d_%H%M%S}.mp4"
        frames = _panning(photo, seconds, fps, (640, 360))
        write_clip(_opening(frames, fps, 1.0, 0.6) if black else frames, out, fps, bit_rate=2_000_000)  # a phone's
        _stamp(out, when)
        clips.append((out, when))
    (first, when), (second, _) = clips[0], clips[1]
    later = when + dt.timedelta(days=2)
    copies = [
        write_clip((f.resize((480, 270), Image.BICUBIC) for f in _decoded(first)),
                    dest / "WhatsApp Video" / f"VID-{later:%Y%m%d}-WA0007.mp4", fps, bit_rate=300_000),
        write_clip(_decoded(first, 3.0, 7.0), dest / "edited" / f"{first.stem}-cut.mp4", fps),
    ]
    backup = dest / "Phone backup" / second.name
    backup.parent.mkdir(parents=True, exist_ok=True)
    backup.write_bytes(second.read_bytes())
    copies.append(backup)
    for copy in copies:
        _stamp(copy, later)
    return {"clips": len(clips), "copies": len(copies)}


# -- a RAW+JPEG shot (tools/screenshots.py) ---------------------------------------------------------------------------


def write_raw_shot(folder: Path, image: Image.Image, stem: str, when: dt.datetime) -> list[Path]:
    """What a camera set to RAW+JPEG writes for one shot: ``stem.JPG`` and ``stem.dng`` (:func:`write_dng`). The
    engine stacks the two: one shot, shown and moved as one."""
    folder.mkdir(parents=True, exist_ok=True)
    jpeg = folder / f"{stem}.JPG"
    camera = ("PhotoHash", "Synthetic Bayer")
    image.save(jpeg, quality=92, exif=_exif(when, camera))
    raw = write_dng(image, folder / f"{stem}.dng", when.strftime("%Y:%m:%d %H:%M:%S"), camera=camera)
    for path in (jpeg, raw):
        _stamp(path, when)
    return [jpeg, raw]


def write_dng(image: Image.Image, out: Path, when: str, orientation: int = 1,
              camera: tuple[str, str] = ("PhotoHash", "Synthetic Bayer")) -> Path:
    """A DNG a camera could have written of ``image``'s scene (``out``, named ``.dng``): its pixels back to linear
    light, an RGGB mosaic of them in 12 bits, no preview (so LibRaw demosaics it), taken at ``when`` ("YYYY:MM:DD
    HH:MM:SS") and turned as ``orientation`` says. Needs pidng (the dev extra); the RAW tests write theirs with it."""
    import numpy as np
    from pidng.core import RAW2DNG, DNGTags, Tag
    from pidng.defs import CalibrationIlluminant, CFAPattern, DNGVersion, PhotometricInterpretation

    linear = (np.asarray(image.convert("RGB"), np.float64) / 255.0) ** 2.2
    h, w = linear.shape[0] // 2 * 2, linear.shape[1] // 2 * 2
    mosaic = np.empty((h, w))
    mosaic[0::2, 0::2], mosaic[0::2, 1::2] = linear[0:h:2, 0:w:2, 0], linear[0:h:2, 1:w:2, 1]
    mosaic[1::2, 0::2], mosaic[1::2, 1::2] = linear[1:h:2, 0:w:2, 1], linear[1:h:2, 1:w:2, 2]
    black, white = 256, 4095
    tags = DNGTags()
    for tag, value in ((Tag.ImageWidth, w), (Tag.ImageLength, h), (Tag.TileWidth, w), (Tag.TileLength, h),
                       (Tag.Orientation, orientation),
                       (Tag.PhotometricInterpretation, PhotometricInterpretation.Color_Filter_Array),
                       (Tag.SamplesPerPixel, 1), (Tag.BitsPerSample, 16), (Tag.CFARepeatPatternDim, [2, 2]),
                       (Tag.CFAPattern, CFAPattern.RGGB), (Tag.BlackLevel, black), (Tag.WhiteLevel, white),
                       (Tag.ColorMatrix1, [[1, 1], [0, 1], [0, 1], [0, 1], [1, 1], [0, 1], [0, 1], [0, 1], [1, 1]]),
                       (Tag.CalibrationIlluminant1, CalibrationIlluminant.D65),
                       (Tag.AsShotNeutral, [[1, 1], [1, 1], [1, 1]]), (Tag.Make, camera[0]), (Tag.Model, camera[1]),
                       (Tag.DateTime, when), (Tag.DateTimeOriginal, when), (Tag.DNGVersion, DNGVersion.V1_4)):
        tags.set(tag, value)
    writer = RAW2DNG()
    writer.options(tags, path="", compress=False)
    writer.convert((black + mosaic * (white - black)).round().astype(np.uint16), filename=str(out.with_suffix("")))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dest", type=Path)
    parser.add_argument("--count", type=int, default=12)
    args = parser.parse_args()
    print(write_sample(args.dest, args.count))


if __name__ == "__main__":
    main()
