"""Choosing a training recipe on a selection set ten times the calibration half (issue 4).

The calibration half has 52 originals: candidates a few points apart cannot be told apart on it, and
one unrelated photo landing near one original moves the calibrated radius. Here:

1. 500 of the 5,000 Imagenette *train* photos (seed 0, 50 per class) are held out as originals, and
   each gets the benchmark's 41 edits (``trainer.edits``; the photos are 224 px, so JPEG, blur and
   downscales are harsher than on the 1,024 px originals).
2. They form ten groups, each the 50 originals of one subject with their edits, plus the calibration
   half's Imagenette val distractors: the size of a benchmark half, ten times over, but a library of one
   subject (a pet, a child, one building), where a benchmark half's originals are all different scenes.
   The pair counts of the ten groups are summed, the pairs among the distractors once (not ten times); the
   radius is the largest with precision ≥ 0.99 on the sum.
3. Each candidate recipe trains its head, seeds 0, 1 and 2, on the view caches that
   ``bench_quality.py`` built, minus the 500 held-out photos, and is scored on the sum; and, trained on all
   the photos as bench_quality.py trains it, on the calibration half (its radius and recall at 0.99) and
   by Imagenette mAP@1000 (the issue chooses on both).

The test half is never read. Run after ``make bench-quality`` (it needs its view caches):

    .venv/bin/python tests/bench/bench_selection.py [--seeds 3] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import functools
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_quality as bq  # noqa: E402
from bench_quality import REPO, WORK  # noqa: E402

from trainer.config import FitConfig  # noqa: E402
from trainer.edits import EDITS, write_edits  # noqa: E402
from trainer.evaluate import NearDupItems, calibrate_radius  # noqa: E402
from trainer.feature_cache import CACHE  # noqa: E402
from trainer.fit import train_on_cache  # noqa: E402
from trainer.methods import METHODS  # noqa: E402
from trainer.perceptual import code_gates, side_by_side  # noqa: E402

SELECTION = WORK / "selection"
PER_CLASS = 50
GROUP = 50  # originals per group, as a benchmark half has
RADII = (2, 4, 6, 8)

# Candidates: a name → (the training caches whose views are pooled, the FitConfig settings).
# The shipped recipe (bench_quality.SHIPPED_RECIPE) with other views, learned whitening, and the shipped recipe
# trained through tanh codes (methods/baseline.py's slope); each cache is one that bench_quality.py built.
CANDIDATES = {
    "duplicates views (4; before)": (("duplicates",), {"augment": "duplicates", "views": 4}),
    "edits views (8; shipped)": (("edits",), {"augment": "edits", "views": 8}),
    "duplicates + edits views (4 + 8)": (("duplicates", "edits"), {"views": 12}),
    "whitening, edits views (8)": (("edits",), {"method": "whitening", "augment": "edits", "views": 8, "tau": None}),
    "edits views, tanh slope 3": (("edits",), {"augment": "edits", "views": 8, "slope": 3.0}),
    "edits views, tanh slope 10": (("edits",), {"augment": "edits", "views": 8, "slope": 10.0}),
}
# Candidates whose code is pHash (trainer.perceptual) then the head's bits written ``weight`` times, gated as the
# shipped model is (bench_quality.GATE): name -> (caches, settings, weight).
WITH_PHASH = {f"pHash + edits head x{w}, gated": (("edits",), {"augment": "edits", "views": 8}, w) for w in (1, 2, 3)}


def subject(path: str) -> str:
    """An Imagenette train photo's class (its WordNet id), from the file name bench_retrieval gives it."""
    return Path(path).name.split("_")[2]


def held_out(photos: list[str]) -> list[str]:
    """PER_CLASS photos of each Imagenette class, seeded."""
    by_class: dict[str, list[str]] = {}
    for p in photos:
        by_class.setdefault(subject(p), []).append(p)
    rng = random.Random(0)
    return sorted(q for c in sorted(by_class) for q in rng.sample(sorted(by_class[c]), PER_CLASS))


def build_selection(originals: list[str]) -> list[Path]:
    """Each original and its 41 edits, written once under build/bench/quality/selection."""
    from PIL import Image

    paths = []
    for src in originals:
        key = Path(src).stem
        original = SELECTION / "originals" / Path(src).name
        if not original.exists():
            original.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, original)
        with Image.open(original) as img:
            paths += [original, *write_edits(img.convert("RGB"), key, SELECTION / "edits")]
    return paths


def groups(features: np.ndarray, classes: np.ndarray, distractors: np.ndarray, labels: np.ndarray):
    """Ten benchmark-half-like groups: (features, items) of 50 originals + edits + the distractors. Unlike a
    benchmark half, an original and its edits carry its subject's class, so "same-class false duplicates"
    also counts an edited copy that lands on another photo of its subject: the benchmark's originals have
    no such siblings, and its Imagenette distractors are never edited."""
    per = 1 + len(EDITS)
    for g in range(0, len(classes), GROUP):
        rows = features[g * per:(g + GROUP) * per]
        k = len(rows) // per
        source = np.concatenate([np.repeat(np.arange(k), per), -1 - np.arange(len(distractors))])
        edit = np.concatenate([np.tile([""] + [e.name for e in EDITS], k), np.full(len(distractors), "")])
        label = np.concatenate([np.repeat(classes[g:g + GROUP], per), labels])
        yield np.concatenate([rows, distractors]), NearDupItems(source, edit, label)


def score(counts, sets, shared=None) -> dict:
    """Pair counts (``counts(features, items)``) summed over the groups; the radius calibrated on the sum,
    and precision / recall at fixed radii. ``shared``: (features, items) of the distractors every group holds,
    whose pairs among themselves are then counted once."""
    positive = negative = same_class = 0
    by_edit = None
    for features, items in sets:
        c = counts(features, items)
        positive, negative = positive + c["positive_by_edit"].sum(axis=0), negative + c["negative"]
        same_class = same_class + c["same_class"]
        by_edit = c["positive_by_edit"] if by_edit is None else by_edit + c["positive_by_edit"]
    if shared is not None:
        c = counts(*shared)
        extra = len(sets) - 1
        negative, same_class = negative - extra * c["negative"], same_class - extra * c["same_class"]
    tp, fp = np.cumsum(positive), np.cumsum(negative)
    radius = calibrate_radius(positive, negative, bq.DUPLICATE_PRECISION)
    row = {name: k for k, name in enumerate(sorted(e.name for e in EDITS))}  # near_duplicate_counts' edit order
    groups_of = {group: [row[name] for name in names] for group, names in bq.edit_groups().items()}
    upto = max(radius, 0) + 1
    same = np.cumsum(same_class)
    return {"radius": radius, "recall": tp[radius] / tp[-1] if radius >= 0 else 0.0,
            "false_at_4": (int(fp[4]), int(same[4])),
            "at": {r: (tp[r] / max(tp[r] + fp[r], 1), tp[r] / tp[-1]) for r in RADII},
            "by_group": {g: by_edit[ks, :upto].sum() / by_edit[ks].sum() for g, ks in groups_of.items()}}


@functools.cache
def _cached_views(augment: str) -> dict:
    """One of the bench's view caches, read once: pooled features (no candidate uses the token grids) and paths."""
    path = WORK / f"train-{augment}" / CACHE
    if not path.exists():
        sys.exit(f"{path} is missing: run make bench-quality first")
    cache = torch.load(path, weights_only=True)
    return {"pooled": cache["pooled"], "paths": cache["paths"]}


def training_views(augments: tuple[str, ...]) -> dict:
    """The bench's view caches of ``augments``, views side by side."""
    parts = [_cached_views(a) for a in augments]
    paths = parts[0]["paths"]
    if any(p["paths"] != paths for p in parts):
        sys.exit("the view caches hold different photos; rerun make bench-quality")
    return {"pooled": torch.cat([p["pooled"] for p in parts], dim=1), "paths": paths}


def only(cache: dict, keep: list[str]) -> dict:
    """The cached photos in ``keep``, in the cache's order; every one of them must be there."""
    wanted = set(keep)
    rows = [i for i, p in enumerate(cache["paths"]) if p in wanted]
    if len(rows) != len(wanted):
        sys.exit(f"the view caches lack {len(wanted) - len(rows)} of the training photos; rerun make bench-quality")
    return {"pooled": cache["pooled"][rows], "paths": [cache["paths"][i] for i in rows]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--only", nargs="*", help="candidate names to run (default: all)")
    args = parser.parse_args()
    torch.set_num_threads(2)
    began = time.monotonic()
    photos = [str(p) for p in sorted((REPO / "build" / "bench" / "retrieval" / "imagenette-train").glob("*.JPEG"))]
    if len(photos) != 5000 or not (WORK / "train-duplicates" / CACHE).exists():
        sys.exit("run make bench-quality first: it writes the Imagenette train photos and the view caches")
    selection = held_out(photos)
    paths = build_selection(selection)
    backbone = bq.Backbone("mobilenet_v2", bq.WEIGHTS).eval()
    features = bq.pooled_features("selection-features-squash", [(p, "squash") for p in paths], backbone)
    if len(features) != len(paths):
        sys.exit("build/bench/quality/selection-features-squash.npy is stale; delete it and rerun")
    calibration = np.load(WORK / "calibration-features-squash.npy")
    distractors = bq.split_distractors()["calibration"]
    wnids = sorted({subject(p) for p in selection})  # imagenette_split's label = this index
    classes = np.array([wnids.index(subject(p)) for p in selection])
    labels = np.array([c for _, c in distractors])
    sets = list(groups(features, classes, calibration[-len(distractors):], labels))
    shared = (calibration[-len(distractors):],
              NearDupItems(-1 - np.arange(len(labels)), np.full(len(labels), ""), labels))
    calibration_paths, half = bq.build_half("calibration", bq.split_originals()["calibration"], distractors)
    nette, split = np.load(WORK / "imagenette-features-squash.npy"), bq.imagenette_split(bq.IMAGENETTE_ZIP)
    print(f"selection: {len(selection)} originals × {len(EDITS)} edits in {len(sets)} groups, each with "
          f"{len(distractors)} distractors ({time.monotonic() - began:.0f} s)", flush=True)

    originals = [str(p) for p in sorted((WORK / "calibration" / "originals").glob("*.jpg"))]
    keep = sorted(set(photos) - set(selection)) + originals  # what bench_quality.py trains on, less the selection
    head = (f"{'candidate':36s} {'seed':>4s} {'calibration half':>16s} {'nette mAP':>9s} {'selection':>12s} "
            + " ".join(f"{'P/R@' + str(r):>13s}" for r in RADII) + "  false pairs at 4 (same subject)")
    print(head)
    s = score(bq.cosine_counts, sets, shared)  # the frozen features' own ceiling; its "radius" is a cosine bin
    cosine = 1 - 2 * (s["radius"] + 1) / bq.COSINE_BINS
    print(f"{'cosine (float), for reference':36s} {'':4s} {'':16s} {'':9s} {cosine:5.3f} "
          f"{s['recall']:6.3f}", flush=True)
    phash = {name: bq.perceptual_224(f"{name}-perceptual-224", [(p, "squash") for p in files]) for name, files in
             (("selection", paths), ("calibration", calibration_paths))}
    phash["imagenette"] = bq.perceptual_224("imagenette-perceptual-224", [(split.members[i], "squash")
                                                                          for i in split.query + split.database],
                                            load=bq._imagenette_pixels)
    feats = {"selection": features, "calibration": calibration, "imagenette": nette}
    s = score(bq.code_counts, list(groups(phash["selection"], classes, phash["calibration"][-len(distractors):],
                                             labels)), (phash["calibration"][-len(distractors):], shared[1]))
    print(f"{'pHash (224 px, in the graph)':36s} {'':4s} {'':16s} {'':9s} {s['radius']:3d} {s['recall']:5.3f}",
          flush=True)
    candidates = {**{name: (*c, 0) for name, c in CANDIDATES.items()}, **WITH_PHASH}
    for name, (augments, settings, weight) in candidates.items():
        if args.only and name not in args.only:
            continue
        views = training_views(augments)
        everything, cache = only(views, keep + selection), only(views, keep)
        closed_form = getattr(METHODS[settings.get("method", bq.SHIPPED_RECIPE["method"])], "closed_form", False)
        for seed in range(1 if closed_form else args.seeds):  # a closed-form fit does not depend on the seed
            config = FitConfig(**{**bq.SHIPPED_RECIPE, "bits": bq.BITS, "seed": seed, **settings})
            with tempfile.TemporaryDirectory() as tmp:
                method = train_on_cache(cache, config, Path(tmp))
                full = train_on_cache(everything, config, Path(tmp) / "all")
            if weight:  # the head's codes beside pHash's, counted with the gates
                gates = code_gates(bq.BITS, bq.GATE)

                def coded(head, which):
                    return side_by_side(phash[which], bq.head_codes(head, feats[which]), weight)

                c = score(lambda f, items: bq.code_counts(f, items, gates), [(coded(full, "calibration"), half)])
                cal_codes = coded(method, "calibration")[-len(distractors):]
                s = score(lambda f, items: bq.code_counts(f, items, gates),
                          list(groups(coded(method, "selection"), classes, cal_codes, labels)), (cal_codes, shared[1]))
                mean_ap = bq.imagenette_map(coded(full, "imagenette"), split)
            else:
                c = score(lambda f, items: bq.code_counts(bq.head_codes(full, f), items), [(calibration, half)])
                s = score(lambda f, items: bq.code_counts(bq.head_codes(method, f), items), sets, shared)
                mean_ap = bq.imagenette_map(bq.head_codes(full, nette), split)
            print(f"{name:36s} {seed:4d} {c['radius']:3d} {c['recall']:5.3f}{'':7s} {mean_ap:9.4f} "
                  f"{s['radius']:3d} {s['recall']:5.3f}   "
                  + " ".join(f"{p:6.3f}/{r:6.3f}" for p, r in s["at"].values())
                  + "  {:>6d} ({:d})".format(*s["false_at_4"]), flush=True)
            print("    " + " ".join(f"{g[:10]}={v:.2f}" for g, v in s["by_group"].items()), flush=True)
    print(f"{(time.monotonic() - began) / 60:.1f} min")


if __name__ == "__main__":
    main()
