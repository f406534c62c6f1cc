"""The int8 model against the float one it was made from (issue 26, part 2): bit agreement, and the near-duplicate
benchmark's precision and recall at the float model's duplicate radius and gates, for float codes, int8 codes and a
catalog that mixes them.

Run: .venv/bin/python tests/bench/bench_int8.py [--int8 resources/models/photohash192-int8.onnx]
(the int8 file comes from tools/quantize_model.py; needs ../shared and the [train] extra for bench_quality's file list)

The files are bench_quality.py's test half (51 originals x 41 edits + 1,966 Imagenette val distractors, written under
build/bench/quality/test), decoded once and prepared as a scan prepares them; both models encode the same pixels through
engine.model (ONNX Runtime, which-way-up turning included). Counted as bench_quality.py counts its "shipped" row, so the
float row is the card's test_half figure. "mixed": each file's code from one model or the other at random (seed 0):
what a catalog would hold if the two models' codes were kept as one model's.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "bench"))

from bench_quality import build_half, split_distractors, split_originals  # noqa: E402

from engine import codes  # noqa: E402
from engine.images import read_image  # noqa: E402
from engine.model import HashModel, prepare, resolve_model_name  # noqa: E402
from trainer.evaluate import code_counts, near_duplicate_report  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--float", dest="float_model", default="photohash192")
    parser.add_argument("--int8", default="photohash192-int8")
    args = parser.parse_args()
    began = time.monotonic()
    paths, items = build_half("test", split_originals()["test"], split_distractors()["test"])
    models = {"float": HashModel.load(resolve_model_name(args.float_model), device="cpu"),
              "int8": HashModel.load(resolve_model_name(args.int8), device="cpu")}
    info = models["float"].info
    pixels = np.stack([prepare(read_image(p, min_side=info.input_size).image, info) for p in paths])
    print(f"{len(paths)} files decoded ({time.monotonic() - began:.0f} s)", flush=True)
    raw, plain, turns = {}, {}, {}
    for name, model in models.items():
        started = time.monotonic()
        passes = [model.outputs(pixels[i:i + 256]) for i in range(0, len(pixels), 256)]
        plain[name] = np.concatenate([p.codes for p in passes]) > 0
        turns[name] = np.concatenate([model.quarter_turns(p.turn) for p in passes])
        raw[name] = np.concatenate([model.encode_raw(pixels[i:i + 256]) for i in range(0, len(pixels), 256)])
        print(f"{name}: encoded twice (as is, and upright as a scan does) in {time.monotonic() - started:.1f} s",
              flush=True)
    same_input = plain["float"] == plain["int8"]
    print(f"\nthe same pixels in: pHash bits identical {bool(same_input[:, :64].all())} "
          f"({same_input[:, :64].mean():.6f}); learned bits {same_input[:, 64:128].mean():.4f}; the which-way-up "
          f"decision the same for {(turns['float'] == turns['int8']).mean():.4f} of files (a different decision "
          f"encodes other pixels: pHash too then differs)")
    bits = {name: r > 0 for name, r in raw.items()}
    same = bits["float"] == bits["int8"]
    learned = same[:, 64:128]
    print(f"as a scan encodes ({len(paths)} files): pHash identical for {same[:, :64].all(axis=1).mean():.4f} of "
          f"files; learned bits {learned.mean():.4f}; learned code identical {learned.all(axis=1).mean():.4f}; "
          f"whole code identical {same.all(axis=1).mean():.4f}")
    packed = {name: codes.pack(r) for name, r in raw.items()}
    self_distance = (~same).sum(axis=1)
    learned_distance = (~learned).sum(axis=1)
    gate = info.gates[1][2]
    print(f"one file, float code vs int8 code: whole-code distance median {np.median(self_distance):.0f}, "
          f"p99 {np.percentile(self_distance, 99):.0f}, max {self_distance.max()} (duplicate radius "
          f"{info.radius_duplicate}); learned part max {learned_distance.max()}, within its gate ({gate}) "
          f"{(learned_distance <= gate).mean():.4f}")
    rng = np.random.default_rng(0)
    pick = rng.random(len(paths)) < 0.5
    packed["mixed"] = np.where(pick[:, None], packed["int8"], packed["float"])
    radius = info.radius_duplicate
    print(f"\nnear-duplicates, test half, at radius {radius} with gates {list(info.gates)}")
    print(f"{'codes':8s} {'P':>7s} {'R':>7s} {'F1':>7s} {'R@1':>7s} {'same-class FP':>14s}")
    for name, p in packed.items():
        row = near_duplicate_report(code_counts(p, items, info.gates), radius)
        print(f"{name:8s} {row['precision']:7.4f} {row['recall']:7.4f} {row['f1']:7.4f} {row['recall_at_1']:7.4f} "
              f"{row['same_class_false_rate']:14.5f}")
    print(f"({time.monotonic() - began:.0f} s)")


if __name__ == "__main__":
    main()
