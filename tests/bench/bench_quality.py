"""Near-duplicate quality benchmark (issue 4): learned 64-bit codes against perceptual hashes and
float features, on real photos and their edited copies, with radii calibrated on one half and
reported on the other.

Run: .venv/bin/python tests/bench/bench_quality.py [--epochs 30] [--ship]   (make bench-quality)

1. The 103 shared originals are split by seed 0 into a calibration half and a test half; Imagenette
   val (3,925 photos of ten subjects) is split per class the same way. Imagenette *train* is
   training data, so it is never a distractor.
2. Every original gets the 41 edits of ``trainer.edits`` (separate files under build/bench/quality/).
   A half's items: its originals, their edits, its Imagenette distractors.
3. Every method encodes every item of both halves from the same files: ImageHash pHash, dHash, wHash
   (64 bits) and colorhash (56 bits: 14 × binbits 4, it has no 64-bit form); the cosine of the frozen
   MobileNetV2's pooled feature (imagededup's CNN mode); a 64-bit head untrained; and the baseline,
   NSH and WCH trained frozen on Imagenette train + the calibration originals (unlabeled) with the
   "duplicates" views, plus WCH with the standard views to show what the augmentations cost, and the
   head of photohash64 before 2026-11-30 (the baseline at temperature 0.05 over batches of 512, duplicates
   views); then, on 8 "edits" views per photo (the whole photo, untouched or randomly edited), learned whitening
   (trainer/methods/whitening.py) and the shipped recipe's head (SHIPPED_RECIPE: that baseline on the edits
   views); then that head's bits written 1, 2 or 3 times after the mirror-canonical pHash the shipped model computes
   (trainer/perceptual.py), with the shipped model's gates (GATE). The shipped model (resources/models) is run end
   to end through the engine: pHash + the head twice, plus the which-way-up head (trainer/orientation.py), so its
   quarter turns differ from the x2 row.
4. For each method the duplicate radius is the largest whose precision on the calibration half is
   ≥ 0.99; the test half is reported at that radius: precision, recall, F1, recall per edit type,
   recall@1/@10 of the original, and the rate of "duplicates" between different photos of one
   Imagenette class. Imagenette mAP@1000 (queries/database of DESIGN.md 8.4) is given per learned row.
   A row with gates counts a pair that passes none at the last distance, as the engine's duplicate finder drops it.
   --ship learns which way up on the training photos, exports the shipped recipe's model with it, calibrates both
   radii on the calibration half through the engine, re-exports it into resources/models, and writes its card.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import zipfile
from collections import defaultdict
from dataclasses import replace
from multiprocessing import Pool
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from engine import codes  # noqa: E402
from engine.images import decode_image, read_image  # noqa: E402
from engine.model import HashModel, prepare, resolve_model_name  # noqa: E402
from engine.retrain import GATE, LEARNED_WEIGHT, RECIPE_SETTINGS  # noqa: E402
from trainer.backbones import Backbone, frozen_runner  # noqa: E402
from trainer.checkpoints import CHECKPOINT  # noqa: E402
from trainer.config import FitConfig  # noqa: E402
from trainer.data import RESIZE_RULES, UnlabeledPhotos, eval_transform, imagenette_split, originals_halves  # noqa: E402
from trainer.edits import EDITS, write_edits  # noqa: E402
from trainer.evaluate import (DUPLICATE_PRECISION, NearDupItems, calibrate_radius, code_counts,  # noqa: E402
                              evaluate_model, mean_average_precision, near_duplicate_counts, near_duplicate_curve,
                              near_duplicate_report, plot_pr_curves)
from trainer.export import (export_onnx, model_info, rebuilt_encoder, to_batch, trained_encoder,  # noqa: E402
                            with_perceptual, with_similar, with_upright)
from trainer.fit import fit_frozen, learn_upright  # noqa: E402
from trainer.methods import METHODS  # noqa: E402
from trainer.perceptual import PerceptualHash, code_gates, side_by_side  # noqa: E402

SHARED = REPO.parent / "shared"
PHOTOS_ZIP = SHARED / "data" / "photos-free-1024.zip"
IMAGENETTE_ZIP = SHARED / "data" / "imagenette2-224-subset.zip"
CIFAR_ZIP = SHARED / "data" / "cifar10-jpg.zip"
WEIGHTS = SHARED / "weights" / "mobilenet_v2_imagenet_torchvision_qat.pth"
WORK = REPO / "build" / "bench" / "quality"
DOCS = REPO / "docs" / "quality"
HALVES = ("calibration", "test")
BITS = 64
SIMILAR_PRECISION = 0.5  # "same subject" pairs among everything within the similar radius
COSINE_BINS = 1000  # float features: bin = floor((1 - cosine) * COSINE_BINS / 2)
PERCEPTUAL = ("pHash", "dHash", "wHash", "colorhash")
SHIPPED_ROW = "baseline τ 0.05, batch 512 (edits views)"
EDIT_VIEWS = {"augment": "edits", "views": 8}  # the "edits" rows: whole-photo views, 8 per photo
COMBINED_ROW = f"pHash + shipped head x{LEARNED_WEIGHT}, gated"


# -- the benchmark's files --------------------------------------------------------------------------


def split_originals(seed: int = 0) -> dict[str, list[str]]:
    return originals_halves(PHOTOS_ZIP, seed)


def split_distractors(seed: int = 0) -> dict[str, list[tuple[str, int]]]:
    """Imagenette val, per class shuffled and halved: (member, class) pairs."""
    split = imagenette_split(IMAGENETTE_ZIP)
    by_class = defaultdict(list)
    for i, member in enumerate(split.members):
        if member.split("/")[1] == "val":
            by_class[split.labels[i]].append(member)
    rng, out = random.Random(seed), {"calibration": [], "test": []}
    for label in sorted(by_class):
        members = sorted(by_class[label])
        rng.shuffle(members)
        half = len(members) // 2
        out["calibration"] += [(m, label) for m in sorted(members[:half])]
        out["test"] += [(m, label) for m in sorted(members[half:])]
    return out


def build_half(half: str, originals: list[str], distractors: list[tuple[str, int]]) -> tuple[list[Path], NearDupItems]:
    """Write the half's files (once) and describe them."""
    from PIL import Image

    root = WORK / half
    paths, source, edit, label = [], [], [], []
    with zipfile.ZipFile(PHOTOS_ZIP) as zf:
        for k, member in enumerate(originals):
            key = member.split("/", 1)[1].rsplit(".", 1)[0].replace("/", "-")
            original = root / "originals" / f"{key}.jpg"
            if not original.exists():
                original.parent.mkdir(parents=True, exist_ok=True)
                original.write_bytes(zf.read(member))
            paths.append(original)
            source.append(k)
            edit.append("")
            label.append(-1)
            with Image.open(original) as img:
                edited = write_edits(img.convert("RGB"), key, root / "edits")
            paths += edited
            source += [k] * len(edited)
            edit += [e.name for e in EDITS]
            label += [-1] * len(edited)
    with zipfile.ZipFile(IMAGENETTE_ZIP) as zf:
        for j, (member, cls) in enumerate(distractors):
            path = root / "distractors" / member.split("/", 2)[2].replace("/", "__")
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(zf.read(member))
            paths.append(path)
            source.append(-1 - j)
            edit.append("")
            label.append(cls)
    return paths, NearDupItems(np.asarray(source), np.asarray(edit), np.asarray(label))


# -- encoders -------------------------------------------------------------------------------------


def _perceptual(path: Path) -> list[np.ndarray]:
    import imagehash
    from PIL import Image

    with Image.open(path) as img:  # what an ImageHash user does: PIL opens the file, ImageHash hashes it
        img = img.convert("RGB")
        hashes = (imagehash.phash(img), imagehash.dhash(img), imagehash.whash(img), imagehash.colorhash(img, 4))
    return [np.packbits(h.hash.flatten()) for h in hashes]


def perceptual_codes(half: str, paths: list[Path]) -> dict[str, np.ndarray]:
    cache = WORK / half / "perceptual.npz"
    if cache.exists():
        return dict(np.load(cache))
    start = time.monotonic()
    with Pool(2) as pool:
        rows = pool.map(_perceptual, paths, chunksize=16)
    out = {name: np.stack([r[k] for r in rows]) for k, name in enumerate(PERCEPTUAL)}
    np.savez(cache, **out)
    print(f"  {half}: ImageHash codes of {len(paths)} files, {time.monotonic() - start:.0f} s", flush=True)
    return out


# The backbone's input for each resize rule: the engine's decoder and ``prepare``, as an exported model has.
INPUTS = {rule: model_info("features", "mobilenet_v2", BITS, "-", resize=rule) for rule in set(RESIZE_RULES.values())}


def _pixels(job) -> np.ndarray:
    path, resize = job
    return prepare(read_image(path, min_side=224).image, INPUTS[resize])


def pooled_features(name: str, jobs, backbone: Backbone, load=_pixels) -> np.ndarray:
    """The frozen backbone's pooled feature per item, from the engine's decoder and resize rule (cached)."""
    cache = WORK / f"{name}.npy"
    if cache.exists():
        return np.load(cache)
    run = frozen_runner(backbone, torch.device("cpu"), WORK)
    out, start = [], time.monotonic()
    with Pool(2) as pool:
        for begin in range(0, len(jobs), 256):
            pixels = np.stack(pool.map(load, jobs[begin:begin + 256], chunksize=16))
            with torch.no_grad():
                out.append(run(to_batch(pixels, INPUTS[jobs[0][1]]))[0].numpy().astype(np.float16))
    features = np.concatenate(out)
    np.save(cache, features)
    print(f"  {name}: features of {len(jobs)} images, {time.monotonic() - start:.0f} s", flush=True)
    return features


_ZIP: zipfile.ZipFile | None = None  # one handle per worker process


def _imagenette_pixels(job) -> np.ndarray:
    global _ZIP
    member, resize = job
    _ZIP = _ZIP or zipfile.ZipFile(IMAGENETTE_ZIP)
    return prepare(decode_image(_ZIP.read(member), member, min_side=224).image, INPUTS[resize])


def head_codes(method: torch.nn.Module, features: np.ndarray) -> np.ndarray:
    x = torch.from_numpy(features.astype(np.float32))
    with torch.no_grad():
        values = method.eval().encode(x.unsqueeze(1) if method.needs_tokens else x).numpy()
    return codes.pack(values)


def perceptual_224(name: str, jobs, load=_pixels) -> np.ndarray:
    """pHash as the shipped model computes it (trainer.perceptual, from the head's 224 px input), packed (cached)."""
    cache = WORK / f"{name}.npy"
    if cache.exists():
        return np.load(cache)
    info = INPUTS[jobs[0][1]]
    phash, out = PerceptualHash(info.mean, info.std), []
    with Pool(2) as pool, torch.no_grad():
        for begin in range(0, len(jobs), 256):
            pixels = np.stack(pool.map(load, jobs[begin:begin + 256], chunksize=16))
            out.append(codes.pack(phash(to_batch(pixels, info)).numpy()))
    np.save(cache, np.concatenate(out))
    return np.load(cache)


def engine_codes(model: HashModel, paths: list[Path]) -> np.ndarray:
    """The shipped model, end to end as a scan runs it: the engine's decoder, its resize, ONNX Runtime."""
    return np.concatenate([model.encode_images([read_image(p, min_side=model.info.input_size).image
                                                for p in paths[begin:begin + 128]])
                           for begin in range(0, len(paths), 128)])


# -- metrics ----------------------------------------------------------------------------------------


def edit_groups() -> dict[str, list[str]]:
    """The report's edit types, each with the names of its edits (in EDITS order)."""
    groups = defaultdict(list)
    for edit in EDITS:
        groups[edit.group].append(edit.name)
    return dict(groups)


def cosine_counts(features: np.ndarray, items: NearDupItems) -> dict:
    f = features.astype(np.float32)
    f /= np.linalg.norm(f, axis=1, keepdims=True) + 1e-12

    def distances(a, b):
        return np.clip(((1 - f[a:b] @ f.T) * COSINE_BINS / 2).astype(np.int64), 0, COSINE_BINS - 1)

    return near_duplicate_counts(distances, items, COSINE_BINS)


def imagenette_map(packed: np.ndarray, split) -> float:
    labels = np.asarray(split.labels)
    index = {i: k for k, i in enumerate(split.query + split.database)}
    q = packed[[index[i] for i in split.query]]
    d = packed[[index[i] for i in split.database]]
    return mean_average_precision(q, labels[split.query], d, labels[split.database], 1000)


def duplicate_code_map(result: dict) -> float:
    """The duplicate code's mAP in ``evaluate_model``'s result (this bench is about that code; a model with a
    similarity code reports it apart)."""
    return result.get("duplicate_code", result)["value"]


def similar_radius(counts: dict, duplicate: int) -> int:
    """The largest radius where at least SIMILAR_PRECISION of the Imagenette pairs retrieved show the
    same subject (never below the duplicate radius)."""
    return max(duplicate, calibrate_radius(counts["same_class"], counts["other_class"], SIMILAR_PRECISION))


# -- the run ----------------------------------------------------------------------------------------


SHIPPED_RECIPE = {k: v for k, v in RECIPE_SETTINGS.items() if k != "bits"}  # BITS is the benchmark's


def train(method: str, augment: str, photos: list[str], epochs: int = 1, views: int = 4, **settings):
    config = FitConfig(method=method, bits=BITS, epochs=epochs, views=views, workers=2, augment=augment, **settings)
    work = WORK / f"train-{augment}"  # one view count per augment, so one cache per folder
    (work / CHECKPOINT).unlink(missing_ok=True)
    start = time.monotonic()
    result = fit_frozen(UnlabeledPhotos(photos, eval_transform()), config, weights=WEIGHTS, work_dir=work)
    if result.cancelled:  # the trainer turns Ctrl-C / SIGTERM into a clean stop: the whole bench stops too
        sys.exit(f"stopped while training {method} ({augment} views); a rerun starts that row again")
    print(f"  trained {method} ({augment} views): {time.monotonic() - start:.0f} s incl. the view cache when built",
          flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--ship", action="store_true", help="export the shipped recipe's model into resources/models")
    parser.add_argument("--ship-name", default="photohash192")
    parser.add_argument("--skip-cifar", action="store_true", help="skip the shipped model's CIFAR-10 mAP (about 5 min)")
    args = parser.parse_args()
    torch.set_num_threads(2)
    for path in (PHOTOS_ZIP, IMAGENETTE_ZIP, WEIGHTS):
        if not path.exists():
            sys.exit(f"needs {path} (shared file is missing)")
    began = time.monotonic()
    WORK.mkdir(parents=True, exist_ok=True)
    originals, distractors = split_originals(), split_distractors()
    halves = {h: build_half(h, originals[h], distractors[h]) for h in HALVES}
    print(f"files: {', '.join(f'{h} {len(p)}' for h, (p, _) in halves.items())} "
          f"({time.monotonic() - began:.0f} s)", flush=True)
    backbone = Backbone("mobilenet_v2", WEIGHTS).eval()
    resize = RESIZE_RULES["duplicates"]
    features = {h: pooled_features(f"{h}-features-{resize}", [(p, resize) for p in paths], backbone)
                for h, (paths, _) in halves.items()}
    split = imagenette_split(IMAGENETTE_ZIP)
    ranked = split.query + split.database
    nette = pooled_features(f"imagenette-features-{resize}", [(split.members[i], resize) for i in ranked], backbone,
                            load=_imagenette_pixels)

    counts: dict[str, dict[str, dict]] = {h: {} for h in HALVES}
    maps: dict[str, float] = {}
    for h, (paths, items) in halves.items():
        for name, packed in perceptual_codes(h, paths).items():
            counts[h][name] = code_counts(packed, items)
        counts[h]["cosine (float)"] = cosine_counts(features[h], items)

    def add_head(name, method):
        for h, (_, items) in halves.items():
            counts[h][name] = code_counts(head_codes(method, features[h]), items)
        maps[name] = imagenette_map(head_codes(method, nette), split)
        print(f"  {name}: Imagenette mAP@1000 {maps[name]:.4f}", flush=True)

    torch.manual_seed(0)
    add_head("untrained head", METHODS["wch"](dim=backbone.dim, bits=BITS))
    photos = [str(p) for p in sorted((REPO / "build" / "bench" / "retrieval" / "imagenette-train").glob("*.JPEG"))]
    if len(photos) != 5000:
        photos = _imagenette_train_folder()
    photos += [str(p) for p in sorted((WORK / "calibration" / "originals").glob("*.jpg"))]
    for method, augment in (("baseline", "duplicates"), ("nsh", "duplicates"), ("wch", "duplicates"),
                            ("wch", "standard")):
        result = train(method, augment, photos, args.epochs)
        name = method if augment == "duplicates" else f"{method} (standard views)"
        add_head(name, result.method)
    crops = {**SHIPPED_RECIPE, "augment": "duplicates", "views": 4}
    add_head("baseline τ 0.05, batch 512 (duplicates views)", train(**crops, photos=photos).method)
    add_head("whitening (edits views)", train("whitening", photos=photos, **EDIT_VIEWS).method)
    result = train(**SHIPPED_RECIPE, photos=photos)
    add_head(SHIPPED_ROW, result.method)
    phash = {h: perceptual_224(f"{h}-perceptual-224", [(p, resize) for p in paths]) for h, (paths, _) in halves.items()}
    phash["imagenette"] = perceptual_224("imagenette-perceptual-224", [(split.members[i], resize) for i in ranked],
                                         load=_imagenette_pixels)
    for weight in (1, LEARNED_WEIGHT, 3):  # the shipped code (before the which-way-up head), and other weights
        name = f"pHash + shipped head x{weight}, gated"
        for h, (_, items) in halves.items():
            counts[h][name] = code_counts(side_by_side(phash[h], head_codes(result.method, features[h]), weight),
                                             items, code_gates(BITS, GATE))
        maps[name] = imagenette_map(side_by_side(phash["imagenette"], head_codes(result.method, nette), weight), split)

    radii = {name: calibrate_radius(c["positive_by_edit"].sum(axis=0), c["negative"], DUPLICATE_PRECISION)
             for name, c in counts["calibration"].items()}
    upright = ship_with_upright(result, photos, halves["calibration"], args.ship_name) if args.ship else None
    shipped = HashModel.load(resolve_model_name(args.ship_name), device="cpu")
    name = f"shipped {shipped.path.stem}"
    # the shipped learned model, end to end through the engine
    for h, (paths, items) in halves.items():
        counts[h][name] = code_counts(engine_codes(shipped, paths), items, shipped.info.gates)
    radii[name] = shipped.info.radius_duplicate
    maps[name] = duplicate_code_map(evaluate_model(shipped.path, "imagenette", IMAGENETTE_ZIP))
    print(f"  {name}: radii duplicate {shipped.info.radius_duplicate}, similar {shipped.info.radius_similar}; "
          f"Imagenette mAP@1000 through the engine {maps[name]:.4f}", flush=True)
    cifar = None
    if not args.skip_cifar and CIFAR_ZIP.exists():
        start = time.monotonic()
        cifar = duplicate_code_map(evaluate_model(shipped.path, "cifar10", CIFAR_ZIP))
        print(f"  {name}: CIFAR-10 mAP@1000 {cifar:.4f} ({time.monotonic() - start:.0f} s)", flush=True)

    rows = report(counts, radii, maps, time.monotonic() - began)
    if args.ship:
        write_card(shipped, rows[name], rows["pHash"], maps[name], cifar, upright)


def _imagenette_train_folder() -> list[str]:
    sys.path.insert(0, str(REPO / "tests" / "bench"))
    from bench_retrieval import train_folder

    folder = train_folder("imagenette", imagenette_split(IMAGENETTE_ZIP))
    return [str(p) for p in sorted(folder.glob("*.JPEG"))]


def ship_with_upright(result, photos: list[str], calibration, name: str):
    """Learn which way up on the training photos, export the shipped recipe's head with it, then calibrate both
    radii on the calibration half through the engine (the turned-back photos change some codes) and re-export.
    The shipped model's similarity code (bench_similar.py --ship) is carried over as it is, checked bit for bit."""
    start = time.monotonic()
    shipped = REPO / "resources" / "models" / f"{name}.onnx"
    carried = rebuilt_encoder(shipped, result.backbone) if shipped.exists() else None
    if carried is not None and carried[0].similar is not None:
        result.similar = carried[0].similar
    config = FitConfig(method=SHIPPED_RECIPE["method"], bits=BITS, workers=2, augment=SHIPPED_RECIPE["augment"])
    learned = learn_upright(UnlabeledPhotos(photos, eval_transform()), result, config, work_dir=WORK, device="cpu")
    if learned.cancelled:
        sys.exit("stopped while learning which way up; a rerun starts it again")
    upright = learned.upright
    if upright is None:
        sys.exit("no which-way-up head: no confidence keeps the held-out upright photos upright (trainer/orientation.py)")
    print(f"  which way up: {upright.held_out} on held-out photos at confidence {upright.confidence} "
          f"({time.monotonic() - start:.0f} s)", flush=True)
    similar = carried[1] if result.similar is not None else None
    before = similar_codes(shipped, calibration[0][:100]) if similar else None
    out = ship(result, upright, 30, 60, name, len(photos), similar)  # provisional radii, calibrated below
    paths, items = calibration
    model = HashModel.load(out, device="cpu")
    packed = engine_codes(model, paths)
    gated = code_counts(packed, items, model.info.gates)
    duplicate = calibrate_radius(gated["positive_by_edit"].sum(axis=0), gated["negative"], DUPLICATE_PRECISION)
    # above the duplicate radius the engine applies no gates (ModelInfo.gates_for)
    ship(result, upright, duplicate, similar_radius(code_counts(packed, items), duplicate), name, len(photos), similar)
    if before is not None and not np.array_equal(before, similar_codes(out, calibration[0][:100])):
        sys.exit(f"{out}: the similarity code carried over differs from the one shipped before")
    return upright


def similar_codes(model_path: Path, paths: list[str]) -> np.ndarray:
    model = HashModel.load(model_path, device="cpu")
    return model.encode_images_both([read_image(p).image for p in paths])[1]


def ship(result, upright, duplicate: int, similar: int, name: str, photos: int, carried=None) -> Path:
    """Export the recipe's model; ``carried``: the metadata of the similarity code it keeps (result.similar)."""
    from PIL import Image

    info = model_info(SHIPPED_RECIPE["method"], "mobilenet_v2", BITS,
                      f"Imagenette train (5,000) + {photos - 5000} free photos, unlabeled; frozen backbone, "
                      f"{SHIPPED_RECIPE['augment']} views, tau {SHIPPED_RECIPE['tau']}, "
                      f"batch {SHIPPED_RECIPE['batch_size']}, "
                      f"{SHIPPED_RECIPE['epochs']} epochs; which-way-up head on the same photos",
                      resize=RESIZE_RULES[SHIPPED_RECIPE["augment"]])
    info = replace(with_perceptual(info, LEARNED_WEIGHT, GATE), radius_duplicate=duplicate, radius_similar=similar)
    info = with_upright(info, upright.confidence)
    if carried is not None:
        info = with_similar(info, carried.similar_method, carried.similar_bits, carried.similar_radius)
        kept = carried.trained_on.partition("; similarity code:")[2]
        info = replace(info, trained_on=f"{info.trained_on}; similarity code:{kept}" if kept else info.trained_on)
    out = REPO / "resources" / "models" / f"{name}.onnx"
    sample = [Image.open(p).convert("RGB") for p in sorted((WORK / "calibration" / "originals").glob("*.jpg"))[:16]]
    parity = export_onnx(trained_encoder(result, info, LEARNED_WEIGHT), info, out, sample)
    print(f"shipped {out.relative_to(REPO)}: {out.stat().st_size / 1e6:.1f} MB, radii {duplicate}/{similar}, "
          f"ONNX = torch on {parity.bit_agreement:.2%} of bits and {parity.turn_agreement:.0%} of turn verdicts",
          flush=True)
    return out


def write_card(model: HashModel, row: dict, phash: dict, nette_map: float, cifar_map: float | None, upright) -> Path:
    """The model card next to the ONNX file: what it is, what it was trained on, what it measures."""
    groups = edit_groups()

    def by_group(r):
        return {g: round(float(np.mean([r["recall_by_edit"][e] for e in m])), 4) for g, m in groups.items()}

    card = {
        "name": model.path.stem, "title": "PhotoHash standard",
        "summary": "Finds copies of a photo, also resized, re-saved, cropped, turned, flipped or colour-edited, and "
                   "photos like each other (same subject or scene).",
        "file": model.path.name, "model_key": model.model_key,
        "method": model.info.method, "bits": model.info.bits, "backbone": "MobileNetV2 (frozen, ImageNet weights)",
        "description": "Two hashes side by side in one 192-bit code. First pHash (64 bits: the DCT perceptual hash, "
                       "computed in the graph from the same 224×224 input, and mirror-canonical: taken for whichever "
                       "of the photo, its mirror images and its half turn has DCT coefficients (0, 1) and (1, 0) >= 0, "
                       "so flipped and upside-down copies get their photo's pHash), which finds re-encoded, resized "
                       "and recoloured copies. Then a learned 64-bit code, written twice so that one Hamming distance "
                       "weighs it twice: a contrastive hash head (the CIBHash-style baseline, temperature 0.05, "
                       "batches of 512) on a frozen MobileNetV2, trained without labels on views that are what the "
                       "engine sees of a user's copy of a photo: the whole photo squashed to 224×224, untouched or "
                       "after one to three random edits (crops, tilts, quarter turns, flips, colour, blur, noise, "
                       "text, borders, app windows, JPEG). It finds the crops, tilts, flips and turns pHash misses. "
                       "Two photos are duplicates when pHash or the learned code is within the gate radius and the "
                       "whole code within the duplicate radius. A second head tells which way up a photo is (a "
                       "logistic regression on the 3×3-pooled feature grid, trained without labels on the four turns "
                       "of the same photos); where it is sure a photo is turned, the engine encodes it turned back, "
                       "so copies turned by a viewer are found.",
        "parts": {"bits": "0-63 pHash; 64-127 the learned code; 128-191 the learned code again",
                  "gates": [list(g) for g in model.info.gates],
                  "why": "on the calibration half at precision 0.99 pHash alone finds 0.68 of the copies, the learned "
                         "code 0.63, side by side 0.86; the learned code weighed twice against once and three times: "
                         "docs/benchmark.md; the gates keep the all-pairs join a multi-index one"},
        "upright": {"confidence": model.info.upright_confidence, "held_out_photos": upright.held_out,
                    "rule": "the lowest softmax at which at most 2 % of held-out upright images are turned"},
        "radius": {"duplicate": model.info.radius_duplicate, "similar": model.info.radius_similar},
        "radius_note": f"calibrated on the calibration half of the near-duplicate benchmark: duplicate = the largest "
                       f"radius with pair precision ≥ {DUPLICATE_PRECISION}; similar = the largest radius where at "
                       f"least {SIMILAR_PRECISION:.0%} of the Imagenette pairs it retrieves show the same subject",
        "training_data": model.info.trained_on,
        "licence": "Model file: MIT, as the project. Backbone weights: torchvision's MobileNetV2 (BSD-3-Clause), "
                   "trained on ImageNet. The head was trained on Imagenette photos (an ImageNet subset: "
                   "non-commercial research and education terms; no photo is shipped) and on 52 freely licensed "
                   "photos (CC0 / Unsplash / CC-BY / GPL; each photo's source and licence are listed in the ATTRIBUTION.csv of the project's free photo set).",
        "benchmark": {
            "command": "make bench-quality", "machine": "2-vCPU VM, 24 GiB, CPU only",
            "test_half": {k: row[k] for k in ("radius", "precision", "recall", "f1", "recall_at_1", "recall_at_10",
                                               "same_class_false_rate")},
            "recall_by_edit_type": by_group(row),
            "phash_same_protocol": {**{k: phash[k] for k in ("radius", "precision", "recall", "f1")},
                                    "recall_by_edit_type": by_group(phash)},
            "imagenette_map_at_1000": round(nette_map, 4),
            "cifar10_map_at_1000": None if cifar_map is None else round(cifar_map, 4),
        },
        "metadata": model.info.to_metadata(),
    }
    path = model.path.with_suffix(".json")
    if model.info.similar_bits and path.exists():  # bench_similar.py's part, for the code carried over
        card["similar"] = json.loads(path.read_text()).get("similar")
    if path.exists() and model.model_key == json.loads(path.read_text()).get("model_key"):
        verified = json.loads(path.read_text()).get("benchmark", {}).get("verified_test_half")
        if verified:  # bench_verified.py --card's part, for the same model file
            card["benchmark"]["verified_test_half"] = verified
    path.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n")
    print(f"model card: {path.relative_to(REPO)}", flush=True)
    return path


def report(counts, radii, maps, seconds) -> dict[str, dict]:
    """Print the test half's tables; a method that never reaches the precision is shown at radius 0 (marked *)."""
    test = counts["test"]
    rows = {name: near_duplicate_report(c, max(radii[name], 0)) for name, c in test.items()}
    print(f"\nNear-duplicates, test half; radius calibrated on the calibration half (the largest with precision "
          f"≥ {DUPLICATE_PRECISION}; * none reaches it, shown at radius 0)")
    print(f"{'method':30s} {'radius':>6s} {'P':>6s} {'R':>6s} {'F1':>6s} {'R@1':>6s} {'R@10':>6s} "
          f"{'same-class FP':>13s} {'nette mAP':>9s}")
    for name, row in rows.items():
        shown = str(row["radius"]) if name != "cosine (float)" else f"{1 - 2 * (row['radius'] + 1) / COSINE_BINS:.3f}"
        shown += "*" if radii[name] < 0 else ""
        print(f"{name:30s} {shown:>6s} {row['precision']:6.4f} {row['recall']:6.4f} {row['f1']:6.4f} "
              f"{row['recall_at_1']:6.4f} {row['recall_at_10']:6.4f} {row['same_class_false_rate']:13.5f} "
              f"{maps.get(name, float('nan')):9.4f}")
    groups = edit_groups()
    names = list(rows)
    print("\nRecall per edit type at each method's calibrated radius (test half)")
    print(f"{'edit type':20s} " + " ".join(f"{n[:9]:>9s}" for n in names))
    for group, members in groups.items():
        values = [np.mean([rows[n]["recall_by_edit"][e] for e in members]) for n in names]
        print(f"{group:20s} " + " ".join(f"{v:9.4f}" for v in values))
    print("\nRecall per edit at each method's calibrated radius (test half)")
    print(f"{'edit':20s} " + " ".join(f"{n[:9]:>9s}" for n in names))
    for edit in EDITS:
        print(f"{edit.name:20s} " + " ".join(f"{rows[n]['recall_by_edit'][edit.name]:9.4f}" for n in names))
    curves = {name: near_duplicate_curve(c) for name, c in test.items() if name != "cosine (float)"}
    png = plot_pr_curves(curves, DOCS / "test-pr.png", "Near-duplicates, test half: precision-recall by radius",
                         emphasise=next((n for n in curves if n.startswith("shipped ")), ""))
    (WORK / "results.json").write_text(json.dumps({"radii": radii, "maps": maps, "test": rows,
                                                   "curves": curves}, indent=1))
    print(f"\nPR curves: {png.relative_to(REPO)}; all figures: {(WORK / 'results.json').relative_to(REPO)}; "
          f"{seconds / 60:.1f} min in all")
    return rows


if __name__ == "__main__":
    main()
