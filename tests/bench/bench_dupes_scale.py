"""``dupes`` on a whole library of real photos, a tenth of them with an edited copy (issue 22's scale target): how long
grouping takes by the hash alone, verified the first time (cold: nothing kept) and verified again (cached), and what
a user is shown.

Run: .venv/bin/python tests/bench/bench_dupes_scale.py [--share 0.1] [--workers 2]
(needs ../shared/data/imagenette2-224-subset.zip; writes build/bench/scale/, about 10 minutes on a 2-core CPU the
first time: the library is written and scanned once, then kept.)

The library: every photo of the shared Imagenette subset (8,925 real photos, 224 px; provenance in
../shared/data/PROVENANCE.md), and for a seeded tenth of them one copy made with one of the near-duplicate
benchmark's 41 edits (trainer/edits.py), chosen at random. Counted, from the groups a user is shown: copies in their
original's group (recall), and pairs of files of different photos in one group (false pairs; the subset may hold a
few real duplicates of its own, which then count as false).
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import time
import zipfile
from collections import Counter
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from engine.catalog import Catalog  # noqa: E402
from engine.duplicates import candidate_search, model_groups, verified_groups  # noqa: E402
from engine.model import HashModel, default_model_path  # noqa: E402
from engine.scan import scan  # noqa: E402
from engine.verification import Verifier  # noqa: E402
from trainer.edits import EDITS, edited_file  # noqa: E402

ZIP = REPO.parent / "shared" / "data" / "imagenette2-224-subset.zip"
WORK = REPO / "build" / "bench" / "scale"


def build(share: float, seed: int = 0) -> dict[str, tuple[str, str]]:
    """Write the library once; path -> (its photo's name, the edit that made it or "")."""
    library = WORK / "library"
    out: dict[str, tuple[str, str]] = {}
    rng = random.Random(seed)
    with zipfile.ZipFile(ZIP) as zf:
        members = sorted(n for n in zf.namelist() if n.lower().endswith((".jpeg", ".jpg")))
        copied = set(rng.sample(members, round(share * len(members))))
        for member in members:
            name = member.rsplit("/", 1)[1].rsplit(".", 1)[0]
            original = library / "photos" / f"{name}.jpg"
            if not original.exists():
                original.parent.mkdir(parents=True, exist_ok=True)
                original.write_bytes(zf.read(member))
            out[str(original)] = (name, "")
            if member in copied:
                edit = EDITS[rng.randrange(len(EDITS))]
                copy = library / "copies" / f"{name}-{edit.name}.{'png' if edit.format == 'PNG' else edit.format.lower()}"
                if not copy.exists():
                    copy.parent.mkdir(parents=True, exist_ok=True)
                    with Image.open(original) as image:
                        copy.write_bytes(edited_file(edit, image.convert("RGB"), name))
                out[str(copy)] = (name, edit.name)
    return out


def score(groups, truth: dict[str, tuple[str, str]]) -> tuple[int, int]:
    """(copies in their original's group, pairs of different photos in one group)."""
    found = false = 0
    for group in groups:
        names = [truth[m.file.path][0] for m in group.members if m.file.path in truth]
        originals = {truth[m.file.path][0] for m in group.members if m.file.path in truth and not truth[m.file.path][1]}
        found += sum(1 for m in group.members if m.file.path in truth and truth[m.file.path][1]
                     and truth[m.file.path][0] in originals)
        n, same = len(names), sum(c * (c - 1) // 2 for c in Counter(names).values())
        false += n * (n - 1) // 2 - same
    return found, false


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--share", type=float, default=0.1, help="share of photos given an edited copy (0.1)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if not ZIP.exists():
        print(f"skipped: {ZIP} is missing")
        return
    started = time.perf_counter()
    truth = build(args.share)
    copies = sum(1 for _, edit in truth.values() if edit)
    print(f"library: {len(truth):,} files ({copies:,} edited copies) ready in {time.perf_counter() - started:.0f} s")
    model = HashModel.load(default_model_path())
    catalog_path = WORK / "catalog.sqlite"
    with Catalog(catalog_path) as catalog:
        started = time.perf_counter()
        for _ in scan(catalog, [WORK / "library"], model, workers=args.workers):
            pass
        print(f"scan: {time.perf_counter() - started:.0f} s (once; kept in {catalog_path})")
        started = time.perf_counter()
        plain = model_groups(catalog, model)
        plain_s = time.perf_counter() - started
        with sqlite3.connect(catalog_path) as db:  # cold: nothing kept from an earlier run
            db.execute("DELETE FROM features")
            db.execute("DELETE FROM verdicts")
        verifier = Verifier(catalog, workers=args.workers)
        started = time.perf_counter()
        verified = verified_groups(catalog, model, verifier=verifier)
        cold_s = time.perf_counter() - started
        again = Verifier(catalog, workers=args.workers)
        started = time.perf_counter()
        verified_groups(catalog, model, verifier=again)
        cached_s = time.perf_counter() - started
        feature_bytes = catalog.features_bytes()
        verdicts = catalog._read("SELECT COUNT(*), COALESCE(SUM(LENGTH(verdict)), 0) FROM verdicts")[0]
    radius, _ = candidate_search(model.info)
    print(f"default model: duplicate radius {model.info.radius_duplicate}, candidates within {radius}")
    print(f"{'grouping':26s} {'copies found':>12s} {'recall':>7s} {'false pairs':>11s} {'seconds':>8s}")
    for name, groups, seconds in (("hash alone (--no-verify)", plain, plain_s), ("verified, first time", verified, cold_s)):
        found, false = score(groups, truth)
        print(f"{name:26s} {found:12,d} {found / copies:7.3f} {false:11,d} {seconds:8.1f}")
    print(f"verified, cached: {cached_s:.1f} s ({again.decoded} photos decoded, {again.compared} pairs verified)")
    print(f"first time: {verifier.decoded:,} photos decoded for their features in {args.workers} processes, "
          f"{verifier.compared:,} pairs verified; the catalog keeps {feature_bytes / 2**20:.0f} MiB of features and "
          f"{verdicts[0]:,} verdicts ({verdicts[1] / 2**20:.1f} MiB)")


if __name__ == "__main__":
    main()
