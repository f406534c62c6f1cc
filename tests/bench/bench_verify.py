"""Verification of candidate pairs (engine.verify): does every kind of edit verify as a copy, do different photos
stay apart, what it costs. Prints its figures (docs/benchmark.md, "Verified duplicates").

- Copies: the first --photos shared free photos (photos-free-1024.zip), each edited with the near-duplicate
  benchmark's 41 edits (trainer/edits.py), each copy decoded as a scan decodes it: the share verified as copies, by
  edit.
- Different photos: every pair of those photos; and the hard negatives, every pair of --per-class Imagenette photos
  of one class, for each of its 10 classes (different photos of one kind of subject, the look-alikes a hash puts
  close together); and near twins, the left and the right 45 % of each photo. Counted: pairs called copy or series,
  and those per 1,000 photos.
- Cost: features per photo (ms, median), verification per pair from features (ms, median), bytes per photo kept in
  the catalog.

``--detector sift`` runs the same with OpenCV's SIFT in place of ORB (the peer ORB was chosen against).
"""

from __future__ import annotations

import argparse
import io
import itertools
import statistics
import sys
import time
import zipfile
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from engine import verify as V  # noqa: E402
from engine.images import decode_image  # noqa: E402
from trainer.edits import EDITS, edited_file  # noqa: E402

SHARED = REPO.parent / "shared" / "data"
PHOTOS_ZIP = SHARED / "photos-free-1024.zip"
IMAGENETTE_ZIP = SHARED / "imagenette2-224-subset.zip"


def use_sift(keypoints: int) -> None:
    """SIFT keypoints and an L2 matcher in place of ORB's (the comparison only)."""
    sift = cv2.SIFT_create(nfeatures=keypoints)

    def detect(image):
        working = V._grey(image, V.WORKING_SIDE, enlarge=True)
        found, descriptors = sift.detectAndCompute(working, None)
        if descriptors is None or len(found) < V.MIN_KEYPOINTS:
            return None
        scale = np.array(image.size, np.float32) / np.array(working.shape[::-1], np.float32)
        points = (np.array([k.pt for k in found], np.float32) + 0.5) * scale - 0.5
        return V.Keypoints(points, descriptors.astype(np.float32))

    def matches(a, b):
        matcher = cv2.BFMatcher(cv2.NORM_L2)
        forward = matcher.knnMatch(a.plain.descriptors, b.plain.descriptors, k=2)
        back = {m.queryIdx: m.trainIdx for m in matcher.match(b.plain.descriptors, a.plain.descriptors)}
        pairs = [(m[0].queryIdx, m[0].trainIdx) for m in forward if len(m) == 2
                 and m[0].distance < V.RATIO * m[1].distance and back.get(m[0].trainIdx) == m[0].queryIdx]
        if not pairs:
            return np.empty((0, 2), np.float32), np.empty((0, 2), np.float32)
        ia, ib = np.array(pairs).T
        return a.plain.points[ia], b.plain.points[ib]

    V._keypoints, V._matches = detect, matches


def timed(fn, *args):
    start = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=30, help="shared free photos edited (default 30)")
    parser.add_argument("--per-class", type=int, default=40, help="Imagenette photos per class (default 40)")
    parser.add_argument("--detector", choices=["orb", "sift"], default="orb")
    parser.add_argument("--keypoints", type=int, default=V.MAX_KEYPOINTS)
    args = parser.parse_args()
    for path in (PHOTOS_ZIP, IMAGENETTE_ZIP):
        if not path.exists():
            sys.exit(f"needs {path} (shared data file is missing)")
    if args.detector == "sift":
        use_sift(args.keypoints)
    elif args.keypoints != V.MAX_KEYPOINTS:
        V._ORB = cv2.ORB_create(nfeatures=args.keypoints)

    with zipfile.ZipFile(PHOTOS_ZIP) as zf:
        names = sorted(n for n in zf.namelist() if n.lower().endswith(".jpg"))[:args.photos]
        originals = [decode_image(zf.read(n), n, min_side=V.WORKING_SIDE).image for n in names]
    feature_s, verify_s, sizes = [], [], []
    made = []
    for image in originals:
        f, seconds = timed(V.features, image)
        feature_s.append(seconds)
        made.append(f)
        if f is not None:
            sizes.append(len(f.to_bytes()))

    found, total = Counter(), Counter()
    missed = []
    for k, (image, first) in enumerate(zip(originals, made)):
        for edit in EDITS:
            copy = decode_image(edited_file(edit, image.copy(), f"0-{k}"), edit.name, min_side=V.WORKING_SIDE).image
            verdict, seconds = timed(V.verify, first, V.features(copy))
            verify_s.append(seconds)
            total[edit.group] += 1
            if verdict.kind == "copy":
                found[edit.group] += 1
            else:
                missed.append(f"{names[k].split('/')[-1]} {edit.name}: {verdict.kind} (agreement {verdict.agreement})")

    def false_pairs(features: list) -> Counter:
        return Counter(V.verify(a, b).kind for a, b in itertools.permutations(features, 2) if a and b)

    different = false_pairs(made)
    by_class = defaultdict(list)
    with zipfile.ZipFile(IMAGENETTE_ZIP) as zf:
        for n in sorted(zf.namelist()):
            parts = n.split("/")
            if len(parts) == 4 and parts[1] == "val" and len(by_class[parts[2]]) < args.per_class:
                by_class[parts[2]].append(Image.open(io.BytesIO(zf.read(n))).convert("RGB"))
    hard, hard_photos = Counter(), 0
    for images in by_class.values():
        hard += false_pairs([V.features(i) for i in images])
        hard_photos += len(images)
    twins = Counter()
    for image in originals:
        w, h = image.size
        left, right = image.crop((0, 0, int(w * 0.45), h)), image.crop((int(w * 0.55), 0, w, h))
        twins[V.verify(V.features(left), V.features(right)).kind] += 1

    ms = 1000
    print(f"detector {args.detector}, {args.keypoints} keypoints; {len(originals)} photos x {len(EDITS)} edits")
    print(f"features: {statistics.median(feature_s) * ms:.1f} ms per photo (median), "
          f"{statistics.median(sizes) / 1024:.1f} KiB kept per photo (median)")
    print(f"verification from features: {statistics.median(verify_s) * ms:.1f} ms per pair (median), "
          f"p90 {sorted(verify_s)[int(len(verify_s) * 0.9)] * ms:.1f} ms")
    print(f"copies verified: {sum(found.values())} of {sum(total.values())} "
          f"({sum(found.values()) / sum(total.values()):.1%})")
    for group in total:
        print(f"  {group:28s} {found[group]:4d} / {total[group]:4d}")
    for line in missed:
        print(f"  missed: {line}")
    ordered = len(made) * (len(made) - 1)
    print(f"different free photos: {ordered} ordered pairs, {different['copy']} copy, {different['series']} series")
    wrong = hard["copy"] + hard["series"]
    print(f"hard negatives (Imagenette, {len(by_class)} classes x {args.per_class}): {sum(hard.values())} ordered "
          f"pairs, {hard['copy']} copy, {hard['series']} series, {hard['unverified']} unverified: "
          f"{wrong / 2 * 1000 / hard_photos:.2f} false pairs per 1,000 photos")
    print(f"near twins (left and right 45 % of a photo): {dict(twins)}")


if __name__ == "__main__":
    main()
