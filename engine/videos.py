"""Near-duplicate videos (issue 25, part 6): re-encodes, resized copies and trims of one clip.

A video is known by frames sampled evenly across it (PyAV), each hashed with the photo model, with the time it
was taken from. Two videos are copies when enough frames of the shorter one have a frame of the other within the
duplicate radius, in the same order and at one consistent time offset: that is what lets a trim match (its frames
are a run of the original's, shifted by where the cut starts) and what keeps apart two different clips that happen
to share a few similar frames.

Frames that show nothing are not sampled: near-black ones, nearly uniform ones (a fade to or from a flat colour, a
title card of one colour) and, at the opening, frames that repeat the one before (a static intro). Without that,
every clip that opens on black looked like every other one (Immich users' most reported video problem).

A group is a star, not a chain: every member is a copy of the group's first video, the longest (the original a
trim was cut from). Only :class:`VideoSignature` objects are grouped, and an image is refused as a video, so a
photo is never grouped with a video.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import av
import numpy as np
from av.video.reformatter import VideoReformatter
from PIL import Image

from . import codes as codes_mod
from .errors import FileError, UsageError
from .images import open_regular_file
from .index import Gate, HammingIndex, check_gates, gate_mask
from .model import HashModel

# -- sampling ------------------------------------------------------------------------------------------------------
SAMPLE_EVERY_S = 1.0  # one frame a second: frames a second apart of the same shot are still copies of each other
MIN_SAMPLES = 16  # short clips get at least this many, so a few skipped frames leave enough to compare
MAX_SAMPLES = 64  # long videos are sampled more sparsely: the cost of a scan stays bounded
SAMPLE_SIDE = 256  # frames are scaled so their shorter side is this (never enlarged): the model's input is smaller
MAX_FRAMES_PER_SAMPLE = 150  # decoded at most to reach one sample from a keyframe; then the frame reached is taken
FIRST_SEEK_GAP_S = 1.0  # a sample further ahead than this (or than the keyframe interval seen) is sought, not decoded to
CUT_SHORT_SHARE = 0.8  # frames that stop before this share of the duration: the file is cut short or damaged
# -- which frames show nothing (on the luma of a small greyscale copy, 0..255) --------------------------------------
DARK_PEAK = 40.0  # the 98th percentile under this: nothing in the frame is brighter than dark grey (black, a fade)
FLAT_STD = 10.0  # the standard deviation under this: one flat colour (a fade's end, a title card, a lens cap)
# the mean absolute difference to the first frame kept under this: the same picture again. Such frames are skipped
# at the opening only (a static intro, a title card), and only when the picture changes later: a still shot is content
STATIC_DIFF = 2.0
THUMB_SIDE = 48
# -- matching ------------------------------------------------------------------------------------------------------
MIN_MATCHED_FRAMES = 3  # fewer frames alike is a coincidence, whatever the share
MIN_MATCHED_SHARE = 0.6  # of the shorter clip's frames with content
DRIFT_SHARE = 0.02  # timing allowed to drift by this share of the shorter clip (a frame rate change, a dropped frame)
SAME_LENGTH_S = 0.5  # durations this close (or within DRIFT_SHARE) are one length: a re-encode, not a trim

# FFmpeg's demuxers for pictures (and its "*_pipe" ones): PhotoHash reads these files as photos, GIFs included,
# whatever their names say
_IMAGE_FORMATS = frozenset({"image2", "image2pipe", "gif", "apng"})


@dataclass(frozen=True, eq=False)
class VideoFrames:
    """Frames sampled from a video, with what was read of it."""

    duration: float  # seconds
    width: int  # as shown (turned as the file says)
    height: int
    fps: float  # average frame rate; 0 when the file does not say
    step: float  # seconds between the times sampled
    times: tuple[float, ...]  # of each frame kept, from the start of the clip
    images: list[Image.Image]  # RGB, the shorter side at most SAMPLE_SIDE
    decoded: int  # frames decoded to get them: the cost
    skipped: int  # frames sampled but not kept: black, flat, or a static opening


@dataclass(frozen=True, eq=False)
class VideoSignature:
    """What is kept of a video to find its copies: its size and length, and a code for each frame kept."""

    path: str
    duration: float
    width: int
    height: int
    step: float
    times: np.ndarray  # float64 [k], seconds from the start
    codes: np.ndarray  # packed uint8 [k, bits / 8], the model's duplicate codes of those frames


@dataclass(frozen=True)
class VideoMatch:
    """How two videos compare: whether they are copies, and why, in words."""

    same: bool
    matched: int  # frames of the shorter clip with a frame of the other alike, in order
    frames: int  # frames of the shorter clip with content
    offset: float  # seconds into the longer clip where the shorter one starts
    reason: str  # "re-encoded copy", "trimmed: 12 s of 40 s in common", "different videos: 2 of 16 frames alike"


# -- reading -------------------------------------------------------------------------------------------------------


def sample_frames(path: str | os.PathLike[str], count: int | None = None, *, enough: int | None = None) -> VideoFrames:
    """About ``count`` frames at evenly spaced times across the video (by default one a second, within
    MIN_SAMPLES..MAX_SAMPLES), less those that show nothing. Each is reached by seeking to the keyframe before it
    and decoding forward, so a long video is never decoded whole. ``enough``: stop once that many frames with content
    are kept (a poster: engine.previews). A file that is not a readable video raises :class:`FileError` with the
    reason."""
    path = os.fspath(path)
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
        raise UsageError(f"count must be a whole number of frames from 1 up, got {count!r}")
    with open_regular_file(path) as fh:  # not a FIFO or a device; missing files and permissions said the usual way
        if os.fstat(fh.fileno()).st_size == 0:
            raise FileError(path, "empty file (0 bytes)")
        try:
            with av.open(fh, "r", metadata_errors="replace") as container:
                return _sample(container, path, count, enough)
        except av.FFmpegError as exc:
            raise FileError(path, _ffmpeg_reason(exc)) from None
        except (OSError, MemoryError) as exc:
            raise FileError(path, f"cannot read ({getattr(exc, 'strerror', None) or type(exc).__name__})") from None


def _ffmpeg_reason(exc: av.FFmpegError) -> str:
    text = (exc.strerror or str(exc)).strip().rstrip(".")
    if isinstance(exc, av.error.InvalidDataError):
        return f"not a video, or damaged ({text[:1].lower() + text[1:]})"
    return f"cannot decode the video ({text[:1].lower() + text[1:]})"


def _video_stream(container, path: str):
    """The clip's picture stream: not cover art (an MP4's or MKV's attached picture), not an image file's."""
    if container.format.name in _IMAGE_FORMATS or container.format.name.endswith("_pipe"):
        raise FileError(path, "an image, not a video")
    streams = [s for s in container.streams.video if not s.disposition & av.stream.Disposition.attached_pic]
    if not streams:
        raise FileError(path, "no video stream (sound only, or not a video)")
    return streams[0]


def _duration(container, stream, path: str) -> tuple[float, float]:
    """(start, duration) in seconds, the video stream's own where the file gives it (the container's may count a
    longer sound track)."""
    start = float(stream.start_time * stream.time_base) if stream.start_time is not None else 0.0
    if stream.duration is not None and stream.duration > 0:
        duration = float(stream.duration * stream.time_base)
    elif container.duration is not None and container.duration > 0:
        duration = container.duration / av.time_base
    else:
        raise FileError(path, "zero or unknown duration" if stream.duration is None else "zero duration")
    if not math.isfinite(duration) or duration <= 0:
        raise FileError(path, "zero duration")
    return start, duration


def _quarter_turns(frame) -> int:
    """Counterclockwise quarter turns that show the frame as meant: a phone's portrait video is stored sideways,
    with the turn in its display matrix."""
    return round((frame.rotation or 0) / 90) % 4


def _shown_size(frame) -> tuple[int, int]:
    return (frame.height, frame.width) if _quarter_turns(frame) % 2 else (frame.width, frame.height)


def _picture(frame, scaler: VideoReformatter) -> Image.Image:
    """The frame as RGB, scaled down in FFmpeg's scaler (cheaper than converting all of a 4K frame), turned as the
    file says.

    The scaler is the caller's, on one thread: ``frame.to_image`` keeps a scaler per thread for the thread's life,
    with slice threads of its own, and a process that forks (PyTorch's data loaders) frees the other threads'
    scalers in the child, which then waits for ever on slice threads it does not have."""
    w, h = frame.width, frame.height
    scale = min(1.0, SAMPLE_SIDE / max(1, min(w, h)))
    rgb = scaler.reformat(frame, width=max(2, round(w * scale)), height=max(2, round(h * scale)), format="rgb24",
                          interpolation="AREA", threads=1)
    plane = rgb.planes[0]
    rows = np.frombuffer(plane, np.uint8).reshape(rgb.height, plane.line_size)[:, : rgb.width * 3]
    image = Image.fromarray(np.ascontiguousarray(rows).reshape(rgb.height, rgb.width, 3), "RGB")
    turn = _quarter_turns(frame)
    return image.rotate(90 * turn, expand=True) if turn else image


def _thumb(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("L").resize((THUMB_SIDE, THUMB_SIDE), Image.BOX), dtype=np.float32)


def shows_nothing(thumb: np.ndarray) -> bool:
    """A frame near black (nothing brighter than dark grey) or of one flat colour: no content to recognise."""
    return float(np.percentile(thumb, 98)) < DARK_PEAK or float(thumb.std()) < FLAT_STD


class _FrameReader:
    """Frames of one stream at wanted times. A time further ahead than a seek lands back (the keyframe interval,
    learnt as it goes) is sought, to the keyframe before it, then decoded to; a nearer one is decoded to from where
    decoding is. Either way at most MAX_FRAMES_PER_SAMPLE frames are decoded for one time.

    Frames no other frame is predicted from (most B-frames) are not decoded at all, which saves much of the decoding
    (tests/bench/bench_videos.py): the frame taken is then the first of the others at or after the time wanted, a
    frame or two later. Every frame that is decoded is decoded exactly."""

    def __init__(self, container, stream, start: float, fps: float):
        self.container, self.stream, self.start = container, stream, start
        stream.codec_context.skip_frame = "NONREF"
        self.half_frame = 0.5 / fps if fps else 0.0
        self.frames = None  # the decoding generator, kept between times that are decoded to
        self.position: float | None = None  # time of the last frame decoded, from the start of the clip
        self.seek_gap = FIRST_SEEK_GAP_S
        self.decoded = 0

    def frame_at(self, target: float):
        """The first frame at or after ``target`` seconds (or the frame the decoding budget reached), None at the
        end of the stream. A decoding error after the first frame ends the stream: the data stops there."""
        sought = False
        if self.frames is None or target - self.position > self.seek_gap:
            try:
                self.container.seek(int((self.start + target) / self.stream.time_base), stream=self.stream)
                self.frames, sought = self.container.decode(self.stream), True
            except av.FFmpegError:  # a stream that cannot seek is decoded from where it is
                self.frames = self.frames or self.container.decode(self.stream)
                self.seek_gap = math.inf
        budget = MAX_FRAMES_PER_SAMPLE
        try:
            for frame in self.frames:
                if frame.time is None:
                    continue
                self.decoded += 1
                budget -= 1
                self.position = frame.time - self.start
                if sought:  # where the seek landed: seeking to a nearer time than this saves nothing
                    self.seek_gap, sought = max(self.seek_gap, target - self.position), False
                if self.position >= target - self.half_frame or budget <= 0:
                    return frame
        except av.FFmpegError:
            if self.position is None:
                raise
        return None


def _sample(container, path: str, count: int | None, enough: int | None = None) -> VideoFrames:
    stream = _video_stream(container, path)
    start, duration = _duration(container, stream, path)
    fps = float(stream.average_rate or stream.guessed_rate or 0)
    if count is None:
        count = min(MAX_SAMPLES, max(MIN_SAMPLES, round(duration / SAMPLE_EVERY_S)))
    step = duration / count
    reader = _FrameReader(container, stream, start, fps)
    width, height = stream.codec_context.width, stream.codec_context.height
    skipped, ended_early, first = 0, False, True
    scaler = VideoReformatter()  # this call's, freed with it (see _picture)
    times: list[float] = []
    images: list[Image.Image] = []
    last_thumb = None
    opening = True  # until a frame with content differs from the first one
    repeats: list[tuple[float, Image.Image]] = []  # the opening's frames that repeat its first
    for target in ((i + 0.5) * step for i in range(count)):
        if reader.position is not None and reader.position >= target - reader.half_frame:
            continue  # the frame taken for the last time is already past this one (fewer frames than samples)
        frame = reader.frame_at(target)
        if frame is None:
            ended_early = True  # the stream ended before this time, or its data did (a truncated file)
            break
        if first:
            (width, height), first = _shown_size(frame), False
        image = _picture(frame, scaler)
        thumb = _thumb(image)
        if shows_nothing(thumb) or frame.is_corrupt:
            skipped += 1
            continue
        if opening and last_thumb is not None:
            if float(np.abs(thumb - last_thumb).mean()) < STATIC_DIFF:
                repeats.append((reader.position, image))
                continue
            opening, skipped, repeats = False, skipped + len(repeats), []  # a static intro: kept once
        times.append(reader.position)
        images.append(image)
        last_thumb = thumb
        if enough is not None and len(images) >= enough:
            break
    for position, image in repeats:  # the picture never changed: the whole clip is one still shot, its content
        times.append(position)
        images.append(image)
    if reader.position is None:
        raise FileError(path, "no frame could be decoded (damaged, or not a video)")
    if ended_early and reader.position < CUT_SHORT_SHARE * duration:
        raise FileError(path, f"cut short or damaged: frames stop at {_seconds(reader.position)} of "
                              f"{_seconds(duration)}")
    return VideoFrames(duration, width, height, fps, step, tuple(times), images, reader.decoded, skipped)


def video_signature(path: str | os.PathLike[str], model: HashModel, count: int | None = None) -> VideoSignature:
    """The frames :func:`sample_frames` keeps, hashed with ``model``'s duplicate codes."""
    frames = sample_frames(path, count)
    packed = model.encode_images(frames.images)
    return VideoSignature(os.fspath(path), frames.duration, frames.width, frames.height, frames.step,
                          np.asarray(frames.times, dtype=np.float64), packed)


# -- matching ------------------------------------------------------------------------------------------------------


def compare_videos(a: VideoSignature, b: VideoSignature, radius: int, gates: Sequence[Gate] = ()) -> VideoMatch:
    """Are ``a`` and ``b`` copies, and why. Frames are alike within ``radius`` bits (and, with the model's
    ``gates``, within a gate's radius on its bits, as for photos).

    The shorter clip must lie within the longer one: each frame alike is paired with one of the other at a time
    offset between 0 and the difference of their lengths, all at about one offset (the best by vote, within a
    sample interval plus a small drift), and in order (the longest monotone alignment). Enough of the shorter
    clip's frames must be in it: MIN_MATCHED_FRAMES and MIN_MATCHED_SHARE."""
    short, long = sorted((a, b), key=lambda s: (s.duration, len(s.times)))
    m, n = len(short.times), len(long.times)
    if short.codes.shape[1:] != long.codes.shape[1:]:
        raise UsageError(f"videos hashed with different models ({short.codes.shape[1] * 8} and "
                         f"{long.codes.shape[1] * 8} bits) cannot be compared")
    if m < MIN_MATCHED_FRAMES or n < MIN_MATCHED_FRAMES:
        return VideoMatch(False, 0, m, 0.0, "different videos: too few frames with content to compare")
    distances = codes_mod.hamming(short.codes, long.codes)
    close = distances <= radius
    if gates:
        xor = (short.codes[:, None, :] ^ long.codes[None, :, :]).reshape(m * n, -1)
        close &= gate_mask(xor, gates).reshape(m, n)
    offsets = long.times[None, :] - short.times[:, None]
    tolerance = max(short.step, long.step) + DRIFT_SHARE * short.duration
    close &= (offsets >= -tolerance) & (offsets <= long.duration - short.duration + tolerance)
    offset, matched = 0.0, 0
    if close.any():
        offset = _voted_offset(close, offsets, distances, tolerance)
        matched = _in_order(close & (np.abs(offsets - offset) <= tolerance))
    same = matched >= MIN_MATCHED_FRAMES and matched >= MIN_MATCHED_SHARE * m
    offset = max(0.0, offset)
    return VideoMatch(same, matched, m, offset, _reason(same, a, b, matched, m, offset))


def same_video(a: VideoSignature, b: VideoSignature, radius: int, gates: Sequence[Gate] = ()) -> bool:
    """Whether ``a`` and ``b`` are copies of one video (:func:`compare_videos`)."""
    return compare_videos(a, b, radius, gates).same


def _voted_offset(close: np.ndarray, offsets: np.ndarray, distances: np.ndarray, tolerance: float) -> float:
    """The time offset at which the most frames of the shorter clip have a frame alike in the longer; among offsets
    as good (a slow shot is alike over seconds), the one whose frames are nearest. Returned as the median offset of
    each frame's nearest partner there, so a trim's start is told to within about a frame interval."""
    rows, cols = np.nonzero(close)
    found, dist = offsets[rows, cols], distances[rows, cols].astype(np.float64)
    grid = tolerance / 2
    candidates = np.unique(np.round(found / grid)) * grid
    which, pair = np.nonzero(np.abs(found[None, :] - candidates[:, None]) <= tolerance)  # [candidates, pairs alike]
    nearest = np.full((len(candidates), close.shape[0]), np.inf)
    np.minimum.at(nearest, (which, rows[pair]), dist[pair])
    alike = np.isfinite(nearest)
    total = np.where(alike, nearest, 0.0).sum(axis=1)
    best = int(np.lexsort((total, -alike.sum(axis=1)))[0])
    band = close & (np.abs(offsets - candidates[best]) <= tolerance)
    in_band = np.where(band, distances, np.iinfo(np.int32).max)
    partner = in_band.argmin(axis=1)
    has = band.any(axis=1)
    return float(np.median(offsets[np.nonzero(has)[0], partner[has]]))


def _in_order(alike: np.ndarray) -> int:
    """How many frames of the shorter clip (rows) can be paired with frames of the longer (columns) in order: the
    longest chain of alike cells with rows increasing and columns not decreasing (a shorter clip sampled more
    densely than the longer may pair several frames with one)."""
    best = np.zeros(alike.shape[1], np.int64)
    for row in alike:
        best = np.maximum.accumulate(best + row)
    return int(best[-1])


def _reason(same: bool, a: VideoSignature, b: VideoSignature, matched: int, frames: int, offset: float) -> str:
    """In words, the sizes in the order asked (the video kept first, as a group lists them)."""
    short, long = sorted((a, b), key=lambda s: (s.duration, len(s.times)))
    if not same:
        return f"different videos: {matched} of {frames} frames alike"
    if long.duration - short.duration <= max(SAME_LENGTH_S, DRIFT_SHARE * long.duration):
        if (a.width, a.height) != (b.width, b.height):
            return f"resized copy: {a.width}×{a.height} and {b.width}×{b.height}"
        return "re-encoded copy"
    return f"trimmed: {_seconds(short.duration)} of {_seconds(long.duration)} in common, from {_seconds(offset)}"


def _seconds(value: float) -> str:
    if value < 10:
        return f"{value:.1f} s"
    if value < 60:
        return f"{value:.0f} s"
    minutes, seconds = divmod(round(value), 60)
    return f"{minutes} min {seconds:02d} s"


# -- grouping ------------------------------------------------------------------------------------------------------


def candidate_pairs(signatures: Sequence[VideoSignature], radius: int, gates: Sequence[Gate] = ()) -> np.ndarray:
    """Pairs of videos (positions, [P, 2], first < second) with at least MIN_MATCHED_FRAMES pairs of frames alike:
    one Hamming join over every frame of every video, so the alignment runs only where it can succeed."""
    counts = np.array([len(s.times) for s in signatures], dtype=np.int64)
    if counts.sum() < 2:
        return np.empty((0, 2), np.int64)
    owner = np.repeat(np.arange(len(signatures), dtype=np.int64), counts)
    every = np.concatenate([s.codes for s in signatures if len(s.times)])
    fa, fb, _ = HammingIndex(every).pairs(radius, gates)
    va, vb = owner[fa], owner[fb]
    other = va != vb
    pairs = np.sort(np.stack([va[other], vb[other]], axis=1), axis=1)
    if not len(pairs):
        return np.empty((0, 2), np.int64)
    unique, found = np.unique(pairs, axis=0, return_counts=True)
    return unique[found >= MIN_MATCHED_FRAMES]


def video_groups(signatures: Iterable[VideoSignature], radius: int, gates: Sequence[Gate] = ()) -> list[list[str]]:
    """Groups of videos that are copies of one another, as paths: the first of each is the one every other member
    is a copy of (the longest; :func:`compare_videos` of it and a member says why). Videos in no group are left
    out. ``radius`` and ``gates`` are the model's duplicate ones (``info.radius_duplicate``,
    ``info.gates_for(radius)``)."""
    signatures = list(signatures)
    widths = {s.codes.shape[1] for s in signatures}
    if len(widths) > 1:
        raise UsageError(f"videos hashed with different models ({', '.join(f'{w * 8} bits' for w in sorted(widths))}) "
                         f"cannot be grouped")
    if not widths:
        return []
    bits = 8 * widths.pop()
    if isinstance(radius, bool) or not isinstance(radius, (int, np.integer)) or not 0 <= radius <= bits:
        raise UsageError(f"radius must be a whole number of bits from 0 to {bits}, got {radius!r}")
    check_gates(gates, bits)
    copies: dict[int, set[int]] = {i: set() for i in range(len(signatures))}
    for x, y in candidate_pairs(signatures, int(radius), gates).tolist():
        if same_video(signatures[x], signatures[y], radius, gates):
            copies[x].add(y)
            copies[y].add(x)
    # the longest first: a trim matches its original; two trims of it need not match each other
    order = sorted(copies, key=lambda i: (-signatures[i].duration, -len(copies[i]), signatures[i].path))
    grouped: set[int] = set()
    groups = []
    for first in order:
        if first in grouped:
            continue
        members = sorted((i for i in copies[first] if i not in grouped), key=lambda i: signatures[i].path)
        if members:
            grouped.update([first, *members])
            groups.append([signatures[first].path] + [signatures[i].path for i in members])
    return groups
