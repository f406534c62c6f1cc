"""The shipped model's recipe, in one place for the benchmark that ships it, ``photohash-cli train`` and the app's
"Retrain on my library" (docs/benchmark.md says how each part was chosen on the benchmark's calibration half).

A 64-bit head with the baseline's contrastive objective at a low temperature over large batches (two different
photos of one subject get different codes), trained on views that are what the engine sees of a user's copy of a
photo (the whole photo, untouched or edited); exported beside pHash computed in the graph, the head's bits written
twice, and a pair a duplicate only when pHash or the head is within GATE bits (engine.index's gates).
"""

from __future__ import annotations

NAME = "photohash"  # the trainer's name for the recipe, beside the methods' names
# The baseline's objective at a low temperature over large batches, so that two different photos of one subject get
# different codes. Its views: the whole photo as a user's copy of it ("edits", 8 per photo). Random crops
# ("duplicates", photohash64's views before) put edited copies on other photos of their subject: 301-568 false pairs
# at radius 4 on bench_selection.py's selection set over three seeds, against 3-26; they lost there and on the
# calibration half for each seed, and kept 10 points more Imagenette mAP.
SETTINGS = {"method": "baseline", "bits": 64, "augment": "edits", "views": 8, "tau": 0.05, "batch_size": 512,
            "epochs": 60}
# The head weighed twice beside pHash: weights 1 / 2 / 3 gave recall 0.82-0.83 / 0.83-0.85 / 0.85-0.86 at precision
# 0.99 on the calibration half over three seeds, 0.80-0.81 / 0.79-0.81 / 0.77-0.79 on the selection set, and
# Imagenette mAP 0.40 / 0.47 / 0.49 (the head alone 0.51). Gates of 8 keep the all-pairs join a multi-index one and
# cost no recall (4 to 7 cost 0.5 to 7 points).
LEARNED_WEIGHT, GATE = 2, 8


def shipped_radii() -> tuple[int, int]:
    """(duplicate, similar) of the shipped model made with this recipe: a retrained model starts from them (the
    similar radius needs subjects' labels, which a library does not have; the duplicate radius is calibrated
    again on the library's photos, trainer.calibrate)."""
    from engine.model import HashModel, default_model_path

    info = HashModel.load(default_model_path(), device="cpu").info
    return info.radius_duplicate, info.radius_similar
