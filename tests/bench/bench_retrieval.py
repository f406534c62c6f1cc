"""Retrieval benchmark (DESIGN.md 8.4): mAP@1000 of WCH, NSH and the baseline, frozen MobileNetV2.

Run: .venv/bin/python tests/bench/bench_retrieval.py [--dataset cifar10] [--bits 16 32 64] [--epochs 30]

Steps, all on the CPU, all cached under build/bench/retrieval/:
1. evaluation features: the frozen backbone's pooled feature of every query and database image,
   with the deterministic evaluation transform (resize, centre crop 224) — computed once;
2. training: the protocol's unlabeled training images (CIFAR-10: the 5,000 train images) go through
   the trainer's frozen mode (`trainer.fit.fit_frozen`: K augmented views cached once, then the heads);
3. codes = sign(head(feature)) for queries and database; mAP@1000 by Hamming ranking, ties by index.
Rows: each method at each code length, and the untrained baselines on the same features (a random
Gaussian projection = LSH, and each method's head at initialisation). Wall time per run is printed.
The exported ONNX model computes the same codes (the export's parity check); evaluating through
ONNX is `photohash-cli eval`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from engine import codes  # noqa: E402
from trainer.backbones import Backbone, frozen_runner  # noqa: E402
from trainer.checkpoints import CHECKPOINT  # noqa: E402
from trainer.config import FitConfig  # noqa: E402
from trainer.data import UnlabeledPhotos, ZipImages, eval_transform  # noqa: E402
from trainer.evaluate import DATASETS, mean_average_precision, plot_pr_curves, precision_recall_by_radius  # noqa: E402
from trainer.fit import fit_frozen  # noqa: E402
from trainer.methods import METHODS  # noqa: E402

SHARED = REPO.parent / "shared"
ZIPS = {"cifar10": SHARED / "data" / "cifar10-jpg.zip", "imagenette": SHARED / "data" / "imagenette2-224-subset.zip"}
WEIGHTS = SHARED / "weights" / "mobilenet_v2_imagenet_torchvision_qat.pth"
WORK = REPO / "build" / "bench" / "retrieval"


def eval_features(dataset: str, split, backbone: Backbone) -> torch.Tensor:
    """Pooled features of query + database images (cached)."""
    path = WORK / f"{dataset}-eval-features.pt"
    if path.exists():
        return torch.load(path, weights_only=True)
    wanted = split.query + split.database
    images = ZipImages(ZIPS[dataset], [split.members[i] for i in wanted], [0] * len(wanted), eval_transform())
    loader = DataLoader(images, batch_size=128, num_workers=2)
    run = frozen_runner(backbone, torch.device("cpu"), WORK)
    out, start = [], time.monotonic()
    with torch.no_grad():
        for batch, _ in loader:
            out.append(run(batch)[0].half())
            done = sum(len(o) for o in out)
            print(f"\r  eval features {done}/{len(wanted)} ({done / (time.monotonic() - start):.0f}/s)", end="",
                  file=sys.stderr)
    print(file=sys.stderr)
    features = torch.cat(out)
    WORK.mkdir(parents=True, exist_ok=True)
    torch.save(features, path)
    return features


def train_folder(dataset: str, split) -> Path:
    """The unlabeled training images as files (the trainer reads photos from a folder)."""
    folder = WORK / f"{dataset}-train"
    if not (folder / ".done").exists():
        folder.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(ZIPS[dataset]) as zf:
            for i in split.train:
                name = split.members[i]
                (folder / name.replace("/", "_")).write_bytes(zf.read(name))
        (folder / ".done").write_text("")
    return folder


def mean_ap(encode, features, split, top_k=1000, tokens=False, curves=None, name=None) -> float:
    """``tokens``: the method reads a token grid; a CNN's pooled feature is the mean of its grid, so
    it goes in as a grid of one token (the same input the exported model's head gets).
    With ``curves``, also stores the precision-recall curve under ``name``."""
    x = features.float()
    with torch.no_grad():
        values = encode(x.unsqueeze(1) if tokens else x).numpy()
    packed = codes.pack(values)
    labels = np.asarray(split.labels)
    nq = len(split.query)
    q, d, ql, dl = packed[:nq], packed[nq:], labels[split.query], labels[split.database]
    if curves is not None:
        curves[name] = precision_recall_by_radius(q, ql, d, dl, values.shape[1])
    return mean_average_precision(q, ql, d, dl, top_k)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", choices=sorted(ZIPS), default="cifar10")
    parser.add_argument("--bits", type=int, nargs="+", default=[16, 32, 64])
    parser.add_argument("--methods", nargs="+", default=["baseline", "nsh", "wch"])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--views", type=int, default=4)
    parser.add_argument("--features-only", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(2)
    for path in (ZIPS[args.dataset], WEIGHTS):
        if not path.exists():
            sys.exit(f"needs {path} (shared file is missing)")
    split = DATASETS[args.dataset](ZIPS[args.dataset], seed=0)
    backbone = Backbone("mobilenet_v2", WEIGHTS).eval()
    WORK.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    features = eval_features(args.dataset, split, backbone)
    print(f"evaluation features: {len(features)} images, {time.monotonic() - start:.0f} s")
    if args.features_only:
        return
    folder = train_folder(args.dataset, split)
    photos_paths = UnlabeledPhotos.from_folder(folder, eval_transform()).paths
    rows = []
    work = WORK / f"{args.dataset}-train-work"
    for bits in args.bits:
        curves = {}
        torch.manual_seed(0)
        projection = torch.randn(features.shape[1], bits)
        rows.append(("random projection (LSH)", bits,
                     mean_ap(lambda f: f @ projection, features, split, curves=curves, name="LSH"), 0.0))
        print(f"  {rows[-1][0]:24s} {bits:3d} bits  mAP@1000 {rows[-1][2]:.4f}", flush=True)
        for name in args.methods:
            torch.manual_seed(0)
            untrained = METHODS[name](dim=backbone.dim, bits=bits).eval()
            rows.append((f"{name}, untrained head", bits,
                         mean_ap(untrained.encode, features, split, tokens=untrained.needs_tokens), 0.0))
            print(f"  {rows[-1][0]:24s} {bits:3d} bits  mAP@1000 {rows[-1][2]:.4f}", flush=True)
            config = FitConfig(method=name, bits=bits, epochs=args.epochs, views=args.views, workers=2)
            (work / CHECKPOINT).unlink(missing_ok=True)  # a fresh run each time (the feature cache is kept)
            t0 = time.monotonic()
            result = fit_frozen(UnlabeledPhotos(photos_paths, eval_transform()), config, weights=WEIGHTS,
                                work_dir=work)
            seconds = time.monotonic() - t0
            value = mean_ap(result.method.eval().encode, features, split, tokens=result.method.needs_tokens,
                            curves=curves, name=name)
            rows.append((name, bits, value, seconds))
            print(f"  {name:10s} {bits:3d} bits  mAP@1000 {value:.4f}  ({seconds:.0f} s incl. cache when first built)",
                  flush=True)
        png = plot_pr_curves(curves, REPO / "docs" / "retrieval" / f"{args.dataset}-{bits}bits-pr.png",
                             f"{args.dataset}, {bits} bits: precision-recall by Hamming radius")
        print(f"  precision-recall curves: {png.relative_to(REPO)}", flush=True)
    print(f"\n{args.dataset}, frozen MobileNetV2 (shared ImageNet weights), {args.epochs} epochs, K={args.views} views")
    print(f"{'method':28s} {'bits':>4s}  {'mAP@1000':>8s}  {'train s':>7s}")
    for name, bits, value, seconds in rows:
        print(f"{name:28s} {bits:4d}  {value:8.4f}  {seconds:7.0f}")
    (WORK / f"{args.dataset}-results.json").write_text(json.dumps(
        [{"method": n, "bits": b, "map": round(v, 4), "seconds": round(s, 1)} for n, b, v, s in rows], indent=2))


if __name__ == "__main__":
    main()
