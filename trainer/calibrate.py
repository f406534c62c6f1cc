"""The duplicate radius of a model trained on a user's library, checked on that library without labels.

The shipped model's radii were calibrated on the near-duplicate benchmark. A model trained on someone's photos
gets the same rule on those photos: a share of them is kept out of training, each is edited with the
benchmark's edits (trainer.edits: re-encodes, downscales, crops, tilts, turns, flips, colour, blur, text,
borders, formats, screenshots), every copy and held-out photo is hashed by the exported model through the
engine as a scan hashes a file, and the duplicate radius is the largest whose precision is at least 0.99 for
"copy and its photo" pairs against every pair of different photos (the held-out photos and their copies).

A duplicate finder's library holds copies already: two held-out photos that are copies of each other would count
as different photos and drag every radius down (one such pair brings 42 x 42 false pairs at the copies' own
distances). So the held-out photos that the shipped model groups as duplicates of one another are
kept once. Different shots of one scene that it does not group stay, and may tighten the radius, as they should.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from PIL import Image

from engine.errors import FileError
from engine.images import decode_image, read_image
from engine.index import HammingIndex
from engine import codes
from engine.model import HashModel, ModelInfo, default_model_path
from engine.retrain import MIN_HELD_OUT

from .edits import EDITS, edited_file
from .evaluate import DUPLICATE_PRECISION, NearDupItems, calibrate_radius, code_counts

MIN_DISTINCT = MIN_HELD_OUT // 2  # distinct held-out photos needed (unreadable ones and duplicates leave fewer)
MIN_EDITED_SIDE = 64  # a thinner photo (an icon, a strip) cannot take every edit: it is not edited
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
    photos: int  # held-out photos read, each group the shipped model calls duplicates once
    copies: int  # edited copies hashed
    skipped: list  # [path, reason] of held-out photos that could not be read
    # a model with a similarity code: the share of the copies within its similar radius of their photo (copies are
    # the most similar photos there are), and of the pairs of different held-out photos (a code that collapsed
    # would put them all there); None: the model has one code
    similar_copies: float | None = None
    similar_different: float | None = None


def calibrate(model_path: str | os.PathLike[str], photos: list[str], *, ceiling: int | None = None, seed: int = 0,
              progress: Callable[[dict], None] | None = None, cancel: threading.Event | None = None) -> Calibration:
    """Calibrate ``model_path``'s duplicate radius on ``photos`` (held out from its training), never above
    ``ceiling``; the model's gates apply, as in the engine's duplicate search.

    Why a ceiling: how loose a radius can be depends on how many different shots of one scene stand beside each
    other. A library of bursts and series has many and gets a tighter radius than the benchmark's; one of unrelated
    photos has few, and the radius it allows does not hold elsewhere (bench_retrain.py: the shipped recipe retrained
    on 5,000 Imagenette photos, checked on 300 of them, allowed 51 where the benchmark's test half keeps precision
    0.99 only up to 33; at 51 its precision was 0.56). So the photos may tighten the starting radius, never
    loosen it. Setting ``cancel`` stops it with KeyboardInterrupt, as Ctrl-C does."""
    model = HashModel.load(model_path, device="cpu")
    reference = HashModel.load(default_model_path(), device="cpu")
    total = len(photos) * (1 + len(EDITS))
    done = 0

    def report(count: int) -> None:
        nonlocal done
        if cancel is not None and cancel.is_set():
            raise KeyboardInterrupt
        done += count
        if progress:
            progress({"event": "calibrate", "done": done, "total": total})

    # the held-out photos, as a scan hashes them, by the model and by the shipped one
    read, skipped, mine, theirs, similar = [], [], [], [], []
    for begin in range(0, len(photos), BATCH):
        images = []
        for path in photos[begin:begin + BATCH]:
            try:
                images.append(read_image(path, min_side=model.info.input_size).image)
                read.append(path)
            except FileError as exc:
                skipped.append([path, exc.reason])
        duplicate_codes, similar_codes = model.encode_images_both(images)
        mine.append(duplicate_codes)
        similar.append(similar_codes)
        theirs.append(reference.encode_images(images))
        report(len(images))
    kept = _once_each(np.concatenate(theirs), reference.info) if read else []
    if len(kept) < MIN_DISTINCT:  # too few different photos to say how close different photos come
        return Calibration(-1, -1, 0.0, 0.0, len(kept), 0, skipped)
    originals = np.concatenate(mine)[kept]
    similar_originals = np.concatenate(similar)[kept] if model.info.similar_bits else None
    read = [read[i] for i in kept]
    total = done + len(read) * len(EDITS)

    packed, source, edit = [originals], list(range(len(read))), [""] * len(read)
    similar_copies = []
    for k in range(len(read)):  # every photo, as every original of the benchmark: series show among the copies
        copies, names = [], []
        try:
            image = _reduced(read_image(read[k], min_side=SIDE * 3 // 4).image)
        except FileError as exc:  # it was read a moment ago
            skipped.append([read[k], exc.reason])
            image = None
        for e in EDITS if image is not None and min(image.size) >= MIN_EDITED_SIDE else ():
            try:
                copies.append(decode_image(edited_file(e, image, f"{seed}-{k}"), e.name,
                                           min_side=model.info.input_size).image)
                names.append(e.name)
            except (FileError, OSError, ValueError):  # an edit this photo cannot take: that copy is left out
                continue
        duplicate_codes, similar_codes = model.encode_images_both(copies)
        packed.append(duplicate_codes)
        if similar_codes is not None:
            similar_copies.append(codes.hamming(similar_codes, similar_originals[k:k + 1])[:, 0])
        source += [k] * len(copies)
        edit += names
        total -= len(EDITS) - len(copies)
        report(len(copies))
    copies = len(edit) - len(read)
    if not copies:
        return Calibration(-1, -1, 0.0, 0.0, len(read), 0, skipped)
    items = NearDupItems(np.asarray(source), np.asarray(edit), np.full(len(source), -1))
    counts = code_counts(np.concatenate(packed), items, model.info.gates)
    positive = counts["positive_by_edit"].sum(axis=0)
    negative = counts["negative"] * (DIFFERENT_PER_COPY * positive.sum() / max(counts["negative"].sum(), 1))
    allowed = calibrate_radius(positive, negative, DUPLICATE_PRECISION)
    upto = len(positive) if ceiling is None else ceiling + 1  # precision need not fall as the radius grows
    radius = calibrate_radius(positive[:upto], negative[:upto], DUPLICATE_PRECISION)
    upto = slice(0, max(radius, 0) + 1)
    found = positive[upto].sum()
    within = {}
    if similar_originals is not None:
        reach = model.info.similar_radius
        different = codes.hamming(similar_originals, similar_originals)[np.triu_indices(len(read), 1)]
        within = {"similar_copies": round(float(np.mean(np.concatenate(similar_copies) <= reach)), 4),
                  "similar_different": round(float(np.mean(different <= reach)), 4)}
    return Calibration(radius, allowed, round(float(found / max(found + negative[upto].sum(), 1e-9)), 4),
                       round(float(found / positive.sum()), 4), len(read), copies, skipped, **within)


def _once_each(packed: np.ndarray, info: ModelInfo) -> list[int]:
    """Positions of the photos to keep: those the shipped model calls a duplicate (within its duplicate radius and
    gates) of no earlier photo, so that no two kept photos are duplicates of each other."""
    a, b, _ = HammingIndex(packed).pairs(info.radius_duplicate, info.gates)
    return sorted(set(range(len(packed))) - set(np.maximum(a, b).tolist()))


def calibrated(info: ModelInfo, calibration: Calibration) -> ModelInfo:
    """The model's metadata with the calibrated duplicate radius; 0 where no radius is precise enough (the least harm:
    a code for subjects, not copies), unchanged where nothing could be checked (too few distinct held-out photos
    could be read, or none could be edited)."""
    if not calibration.copies:
        return info
    similar = "" if calibration.similar_copies is None else (
        f"; within the similarity code's radius: {calibration.similar_copies:.0%} of the copies, "
        f"{calibration.similar_different:.0%} of the pairs of different photos")
    return replace(info, radius_duplicate=max(calibration.radius, 0),
                   trained_on=f"{info.trained_on}; duplicate radius checked on {calibration.photos} held-out photos "
                              f"and {calibration.copies} edited copies (they allow {calibration.allowed}){similar}")


def _reduced(image: Image.Image) -> Image.Image:
    if max(image.size) <= SIDE:
        return image
    scale = SIDE / max(image.size)
    return image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))), Image.BILINEAR)


def uncalibrated_path(out: Path) -> Path:
    """Where the model is exported before its radius is known: next to ``out``, never ``out`` itself, so that
    ``out`` only ever holds a finished model."""
    return out.with_name(out.stem + ".uncalibrated.onnx")
