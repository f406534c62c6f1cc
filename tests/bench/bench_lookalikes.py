"""Hard negatives the near-duplicate benchmark does not hold (issue 22, "Verified duplicates"): how many pairs of
different photos the hash alone puts in one group, and how many verified grouping still does, on

(a) objects on plain backgrounds: different garments and products, each alone on a floor, a bed, a wall or white.
    Every pair of files in one group counts as a false pair unless it is one of the 7 pairs of SAME_PHOTO (one photo
    sent twice, resized or cropped; exact copies were dropped by content hash). How that is known: every pair either
    grouping made (--pairs-out) was matched with ORB + RANSAC; the pairs sharing 100 inliers or more, and all verified
    pairs, were looked at side by side and aligned (SAME_PHOTO, SECOND_SHOT). Printed: pairs in a group,
    false pairs, and false pairs per 1,000 photos; the members of verified groups are listed to be checked by eye.
(b) consecutive frames of one scene (bursts without EXIF times, so the capture time cannot tell them apart): for
    every pair of frames of a sequence, the verdict (kind, agreement, reason) and whether the pair lands in one copy
    group (what ``dupes`` would offer to remove), one series group (``--series``) or one hash group.

Each set is scanned into a fresh catalog in a temporary folder with the default model (nothing is copied), then
grouped by the hash alone (``model_groups``, as ``dupes --no-verify``) and verified (``verified_groups``, cold).

Run: .venv/bin/python tests/bench/bench_lookalikes.py [--plain DIR] [--frames DIR] [--show 20] [--workers 2]
  [--pairs-out pairs.tsv]
(--plain: about 6 minutes on a 2-core CPU, 2 of them scanning, 3 to 4 verifying). A folder that is missing is named
and skipped. Before verdicts were made symmetric (verifier version 3), a rerun with decode processes could move a pair
or two between groups (84 or 85 frame pairs in copy groups): the file ids, which the processes' order varies, decided
which photo of a pair came first.

Data (outside the repository: defaults under ../data-lookalikes, beside the checkout):
--plain, 5,848 photos:
  clothing/ 5,755 photos of garments and shoes, each alone on a plain background (floor, bed, wall), 400 px
    on the short side: github.com/alexeygrigorev/clothing-dataset, images/, commit
    7ed86a9cc56763b6acb35e41cb35184e43a5d218, CC0 1.0; of its 5,756 files one exact copy (same SHA-256,
    a1f62195-ec1c-4587-b9e8-662b0812f039.jpg) was left out. Many contributors photographed dozens of garments on
    one floor: the hard part.
  grocery-iconic/ 81 catalogue photos of groceries (fruit, vegetables, milk and juice cartons) on white,
    198 x 198 px: github.com/marcusklasson/GroceryStoreDataset, dataset/iconic-images-and-descriptions/**/*_Iconic.jpg,
    commit fc80ba90f803d79d0383df52c5a4ac5de99ff6fc, MIT licence. One photo per product; several are variants of
    one carton (Arla milks, Tropicana juices).
  abo-samples/ 12 Amazon Berkeley Objects catalogue photos of 3 products on white (3 to 5 views of each: the same
    product from other angles, not copies; named <product>_<image>.jpg):
    github.com/aws-samples/aws-smart-product-onboarding, samples/, commit 8091f49c9dd8df707d56f7b759e8a46662ae7aa9,
    CC BY 4.0 (credit: Amazon.com; ABO dataset, Collins et al. 2022).
--frames, one folder per sequence, 43 frames:
  middlebury-rubberwhale/ (8 frames), middlebury-dimetrodon/ (2), middlebury-venus/ (2): Middlebury optical-flow
    frames (vision.middlebury.edu/flow, no licence stated) as held by
    github.com/robotic-vision-lab/Vision-Based-Guidance-For-Tracking-Dynamic-Objects, datasets/, commit
    3d0299644962340fb658816d4e99cb1ddba38a50 (repository MIT).
  sintel-clean-alley_1/, sintel-clean-cave_2/, sintel-clean-market_5/ (4 frames each): MPI-Sintel clean pass
    (rendered from the Blender open movie Sintel, (c) Blender Foundation, CC BY 3.0) as held by
    github.com/fperezgamonal/faldoi-ipol, example_data/clean/{easy,medium,hard}/, commit
    561809fa0f8b65d65c42c102aef0fbf2e27b35d8 (repository BSD-3-Clause).
  raft-demo-sintel/ (10 frames, 16 to 25, of Sintel's alley_1: the shot of sintel-clean-alley_1/ a moment
    later): github.com/princeton-vl/RAFT, demo-frames/, commit 2888e15a51fa41140771d3f498ed8023cff098d1
    (BSD-3-Clause).
  davis-unimatch/ (3 DAVIS video frames), scannet-unimatch/ (4 ScanNet frames, 6 apart):
    github.com/autonomousvision/unimatch, demo/flow-davis/ and demo/depth-scannet/color/, commit
    943a99006950ab6c84ea72a72beb147fdd03c19a (repository MIT; the DAVIS and ScanNet terms apply to the frames).
  pyflow-car/ (2 frames): github.com/pathak22/pyflow, examples/car1.jpg and car2.jpg, commit
    8f8ab9e90845f1b819b3833f995f481cb5d92166 (wrapper MIT; the frames come with Ce Liu's optical-flow code).
OpenCV's samples/data (basketball1/2, rubberwhale1/2) could not be had here: the snapshot of opencv/opencv is
over the size this machine can fetch.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from engine.catalog import Catalog  # noqa: E402
from engine.duplicates import model_groups, verified_groups  # noqa: E402
from engine.model import HashModel, default_model_path  # noqa: E402
from engine.scan import ScanSummary, scan  # noqa: E402
from engine.verification import Verifier  # noqa: E402

DATA = REPO.parent / "data-lookalikes"  # beside the checkout, like ../shared; never in the repository
# Pairs of files of --plain that are one photo (re-encoded, resized or cropped: the contributor sent it twice), by
# file stem. Found among the pairs either grouping makes (--pairs-out): verified as copies (agreement 0.97 to 1.00),
# then looked at side by side and aligned (ORB + RANSAC): the difference is only at edges (resampling), the
# background and folds are the same. Every other pair either grouping makes is two different photos.
SAME_PHOTO = {frozenset(p) for p in (
    ("b0d71fba-23a7-4912-b6c6-16b7d8a5bd43", "9fba5065-dc5e-40b8-9548-40d2d498d7a2"),
    ("31bfad90-ce1e-4185-b92b-c527804af85f", "f86d0bfd-6a44-4dce-a1ee-235a5d0a49a8"),
    ("b59e4d4a-a283-4868-8a81-2f24d8b9c8d8", "e6a8b33f-279c-4072-8dba-229d94205e55"),
    ("09b36693-00d5-403b-b706-c18d9d10cb52", "195de33e-ed94-4729-b254-b351aafbfca8"),
    ("6075b4a5-5b1a-4ce0-aea0-9dbfbca7c35c", "637a56e4-7fa6-4f75-8859-0f8902461554"),
    ("2edb1db6-cd17-41d2-88e0-ba34801b656d", "74f16421-14fd-43de-9883-cbc02819336e"),
    ("1aac00cd-b42a-40f1-a82a-dcc44a0879d4", "86d3d276-d94e-4b9a-b29b-5c9f00aa18ae"),
)}
# Pairs of --plain that are one garment photographed twice (a second shot: the garment or the camera moved; aligned,
# the fabric and the background differ): two photos, so false pairs in a copy group, a series at most.
SECOND_SHOT = {frozenset(p) for p in (
    ("02341619-2fa3-42d4-bb5e-689518228e67", "78b7da73-ca6c-4e99-b88d-a9f358e7f0f2"),
    ("5e944547-5d37-4b1a-a544-64a250377e4d", "79307c6e-cc11-422f-8b55-d01148cc94b3"),
    ("26d61cdc-a947-45f1-a16c-bf3eb23a67ed", "7eeb4c2f-b0b6-4208-a5ee-aed11bce6214"),
    ("2e688422-7be9-415a-94e6-488065873b40", "6e199a44-ee88-4a58-ace4-b6d926d82e6d"),
)}


def pairs_in(groups) -> set[tuple[str, str]]:
    """Every pair of files placed in one group (n * (n - 1) / 2 a group), as sorted paths."""
    return {tuple(sorted((a.file.path, b.file.path)))
            for g in groups for a, b in itertools.combinations(g.members, 2)}


def scanned(catalog: Catalog, folder: Path, model: HashModel, workers: int) -> tuple[int, float]:
    """Scan ``folder`` into ``catalog``: the photos hashed and the seconds it took."""
    started = time.perf_counter()
    summary = None
    for event in scan(catalog, [folder], model, workers=workers):
        if isinstance(event, ScanSummary):
            summary = event
    if summary and summary.failed:
        print(f"  {summary.failed} files could not be read: " + "; ".join(str(f) for f in summary.failures[:5]))
    return len(catalog.all_files()), time.perf_counter() - started


def grouped(catalog: Catalog, model: HashModel, workers: int, **options):
    """``verified_groups`` with a verifier we can ask what it cost (cold: the catalog is fresh)."""
    verifier = Verifier(catalog, workers=workers)
    started = time.perf_counter()
    groups = verified_groups(catalog, model, verifier=verifier, **options)
    return groups, verifier, time.perf_counter() - started


def part(path: str, root: Path) -> str:
    """The subfolder of ``root`` a file is in (its source, or its sequence)."""
    return Path(path).relative_to(root).parts[0]


def plain(folder: Path, model: HashModel, workers: int, show: int, pairs_out: Path | None) -> None:
    """(a): a pair in one group is a false pair unless it is one of SAME_PHOTO (counted per 1,000 photos)."""
    with tempfile.TemporaryDirectory() as tmp, Catalog(Path(tmp) / "catalog.sqlite") as catalog:
        photos, seconds = scanned(catalog, folder, model, workers)
        per_part = Counter(part(f.path, folder) for f in catalog.all_files())
        print(f"plain backgrounds: {photos:,} photos ("
              + ", ".join(f"{name} {n:,}" for name, n in sorted(per_part.items()))
              + f") scanned in {seconds:.0f} s; duplicate radius {model.info.radius_duplicate}")
        started = time.perf_counter()
        hashed = model_groups(catalog, model)
        hash_s = time.perf_counter() - started
        verified, verifier, verify_s = grouped(catalog, model, workers)
        print(f"  hash alone {hash_s:.1f} s; verified {verify_s:.1f} s ({verifier.decoded:,} photos decoded for their "
              f"features, {verifier.compared:,} pairs verified, {workers} processes)")
        print(f"  {'grouping':26s} {'groups':>6s} {'photos in a group':>17s} {'pairs in a group':>16s} "
              f"{'same photo':>10s} {'false pairs':>11s} {'per 1,000 photos':>16s} {'across sources':>14s} "
              f"{'same object, other shot':>22s}")
        lines = []
        for name, groups in (("hash alone (--no-verify)", hashed), ("verified", verified)):
            pairs = pairs_in(groups)
            same = {p for p in pairs if frozenset(Path(q).stem for q in p) in SAME_PHOTO}
            false = pairs - same
            across = sum(part(a, folder) != part(b, folder) for a, b in false)
            views = sum((part(a, folder) == part(b, folder) == "abo-samples" and
                         Path(a).name.split("_")[0] == Path(b).name.split("_")[0])
                        or frozenset((Path(a).stem, Path(b).stem)) in SECOND_SHOT for a, b in false)
            members = sum(len(g.members) for g in groups)
            print(f"  {name:26s} {len(groups):6d} {members:17,d} {len(pairs):16,d} {len(same):10d} {len(false):11,d} "
                  f"{len(false) * 1000 / photos:16.2f} {across:14d} {views:22d}")
            lines += [f"{name}\t{Path(a).relative_to(folder)}\t{Path(b).relative_to(folder)}\t"
                      f"{'same photo' if (a, b) in same else 'false'}" for a, b in sorted(pairs)]
        print(f"    hash-alone groups by kind: {dict(Counter(g.kind for g in hashed))}; "
              f"verified: {dict(Counter(g.kind for g in verified))}")
        how = Counter("same bytes" if m.exact else (m.verdict.kind if m.verdict else "no verdict")
                      for g in verified for m in g.members if not m.keep)
        print(f"  verified groups' members other than the keeper, by their verdict against the keeper: {dict(how)} "
              f"(unverified: too small or flat, placed by the hash)")
        listed = [(g, m) for g in verified for m in g.members if not m.keep][:show]
        if listed:
            print(f"  verified groups (keeper <- member: why), {len(listed)} members:")
        for g, m in listed:
            v = m.verdict
            mark = "same photo" if frozenset((Path(g.keeper.file.path).stem, Path(m.file.path).stem)) in SAME_PHOTO \
                else "different photos"
            agreement = f", agreement {v.agreement:.2f}" if v else ""
            print(f"    {Path(g.keeper.file.path).relative_to(folder)} <- {Path(m.file.path).relative_to(folder)}: "
                  f"{m.reason or (v.kind if v else '')}{agreement} [{mark}]")
        if pairs_out:
            pairs_out.write_text("grouping\tfile a\tfile b\tpair\n" + "\n".join(lines) + "\n")
            print(f"  every pair in a group written to {pairs_out}")


def frames(folder: Path, model: HashModel, workers: int) -> None:
    """(b): no two frames are one photo; what a user is offered for each pair of frames of one sequence."""
    with tempfile.TemporaryDirectory() as tmp, Catalog(Path(tmp) / "catalog.sqlite") as catalog:
        photos, seconds = scanned(catalog, folder, model, workers)
        rows = catalog.all_files()
        by_sequence: dict[str, list] = {}
        for row in rows:
            by_sequence.setdefault(part(row.path, folder), []).append(row)
        print(f"frames: {photos} frames in {len(by_sequence)} sequences scanned in {seconds:.0f} s")
        hashed = pairs_in(model_groups(catalog, model))
        copy_groups, _, _ = grouped(catalog, model, workers)
        series_groups, _, _ = grouped(catalog, model, workers, series=True)
        copies, series = pairs_in(copy_groups), pairs_in(series_groups)
        verifier = Verifier(catalog, workers=0)
        kinds, in_copy, in_series, in_hash, total = Counter(), 0, 0, 0, 0
        print(f"  {'sequence':24s} {'frame a':>14s} {'frame b':>14s} {'kind':>10s} {'agreement':>9s}  "
              f"{'copy group':>10s} {'series group':>12s} {'hash group':>10s}  reason")
        for name, seq in sorted(by_sequence.items()):
            for a, b in itertools.combinations(sorted(seq, key=lambda r: r.path), 2):
                v = verifier.verdict(a, b)
                key = tuple(sorted((a.path, b.path)))
                total += 1
                kinds[v.kind] += 1
                in_copy += key in copies
                in_series += key in series
                in_hash += key in hashed
                yes = {True: "yes", False: "-"}
                print(f"  {name:24s} {Path(a.path).name:>14s} {Path(b.path).name:>14s} {v.kind:>10s} "
                      f"{v.agreement:9.2f}  {yes[key in copies]:>10s} {yes[key in series]:>12s} "
                      f"{yes[key in hashed]:>10s}  {v.reason()}")
        verifier.close()
        across = [p for p in copies | series | hashed if part(p[0], folder) != part(p[1], folder)]
        print(f"  {total} frame pairs within sequences: verdicts {dict(kinds)}; in one copy group {in_copy} "
              f"(offered for removal), in one series group {in_series}, in one hash-alone group {in_hash}")
        print(f"  pairs of frames of two different sequences in one group (any grouping): {len(across)}")
        for a, b in sorted(across):
            where = ", ".join(name for name, pairs in (("copy", copies), ("series", series), ("hash alone", hashed))
                              if (a, b) in pairs)
            print(f"    {Path(a).relative_to(folder)} ~ {Path(b).relative_to(folder)} ({where})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plain", type=Path, default=DATA / "plain",
                        help="objects on plain backgrounds, one subfolder per source (default %(default)s)")
    parser.add_argument("--frames", type=Path, default=DATA / "frames",
                        help="one subfolder per sequence of frames (default %(default)s)")
    parser.add_argument("--workers", type=int, default=2, help="decode processes (default 2)")
    parser.add_argument("--show", type=int, default=20, help="members of verified groups of (a) listed (default 20)")
    parser.add_argument("--pairs-out", type=Path, help="write every pair of (a) placed in one group to this TSV file")
    args = parser.parse_args()
    model = HashModel.load(default_model_path())
    print(f"model {os.path.basename(str(model.path))}, {model.info.bits} bits")
    if args.plain.is_dir():
        plain(args.plain.resolve(), model, args.workers, args.show, args.pairs_out)
    else:
        print(f"skipped (a): no folder {args.plain}")
    if args.frames.is_dir():
        frames(args.frames.resolve(), model, args.workers)
    else:
        print(f"skipped (b): no folder {args.frames}")


if __name__ == "__main__":
    main()
