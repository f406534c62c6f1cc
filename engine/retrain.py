"""What "Retrain on my library" does, said without torch: the one place the trainer (which does it) and the faces
(``photohash-cli train`` and the app's Retrain dialog, which ask for it and describe it) read the recipe, the
methods' defaults, the hold-out rule, the request, the events, the time estimate and how a new model's radii are
described. The app bundle has no trainer, so this lives in the engine (docs/benchmark.md has the figures behind
each choice: "Training views chosen on a selection set", "pHash beside the learned code", "Retrain on my library").
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, fields
from typing import NamedTuple

from .errors import PhotoHashError

# -- what is trained ---------------------------------------------------------------------------------------------------

RECIPE = "photohash"  # the shipped model's recipe, named beside the methods
# A 64-bit head with the baseline's contrastive objective at a low temperature over large batches (two different
# photos of one subject get different codes), trained on what the engine sees of a user's copy of a photo (the whole
# photo, untouched or edited: the "edits" views).
RECIPE_SETTINGS = {"method": "baseline", "bits": 64, "augment": "edits", "views": 8, "tau": 0.05, "batch_size": 512,
                   "epochs": 60}
# Exported beside pHash computed in the graph, the head's bits written LEARNED_WEIGHT times, and a pair a duplicate
# only when pHash or the head is within GATE bits (engine.index's gates).
LEARNED_WEIGHT, GATE = 2, 8
PERCEPTUAL_BITS = 64  # pHash: the sign of the DCT's low 8 x 8 block
RECIPE_BITS = PERCEPTUAL_BITS + LEARNED_WEIGHT * RECIPE_SETTINGS["bits"]

# The recipe's second head, the similarity code ("photos like this one"): WCH by default, NSH selectable, each with
# its own settings and views (MoCo-style crops: on the recipe's edits views WCH's Imagenette mAP falls from 0.890 to
# 0.836, docs/benchmark.md). One graph: a scan's one backbone pass gives both codes.
SIMILAR_METHODS = ("wch", "nsh")
# 10 epochs: on a frozen backbone WCH's Imagenette mAP is 0.895 after 10, 0.896 after 15 and 0.893 after 30
# (tests/bench/bench_nsh_gap.py), and each epoch is 8 s of a 5,000-photo retrain on 2 cores.
SIMILAR_SETTINGS = {"bits": 64, "epochs": 10, "batch_size": 64, "views": 4, "augment": "standard"}

METHODS = (RECIPE, "wch", "nsh", "baseline", "whitening")
BITS = (16, 32, 64, 128)  # a learned code's lengths
# What a method alone gets when the request leaves a setting out.
METHOD_DEFAULTS = {"bits": 64, "epochs": 30, "batch_size": 64, "views": 4, "augment": "standard", "tau": None}
# The app's methods alone learn from random crops with a user's edits: its library is for finding copies.
LIBRARY_AUGMENT = "duplicates"
BACKBONES = ("mobilenet_v2", "resnet50", "vit_b_16")
MODES = ("frozen", "finetune")
AUGMENTS = ("standard", "duplicates", "edits")


def training_settings(method: str, bits: int | None = None, **given) -> dict:
    """The trainer's settings of a run (method, bits, epochs, batch_size, views, augment, tau): those given (None:
    not given), the rest from the recipe or the method's defaults."""
    shipped = method == RECIPE
    if shipped and bits not in (None, RECIPE_SETTINGS["bits"]):
        raise PhotoHashError(f"the {RECIPE} recipe learns {RECIPE_SETTINGS['bits']} bits beside pHash; "
                             f"use --method wch, nsh or baseline for a {bits}-bit code alone")
    unknown = set(given) - set(METHOD_DEFAULTS)
    if unknown:
        raise TypeError(f"not a training setting: {', '.join(sorted(unknown))}")
    defaults = RECIPE_SETTINGS if shipped else {"method": method, **METHOD_DEFAULTS}
    chosen = {key: value for key, value in {**given, "bits": bits}.items() if value is not None}
    return {**defaults, **chosen}


def model_stem(method: str, bits: int) -> str:
    """A new model's file name before its time stamp: method and whole code length (``photohash192``, ``wch64``)."""
    return f"{method}{RECIPE_BITS if method == RECIPE else bits}"


# -- what is held out --------------------------------------------------------------------------------------------------

HELD_OUT = 0.2  # share of the photos kept out of training to check the duplicate radius on
MAX_HELD_OUT = 300  # bounds the check's time: each is edited 41 times
MIN_HELD_OUT = 10  # fewer cannot say anything: the model keeps its provisional radii (a library under 50 photos)


def held_out_count(photos: int) -> int:
    """How many of a library's photos ``hold_out`` keeps out of training."""
    count = min(MAX_HELD_OUT, int(photos * HELD_OUT))
    return count if count >= MIN_HELD_OUT else 0


def hold_out(paths: list[str], seed: int = 0) -> tuple[list[str], list[str]]:
    """(training photos, held-out photos). Each photo's lot is a hash of its path and the seed, so a library that
    changed a little keeps almost the same split (a cancelled training resumes on nearly the same photos)."""
    count = held_out_count(len(paths))
    if not count:
        return list(paths), []
    lot = {p: hashlib.blake2b(f"{seed}\0{p}".encode(), digest_size=8).digest() for p in paths}
    held = set(sorted(paths, key=lot.__getitem__)[:count])
    return [p for p in paths if p not in held], sorted(held)


class ShippedRadii(NamedTuple):
    duplicate: int
    similar: int
    similar_code: int  # the similar radius on its similarity code (0: it has none)


def shipped_radii() -> ShippedRadii:
    """The shipped model's radii: a retrained model starts from them (a similar radius needs subjects' labels, which
    a library does not have; the duplicate radius is checked again on held-out photos and only ever tightened)."""
    from .model import HashModel, default_model_path

    info = HashModel.load(default_model_path(), device="cpu").info
    return ShippedRadii(info.radius_duplicate, info.radius_similar, info.similar_radius)


# -- the request and its events ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RetrainRequest:
    """One retrain, as the CLI's ``train`` and the app ask for it; the app hands it to the trainer's child process
    as JSON (``python -m trainer.session REQUEST``). ``images`` None: the photos of the catalog at ``catalog``
    (None: the user's catalog)."""

    out: str
    method: str = RECIPE
    bits: int | None = None
    images: str | None = None
    catalog: str | None = None
    weights: str | None = None
    backbone: str = "mobilenet_v2"
    mode: str = "frozen"
    image_size: int = 224
    workers: int = 2
    epochs: int | None = None
    batch_size: int | None = None
    views: int | None = None
    augment: str | None = None
    tau: float | None = None
    slope: float | None = None  # the baseline through tanh codes of a growing slope instead of a straight-through sign
    upright: bool = True  # also learn which way up a photo is (from 250 training photos)
    similar_method: str | None = None  # the recipe's similarity code: wch (None: the default), nsh, or "none"
    seed: int = 0
    device: str = "auto"
    work_dir: str | None = None  # checkpoints and feature cache (None: the data folder's training/<out's stem>)

    def settings(self) -> dict:
        return training_settings(self.method, self.bits, epochs=self.epochs, batch_size=self.batch_size,
                                 views=self.views, augment=self.augment, tau=self.tau)

    def similar(self) -> str | None:
        """The method of the similarity code trained beside the recipe's duplicate code (None: no such code; a method
        alone has one code for both questions)."""
        if self.method != RECIPE:
            if self.similar_method not in (None, "none"):
                raise PhotoHashError(f"a similarity code is trained beside the {RECIPE} recipe's duplicate code; "
                                     f"{self.method} alone has one code for both questions")
            return None
        chosen = self.similar_method or SIMILAR_METHODS[0]
        if chosen == "none":
            return None
        if chosen not in SIMILAR_METHODS:
            raise PhotoHashError(f"the similarity code is learned with {' or '.join(SIMILAR_METHODS)} (or none), "
                                 f"not {chosen!r}")
        if self.mode != "frozen":
            raise PhotoHashError("the similarity code is trained on the frozen backbone's cached views; with "
                                 "--mode finetune, add --similar-method none")
        return chosen

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> RetrainRequest:
        """Refuses fields it does not know: a trainer older than the app says so rather than ignore a setting."""
        try:
            given = json.loads(text)
        except ValueError as exc:
            raise PhotoHashError(f"not a retrain request: {exc}") from None
        if not isinstance(given, dict):
            raise PhotoHashError("not a retrain request: a JSON object is expected")
        unknown = set(given) - {f.name for f in fields(cls)}
        if unknown:
            raise PhotoHashError(f"the trainer does not know the setting(s) {', '.join(sorted(unknown))}")
        return cls(**given)


# The trainer's events, each a JSON-ready dict with an "event" key, in the order a run emits them:
#   resumed {epoch, step}; cache {done, total, rate, eta_s}; fit {method, photos}; step {epoch, epochs, step, steps,
#   loss, eta_s, and code "similar" for the similarity code's head}; epoch {epoch, epochs, loss, code}; upright {done, total, rate, eta_s}; calibrate {done, total};
#   skipped {path, reason}; stopped {work_dir} (cancelled: the same request resumes); done (the summary below).
EVENTS = ("resumed", "cache", "fit", "step", "epoch", "cancelled", "upright", "calibrate", "skipped", "stopped", "done")


def describe_radii(done: dict) -> str:
    """The trainer's ``done`` event -> one line on the new model's duplicate radius and where it comes from."""
    radius, calibration = done["radius"]["duplicate"], done.get("calibration")
    if calibration is None:
        return f"duplicate radius {radius} of {done['bits']} bits (too few photos to hold some out and calibrate it)"
    if not calibration["copies"]:
        return (f"duplicate radius {radius} of {done['bits']} bits, not checked: {calibration['photos']} distinct "
                "held-out photos could be read and edited, too few")
    if calibration["radius"] < 0:
        return (f"duplicate radius 0 of {done['bits']} bits: on {calibration['photos']} photos kept out of training, "
                f"even photos with the same code are copies of one photo only {calibration['precision']:.0%} of the "
                f"time. This model finds similar photos, not duplicates (the {RECIPE} recipe finds those)")
    found = (f"{calibration['photos']:,} photos kept out of training and {calibration['copies']:,} edited copies of "
             f"them: it finds {calibration['recall']:.0%} of the copies at precision {calibration['precision']:.3f}")
    if calibration["allowed"] > radius:  # the photos allowed more: the starting radius is the ceiling
        return (f"duplicate radius {radius} of {done['bits']} bits, kept: your photos would allow {calibration['allowed']}, "
                f"but a radius is only ever tightened by them. On {found}")
    return f"duplicate radius {radius} of {done['bits']} bits, set on {found}"


def describe_similar(done: dict) -> str | None:
    """The trainer's ``done`` event -> one line on the new model's similarity code (None: it has none)."""
    similar = done.get("similar")
    if not similar:
        return None
    line = (f"similarity code: {similar['method'].upper()}, {similar['bits']} bits, radius {similar['radius']} "
            f"(for search by example and similar photos)")
    calibration = done.get("calibration") or {}
    if calibration.get("similar_copies") is not None:
        line += (f"; on the held-out photos it puts {calibration['similar_copies']:.0%} of the edited copies and "
                 f"{calibration['similar_different']:.0%} of the pairs of different photos within it")
    return line


# -- how long it takes -------------------------------------------------------------------------------------------------

# Seconds per photo of the frozen mode's reading and training, by device, and the fixed and per-held-out-photo costs;
# docs/benchmark.md ("Retrain on my library: 5,000 photos end to end") has the runs they come from.
SECONDS_PER_PHOTO = {"cpu": 0.11, "cuda": 0.02, "mps": 0.04}
STARTUP_SECONDS = 10  # loading PyTorch and the backbone, exporting and checking the model
CHECK_SECONDS_PER_PHOTO = 0.4  # each held-out photo and its 41 edited copies
# Which way up is learned from this many training photos: from 250, the held-out fifth has 50 upright images (the
# 2 % rule then allows one wrongly turned, not 0 of 4); 6,000 are enough, and bound the time and the memory (about
# 0.4 MB per photo while fitting).
UPRIGHT_MIN_PHOTOS, UPRIGHT_MAX_PHOTOS = 250, 6000


def estimate(photos: int, device: str, epochs: int, method: str = RECIPE, similar: bool = False) -> float:
    """Seconds for a frozen-mode retrain of a library of ``photos``: the held-out photos are checked, the rest train.
    A method alone spends about 40 % reading (4 views) and 60 % on 30 epochs; the recipe reads 8 views (half again
    the reading: each photo is decoded once) and trains its small head in a twentieth of that; its similarity code
    (``similar``) reads and trains as a method alone does; learning which way up adds a fifth of a photo's share."""
    per_photo = SECONDS_PER_PHOTO.get(device, SECONDS_PER_PHOTO["cpu"])
    held = held_out_count(photos)
    training = photos - held
    upright = 0.2 * min(training, UPRIGHT_MAX_PHOTOS) if training >= UPRIGHT_MIN_PHOTOS else 0.0
    recipe_epochs, method_epochs = RECIPE_SETTINGS["epochs"], METHOD_DEFAULTS["epochs"]
    reading, fitting = (0.6, 0.05 * epochs / recipe_epochs) if method == RECIPE else (0.4, 0.6 * epochs / method_epochs)
    if similar:
        reading, fitting = reading + 0.4, fitting + 0.6 * SIMILAR_SETTINGS["epochs"] / method_epochs
    return STARTUP_SECONDS + CHECK_SECONDS_PER_PHOTO * held + per_photo * (training * (reading + fitting) + upright)
