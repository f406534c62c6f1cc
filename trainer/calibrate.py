"""The duplicate radius of a model trained on a user's library, calibrated on that library without labels.

The shipped model's radii were calibrated on the near-duplicate benchmark. A model trained on someone's photos
gets the same rule on those photos: a share of them is kept out of training, some are edited with the
benchmark's edits (trainer.edits: re-encodes, downscales, crops, tilts, turns, flips, colour, blur, text,
borders, formats, screenshots), every copy and held-out photo is hashed by the exported model through the
engine as a scan hashes a file, and the duplicate radius is the largest whose precision is at least 0.99 for
"copy and its photo" pairs against every pair of different photos (the held-out photos and their copies).
Copies of a photo that the library already holds count as different photos here, which can only make the
radius smaller: with about 2,000 copy pairs, a few such pairs among the held-out photos do not move it.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from engine.errors import FileError
from engine.images import decode_image, read_image
from engine.model import HashModel

from .edits import EDITS, edited_file
from .evaluate import DUPLICATE_PRECISION, NearDupItems, calibrate_radius, code_counts

HELD_OUT = 0.2  # share of the photos kept out of training to calibrate on
MAX_HELD_OUT = 300  # bounds the calibration's time (about a minute on a 2-core CPU)
MIN_HELD_OUT = 10  # fewer cannot say anything: the model keeps its provisional radii (a library under 50 photos)
EDITED = 50  # held-out photos edited: 50 x 41 edits = 2,050 copy pairs, so precision 0.99 allows 20 wrong pairs
SIDE = 1024  # a photo's long side before it is edited: the model sees 224 px; 12 MP edits would take minutes
BATCH = 64
# Precision depends on how many pairs of different photos stand beside each copy pair. The benchmark's calibration
# half, where the shipped radii come from, has 4,000 (8.5 million pairs among 52 photos' 2,132 copies and 1,959
# other photos); a library's held-out photos have fewer, so their pairs are weighed up to that ratio and the radius
# means the same here as there.
DIFFERENT_PER_COPY = 4000


@dataclass(frozen=True)
class Calibration:
    radius: int  # the duplicate radius: the largest the photos allow, at most the ceiling; -1: none reaches 0.99
    allowed: int  # the largest radius the photos allow (-1: none)
    precision: float  # at the radius
    recall: float  # of the copies, at the radius
    photos: int  # held-out photos read
    copies: int  # edited copies hashed
    skipped: list  # [path, reason] of held-out photos that could not be read


def hold_out(paths: list[str], seed: int = 0) -> tuple[list[str], list[str]]:
    """(training photos, held-out photos): a seeded HELD_OUT share, at most MAX_HELD_OUT, none when fewer than
    MIN_HELD_OUT would be held out. The same photos give the same split, so a cancelled training resumes."""
    count = min(MAX_HELD_OUT, int(len(paths) * HELD_OUT))
    if count < MIN_HELD_OUT:
        return list(paths), []
    held = set(random.Random(seed).sample(sorted(paths), count))
    return [p for p in paths if p not in held], sorted(held)


def calibrate(model_path: str | os.PathLike[str], photos: list[str], *, ceiling: int | None = None, seed: int = 0,
              progress: Callable[[dict], None] | None = None) -> Calibration:
    """Calibrate ``model_path``'s duplicate radius on ``photos`` (held out from its training), never above
    ``ceiling``; the model's gates apply, as in the engine's duplicate search.

    Why a ceiling: how loose a radius can be depends on how many different shots of one scene stand beside each
    other. A library of bursts and series has many and gets a tighter radius than the benchmark's; one of unrelated
    photos has few, and the radius it allows does not hold elsewhere (bench_retrain.py: the shipped recipe retrained
    on 5,000 Imagenette photos, calibrated on 300 of them, allowed 51 where the benchmark's test half keeps precision
    0.99 only up to 33-37; at 51 its precision was 0.56). So the photos may tighten the starting radius, never
    loosen it."""
    model = HashModel.load(model_path, device="cpu")
    edited = set(random.Random(seed).sample(range(len(photos)), min(EDITED, len(photos))))
    total = len(photos) + len(edited) * len(EDITS)
    packed, source, edit, skipped = [], [], [], []
    pending: list[Image.Image] = []

    def flush():
        if pending:
            packed.append(model.encode_images(pending))
            pending.clear()
        if progress:
            progress({"event": "calibrate", "done": len(source), "total": total})

    min_side = model.info.input_size
    for k, path in enumerate(photos):
        try:
            image = read_image(path, min_side=min_side).image
        except FileError as exc:
            skipped.append([path, exc.reason])
            total -= 1 + (len(EDITS) if k in edited else 0)
            continue
        pending.append(image)
        source.append(k)
        edit.append("")
        if k in edited:
            image = _reduced(read_image(path, min_side=SIDE * 3 // 4).image)
            for e in EDITS:
                pending.append(decode_image(edited_file(e, image, f"{seed}-{k}"), e.name, min_side=min_side).image)
                source.append(k)
                edit.append(e.name)
        if len(pending) >= BATCH:
            flush()
    flush()
    copies = sum(1 for e in edit if e)
    if not copies:
        return Calibration(-1, -1, 0.0, 0.0, len(photos) - len(skipped), 0, skipped)
    items = NearDupItems(np.asarray(source), np.asarray(edit), np.full(len(source), -1))
    counts = code_counts(np.concatenate(packed), items, model.info.gates)
    positive = counts["positive_by_edit"].sum(axis=0)
    negative = counts["negative"] * (DIFFERENT_PER_COPY * positive.sum() / max(counts["negative"].sum(), 1))
    allowed = calibrate_radius(positive, negative, DUPLICATE_PRECISION)
    radius = allowed if ceiling is None else min(allowed, ceiling)
    upto = slice(0, max(radius, 0) + 1)
    found = positive[upto].sum()
    return Calibration(radius, allowed, round(float(found / max(found + negative[upto].sum(), 1e-9)), 4),
                       round(float(found / positive.sum()), 4), len(photos) - len(skipped), copies, skipped)


def _reduced(image: Image.Image) -> Image.Image:
    if max(image.size) <= SIDE:
        return image
    scale = SIDE / max(image.size)
    return image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))), Image.BILINEAR)


def uncalibrated_path(out: Path) -> Path:
    """Where the model is exported before its radius is known: next to ``out``, never ``out`` itself, so that
    ``out`` only ever holds a finished model."""
    return out.with_name(out.stem + ".uncalibrated.onnx")
