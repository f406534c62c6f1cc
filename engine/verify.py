"""Is a candidate pair the same photo? Geometric verification with local features, as copy-detection systems do.

A Hamming radius alone cannot tell "a cropped, re-encoded copy" from "another photo of a similar thing": a radius
wide enough for crops and turns lets look-alikes in. So the index proposes candidate pairs and each is checked here:
ORB keypoints on a grey working image, mutual nearest-neighbour matches that pass Lowe's ratio test, and a
similarity transform (scale, rotation, shift) fitted by RANSAC; the mirror image is tried when the photo itself
does not fit. ORB beat SIFT on the shared photos' edited copies, at a ninth of the bytes and a tenth of the time
(docs/benchmark.md, "Verified duplicates"). Then the overlap is compared pixel by pixel after local contrast normalisation, which ignores colour
and tone edits: nearly all of it agrees for a *copy*, much of it for a *series* (the same scene a moment apart:
aligned, but things moved), little or none for *different* photos. A photo too small or too flat to carry enough
keypoints is *unverified*: the caller falls back to the hash's decision.

OpenCV never opens a file: it gets decoded arrays (engine.images decodes, with its guards).
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import asdict, dataclass

import cv2
import numpy as np
from PIL import Image

WORKING_SIDE = 512  # the long side of the grey image keypoints are found on (a smaller photo is enlarged to it)
MAX_KEYPOINTS = 500
MIN_KEYPOINTS = 24  # fewer: too flat to verify
MIN_SIDE = 32  # a photo narrower than this is too small to verify
RATIO = 0.8  # Lowe's ratio test
MIN_INLIERS = 15
MIN_INLIER_SHARE = 0.25  # of the mutual matches
REPROJECTION = 0.012  # RANSAC's tolerance, as a share of the working image's long side
COMPARE_SIDE = 128  # the long side at which the overlap is compared
MIN_OVERLAP = 0.15  # of the first photo's area: less cannot say "the same frame"
COPY_AGREEMENT = 0.85  # share of the overlap's textured cells that agree, for a copy
SERIES_AGREEMENT = 0.35  # ... for a series
CELL = 8  # comparison cells are CELL x CELL pixels of the compare image
CELL_NCC = 0.5  # a cell agrees when the normalised images correlate at least this much there
MIN_CELL_STD = 10.0  # grey levels: a flatter cell is not counted
TONE_LEVELS = 6.0  # a brightness change of at least this many grey levels is named
TONE_CONTRAST = 0.1  # a contrast change of at least this share is named


VERSION = 3  # of the features and verdicts this module makes: the catalog's cached ones of another are made again
_MAGIC = b"PHVF"
_HEADER = struct.Struct("<4sHIIHHHH")  # magic, version, width, height, keypoints, mirrored keypoints, compare h, w


@dataclass(frozen=True)
class Keypoints:
    points: np.ndarray  # float32 [n, 2], in the photo's own pixels
    descriptors: np.ndarray  # uint8 [n, 32], ORB


@dataclass(frozen=True)
class Features:
    """What verification needs of one photo: its keypoints, those of its mirror image (a flipped copy is verified
    against them; None when the mirror image has too few), its size, and its grey compare image (long side
    COMPARE_SIDE)."""

    plain: Keypoints
    mirror: Keypoints | None
    size: tuple[int, int]  # the photo's width, height
    compare: np.ndarray  # uint8 [h, w]

    def flipped(self) -> Features | None:
        """The mirror image's features, as a photo of their own (no mirror of theirs)."""
        if self.mirror is None:
            return None
        return Features(self.mirror, None, self.size, np.ascontiguousarray(self.compare[:, ::-1]))

    def to_bytes(self) -> bytes:
        mirror = self.mirror or Keypoints(np.empty((0, 2), np.float32), np.empty((0, 32), np.uint8))
        h, w = self.compare.shape
        return b"".join([_HEADER.pack(_MAGIC, VERSION, *self.size, len(self.plain.points), len(mirror.points), h, w),
                         self.plain.points.astype("<f4").tobytes(), self.plain.descriptors.tobytes(),
                         mirror.points.astype("<f4").tobytes(), mirror.descriptors.tobytes(), self.compare.tobytes()])

    @classmethod
    def from_bytes(cls, data: bytes) -> Features:
        """Raises ValueError for bytes that are not features of this VERSION (the caller makes them again)."""
        if len(data) < _HEADER.size:
            raise ValueError("too short")
        magic, version, width, height, n, m, h, w = _HEADER.unpack_from(data)
        if magic != _MAGIC or version != VERSION:
            raise ValueError("not features of this version")
        sizes = [n * 8, n * 32, m * 8, m * 32, h * w]
        if len(data) != _HEADER.size + sum(sizes):
            raise ValueError("truncated")
        parts, at = [], _HEADER.size
        for size in sizes:
            parts.append(data[at:at + size])
            at += size
        points = np.frombuffer(parts[0], "<f4").reshape(n, 2).astype(np.float32)
        plain = Keypoints(points, np.frombuffer(parts[1], np.uint8).reshape(n, 32))
        mirror = Keypoints(np.frombuffer(parts[2], "<f4").reshape(m, 2).astype(np.float32),
                           np.frombuffer(parts[3], np.uint8).reshape(m, 32)) if m else None
        return cls(plain, mirror, (width, height), np.frombuffer(parts[4], np.uint8).reshape(h, w))


@dataclass(frozen=True)
class Verdict:
    kind: str  # "copy", "series", "different", "unverified" (too small or flat), or "unread" (not read this time)
    inliers: int = 0
    scale: float = 1.0  # the second photo's side over the first's, for the same content
    rotation: float = 0.0  # degrees the second photo is turned, clockwise
    mirrored: bool = False
    kept: float = 1.0  # share of the first photo's area that the second one shows
    agreement: float = 0.0  # share of the overlap's textured cells that agree
    brightness: float = 0.0  # the second photo's mean grey level minus the first's, over the overlap
    contrast: float = 1.0  # the second photo's spread of grey levels over the first's, over the overlap

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Verdict:
        return cls(**json.loads(text))

    def changes(self) -> list[tuple[str, str]]:
        """What differs from the first photo, as (kind, words) pairs: kind is "scale", "crop", "turn", "mirror" or
        "tone"; the words are what a user reads ("downscaled to 50 %"). Empty: the same frame."""
        if self.kind in ("different", "unverified", "unread"):
            return []
        parts = []
        if abs(self.scale - 1) >= 0.03:
            parts.append(("scale", f"{'downscaled' if self.scale < 1 else 'upscaled'} to {self.scale:.0%}"))
        if self.kept <= 0.97:
            parts.append(("crop", f"cropped {1 - self.kept:.0%}"))
        turn = (self.rotation + 180) % 360 - 180  # -180 .. 180, clockwise positive
        quarter = round(turn / 90) * 90
        if abs(turn - quarter) >= 1.5:
            quarter = turn
        if abs(quarter) >= 1.5:
            way = "" if abs(quarter) == 180 else (" clockwise" if quarter > 0 else " anticlockwise")
            parts.append(("turn", f"turned {abs(quarter):.0f}°{way}"))
        if self.mirrored:
            parts.append(("mirror", "mirrored"))
        if abs(self.brightness) >= TONE_LEVELS:
            parts.append(("tone", "brighter" if self.brightness > 0 else "darker"))
        if abs(math.log(max(self.contrast, 1e-3))) >= math.log(1 + TONE_CONTRAST):
            parts.append(("tone", "more contrast" if self.contrast > 1 else "less contrast"))
        return parts

    def reason(self) -> str:
        """The transform in words: "downscaled to 50 %, cropped 12 %, mirrored"."""
        if self.kind in ("different", "unverified", "unread"):
            return self.kind
        return ", ".join(words for _, words in self.changes()) or "same frame"

    def only_resized(self, first_size: tuple[int, int], second_size: tuple[int, int]) -> bool:
        """A copy of the whole frame, at most resized: no crop, turn, mirror or tone edit (the strict copy). ``kept``
        says how much of the first photo the second shows; the photos' sizes (width, height) tell how much of the
        second the first shows, so a crop is caught whichever of the two comes first."""
        if self.kind != "copy" or any(kind != "scale" for kind, _ in self.changes()):
            return False
        first_area = first_size[0] * first_size[1]
        second_area = second_size[0] * second_size[1] / max(self.scale, 1e-6) ** 2  # in the first photo's pixels
        return first_area > 0 and self.kept * first_area / max(second_area, 1) > 0.97


def _grey(image: Image.Image, side: int, enlarge: bool = False) -> np.ndarray:
    """The photo in grey, its long side at most ``side`` (exactly ``side`` when ``enlarge``)."""
    grey = image.convert("L")
    factor = side / max(grey.size)
    if factor < 1.0 or (enlarge and factor > 1.0):
        grey = grey.resize((max(1, round(grey.width * factor)), max(1, round(grey.height * factor))),
                           Image.Resampling.BOX if factor < 1.0 else Image.Resampling.BICUBIC)
    return np.asarray(grey)


_ORB = None


def _orb():
    global _ORB
    if _ORB is None:
        _ORB = cv2.ORB_create(nfeatures=MAX_KEYPOINTS)
    return _ORB


def _keypoints(image: Image.Image) -> Keypoints | None:
    working = _grey(image, WORKING_SIDE, enlarge=True)
    keypoints, descriptors = _orb().detectAndCompute(working, None)
    if descriptors is None or len(keypoints) < MIN_KEYPOINTS:
        return None
    # pixel centres line up between the working image and the photo: x = (x' + 0.5) * photo / working - 0.5
    scale = np.array(image.size, np.float32) / np.array(working.shape[::-1], np.float32)
    points = (np.array([k.pt for k in keypoints], dtype=np.float32) + 0.5) * scale - 0.5
    return Keypoints(points, descriptors)


def features(image: Image.Image) -> Features | None:
    """The photo's features, or None when it is too small or too flat to be verified."""
    if min(image.size) < MIN_SIDE:
        return None
    plain = _keypoints(image)
    if plain is None:
        return None
    mirror = _keypoints(image.transpose(Image.Transpose.FLIP_LEFT_RIGHT))
    return Features(plain, mirror, image.size, _grey(image, COMPARE_SIDE))


def _matches(a: Features, b: Features) -> tuple[np.ndarray, np.ndarray]:
    """Mutual nearest neighbours passing the ratio test: (points of a, points of b)."""
    matcher = cv2.BFMatcher(cv2.NORM_HAMMING)
    forward = matcher.knnMatch(a.plain.descriptors, b.plain.descriptors, k=2)
    backward = matcher.match(b.plain.descriptors, a.plain.descriptors)
    back = {m.queryIdx: m.trainIdx for m in backward}
    pairs = [(m[0].queryIdx, m[0].trainIdx) for m in forward
             if len(m) == 2 and m[0].distance < RATIO * m[1].distance and back.get(m[0].trainIdx) == m[0].queryIdx]
    if not pairs:
        return np.empty((0, 2), np.float32), np.empty((0, 2), np.float32)
    ia, ib = np.array(pairs).T
    return a.plain.points[ia], b.plain.points[ib]


def _fit(a: Features, b: Features) -> tuple[np.ndarray, int] | None:
    """The similarity transform taking b's pixels to a's, and its inlier count; None without a consistent one."""
    pa, pb = _matches(a, b)
    if len(pa) < MIN_INLIERS:
        return None
    tolerance = REPROJECTION * max(a.size)
    matrix, inliers = cv2.estimateAffinePartial2D(pb, pa, method=cv2.RANSAC, ransacReprojThreshold=tolerance,
                                                  maxIters=2000, confidence=0.995)
    if matrix is None:
        return None
    count = int(inliers.sum())
    if count < MIN_INLIERS or count < MIN_INLIER_SHARE * len(pa):
        return None
    return matrix, count


def _normalised(grey: np.ndarray) -> np.ndarray:
    """Local contrast normalisation: what is left after each neighbourhood's mean and spread are taken out, so that
    brightness, contrast, gamma and colour edits compare as equal."""
    g = grey.astype(np.float32)
    mean = cv2.GaussianBlur(g, (0, 0), 3)
    centred = g - mean
    spread = np.sqrt(cv2.GaussianBlur(centred * centred, (0, 0), 3)) + 2.0
    return centred / spread


def _to_photo(f: Features) -> np.ndarray:
    """Compare-image pixels -> the photo's pixels, pixel centres aligned on each axis."""
    h, w = f.compare.shape
    sx, sy = f.size[0] / w, f.size[1] / h
    return np.array([[sx, 0, (sx - 1) / 2], [0, sy, (sy - 1) / 2], [0, 0, 1]])


def _agreement(a: Features, b: Features, matrix: np.ndarray) -> tuple[float, float, float, float]:
    """(share of a's area that b shows, share of the overlap's textured cells where a and b agree, b's brightness
    minus a's and b's contrast over a's, in grey levels over the overlap). The overlap is compared in the frame of
    the photo that shows it with fewer pixels: enlarging the other would blur it."""
    kept = _kept(a, b, matrix)
    m = np.linalg.inv(_to_photo(a)) @ np.vstack([matrix, [0, 0, 1]]) @ _to_photo(b)  # b's compare px -> a's
    sign = 1.0
    if abs(np.linalg.det(m[:2, :2])) > 1.2:  # b's content is smaller in its compare image: compare in b's frame
        a, b, m, sign = b, a, np.linalg.inv(m), -1.0
    mask = _inside(b.compare.shape, m, a.compare.shape)
    warped = cv2.warpAffine(b.compare, m[:2], a.compare.shape[::-1], flags=cv2.INTER_AREA)
    first, second = a.compare[mask].astype(np.float32), warped[mask].astype(np.float32)
    brightness = sign * float(second.mean() - first.mean()) if mask.any() else 0.0
    contrast = float((second.std() + 1) / (first.std() + 1)) if mask.any() else 1.0
    return kept, _cells_agree(a.compare, warped, mask), brightness, contrast if sign > 0 else 1 / contrast


def _kept(a: Features, b: Features, matrix: np.ndarray) -> float:
    """The share of a's frame that b's frame covers, b mapped into a by ``matrix``."""
    wb, hb = b.size
    corners = np.array([[-0.5, -0.5], [wb - 0.5, -0.5], [wb - 0.5, hb - 0.5], [-0.5, hb - 0.5]], np.float32)
    mapped = cv2.transform(corners[None], matrix)[0].astype(np.float32)
    wa, ha = a.size
    frame = np.array([[-0.5, -0.5], [wa - 0.5, -0.5], [wa - 0.5, ha - 0.5], [-0.5, ha - 0.5]], np.float32)
    area, _ = cv2.intersectConvexConvex(frame, mapped)
    return max(0.0, min(1.0, float(area) / (wa * ha)))


def _inside(shape: tuple[int, int], m: np.ndarray, frame: tuple[int, int]) -> np.ndarray:
    """Where an image of ``shape`` lands in ``frame`` under ``m`` (eroded: its edges are resampled)."""
    mask = cv2.warpAffine(np.full(shape, 255, np.uint8), m[:2], frame[::-1], flags=cv2.INTER_NEAREST)
    return cv2.erode(mask, np.ones((5, 5), np.uint8)) > 0


def _cells_agree(first: np.ndarray, second: np.ndarray, mask: np.ndarray) -> float:
    """Share of the textured CELL x CELL cells inside ``mask`` where the two normalised images correlate."""
    h, w = first.shape
    rows, cols = h // CELL, w // CELL

    def cells(x: np.ndarray) -> np.ndarray:  # [rows, cols, CELL * CELL]
        x = x[:rows * CELL, :cols * CELL].reshape(rows, CELL, cols, CELL).swapaxes(1, 2)
        return x.reshape(rows, cols, CELL * CELL)

    inside = cells(mask).all(axis=2)
    # a cell flat in both (a sky, a wall) says nothing; one textured in either counts, so that the share is the same
    # whichever photo is called first (text printed on one carton and not on the other is a difference)
    textured = ((cells(first.astype(np.float32)).std(axis=2) >= MIN_CELL_STD)
                | (cells(second.astype(np.float32)).std(axis=2) >= MIN_CELL_STD))
    ca, cb = cells(_normalised(first)), cells(_normalised(second))
    ca, cb = ca - ca.mean(axis=2, keepdims=True), cb - cb.mean(axis=2, keepdims=True)
    denominator = np.sqrt((ca * ca).sum(axis=2) * (cb * cb).sum(axis=2))
    ncc = np.where(denominator > 0, (ca * cb).sum(axis=2) / np.maximum(denominator, 1e-9), 0.0)
    counted = inside & textured
    return float((ncc[counted] >= CELL_NCC).mean()) if counted.any() else 0.0


def verify(a: Features | None, b: Features | None) -> Verdict:
    """The verdict on photos a and b, b described relative to a; b's mirror image is tried when b does not fit."""
    if a is None or b is None:
        return Verdict("unverified")
    best = None
    for candidate, flipped in ((b, False), (b.flipped(), True)):
        if candidate is None:
            continue
        fitted = _fit(a, candidate)
        if fitted is None:
            continue
        matrix, inliers = fitted
        kept, agreement, brightness, contrast = _agreement(a, candidate, matrix)
        verdict = _verdict(matrix, inliers, kept, agreement, flipped, brightness, contrast)
        if best is None or _rank(verdict) > _rank(best):
            best = verdict
        if verdict.kind == "copy":
            break
    return best or Verdict("different")


def _rank(verdict: Verdict) -> tuple[int, float]:
    return ({"copy": 2, "series": 1}.get(verdict.kind, 0), verdict.agreement)


def _verdict(matrix: np.ndarray, inliers: int, kept: float, agreement: float, flipped: bool, brightness: float,
             contrast: float) -> Verdict:
    scale_b_to_a = math.hypot(matrix[0, 0], matrix[1, 0])
    rotation = -math.degrees(math.atan2(matrix[1, 0], matrix[0, 0]))  # b's turn, clockwise (y points down)
    scale = 1 / scale_b_to_a if scale_b_to_a > 0 else 0.0
    if kept < MIN_OVERLAP or not 0.05 <= scale <= 20:
        kind = "different"
    elif agreement >= COPY_AGREEMENT:
        kind = "copy"
    elif agreement >= SERIES_AGREEMENT:
        kind = "series"
    else:
        kind = "different"
    return Verdict(kind, inliers, round(scale, 3), round(rotation, 1), flipped, round(kept, 3), round(agreement, 3),
                   round(brightness, 1), round(contrast, 3))
