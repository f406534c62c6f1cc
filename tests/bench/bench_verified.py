"""Verified duplicates on the near-duplicate benchmark's test half (issue 22): the groups ``dupes`` makes with
verification against those it makes from the hash alone, with the default model and with pHash, through the engine.

Run: .venv/bin/python tests/bench/bench_verified.py [--half calibration] [--sweep]
(writes build/bench/quality/<half> like bench_quality.py does; needs ../shared and the [train] extra for the benchmark's
file list; a few minutes on a 2-core CPU the first time). ``--sweep`` tries each strictness (strict, normal, loose:
their candidate radii, and strict's verdicts) and other copy thresholds: they are chosen on the calibration half and
reported on the test half.

Each half: about 51 shared originals (test 51, calibration 52), each with the 41 edits of trainer/edits.py, and
about 1,960 Imagenette val photos as distractors (bench_quality.py's split, seed 0). Everything is scanned into a
catalog with the default model, then grouped twice: by the hash alone (``dupes --no-verify``: the duplicate radius and
gates) and verified (``dupes``, cold: features and verdicts deleted first). Counted, from the groups a user is shown:
- recall: copies in the group of their own original (file recall; counted from groups, it is also the share of
  original-copy pairs in one group), of originals x 41;
- false pairs: two files of different photos in one group (two copies of one original are neither);
- per edit type, the copies in their original's group;
- the share of original-copy pairs the index proposes at all (what verifying pair by pair could find).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "bench"))

from bench_quality import build_half, split_distractors, split_originals  # noqa: E402

from engine import verify  # noqa: E402
from engine.catalog import Catalog  # noqa: E402
from engine.catalog_models import model_row_id  # noqa: E402
from engine.duplicates import STRICTNESS, candidate_search, model_groups, verified_groups  # noqa: E402
from engine.index import HammingIndex  # noqa: E402
from engine.model import HashModel, default_model_path, resolve_model_name  # noqa: E402
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


def candidate_recall(catalog, model, source_of: dict[str, int], edit_of: dict[str, str], originals: int,
                     strictness: str = "normal") -> float:
    """The share of original-copy pairs the index proposes at the candidate radius and gates: what verification
    can find at most, one pair at a time (groups also join copies through each other)."""
    radius, gates = candidate_search(model.info, strictness=strictness)
    ids, packed = catalog.codes(model_row_id(catalog, model))
    near_a, near_b, _ = HammingIndex(packed, ids).pairs(radius, gates)
    rows = catalog.files({*near_a.tolist(), *near_b.tolist()})
    found = 0
    for a, b in zip(near_a.tolist(), near_b.tolist()):
        pa, pb = rows[a].path, rows[b].path
        if pa in source_of and pb in source_of and source_of[pa] == source_of[pb] >= 0 and \
                bool(edit_of[pa]) != bool(edit_of[pb]):
            found += 1
    return found / (originals * len(EDITS))


def forget_verification(catalog_path: Path, features: bool = True) -> None:
    """Cold again: no verdicts (and no features) kept from an earlier run."""
    with sqlite3.connect(catalog_path) as db:
        if features:
            db.execute("DELETE FROM features")
        db.execute("DELETE FROM verdicts")


def sweep(catalog, catalog_path: Path, model, source_of, edit_of, originals: int, workers: int) -> None:
    """Each strictness (its candidate radius, and for "strict" its verdicts), then the copy threshold (agreement of
    the overlap's cells) at "normal", each verified anew with the features kept: recall, false pairs and cost, and
    the copies found per edit for each strictness."""
    print(f"{'strictness':>10s} {'radius':>6s} {'copy agreement':>14s} {'candidates found':>16s} "
          f"{'recall':>7s} {'false pairs':>11s} {'pairs verified':>14s} {'seconds':>7s}")
    default_agreement = verify.COPY_AGREEMENT
    settings = [(strictness, default_agreement) for strictness in STRICTNESS] + \
               [("normal", agreement) for agreement in (0.75, 0.80, 0.90)]
    per_edit = {}
    try:
        for strictness, agreement in settings:
            verify.COPY_AGREEMENT = agreement
            forget_verification(catalog_path, features=False)
            verifier = Verifier(catalog, workers=workers)
            started = time.perf_counter()
            row = score(verified_groups(catalog, model, verifier=verifier, strictness=strictness), source_of, edit_of,
                        originals)
            seconds = time.perf_counter() - started
            if agreement == default_agreement:
                per_edit[strictness] = row["per edit"]
            print(f"{strictness:>10s} {candidate_search(model.info, strictness=strictness)[0]:6d} {agreement:14.2f} "
                  f"{candidate_recall(catalog, model, source_of, edit_of, originals, strictness):16.3f} "
                  f"{row['recall']:7.3f} {row['false pairs']:11d} {verifier.compared:14,d} {seconds:7.1f}", flush=True)
    finally:
        verify.COPY_AGREEMENT = default_agreement
        forget_verification(catalog_path, features=False)
    print("copies in their original's group, per edit (" + " / ".join(per_edit) + "):")
    for edit in EDITS:
        print(f"  {edit.name:18s} " + " / ".join(f"{counts[edit.name]:3d}" for counts in per_edit.values())
              + f" of {originals}")


def measure(name: str, model: HashModel, catalog_path: Path, paths, source_of, edit_of, originals: int,
            workers: int) -> dict[str, dict]:
    """Scan the half with ``model`` (once), then group by the hash alone and verified (cold, then cached)."""
    with Catalog(catalog_path) as catalog:
        started = time.perf_counter()
        for _ in scan(catalog, sorted({p.parent for p in paths}), model, workers=workers):
            pass
        print(f"{name}: {len(paths):,} files scanned in {time.perf_counter() - started:.0f} s (once; kept in "
              f"{catalog_path})")
        started = time.perf_counter()
        plain = model_groups(catalog, model)
        plain_s = time.perf_counter() - started
        forget_verification(catalog_path)
        verifier = Verifier(catalog, workers=workers)
        started = time.perf_counter()
        verified = verified_groups(catalog, model, verifier=verifier)
        verified_s = time.perf_counter() - started
        started = time.perf_counter()
        verified_groups(catalog, model)
        cached_s = time.perf_counter() - started
        found = candidate_recall(catalog, model, source_of, edit_of, originals)
    radius, _ = candidate_search(model.info)
    print(f"{name}: duplicate radius {model.info.radius_duplicate}, candidates within {radius} (they hold {found:.3f} "
          f"of the original-copy pairs); hash alone {plain_s:.1f} s; verified {verified_s:.1f} s the first time "
          f"({verifier.decoded:,} photos decoded for their features in {workers} processes, {verifier.compared:,} "
          f"pairs verified), {cached_s:.1f} s cached")
    return {f"{name}, hash alone (--no-verify)": score(plain, source_of, edit_of, originals),
            f"{name}, verified": score(verified, source_of, edit_of, originals)}


def write_card(row: dict, files: int) -> None:
    """The default model's card gets what ``dupes`` does with it on photos it was not tuned on."""
    path = default_model_path().with_suffix(".json")
    card = json.loads(path.read_text(encoding="utf-8"))
    card.setdefault("benchmark", {})["verified_test_half"] = {
        "command": ".venv/bin/python tests/bench/bench_verified.py --card", "files": files,
        "recall": round(row["recall"], 3), "false_pairs": row["false pairs"], "precision": round(row["precision"], 4)}
    path.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"model card: {path.relative_to(REPO)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--half", choices=("test", "calibration"), default="test")
    parser.add_argument("--card", action="store_true",
                        help="write the default model's verified figures on the test half into its model card (the "
                             "About box quotes them)")
    parser.add_argument("--sweep", action="store_true",
                        help="also try each strictness and other copy thresholds (to choose them on the calibration half)")
    args = parser.parse_args()
    originals = split_originals()[args.half]
    paths, items = build_half(args.half, originals, split_distractors()[args.half])
    source_of = {str(p): int(s) for p, s in zip(paths, items.source)}
    edit_of = {str(p): str(e) for p, e in zip(paths, items.edit)}
    WORK.mkdir(parents=True, exist_ok=True)
    rows: dict[str, dict] = {}
    for name, model_name, catalog_path in (("photohash192", "default", WORK / f"{args.half}.sqlite"),
                                           ("pHash", "phash64", WORK / f"{args.half}-phash64.sqlite")):
        rows.update(measure(name, HashModel.load(resolve_model_name(model_name)), catalog_path, paths, source_of,
                            edit_of, len(originals), args.workers))
    print(f"{args.half} half: {len(originals)} originals x {len(EDITS)} edits, "
          f"{int((items.source < 0).sum()):,} distractors")
    print(f"{'grouping':40s} {'pairs found':>11s} {'recall':>7s} {'false pairs':>11s} {'precision':>9s}")
    for name, row in rows.items():
        print(f"{name:40s} {row['pairs found']:11d} {row['recall']:7.3f} {row['false pairs']:11d} "
              f"{row['precision']:9.4f}")
    print("copies in their original's group, per edit (" + " / ".join(rows) + "):")
    for edit in EDITS:
        print(f"  {edit.name:18s} " + " / ".join(f"{row['per edit'][edit.name]:3d}" for row in rows.values())
              + f" of {len(originals)}")
    if args.card and args.half == "test":
        write_card(rows["photohash192, verified"], len(paths))
    if args.sweep:
        model = HashModel.load(default_model_path())
        with Catalog(WORK / f"{args.half}.sqlite") as catalog:
            sweep(catalog, WORK / f"{args.half}.sqlite", model, source_of, edit_of, len(originals), args.workers)


if __name__ == "__main__":
    main()
