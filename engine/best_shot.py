"""The best shot of a series (a burst, an exposure bracket, a re-take), measured from its pixels as a photographer
picks one: well exposed first, then the sharpest. A suggestion shown with its reason; nothing in a series is ever
marked for the trash (engine.duplicates)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from .catalog import FileRow
from .errors import FileError
from .images import read_image

SIDE = 512  # the long side the shots are measured at: the same for each, whatever their own sizes
CLIPPED = (4, 251)  # grey levels at or beyond which a pixel has lost its detail (crushed or blown)
BADLY_EXPOSED = 0.05  # a shot with more of its pixels clipped than this is exposed worse than one with less
SHARPER = 1.2  # the sharpest must have this much more fine detail than the next to be called the sharpest


@dataclass(frozen=True)
class ShotQuality:
    sharpness: float  # the Laplacian's variance over the picture's own: fine detail, whatever the exposure
    clipped: float  # share of pixels crushed to black or blown to white


def shot_quality(image: Image.Image) -> ShotQuality:
    grey = image.convert("L")
    grey.thumbnail((SIDE, SIDE), Image.Resampling.BILINEAR)
    pixels = np.asarray(grey, np.float32)
    detail = float(cv2.Laplacian(pixels, cv2.CV_32F).var())
    sharpness = detail / max(float(pixels.var()), 1.0)  # a brighter or more contrasted frame is not a sharper one
    clipped = float(((pixels <= CLIPPED[0]) | (pixels >= CLIPPED[1])).mean())
    return ShotQuality(sharpness, clipped)


def best_shot(files: Sequence[FileRow]) -> tuple[FileRow, str] | None:
    """The shot to suggest keeping among ``files`` and why, in words; None where fewer than two can be read, or the
    pixels do not tell them apart."""
    measured: dict[int, ShotQuality] = {}
    for f in files:
        try:
            measured[f.id] = shot_quality(read_image(f.path, min_side=SIDE // 2).image)
        except FileError:
            continue
    if len(measured) < 2:
        return None
    shots = [f for f in files if f.id in measured]
    exposed = [f for f in shots if measured[f.id].clipped <= BADLY_EXPOSED] or shots
    best = max(exposed, key=lambda f: (measured[f.id].sharpness, f.path))
    others = [f for f in shots if f.id != best.id]
    worse_exposed = [f for f in others if f not in exposed]
    if worse_exposed and len(exposed) == 1:
        other = min(worse_exposed, key=lambda f: measured[f.id].clipped)
        return best, (f"better exposed ({measured[best.id].clipped:.0%} of it clipped vs "
                      f"{measured[other.id].clipped:.0%})")
    runner = max((f for f in exposed if f.id != best.id), key=lambda f: measured[f.id].sharpness)
    ratio = measured[best.id].sharpness / max(measured[runner.id].sharpness, 1e-9)
    if ratio < SHARPER:
        return None  # as sharp as each other (a bracket on a tripod): the pixels do not decide, the keeper rules do
    return best, f"sharpest ({ratio:.1f}× the fine detail of the next best)"
