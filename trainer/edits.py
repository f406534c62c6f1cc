"""The near-duplicate benchmark's edits: what a user's tools do to a photo, seeded and reproducible.

Each edit turns one original into one file, written the way an editor, a phone or a messenger would
write it (JPEG at a stated quality unless the edit is a format change). Random choices (the
off-centre crop's corner, the noise, the caption's place) come from a generator seeded by the
edit's name and the original's name, so the same original always gets the same files.

Definitions, where a name could mean several things:
- ``crop-P``: P % of the *area* is removed, the aspect ratio kept (each side × sqrt(1 - P/100));
  ``centre`` keeps the middle, ``offcentre`` a window touching a seeded corner.
- ``rotate±D``: a straightening tool's rotation: rotate by D degrees, then crop the largest
  axis-aligned rectangle of the same aspect ratio that holds no blank corner.
- ``rotate90`` / ``rotate180`` / ``rotate270``: lossless turns (clockwise), as a viewer's "rotate" writes.
- ``letterbox``: black bars to a square canvas; ``frame``: a white border of 6 % of the long side.
- ``screenshot``: the photo shown at 60 % in an app window (title bar, sidebar, status bar), the
  whole window saved as PNG.

Only PIL and numpy: the benchmark and the tests build these files without torch.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont, ImageOps


@dataclass(frozen=True)
class Edit:
    name: str
    group: str  # the report's edit type
    apply: Callable[[Image.Image, np.random.Generator], Image.Image]
    format: str = "JPEG"  # how the edited copy is saved
    quality: int = 90


def _seed(*parts: str) -> int:
    return int.from_bytes(hashlib.blake2b("\0".join(parts).encode(), digest_size=8).digest(), "little")


def _crop(fraction: float, centred: bool):
    def apply(img, rng):
        w, h = img.size
        keep = math.sqrt(1 - fraction)
        cw, ch = round(w * keep), round(h * keep)
        if centred:
            left, top = (w - cw) // 2, (h - ch) // 2
        else:
            left = (w - cw) * int(rng.integers(2))
            top = (h - ch) * int(rng.integers(2))
        return img.crop((left, top, left + cw, top + ch))
    return apply


def _straighten(degrees: float):
    """Rotate, then keep the largest same-aspect rectangle inside the rotated photo."""
    def apply(img, rng):
        w, h = img.size
        a = math.radians(abs(degrees))
        # the centred w·s × h·s rectangle fits when both of its rotated extents stay inside w × h
        s = min(w / (w * math.cos(a) + h * math.sin(a)), h / (w * math.sin(a) + h * math.cos(a)))
        turned = img.rotate(degrees, resample=Image.BICUBIC, expand=False)
        cw, ch = int(w * s), int(h * s)
        left, top = (w - cw) // 2, (h - ch) // 2
        return turned.crop((left, top, left + cw, top + ch))
    return apply


def _scale(factor: float):
    return lambda img, rng: img.resize((max(1, round(img.width * factor)), max(1, round(img.height * factor))),
                                       Image.LANCZOS)


def _enhance(kind, factor: float):
    return lambda img, rng: kind(img).enhance(factor)


def _gamma(value: float):
    table = [round(255 * (i / 255) ** value) for i in range(256)] * 3
    return lambda img, rng: img.point(table)


def _noise(sigma: float):
    def apply(img, rng):
        pixels = np.asarray(img, np.float32) + rng.normal(0, sigma, (img.height, img.width, 3))
        return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    return apply


def _font(size: int) -> ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _caption(img, rng):
    """A watermark in a corner and a caption band along the bottom, as sharing apps add."""
    out = img.copy()
    draw = ImageDraw.Draw(out, "RGBA")
    w, h = out.size
    size = max(12, h // 14)
    band = int(size * 1.6)
    draw.rectangle((0, h - band, w, h), fill=(0, 0, 0, 150))
    draw.text((size // 2, h - band + size // 4), "Summer holidays · day 3", font=_font(size), fill=(255, 255, 255, 255))
    corner = int(rng.integers(2))
    mark = "© photohash"
    x = w - size * 7 if corner else size // 2
    draw.text((x, size // 2), mark, font=_font(int(size * 0.8)), fill=(255, 255, 255, 170))
    return out


def _letterbox(img, rng):
    side = max(img.size)
    canvas = Image.new("RGB", (side, side), (0, 0, 0))
    canvas.paste(img, ((side - img.width) // 2, (side - img.height) // 2))
    return canvas


def _frame(img, rng):
    border = round(max(img.size) * 0.06)
    return ImageOps.expand(img, border=border, fill=(250, 250, 250))


def _screenshot(img, rng):
    """The photo at 60 % inside an app window: title bar, a sidebar of grey rows, a status bar."""
    shown = img.resize((round(img.width * 0.6), round(img.height * 0.6)), Image.BILINEAR)
    title, side, status, pad = 32, 160, 24, 16
    w = side + shown.width + 2 * pad
    h = title + shown.height + 2 * pad + status
    window = Image.new("RGB", (w, h), (236, 236, 236))
    draw = ImageDraw.Draw(window)
    draw.rectangle((0, 0, w, title), fill=(52, 56, 64))
    for i, colour in enumerate(((237, 95, 87), (245, 190, 79), (98, 197, 84))):
        draw.ellipse((10 + 20 * i, 10, 22 + 20 * i, 22), fill=colour)
    draw.text((side, 8), "Photos — IMG_2041.jpg", font=_font(14), fill=(230, 230, 230))
    draw.rectangle((0, title, side - 8, h - status), fill=(222, 224, 228))
    for row in range(8):
        y = title + 14 + row * 28
        draw.rectangle((14, y, side - 30, y + 12), fill=(196, 199, 205))
    draw.rectangle((0, h - status, w, h), fill=(210, 212, 216))
    draw.text((12, h - status + 5), "1 of 248 · 4.2 MB", font=_font(12), fill=(60, 60, 60))
    window.paste(shown, (side + pad, title + pad))
    return window


EDITS: tuple[Edit, ...] = (
    *(Edit(f"jpeg-q{q}", "jpeg", lambda img, rng: img, quality=q) for q in (10, 30, 50, 75, 95)),
    *(Edit(f"downscale-{p}", "downscale", _scale(p / 100)) for p in (75, 50, 25)),
    *(Edit(f"crop-{p}-{where}", "crop <20 %" if p < 20 else "crop ≥20 %", _crop(p / 100, where == "centre"))
      for p in (5, 10, 20, 30) for where in ("centre", "offcentre")),
    *(Edit(f"rotate{d:+d}", "rotate ±3/10°", _straighten(d)) for d in (3, -3, 10, -10)),
    Edit("rotate90", "rotate 90/180/270°", lambda img, rng: img.transpose(Image.ROTATE_270)),
    Edit("rotate180", "rotate 90/180/270°", lambda img, rng: img.transpose(Image.ROTATE_180)),
    Edit("rotate270", "rotate 90/180/270°", lambda img, rng: img.transpose(Image.ROTATE_90)),
    Edit("flip", "flip", lambda img, rng: img.transpose(Image.FLIP_LEFT_RIGHT)),
    *(Edit(f"{name}{sign}30", "colour", _enhance(kind, 1 + int(f"{sign}1") * 0.3))
      for name, kind in (("brightness", ImageEnhance.Brightness), ("contrast", ImageEnhance.Contrast),
                         ("saturation", ImageEnhance.Color)) for sign in ("+", "-")),
    Edit("gamma-0.6", "colour", _gamma(0.6)),
    Edit("gamma-1.6", "colour", _gamma(1.6)),
    Edit("grayscale", "colour", lambda img, rng: ImageOps.grayscale(img).convert("RGB")),
    Edit("blur", "blur/noise", lambda img, rng: img.filter(ImageFilter.GaussianBlur(3))),
    Edit("noise", "blur/noise", _noise(12)),
    Edit("caption", "text overlay", _caption),
    Edit("letterbox", "borders", _letterbox),
    Edit("frame", "borders", _frame),
    Edit("png", "format", lambda img, rng: img, format="PNG"),
    Edit("webp", "format", lambda img, rng: img, format="WEBP", quality=80),
    Edit("screenshot", "screenshot", _screenshot, format="PNG"),
)
EDIT_NAMES = tuple(e.name for e in EDITS)
SUFFIX = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp"}


def apply_edit(edit: Edit, image: Image.Image, key: str) -> Image.Image:
    """``key`` names the original: with the edit's name it seeds every random choice."""
    return edit.apply(image.convert("RGB"), np.random.default_rng(_seed(edit.name, key)))


def write_edits(image: Image.Image, key: str, dest: str | os.PathLike[str], edits=EDITS) -> list[Path]:
    """Write every edit of ``image`` into ``dest`` as ``<key>__<edit><suffix>``; returns the paths in
    the order of ``edits``. Existing files are kept (the output is deterministic)."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    out = []
    for edit in edits:
        path = dest / f"{key}__{edit.name}{SUFFIX[edit.format]}"
        if not path.exists():
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_bytes(edited_file(edit, image, key))
            os.replace(tmp, path)
        out.append(path)
    return out


def edited_file(edit: Edit, image: Image.Image, key: str) -> bytes:
    """The bytes of the file ``edit`` makes of ``image``, in its format and quality."""
    buffer = io.BytesIO()
    options = {"quality": edit.quality} if edit.format in ("JPEG", "WEBP") else {}
    apply_edit(edit, image, key).save(buffer, edit.format, **options)
    return buffer.getvalue()


# -- random edits for training views ----------------------------------------------------------------
# The same kinds of edit as EDITS, with strengths, places and texts drawn at random, so that a model
# trained on them learns the kinds and not the benchmark's exact files.

_WORDS = ("Holiday", "2024", "Beach day", "Family", "IMG_0412", "Sunset", "© studio", "Shared via app",
          "Best friends", "Trip", "Weekend", "Garden", "Happy birthday!", "Day 2", "Vacation")


def _random_text(img, rng):
    """A caption band, a corner watermark or both, in random sizes, places and words."""
    out = img.copy()
    draw = ImageDraw.Draw(out, "RGBA")
    w, h = out.size
    size = max(8, int(h * rng.uniform(0.04, 0.1)))
    if rng.random() < 0.6:
        band = int(size * rng.uniform(1.3, 2.0))
        top = h - band if rng.random() < 0.7 else 0
        draw.rectangle((0, top, w, top + band), fill=(0, 0, 0, int(rng.integers(90, 220))))
        draw.text((size // 2, top + size // 4), " ".join(rng.choice(_WORDS, 2)), font=_font(size),
                  fill=(255, 255, 255, 255))
    if rng.random() < 0.6:
        x, y = int(rng.uniform(0, 0.7) * w), int(rng.uniform(0, 0.9) * h)
        shade = int(rng.choice((20, 255)))
        draw.text((x, y), str(rng.choice(_WORDS)), font=_font(int(size * rng.uniform(0.6, 1.5))),
                  fill=(shade, shade, shade, int(rng.integers(110, 230))))
    return out


def _random_border(img, rng):
    colour = tuple(int(c) for c in rng.choice(((0, 0, 0), (255, 255, 255), (250, 250, 250), (40, 40, 40),
                                                (128, 128, 128))))
    if rng.random() < 0.5:  # letterbox to a square or to another frame shape
        ratio = rng.choice((1.0, 16 / 9, 9 / 16, 4 / 5))
        w, h = img.size
        cw, ch = (max(w, round(h * ratio)), max(h, round(w / ratio)))
        canvas = Image.new("RGB", (cw, ch), colour)
        canvas.paste(img, ((cw - w) // 2, (ch - h) // 2))
        return canvas
    return ImageOps.expand(img, border=max(1, round(max(img.size) * rng.uniform(0.02, 0.1))), fill=colour)


def _random_window(img, rng):
    """The photo shown smaller inside an app window with bars of random sizes, saved whole."""
    shown = img.resize((max(1, round(img.width * rng.uniform(0.45, 0.85))),
                        max(1, round(img.height * rng.uniform(0.45, 0.85)))), Image.BILINEAR)
    unit = max(img.size) / 800
    title, side, status, pad = (round(unit * rng.uniform(0, 50)), round(unit * rng.uniform(0, 220)),
                                round(unit * rng.uniform(0, 40)), round(unit * rng.uniform(0, 30)))
    grey = int(rng.integers(20, 245))
    w, h = side + shown.width + 2 * pad, title + shown.height + 2 * pad + status
    window = Image.new("RGB", (w, h), (grey, grey, grey))
    draw = ImageDraw.Draw(window)
    bar = int(rng.integers(20, 245))
    draw.rectangle((0, 0, w, title), fill=(bar, bar, bar + 10 if bar < 245 else bar))
    for row in range(int(rng.integers(0, 10))):
        y = title + round(unit * (14 + row * 28))
        draw.rectangle((round(unit * 14), y, max(round(unit * 14), side - round(unit * 30)), y + round(unit * 12)),
                       fill=(grey - 30 if grey > 30 else grey + 30,) * 3)
    window.paste(shown, (side + pad, title + pad))
    return window


def _random_crop(img, rng):
    w, h = img.size
    keep = math.sqrt(1 - rng.uniform(0.02, 0.35))
    cw, ch = max(1, round(w * keep)), max(1, round(h * keep))
    left, top = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
    return img.crop((left, top, left + cw, top + ch))


def _random_colour(img, rng):
    kind = int(rng.integers(5))
    if kind == 3:
        return _gamma(float(rng.uniform(0.5, 1.8)))(img, rng)
    if kind == 4:
        return ImageOps.grayscale(img).convert("RGB")
    enhancer = (ImageEnhance.Brightness, ImageEnhance.Contrast, ImageEnhance.Color)[kind]
    return enhancer(img).enhance(float(rng.uniform(0.55, 1.45)))


# (kind, weight, edit): one kind per draw
RANDOM_EDITS = (
    ("downscale", 1.0, lambda img, rng: _scale(float(rng.uniform(0.2, 0.9)))(img, rng)),
    ("crop", 2.0, _random_crop),
    ("straighten", 1.0, lambda img, rng: _straighten(float(rng.uniform(1, 12) * rng.choice((-1, 1))))(img, rng)),
    ("turn", 1.5, lambda img, rng: img.transpose((Image.ROTATE_90, Image.ROTATE_180, Image.ROTATE_270)[
        int(rng.integers(3))])),
    ("flip", 1.0, lambda img, rng: img.transpose(Image.FLIP_LEFT_RIGHT)),
    ("colour", 2.0, _random_colour),
    ("blur", 1.0, lambda img, rng: img.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.5, 4))))),
    ("noise", 0.7, lambda img, rng: _noise(float(rng.uniform(3, 16)))(img, rng)),
    ("text", 1.0, _random_text),
    ("border", 1.0, _random_border),
    ("window", 0.7, _random_window),
)


def random_edit(img: Image.Image, rng: np.random.Generator, exclude: tuple[str, ...] = ()) -> Image.Image:
    """One to three random edits in a random order (none of the kinds in ``exclude``), then (p 0.5) a JPEG
    re-encode at quality 10-95."""
    kinds = [edit for edit in RANDOM_EDITS if edit[0] not in exclude]
    weights = np.array([w for _, w, _ in kinds])
    count = int(rng.choice((1, 2, 3), p=(0.6, 0.3, 0.1)))
    for k in rng.choice(len(kinds), size=count, replace=False, p=weights / weights.sum()):
        img = kinds[k][2](img.convert("RGB"), rng)
    if rng.random() < 0.5:
        buffer = io.BytesIO()
        img.convert("RGB").save(buffer, "JPEG", quality=int(rng.integers(10, 96)))
        buffer.seek(0)
        img = Image.open(buffer)
        img.load()
    return img.convert("RGB")
