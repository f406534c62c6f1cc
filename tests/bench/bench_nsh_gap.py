"""Why NSH trails WCH on Imagenette, by measurement: the frozen backbone, the sorter's temperature, an adapter.

Run: .venv/bin/python tests/bench/bench_nsh_gap.py [--only NAME ...] [--epochs 30]
     (about an hour on a 2-core CPU; build/bench/nsh-gap keeps the caches and each finished row)

The papers train end to end; the product trains heads on a frozen MobileNetV2. A full fine-tune is a GPU's job
(trainer.finetune), so this bench asks the question on the part of the network a CPU can train: the backbone's last
two stages (its last inverted-residual block and the 1x1 conv to 1,280 channels: 0.89 M of its 2.22 M parameters),
on the output of the 17 stages before them, cached once for 4 MoCo-style views of the 5,000 Imagenette train photos
(ONNX Runtime) and for the 8,925 photos searched. Every row is trained and measured the same way, in torch:

- ``wch``, ``nsh``: the heads on the frozen backbone, as the shipped similarity code is trained (30 epochs, batches
  of 64, Adam 1e-3, cosine schedule); the reference for the rows below;
- ``nsh-anneal-soft``: the sorter's temperature τ_s·d falls from 4 to 1 over the run (a smooth sort first, so that
  ranks far down the list pass gradient while the codes are still random), ``nsh-anneal-wide`` from 16 to 1,
  ``nsh-anneal-sharp`` from 1 to 0.25, ``nsh-soft-2`` a constant 2 (is it the schedule, or a softer sort?);
- ``nsh-adapter``: a linear D->D adapter (identity at start) before both of NSH's heads, as the one that rescued WCH;
- ``wch-tuned``, ``nsh-tuned`` (and ``nsh-tuned-anneal``): the same heads with the last two stages trained too (Adam 1e-4, BatchNorm statistics
  kept): how much of the gap a backbone that can move closes.

Imagenette mAP@1000 of the 64-bit codes: 1,000 val queries against the 7,925 others (DESIGN.md 8.4), the same
protocol as docs/benchmark.md's retrieval tables.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "bench"))

from bench_retrieval import train_folder  # noqa: E402
from engine import codes  # noqa: E402
from trainer.backbones import Backbone  # noqa: E402
from trainer.checkpoints import cosine  # noqa: E402
from trainer.data import VIEW_TRANSFORMS, TwoViews, UnlabeledPhotos, ZipImages, collate, eval_transform, imagenette_split  # noqa: E402
from trainer.evaluate import mean_average_precision  # noqa: E402
from trainer.methods.nsh import NSH  # noqa: E402
from trainer.methods.wch import WCH  # noqa: E402

SHARED = REPO.parent / "shared"
IMAGENETTE_ZIP = SHARED / "data" / "imagenette2-224-subset.zip"
WEIGHTS = SHARED / "weights" / "mobilenet_v2_imagenet_torchvision_qat.pth"
WORK = REPO / "build" / "bench" / "nsh-gap"
REPORT = REPO / "docs" / "retrieval" / "imagenette-nsh-gap.json"
BITS, VIEWS, GRID, BATCH = 64, 4, 3, 64
SPLIT_AT = 17  # MobileNetV2's features[:17] are cached; features[17:] (block 17 and the last 1x1 conv) can train
TAIL_LR = 1e-4
PAPER = (1.0, 1.0)  # NSH's sorter temperature τ_s·d as the paper has it: 1/d throughout


class AdaptedNSH(NSH):
    """NSH with a linear adapter, identity at start, before both heads (the paper's sorter temperature)."""

    def __init__(self, dim: int, bits: int):
        super().__init__(dim, bits, sort_anneal=PAPER)
        self.adapter = nn.Linear(dim, dim)
        nn.init.eye_(self.adapter.weight)
        nn.init.zeros_(self.adapter.bias)

    def encode(self, pooled):
        return super().encode(self.adapter(pooled))

    def loss(self, pooled1, pooled2):
        return super().loss(self.adapter(pooled1), self.adapter(pooled2))


ROWS = {  # name: (head, whether the last two stages train)
    "wch": (lambda: WCH(1280, BITS), False),
    "nsh": (lambda: NSH(1280, BITS, sort_anneal=PAPER), False),
    "nsh-anneal-soft": (lambda: NSH(1280, BITS, sort_anneal=(4.0, 1.0)), False),
    "nsh-anneal-sharp": (lambda: NSH(1280, BITS, sort_anneal=(1.0, 0.25)), False),
    "nsh-anneal-wide": (lambda: NSH(1280, BITS, sort_anneal=(16.0, 1.0)), False),  # the trainer's default
    "nsh-soft-2": (lambda: NSH(1280, BITS, sort_anneal=(2.0, 2.0)), False),
    "nsh-adapter": (lambda: AdaptedNSH(1280, BITS), False),
    "nsh-tuned": (lambda: NSH(1280, BITS, sort_anneal=PAPER), True),
    "nsh-tuned-anneal": (lambda: NSH(1280, BITS, sort_anneal=(4.0, 1.0)), True),
    "wch-tuned": (lambda: WCH(1280, BITS), True),
}


def stem_runner(backbone: Backbone):
    """features[:SPLIT_AT] in ONNX Runtime (several times eager torch on a CPU)."""
    import onnxruntime as ort

    path = WORK / "stem.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(backbone.model.features[:SPLIT_AT].eval(), torch.zeros(1, 3, 224, 224), str(path),
                          input_names=["images"], output_names=["stem"], opset_version=17, dynamo=False,
                          dynamic_axes={"images": {0: "n"}, "stem": {0: "n"}})
    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    return lambda images: torch.from_numpy(session.run(None, {"images": images.numpy()})[0])


def cached(name: str, build) -> torch.Tensor:
    path = WORK / f"{name}.pt"
    if path.exists():
        return torch.load(path, weights_only=True)
    start = time.monotonic()
    value = build()
    torch.save(value, path)
    print(f"  {name}: built in {time.monotonic() - start:.0f} s", flush=True)
    return value


def train_views(run, paths: list[str]) -> torch.Tensor:
    """[n, VIEWS, C, 7, 7] float16: the stem's output for VIEWS standard views of each photo (two per decode)."""
    torch.manual_seed(0)
    photos = UnlabeledPhotos(paths, TwoViews(VIEW_TRANSFORMS["standard"](224)))
    loader = DataLoader(photos, batch_size=32, num_workers=2, collate_fn=collate)
    out = None
    with torch.no_grad():
        for p in range(VIEWS // 2):
            for indices, views, bad in loader:
                if bad:
                    sys.exit(f"unreadable training photo: {bad[0]}")
                for v, view in enumerate(views):
                    x = run(view).half()
                    if out is None:
                        out = torch.zeros(len(paths), VIEWS, *x.shape[1:], dtype=torch.float16)
                    out[indices, 2 * p + v] = x
    return out


def eval_stem(run, split) -> torch.Tensor:
    wanted = split.query + split.database
    images = ZipImages(IMAGENETTE_ZIP, [split.members[i] for i in wanted], [0] * len(wanted), eval_transform())
    with torch.no_grad():
        return torch.cat([run(batch).half() for batch, _ in DataLoader(images, batch_size=128, num_workers=2)])


def head_input(method: nn.Module, grid: torch.Tensor) -> torch.Tensor:
    """What the head reads from the backbone's last map: WCH the 3x3 token grid (as the frozen cache), NSH the mean."""
    if getattr(method, "needs_tokens", False):
        return nn.functional.adaptive_avg_pool2d(grid, GRID).flatten(2).transpose(1, 2)
    return grid.mean(dim=(2, 3))


def train_row(name: str, tail0: nn.Module, views: torch.Tensor, epochs: int):
    make, tune = ROWS[name]
    torch.manual_seed(0)
    method, tail = make(), copy.deepcopy(tail0).eval()  # BatchNorm keeps its ImageNet statistics
    tail.requires_grad_(tune)
    groups = [{"params": method.parameters(), "lr": 1e-3}] + ([{"params": tail.parameters(), "lr": TAIL_LR}] if tune else [])
    optimizer = torch.optim.Adam(groups)
    n, steps = views.shape[0], views.shape[0] // BATCH
    schedule = cosine(optimizer, steps * epochs)
    generator = torch.Generator().manual_seed(0)
    frozen = None
    if not tune:  # the tail never changes: run it once over every view
        with torch.no_grad():
            frozen = torch.stack([head_input(method, torch.cat([tail(views[i:i + 256, v].float())
                                                                 for i in range(0, n, 256)])).half()
                                  for v in range(VIEWS)], dim=1)
    start = time.monotonic()
    for epoch in range(epochs):
        perm, total = torch.randperm(n, generator=generator), 0.0
        for step in range(steps):
            idx = perm[step * BATCH:(step + 1) * BATCH]
            first = torch.randint(VIEWS, (len(idx),), generator=generator)
            second = (first + torch.randint(1, VIEWS, (len(idx),), generator=generator)) % VIEWS
            if frozen is None:
                x1 = head_input(method, tail(views[idx, first].float()))
                x2 = head_input(method, tail(views[idx, second].float()))
            else:
                x1, x2 = frozen[idx, first].float(), frozen[idx, second].float()
            method.train()
            method.progress = (epoch * steps + step) / (steps * epochs)
            loss = method.loss(x1, x2)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            total += loss.item()
        print(f"  {name} epoch {epoch + 1}/{epochs}: loss {total / steps:.4f} ({time.monotonic() - start:.0f} s)",
              flush=True)
    return method.eval(), tail, time.monotonic() - start


def mean_ap(method: nn.Module, tail: nn.Module, stem: torch.Tensor, split) -> float:
    with torch.no_grad():
        grid_means = torch.cat([tail(stem[i:i + 256].float()).mean(dim=(2, 3)) for i in range(0, len(stem), 256)])
        # A CNN's pooled feature is the mean of its grid: WCH reads it as a grid of one token, as the shipped model does.
        values = method.encode(grid_means.unsqueeze(1) if method.needs_tokens else grid_means).numpy()
    packed, labels, nq = codes.pack(values), np.asarray(split.labels), len(split.query)
    return mean_average_precision(packed[:nq], labels[split.query], packed[nq:], labels[split.database], 1000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", choices=list(ROWS), default=list(ROWS))
    parser.add_argument("--epochs", type=int, default=30)
    args = parser.parse_args()
    for path in (IMAGENETTE_ZIP, WEIGHTS):
        if not path.exists():
            sys.exit(f"missing {path}")
    torch.set_num_threads(2)
    WORK.mkdir(parents=True, exist_ok=True)
    split = imagenette_split(IMAGENETTE_ZIP)
    backbone = Backbone("mobilenet_v2", WEIGHTS).eval()
    run = stem_runner(backbone)
    paths = sorted(str(p) for p in train_folder("imagenette", split).glob("*.JPEG"))
    views = cached("train-views", lambda: train_views(run, paths))
    stem = cached("eval-stem", lambda: eval_stem(run, split))
    tail0 = backbone.model.features[SPLIT_AT:]
    print(f"{len(paths)} train photos x {VIEWS} views, {len(stem)} searched; stages {SPLIT_AT}+ "
          f"({sum(p.numel() for p in tail0.parameters()) / 1e6:.2f} M of "
          f"{sum(p.numel() for p in backbone.model.features.parameters()) / 1e6:.2f} M parameters) trainable in *-tuned",
          flush=True)
    results = json.loads((WORK / "results.json").read_text()) if (WORK / "results.json").exists() else {}
    for name in args.only:
        key = name if args.epochs == 30 else f"{name}, {args.epochs} epochs"
        if key in results:
            print(f"{key}: {results[key]['map']:.4f} (kept from an earlier run)")
            continue
        method, tail, seconds = train_row(name, tail0, views, args.epochs)
        results[key] = {"map": round(mean_ap(method, tail, stem, split), 4), "train_s": round(seconds),
                         "epochs": args.epochs, "tuned": ROWS[name][1]}
        print(f"{key}: Imagenette mAP@1000 {results[key]['map']:.4f}, trained in {seconds:.0f} s", flush=True)
        (WORK / "results.json").write_text(json.dumps(results, indent=1))
    print("\n| row | last two stages | mAP@1000 | train s |\n|---|---|---|---|")
    for name, row in results.items():
        print(f"| {name} | {'trained' if row['tuned'] else 'frozen'} | {row['map']:.4f} | {row['train_s']} |")
    REPORT.write_text(json.dumps({"command": "tests/bench/bench_nsh_gap.py", "bits": BITS, "rows": results}, indent=1))


if __name__ == "__main__":
    main()
