"""The similarity code beside the shipped duplicate code: which head, how good, which radius.

Run: .venv/bin/python tests/bench/bench_similar.py [--only wch nsh wch-edits] [--epochs 30] [--ship wch]
     (make bench-similar; about 35 min on a 2-core CPU the first time, build/bench/similar keeps the caches)

1. The 5,000 Imagenette train photos, unlabeled, through the trainer's frozen mode on the shipped model's backbone
   (MobileNetV2, the same weights): a 64-bit head per candidate, each trained afresh on cached views:
   - ``wch``, ``nsh``: the methods on MoCo-style views (4 per photo), as the papers train them;
   - ``wch-edits``: WCH on the recipe's own 8 "edits" views, the cache "Retrain on my library" already builds
     for the duplicate head (one cache for both heads: what it costs in subject retrieval).
2. Each head is added to the shipped model (trainer.export.rebuilt_encoder: its heads rebuilt from the ONNX file,
   so the duplicate code stays the shipped one; checked bit for bit through the engine on 200 photos).
3. Through the engine, as ``search`` ranks: Imagenette mAP@1000 of the similarity code and of the duplicate code,
   on the 1,000 val queries against the 7,925 others, and the similar radius (``similar_radius``).
``--ship NAME`` writes that candidate as resources/models/photohash192.onnx and adds its part to the model card.
``--scale`` times what ``dupes --similar`` does on 100,000 photos (engine.duplicates.similar_groups: the join of all
pairs within the radius, then the clusters), on the shipped similarity code's codes of the 8,925 Imagenette photos
and on 100,000 codes made from them (each a random one of those codes with 0-6 of its bits flipped: a library
crowded around its subjects, denser than most).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "bench"))

from bench_retrieval import train_folder  # noqa: E402
from engine.model import HashModel, resolve_model_name  # noqa: E402
from trainer.checkpoints import CHECKPOINT  # noqa: E402
from trainer.config import FitConfig  # noqa: E402
from trainer.data import UnlabeledPhotos, eval_transform, imagenette_split  # noqa: E402
from trainer.evaluate import evaluate_model  # noqa: E402
from trainer.export import export_onnx, rebuilt_encoder, relabel, with_similar  # noqa: E402
from trainer.fit import fit_frozen  # noqa: E402

SHARED = REPO.parent / "shared"
IMAGENETTE_ZIP = SHARED / "data" / "imagenette2-224-subset.zip"
CIFAR_ZIP = SHARED / "data" / "cifar10-jpg.zip"
WEIGHTS = SHARED / "weights" / "mobilenet_v2_imagenet_torchvision_qat.pth"
WORK = REPO / "build" / "bench" / "similar"
BITS = 64
# The similar radius: pairs within it show the same subject at least this often, and it is at most a sixteenth of
# the bits, so that the join behind similar groups stays a multi-index one (docs/benchmark.md: on 100,000 photos'
# codes, 7.8 s at radius 4 of 64 bits, 32 s at 6, 84 s at 8).
SIMILAR_PRECISION = 0.995
SIMILAR_SHARE = 1 / 16
CANDIDATES = {  # name: (method, views, the views' cache)
    "wch": ("wch", 4, "standard"),
    "nsh": ("nsh", 4, "standard"),
    "wch-edits": ("wch", 8, "edits"),
}


def train(name: str, photos: list[str], epochs: int):
    method, views, augment = CANDIDATES[name]
    config = FitConfig(method=method, bits=BITS, epochs=epochs, views=views, augment=augment, workers=2)
    work = WORK / f"train-{augment}"  # one cache per kind of view, shared by the heads trained on it
    (work / CHECKPOINT).unlink(missing_ok=True)
    start = time.monotonic()
    result = fit_frozen(UnlabeledPhotos(photos, eval_transform()), config, weights=WEIGHTS, work_dir=work)
    if result.cancelled:
        sys.exit(f"stopped while training {name}; a rerun starts it again")
    print(f"  trained {name}: {time.monotonic() - start:.0f} s incl. the view cache when built", flush=True)
    return result


def check_photos(photos: list[str]) -> list:
    """200 photos: the near-duplicate benchmark's calibration originals where it left them (52), then training photos."""
    from PIL import Image

    folder = REPO / "build" / "bench" / "quality" / "calibration" / "originals"
    paths = (sorted(map(str, folder.glob("*.jpg"))) + photos)[:200]
    return [Image.open(p).convert("RGB") for p in paths]


def add_head(name: str, result, out: Path, photos: list[str], epochs: int) -> Path:
    """The shipped model with ``result``'s head as its similarity code (provisional radius), written to ``out``; its
    duplicate code is checked against the shipped file's, bit for bit, through the engine."""
    method, views, augment = CANDIDATES[name]
    shipped = resolve_model_name("photohash192")
    encoder, info = rebuilt_encoder(shipped, result.backbone)
    encoder.similar = result.method.eval()
    info = with_similar(info, method, BITS)
    info = replace(info, trained_on=f"{info.trained_on}; similarity code: {method.upper()} on {result.photos} Imagenette "
                                    f"train photos, unlabeled, {views} {augment} views, {epochs} epochs")
    images = check_photos(photos)
    parity = export_onnx(encoder, info, out, images[:16])
    before, after = HashModel.load(shipped, device="cpu"), HashModel.load(out, device="cpu")
    same = float(np.mean(before.encode_images(images) == after.encode_images(images)))
    if same < 1:
        sys.exit(f"{out}: its duplicate code differs from the shipped model's on {1 - same:.2%} of bytes")
    print(f"  {out.name}: ONNX = torch on {parity.similar_bit_agreement:.2%} of similarity bits; duplicate code = "
          f"the shipped model's on all bytes of {len(images)} photos", flush=True)
    return out


def similar_radius(curve: dict) -> int:
    """The largest radius at which at least SIMILAR_PRECISION of the pairs retrieved show the same subject, at most
    SIMILAR_SHARE of the bits."""
    ok = [r for r, p in zip(curve["radius"], curve["precision"]) if p >= SIMILAR_PRECISION]
    return min(max(ok) if ok else 0, round(BITS * SIMILAR_SHARE))


def scale(model_path: Path) -> None:
    from engine.duplicates import _clusters
    from engine.index import HammingIndex
    from trainer.evaluate import encode_members

    split = imagenette_split(IMAGENETTE_ZIP)
    members = [split.members[i] for i in split.query + split.database]
    real = encode_members(HashModel.load(model_path, device="cpu"), IMAGENETTE_ZIP, members, lambda n: None)[1]
    rng = np.random.default_rng(0)
    base = np.unpackbits(real[rng.integers(0, len(real), 100_000)], axis=1)
    flips = rng.integers(0, 7, len(base))
    for i, k in enumerate(flips):
        base[i, rng.choice(BITS, k, replace=False)] ^= 1
    made = np.packbits(base, axis=1)
    print("\n| photos | radius | pairs | join s | clusters s | groups | photos in groups |\n|---|---|---|---|---|---|---|")
    for packed in (real, made):
        index = HammingIndex(packed, np.arange(len(packed)))
        for radius in (4, 6, 8):
            start = time.perf_counter()
            a, b, distance = index.pairs(radius)
            joined = time.perf_counter()
            clusters = _clusters(packed, a, b, distance, radius)
            done = time.perf_counter()
            print(f"| {len(packed):,} | {radius} | {len(a):,} | {joined - start:.2f} | {done - joined:.2f} | "
                  f"{len(clusters):,} | {sum(map(len, clusters)):,} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", choices=list(CANDIDATES), default=list(CANDIDATES))
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--ship", choices=list(CANDIDATES), help="write this candidate as the shipped model")
    parser.add_argument("--cifar", action="store_true", help="also CIFAR-10 mAP@1000 of the shipped candidate")
    parser.add_argument("--scale", action="store_true", help="only time similar groups at 100,000 photos (the shipped "
                                                             "model's similarity code)")
    args = parser.parse_args()
    if args.scale:
        return scale(resolve_model_name("photohash192"))
    for need in (IMAGENETTE_ZIP, WEIGHTS):
        if not need.is_file():
            sys.exit(f"needs {need}")
    WORK.mkdir(parents=True, exist_ok=True)
    photos = [str(p) for p in sorted(train_folder("imagenette", imagenette_split(IMAGENETTE_ZIP)).glob("*.JPEG"))]
    started, rows = time.monotonic(), {}
    names = list(dict.fromkeys(args.only + ([args.ship] if args.ship else [])))
    for name in names:
        result = train(name, photos, args.epochs)
        draft = add_head(name, result, WORK / f"photohash192-{name}.onnx", photos, args.epochs)
        t = time.monotonic()
        figures = evaluate_model(draft, "imagenette", IMAGENETTE_ZIP)
        radius = similar_radius(figures["pr_curve"])
        rows[name] = {"similar_map": figures["value"], "duplicate_map": figures["duplicate_code"]["value"],
                      "similar_radius": radius,
                      "precision_at_radius": figures["pr_curve"]["precision"][figures["pr_curve"]["radius"].index(radius)]
                      if radius in figures["pr_curve"]["radius"] else None,
                      "eval_s": round(time.monotonic() - t)}
        print(f"  {name}: Imagenette mAP@1000 similarity code {figures['value']:.4f}, duplicate code "
              f"{figures['duplicate_code']['value']:.4f}; similar radius {radius} ({rows[name]['eval_s']} s)",
              flush=True)
        if name == args.ship:
            ship(name, draft, result, radius, rows[name], args)
    print("\n| similarity code (64 bits) | Imagenette mAP@1000 | duplicate code's | similar radius | precision there |")
    print("|---|---|---|---|---|")
    for name, row in rows.items():
        print(f"| {name} | {row['similar_map']:.4f} | {row['duplicate_map']:.4f} | {row['similar_radius']} | "
              f"{row['precision_at_radius']} |")
    (WORK / "results.json").write_text(json.dumps(rows, indent=2) + "\n")
    print(f"\n{time.monotonic() - started:.0f} s; {WORK / 'results.json'}")


def ship(name: str, draft: Path, result, radius: int, row: dict, args) -> None:
    """The checked draft, its similar radius set, as the shipped model; its part of the model card."""
    out = resolve_model_name("photohash192")
    relabel(draft, replace(HashModel.load(draft, device="cpu").info, similar_radius=radius), out)
    model = HashModel.load(out, device="cpu")
    card_path = out.with_suffix(".json")
    card = json.loads(card_path.read_text())
    method, views, augment = CANDIDATES[name]
    cifar = None
    if args.cifar and CIFAR_ZIP.is_file():
        cifar = evaluate_model(out, "cifar10", CIFAR_ZIP)["value"]
    card.update(model_key=model.model_key, metadata=model.info.to_metadata())
    card["similar"] = {
        "method": method.upper(), "bits": BITS, "radius": radius,
        "what_for": "photos like this one: search by example, dupes --similar and the app's Similar end rank and "
                    "group by this code; duplicates are found by the 192-bit duplicate code and verification",
        "training_data": f"Imagenette train ({result.photos}), unlabeled; frozen backbone (the same pass as the "
                         f"duplicate code), {views} {augment} views, {args.epochs} epochs",
        "radius_note": f"the largest radius at which at least {SIMILAR_PRECISION:.1%} of the Imagenette pairs it "
                       f"retrieves show the same subject, at most {SIMILAR_SHARE * BITS:.0f} of {BITS} bits so that "
                       f"similar groups come from a multi-index join (precision there {row['precision_at_radius']})",
        "benchmark": {"command": f"tests/bench/bench_similar.py --ship {name}", "machine": "2-vCPU VM, 24 GiB, CPU only",
                      "imagenette_map_at_1000": row["similar_map"], "cifar10_map_at_1000": cifar,
                      "duplicate_code_imagenette_map_at_1000": row["duplicate_map"]},
    }
    card_path.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n")
    print(f"shipped {out.relative_to(REPO)} with the {name} similarity code ({out.stat().st_size / 1e6:.1f} MB), "
          f"radius {radius}; card {card_path.relative_to(REPO)}", flush=True)


if __name__ == "__main__":
    main()
