"""Short video clips made at test time from the shared photos (PyAV), never committed.

Why made, not fetched: real phone videos are large and licensed one by one; a slow pan and zoom over a real photo
is a real picture moving as a hand-held shot does, and every copy a user's tools make of it (a re-encode at another
bitrate, a smaller size, a cut) is made here with the same FFmpeg a converter would use.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np
from PIL import Image

from tools.make_sample_photos import video_codec, write_clip  # the sample library's clips and the tests': one way

from .conftest import PHOTOS_ZIP, photo_names, require

VIDEO_CODEC = video_codec()




def shared_photo(index: int) -> Image.Image:
    """The shared photo at ``index`` in sorted order, as RGB."""
    name = photo_names()[index]
    with zipfile.ZipFile(require(PHOTOS_ZIP)) as zf:
        data = zf.read(name)
    with Image.open(io.BytesIO(data)) as img:
        return img.convert("RGB")


def pan_and_zoom(photo: Image.Image, seconds: float, fps: int, size: tuple[int, int]) -> list[Image.Image]:
    """Frames of a slow pan from left to right while zooming in from 75 % to 55 % of the photo's width."""
    return list(panning(photo, seconds, fps, size))


def panning(photo: Image.Image, seconds: float, fps: int, size: tuple[int, int]) -> Iterator[Image.Image]:
    """:func:`pan_and_zoom`, one frame at a time (a long clip's frames are never all held)."""
    w, h = photo.size
    aspect = size[0] / size[1]
    count = round(seconds * fps)
    for i in range(count):
        p = i / max(1, count - 1)
        crop_w = w * (0.75 - 0.20 * p)
        crop_h = min(h, crop_w / aspect)
        crop_w = crop_h * aspect
        left = (w - crop_w) * (0.1 + 0.8 * p)
        top = (h - crop_h) * (0.5 + 0.3 * np.sin(np.pi * p))
        yield photo.resize(size, Image.BILINEAR, box=(left, top, left + crop_w, top + crop_h))


def with_opening(frames: list[Image.Image], fps: int, black_s: float = 0.0, fade_s: float = 0.0) -> list[Image.Image]:
    """``black_s`` seconds of black, then the first ``fade_s`` seconds of ``frames`` fading in from black."""
    size = frames[0].size
    black = [Image.new("RGB", size) for _ in range(round(black_s * fps))]
    fade = round(fade_s * fps)
    faded = [Image.eval(f, lambda v, a=(i + 1) / (fade + 1): round(v * a)) if i < fade else f
             for i, f in enumerate(frames)]
    return black + faded


def with_intro(frames: list[Image.Image], intro: Image.Image, seconds: float, fps: int) -> list[Image.Image]:
    """``seconds`` of one still picture (a channel's title card) before ``frames``."""
    card = intro.resize(frames[0].size, Image.BILINEAR)
    return [card] * round(seconds * fps) + frames


def clip_fps(path: Path) -> int:
    with av.open(str(path)) as container:
        return round(float(container.streams.video[0].average_rate))


def decoded(path: Path, start: float = 0.0, end: float | None = None) -> Iterator[Image.Image]:
    """Every frame of a clip between ``start`` and ``end`` seconds (all of it by default), upright, one at a time."""
    with av.open(str(path)) as container:
        for frame in container.decode(container.streams.video[0]):
            if frame.time < start - 1e-6 or (end is not None and frame.time >= end - 1e-6):
                continue
            image = frame.to_image(threads=1)  # no slice threads: a test that forks later must not wait on them
            yield image.rotate(frame.rotation, expand=True) if frame.rotation else image


def make_clip(photo_index: int, out: Path, *, seconds: float = 4.0, fps: int = 12, size: tuple[int, int] = (320, 240),
              black_s: float = 0.0, fade_s: float = 0.0, bit_rate: int | None = None) -> Path:
    """A pan and zoom over shared photo ``photo_index``, optionally opening on black and fading in."""
    frames = pan_and_zoom(shared_photo(photo_index), seconds, fps, size)
    return write_clip(with_opening(frames, fps, black_s, fade_s), out, fps, bit_rate=bit_rate)


def reencode(src: Path, out: Path, *, size: tuple[int, int] | None = None, bit_rate: int | None = None) -> Path:
    """What a converter does: decode all of ``src`` and encode it again, at another size and/or bitrate."""
    frames = decoded(src)
    if size:
        frames = (f.resize(size, Image.BICUBIC) for f in frames)
    return write_clip(frames, out, clip_fps(src), bit_rate=bit_rate)


def trim(src: Path, out: Path, start: float, end: float) -> Path:
    """What an editor's cut does: the part of ``src`` between ``start`` and ``end`` seconds, encoded again."""
    return write_clip(decoded(src, start, end), out, clip_fps(src))


def write_sound_only(out: Path, seconds: float = 1.0) -> Path:
    """An MP4 holding one AAC sound track of silence and no pictures (a voice memo saved as .mp4)."""
    rate = 44100
    with av.open(str(out), "w", format="mp4") as container:
        stream = container.add_stream("aac", rate=rate)
        for i in range(round(seconds * rate / 1024)):
            frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
            frame.sample_rate, frame.pts = rate, i * 1024
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out
