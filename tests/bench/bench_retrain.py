""""Retrain on my library", end to end on the CPU: 5,000 real photos -> a model the engine runs.

Run: .venv/bin/python tests/bench/bench_retrain.py [--method wch] [--bits 64] [--epochs 30] [--repeats 1]

The photos are the 5,000 Imagenette train images (real photos, as a library would hold): the
same folder bench_retrieval.py trains on (written once under build/bench/retrieval/). Each run is exactly what a user runs:
`photohash-cli train --images DIR ... --out MODEL.onnx` in a fresh work folder (feature cache,
training, ONNX export and its parity check), timed from the outside. The model's quality is then
measured through the engine (ONNX Runtime, the engine's decoder) with
`photohash-cli eval --dataset imagenette` (mAP@1000: 1,000 val queries against the rest of val plus train).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench_retrieval import WEIGHTS, ZIPS, train_folder  # the same photos and weights as the retrieval bench

from trainer.data import imagenette_split

REPO = Path(__file__).resolve().parents[2]
ZIP = ZIPS["imagenette"]
WORK = REPO / "build" / "bench" / "retrain"


def cli(*args: str) -> tuple[float, str]:
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "engine.cli", *args], capture_output=True, text=True, cwd=REPO)
    if proc.returncode:
        sys.exit(f"photohash-cli {args[0]} failed: {proc.stderr.strip()[-2000:]}")
    return time.monotonic() - start, proc.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--method", default="wch", choices=["wch", "nsh", "baseline"])
    parser.add_argument("--bits", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    for path in (ZIP, WEIGHTS):
        if not path.exists():
            sys.exit(f"needs {path} (shared file is missing)")
    folder = train_folder("imagenette", imagenette_split(ZIP))
    count = sum(1 for p in folder.iterdir() if p.suffix.lower() in (".jpeg", ".jpg"))
    model = WORK / f"{args.method}{args.bits}.onnx"
    times = []
    for run in range(args.repeats):
        shutil.rmtree(WORK / "work", ignore_errors=True)
        seconds, out = cli("train", "--method", args.method, "--bits", str(args.bits), "--images", str(folder),
                           "--weights", str(WEIGHTS), "--epochs", str(args.epochs), "--work-dir", str(WORK / "work"),
                           "--progress", "json", "--out", str(model))
        done = json.loads(out.strip().splitlines()[-1])
        times.append(seconds)
        print(f"run {run + 1}: {seconds:.0f} s end to end ({count} photos, {args.method}, {args.bits} bits, "
              f"{args.epochs} epochs; ONNX/torch bits agree {done['parity_bit_agreement']:.4%})", flush=True)
    print(f"median {statistics.median(times):.0f} s = {statistics.median(times) / 60:.1f} min (target <= 15 min)")
    seconds, out = cli("eval", "--dataset", "imagenette", "--data", str(ZIP), "--model", str(model), "--json",
                       "--report", str(REPO / "docs" / "retrieval"))
    result = json.loads(out)
    print(f"quality: {result['metric']} on imagenette {result['value']:.4f} (eval took {seconds:.0f} s)")


if __name__ == "__main__":
    main()
