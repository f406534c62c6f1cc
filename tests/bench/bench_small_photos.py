"""Small photos beside the perceptual hashers (issue 26, part 2): on ~1 MP photos the network, not the decode, was
PhotoHash's cost, so this times the float and the int8 default model's scan against imagededup's PHash and czkawka on
the same files, in one run.

Run: .venv/bin/python tests/bench/bench_small_photos.py [--repeats 3] [--peers /tmp/peers]

The photos: the 103 shared free photos (../shared/data/photos-free-1024.zip) upscaled to 1200×900 (900×1200 upright),
and the first 50 of them mirrored too: 153 JPEGs (quality 90) of about 1.1 MP, written once under
build/bench/small-photos/. Each contestant runs in a fresh process per repeat (nothing warm from another one), and
is timed from "here is the folder" to "every photo has its hash", after its imports and model load (printed apart as
start-up): PhotoHash is ``engine.scan.scan`` into a new catalog with the default workers; imagededup is
``PHash().encode_images``; czkawka (PyPI ``czkawka`` bindings) is ``find_similar`` with a fresh cache folder, as it hashes
and groups in one call. The peers are not project dependencies: install them apart, e.g.
``pip install --target /tmp/peers imagededup czkawka==0.1.2`` (plus the modules imagededup imports that .venv lacks),
and pass that folder with --peers; a peer that cannot be imported is reported as such and skipped.
Medians over the repeats; the order of contestants rotates each repeat.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PHOTOS_ZIP = REPO.parent / "shared" / "data" / "photos-free-1024.zip"
WORK = REPO / "build" / "bench" / "small-photos"
SIZE = (1200, 900)
MIRRORED = 50
MODELS = {"PhotoHash float": "photohash192", "PhotoHash int8": "photohash192-int8"}


def make_photos() -> list[Path]:
    """The benchmark's 153 ~1 MP JPEGs, written once."""
    import io

    from PIL import Image, ImageOps

    with zipfile.ZipFile(PHOTOS_ZIP) as zf:
        names = sorted(n for n in zf.namelist() if n.lower().endswith(".jpg"))
        wanted = [(n, False) for n in names] + [(n, True) for n in names[:MIRRORED]]
        out = []
        for member, mirror in wanted:
            key = member.split("/", 1)[1].rsplit(".", 1)[0].replace("/", "-") + ("-mirror" if mirror else "")
            path = WORK / "photos" / f"{key}.jpg"
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                with Image.open(io.BytesIO(zf.read(member))) as img:
                    img = ImageOps.exif_transpose(img).convert("RGB")
                    size = SIZE if img.width >= img.height else SIZE[::-1]
                    img = img.resize(size, Image.Resampling.LANCZOS)
                    if mirror:
                        img = ImageOps.mirror(img)
                    img.save(path, quality=90)
            out.append(path)
    return out


# -- one contestant, in its own process: prints {"startup": s, "seconds": s, "count": n} ----------------------------

def run_photohash(folder: Path, model_name: str) -> dict:
    began = time.perf_counter()
    from engine.catalog import Catalog
    from engine.model import HashModel, resolve_model_name
    from engine.scan import ScanSummary, scan

    model = HashModel.load(resolve_model_name(model_name), device="cpu")
    with tempfile.TemporaryDirectory() as tmp:
        catalog = Catalog(Path(tmp) / "catalog.sqlite")
        started = time.perf_counter()
        summary = next(e for e in scan(catalog, [folder], model) if isinstance(e, ScanSummary))
        seconds = time.perf_counter() - started
        catalog.close()
    if summary.failed:
        raise SystemExit(f"{folder}: {summary.failed} photos failed: {summary.failures[:3]}")
    return {"startup": started - began, "seconds": seconds, "count": summary.hashed}


def run_imagededup(folder: Path) -> dict:
    began = time.perf_counter()
    from imagededup.methods import PHash

    hasher = PHash(verbose=False)
    started = time.perf_counter()
    hashes = hasher.encode_images(image_dir=str(folder))
    return {"startup": started - began, "seconds": time.perf_counter() - started, "count": len(hashes)}


def run_czkawka(folder: Path) -> dict:
    began = time.perf_counter()
    from czkawka import ImageSimilarity

    finder = ImageSimilarity()
    finder.set_directories([folder])
    started = time.perf_counter()
    finder.find_similar()
    return {"startup": started - began, "seconds": time.perf_counter() - started,
            "count": len(list(folder.glob("*.jpg")))}


def one(name: str, folder: Path, int8: str) -> dict:
    if name in MODELS:
        return run_photohash(folder, int8 if name == "PhotoHash int8" else MODELS[name])
    return {"imagededup PHash": run_imagededup, "czkawka": run_czkawka}[name](folder)


def spawn(name: str, folder: Path, peers: str | None, int8: str) -> dict | str:
    """One timed run in a fresh process, with a fresh cache folder (czkawka caches hashes under XDG_CACHE_HOME)."""
    env = dict(os.environ)
    if peers and name not in MODELS:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (peers, env.get("PYTHONPATH")) if p)
    with tempfile.TemporaryDirectory() as cache:
        env["XDG_CACHE_HOME"] = env["XDG_CONFIG_HOME"] = cache
        done = subprocess.run([sys.executable, __file__, "--one", name, "--folder", str(folder),
                               "--int8", int8], env=env,
                              capture_output=True, text=True, cwd=REPO)
    if done.returncode:
        return (done.stderr.strip().splitlines() or ["failed"])[-1]
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--peers", help="a folder with imagededup and czkawka installed (added to PYTHONPATH)")
    parser.add_argument("--only", action="append", help="time only this contestant (repeatable)")
    parser.add_argument("--int8", default=MODELS["PhotoHash int8"], help="the int8 model: a shipped name or a path")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        sys.path.insert(0, str(REPO))
        print(json.dumps(one(args.one, args.folder, args.int8)))
        return
    if not PHOTOS_ZIP.exists():
        sys.exit(f"needs {PHOTOS_ZIP} (shared file is missing)")
    photos = make_photos()
    folder = photos[0].parent
    megapixels = SIZE[0] * SIZE[1] / 1e6
    print(f"{len(photos)} photos of {SIZE[0]}×{SIZE[1]} ({megapixels:.2f} MP), {sum(p.stat().st_size for p in photos) / 1e6:.1f} MB, "
          f"in {folder.relative_to(REPO)}; {os.cpu_count()} CPUs; {args.repeats} repeats, fresh process each", flush=True)
    names = args.only or [*MODELS, "imagededup PHash", "czkawka"]
    from engine.model import resolve_model_name

    models = {**MODELS, "PhotoHash int8": args.int8}
    names = [n for n in names if n not in models or resolve_model_name(models[n]).exists()
             or print(f"{n}: skipped, {resolve_model_name(models[n])} is missing (tools/quantize_model.py makes it)")]
    runs: dict[str, list[dict]] = {n: [] for n in names}
    failed: dict[str, str] = {}
    for repeat in range(args.repeats):
        order = names[repeat % len(names):] + names[:repeat % len(names)]
        for name in order:
            if name in failed:
                continue
            result = spawn(name, folder, args.peers, args.int8)
            if isinstance(result, str):
                failed[name] = result
                print(f"  {name}: cannot run ({result})", flush=True)
                continue
            runs[name].append(result)
            print(f"  repeat {repeat + 1} {name}: {result['seconds']:.2f} s for {result['count']} photos "
                  f"(start-up {result['startup']:.2f} s)", flush=True)
    rates = {n: len(photos) / statistics.median(r["seconds"] for r in rs) for n, rs in runs.items() if rs}
    print(f"\n{'contestant':20s} {'median s':>9s} {'photos/s':>9s} {'start-up s':>10s}")
    for name, rs in runs.items():
        if rs:
            print(f"{name:20s} {statistics.median(r['seconds'] for r in rs):9.2f} {rates[name]:9.1f} "
                  f"{statistics.median(r['startup'] for r in rs):10.2f}")
    for ours in (n for n in MODELS if n in rates):
        for peer in (n for n in rates if n not in MODELS):
            print(f"{ours} / {peer}: {rates[ours] / rates[peer]:.2f}×")


if __name__ == "__main__":
    main()
