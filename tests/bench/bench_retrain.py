""""Retrain on my library", end to end on the CPU: 5,000 real photos -> a model the engine runs.

Run: .venv/bin/python tests/bench/bench_retrain.py [--method photohash] [--bits 64] [--epochs N] [--repeats 1]

The photos are the 5,000 Imagenette train images (real photos, as a library would hold): the
same folder bench_retrieval.py trains on (written once under build/bench/retrieval/). Each run is exactly what a user runs:
`photohash-cli train --images DIR ... --out MODEL.onnx` in a fresh work folder (feature cache,
training, ONNX export and its parity check), timed from the outside. The model's quality is then
measured through the engine (ONNX Runtime, the engine's decoder) with
`photohash-cli eval --dataset imagenette` (mAP@1000: 1,000 val queries against the rest of val plus train),
and on the near-duplicate benchmark's test half (bench_quality.py; none of its photos is in the training folder)
at the radius the trainer calibrated on the photos it held out, beside the shipped model at its benchmark-calibrated
radius: the retrained model's radius must mean what the shipped one's means (precision about 0.99).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_retrieval import WEIGHTS, ZIPS, train_folder  # the same photos and weights as the retrieval bench

from engine.retrain import RECIPE, model_stem
from trainer.data import imagenette_split

REPO = Path(__file__).resolve().parents[2]
ZIP = ZIPS["imagenette"]
WORK = REPO / "build" / "bench" / "retrain"


def cli(*args: str) -> tuple[float, str]:
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "photohash_cli", *args], capture_output=True, text=True, cwd=REPO)
    if proc.returncode:
        sys.exit(f"photohash-cli {args[0]} failed: {proc.stderr.strip()[-2000:]}")
    return time.monotonic() - start, proc.stdout


def train(method: str, *args: str) -> tuple[float, dict, dict]:
    """``photohash-cli train`` with JSON progress, read as it comes: the seconds, the last event, and each stage's
    first and last event time (the views of a code, its training, which way up, the radius check), in seconds from
    the start."""
    start, errors = time.monotonic(), tempfile.TemporaryFile("w+")  # a file: a full stderr pipe would stall the run
    proc = subprocess.Popen([sys.executable, "-m", "photohash_cli", "train", "--method", method, "--progress", "json",
                             *args], stdout=subprocess.PIPE, stderr=errors, text=True, cwd=REPO)
    stages, last = {}, None
    names = {"cache": "views", "step": "training", "fit": "training", "upright": "which way up",
             "calibrate": "radius check"}
    for line in proc.stdout:
        at, last = time.monotonic() - start, json.loads(line)
        if last["event"] in names:
            name = f"{last.get('code', 'duplicate')} code {names[last['event']]}" if last["event"] in (
                "cache", "step", "fit") else names[last["event"]]
            stages[name] = (stages.get(name, (at, at))[0], at)
    if proc.wait():
        errors.seek(0)
        sys.exit(f"photohash-cli train failed: {errors.read().strip()[-2000:]}")
    return time.monotonic() - start, last, stages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--method", default="photohash", choices=["photohash", "wch", "nsh", "baseline"])
    parser.add_argument("--bits", type=int, default=64, help="the learned code's length")
    parser.add_argument("--epochs", type=int, help="default: the method's (photohash 60, else 30)")
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    for path in (ZIP, WEIGHTS):
        if not path.exists():
            sys.exit(f"needs {path} (shared file is missing)")
    folder = train_folder("imagenette", imagenette_split(ZIP))
    count = sum(1 for p in folder.iterdir() if p.suffix.lower() in (".jpeg", ".jpg"))
    shipped = args.method == RECIPE  # its code: pHash's 64 bits, then the learned bits twice
    name = f"{model_stem(args.method, args.bits)}-retrained" if shipped else model_stem(args.method, args.bits)
    model = WORK / f"{name}.onnx"
    epochs = ["--epochs", str(args.epochs)] if args.epochs else []
    times = []
    for run in range(args.repeats):
        shutil.rmtree(WORK / "work", ignore_errors=True)
        seconds, done, stages = train(args.method, "--bits", str(args.bits), "--images", str(folder),
                                      "--weights", str(WEIGHTS), *epochs, "--work-dir", str(WORK / "work"),
                                      "--out", str(model))
        times.append(seconds)
        print("stages: " + "; ".join(f"{name} {end - begin:.0f} s (from {begin:.0f} s)"
                                     for name, (begin, end) in stages.items()), flush=True)
        print(f"run {run + 1}: {seconds:.0f} s end to end ({count} photos, {done['method']}, {done['bits']} bits; "
              f"ONNX/torch bits agree {done['parity_bit_agreement']:.4%}; radii {done['radius']}, calibration "
              f"{done['calibration']}; similarity code {done.get('similar')})", flush=True)
    print(f"median {statistics.median(times):.0f} s = {statistics.median(times) / 60:.1f} min (target <= 15 min)")
    seconds, out = cli("eval", "--dataset", "imagenette", "--data", str(ZIP), "--model", str(model), "--json",
                       "--report", str(REPO / "docs" / "retrieval"))
    result = json.loads(out)
    for code in [result] + ([result["duplicate_code"]] if "duplicate_code" in result else []):
        print(f"quality: {code['metric']} on imagenette {code['value']:.4f} ({code.get('code', 'duplicate')} code, "
              f"{code['method']}, {code['bits']} bits; eval took {seconds:.0f} s)")
    near_duplicates(model)


def near_duplicates(path: Path) -> None:
    """The test half of the near-duplicate benchmark: the retrained model at its own radius and at the shipped
    model's, and the shipped model at its own."""
    import bench_quality as bq

    from engine.model import HashModel, default_model_path
    from trainer.evaluate import code_counts, near_duplicate_report

    if not bq.PHOTOS_ZIP.exists():
        print(f"near duplicates: skipped, needs {bq.PHOTOS_ZIP}")
        return
    paths, items = bq.build_half("test", bq.split_originals()["test"], bq.split_distractors()["test"])
    shipped = HashModel.load(default_model_path(), device="cpu")
    retrained = HashModel.load(path, device="cpu")
    both = sorted({retrained.info.radius_duplicate, shipped.info.radius_duplicate} if retrained.info.bits ==
                  shipped.info.bits else {retrained.info.radius_duplicate})
    for name, model, radii in (("retrained", retrained, both),
                               (f"shipped {shipped.path.stem}", shipped, (shipped.info.radius_duplicate,))):
        counts = code_counts(bq.engine_codes(model, paths), items, model.info.gates)
        for radius in radii:
            row = near_duplicate_report(counts, radius)
            print(f"near duplicates, test half: {name} at radius {radius}: precision {row['precision']:.4f}, "
                  f"recall {row['recall']:.4f}", flush=True)


if __name__ == "__main__":
    main()
