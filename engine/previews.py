"""What the screens show of a file: a photo's thumbnail, a video's poster frame, and a video's frame strip.

A video's poster is its first frame with content: engine.videos skips a black or flat opening (a fade from black,
a lens cap), so a clip that opens on black is not shown as a black square. Its frame strip is a few frames across
the whole clip side by side, enough to tell a trim from its original at a glance.

Here, not in engine.images: engine.videos reads frames with engine.images' helpers, so images cannot import it.
"""

from __future__ import annotations

import os

import numpy as np
from PIL import Image

from .images import is_video, read_image
from .videos import sample_frames

POSTER_STEPS = 16  # the poster is the first frame with content at one of this many times across the clip
POSTER_LOOKS = 3  # frames with content looked at for it: a fade in from black is content, but a dim one
FADED_IN = 0.85  # a frame this bright (its mean, to the brightest looked at) is past the fade
STRIP_GAP = 4  # pixels of black between two frames of a strip, as on a film


def thumbnail(path: str | os.PathLike[str], size: int) -> Image.Image:
    """An RGB thumbnail fitting in ``size``×``size``: a photo (decoded at a reduced JPEG scale when possible), or a
    video's poster frame. A file that cannot be read raises :class:`engine.errors.FileError` with the reason."""
    if is_video(os.fspath(path)):
        img = poster(path)
    else:
        img = read_image(path, min_side=size).image.copy()
    img.thumbnail((size, size), Image.Resampling.LANCZOS)
    return img


def poster(path: str | os.PathLike[str]) -> Image.Image:
    """A video's first frame with content (engine.videos.SAMPLE_SIDE on its shorter side at most), past a fade in:
    of the first POSTER_LOOKS frames with content, the first nearly as bright as the brightest. A video that shows
    nothing anywhere is a black picture of its shape."""
    frames = sample_frames(path, POSTER_STEPS, enough=POSTER_LOOKS)
    if not frames.images:
        return Image.new("RGB", _fit(frames.width or 16, frames.height or 9, 256))
    light = [float(np.asarray(img.convert("L"), dtype=np.float32).mean()) for img in frames.images]
    return next(img for img, seen in zip(frames.images, light) if seen >= FADED_IN * max(light))


def frame_strip(path: str | os.PathLike[str], count: int, side: int, gap: int = STRIP_GAP) -> Image.Image:
    """``count`` of a video's frames with content (fewer where it has fewer), evenly spaced across it
    (engine.videos.sample_frames), each fitted in ``side``×``side``, left to right with ``gap`` pixels of black
    between them: one RGB picture. A video that shows nothing anywhere gives one black frame of its shape."""
    frames = sample_frames(path, 2 * count)  # a black opening is skipped: sampled twice as often, then picked
    kept, shown = frames.images, min(count, len(frames.images))
    images = [kept[round(i * (len(kept) - 1) / max(1, shown - 1))].copy() for i in range(shown)]
    for img in images:
        img.thumbnail((side, side), Image.Resampling.LANCZOS)
    if not images:
        images = [Image.new("RGB", _fit(frames.width or 16, frames.height or 9, side))]
    width = sum(img.width for img in images) + gap * (len(images) - 1)
    strip = Image.new("RGB", (width, max(img.height for img in images)))
    x = 0
    for img in images:
        strip.paste(img, (x, (strip.height - img.height) // 2))
        x += img.width + gap
    return strip


def _fit(width: int, height: int, side: int) -> tuple[int, int]:
    scale = side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))
