"""Verified duplicates on the near-duplicate benchmark's test half (issue 22): the groups ``dupes`` makes with
verification against those it makes from the hash alone, with the default model, through the engine.

Run: .venv/bin/python tests/bench/bench_verified.py   (writes build/bench/quality/test like bench_quality.py does;
needs ../shared and the [train] extra for the benchmark's file list; about 10 minutes on a 2-core CPU the first time)

The test half: 52 shared originals, each with the 41 edits of trainer/edits.py, and 1,962 Imagenette val photos as
distractors (bench_quality.py's split, seed 0). Everything is scanned into a fresh catalog with the default model,
then grouped twice: by the hash alone (``dupes --no-verify``: the duplicate radius and gates) and verified (``dupes``).
Counted, from the groups a user is shown:
- pairs: an original and one of its copies in one group (recall, of the 52 x 41), and two files of different photos
  in one group (false pairs; two copies of one original are neither);
- file recall: the share of copies in the group of their own original;
- per edit type, the copies in their original's group.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "bench"))

from bench_quality import build_half, split_distractors, split_originals  # noqa: E402

from engine.catalog import Catalog  # noqa: E402
from engine.duplicates import candidate_search, model_groups, verified_groups  # noqa: E402
from engine.model import HashModel, default_model_path  # noqa: E402
from engine.scan import scan  # noqa: E402
from engine.verification import Verifier  # noqa: E402
from trainer.edits import EDITS  # noqa: E402

WORK = REPO / "build" / "bench" / "verified"


def score(groups, source_of: dict[str, int], edit_of: dict[str, str], originals: int) -> dict:
    """What a user sees in ``groups``: pairs of an original and its copy, false pairs, file recall, per edit."""
    found, false, copies_home = 0, 0, Counter()
    for group in groups:
        paths = [m.file.path for m in group.members if m.file.path in source_of]
        sources = Counter(source_of[p] for p in paths)
        originals_here = {source_of[p] for p in paths if not edit_of[p] and source_of[p] >= 0}
        for p in paths:
            if edit_of[p] and source_of[p] in originals_here:
                found += 1
                copies_home[edit_of[p]] += 1
        n = len(paths)
        same = sum(c * (c - 1) // 2 for c in sources.values())
        false += n * (n - 1) // 2 - same
    total = originals * len(EDITS)
    return {"pairs found": found, "recall": found / total, "false pairs": false,
            "precision": found / max(found + false, 1), "per edit": copies_home}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    originals = split_originals()["test"]
    paths, items = build_half("test", originals, split_distractors()["test"])
    source_of = {str(p): int(s) for p, s in zip(paths, items.source)}
    edit_of = {str(p): str(e) for p, e in zip(paths, items.edit)}
    model = HashModel.load(default_model_path())
    WORK.mkdir(parents=True, exist_ok=True)
    catalog_path = WORK / "test.sqlite"
    with Catalog(catalog_path) as catalog:
        started = time.perf_counter()
        folders = sorted({p.parent for p in paths})
        for _ in scan(catalog, folders, model, workers=args.workers):
            pass
        print(f"{len(paths):,} files scanned in {time.perf_counter() - started:.0f} s (once; kept in {catalog_path})")
        started = time.perf_counter()
        plain = model_groups(catalog, model)
        plain_s = time.perf_counter() - started
        with sqlite3.connect(catalog_path) as db:  # cold: no features or verdicts kept from an earlier run
            db.execute("DELETE FROM features")
            db.execute("DELETE FROM verdicts")
        verifier = Verifier(catalog, workers=args.workers)
        started = time.perf_counter()
        verified = verified_groups(catalog, model, verifier=verifier)
        verified_s = time.perf_counter() - started
        started = time.perf_counter()
        verified_groups(catalog, model)
        cached_s = time.perf_counter() - started
    radius, _ = candidate_search(model.info)
    rows = {"hash alone (--no-verify)": score(plain, source_of, edit_of, len(originals)),
            "verified": score(verified, source_of, edit_of, len(originals))}
    print(f"test half: {len(originals)} originals x {len(EDITS)} edits, {int((items.source < 0).sum()):,} distractors; "
          f"default model, duplicate radius {model.info.radius_duplicate}, candidates within {radius}")
    print(f"{'grouping':28s} {'pairs found':>11s} {'recall':>7s} {'false pairs':>11s} {'precision':>9s}")
    for name, row in rows.items():
        print(f"{name:28s} {row['pairs found']:11d} {row['recall']:7.3f} {row['false pairs']:11d} "
              f"{row['precision']:9.4f}")
    print(f"time: hash alone {plain_s:.1f} s; verified {verified_s:.1f} s the first time ({verifier.decoded:,} photos "
          f"decoded for their features in {args.workers} processes, {verifier.compared:,} pairs verified), "
          f"{cached_s:.1f} s cached")
    print("copies in their original's group, per edit (hash alone / verified):")
    for edit in EDITS:
        print(f"  {edit.name:18s} {rows['hash alone (--no-verify)']['per edit'][edit.name]:3d} / "
              f"{rows['verified']['per edit'][edit.name]:3d} of {len(originals)}")


if __name__ == "__main__":
    main()
