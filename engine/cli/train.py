"""``train`` and ``eval``: the trainer, headless. The trainer (torch) is imported only when these run,
so the engine and the other commands work without the ``[train]`` extra."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from ..catalog import default_data_dir
from ..errors import PhotoHashError
from ..model import resolve_model_name
from .common import open_catalog, print_json


def _trainer():
    try:
        import torch  # noqa: F401
    except ImportError:
        raise PhotoHashError("training needs the [train] extra: pip install 'photohash[train]'") from None
    from trainer import data, evaluate, export, fit

    return data, evaluate, export, fit


def register(sub, common) -> None:
    p = sub.add_parser("train", parents=[common], help="train a hash model on your own photos (needs [train])")
    p.add_argument("--method", choices=["photohash", "wch", "nsh", "baseline", "whitening"], default="photohash",
                   help="photohash (default): the shipped model's recipe, a contrastive head beside pHash in one "
                        "192-bit code; or a learned code alone: wch, nsh, baseline, or whitening (closed form, "
                        "frozen mode only)")
    p.add_argument("--bits", type=int, choices=[16, 32, 64, 128], default=None,
                   help="learned code length (default 64; photohash learns 64 beside pHash's 64)")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--images", metavar="DIR", help="train on the photos in this folder")
    source.add_argument("--from-catalog", action="store_true", help="train on the photos the catalog has scanned")
    p.add_argument("--weights", metavar="PATH", help="pretrained backbone weights (.pth state_dict)")
    p.add_argument("--backbone", default="mobilenet_v2", choices=["mobilenet_v2", "resnet50", "vit_b_16"],
                   help="backbone (default mobilenet_v2)")
    p.add_argument("--mode", choices=["frozen", "finetune"], default="frozen",
                   help="frozen: backbone frozen, features cached once (fast, the CPU path); finetune: the whole "
                        "network trains (needs a GPU to be practical; runs under torchrun for several GPUs)")
    p.add_argument("--image-size", type=int, default=224, help="input side in pixels (default 224)")
    p.add_argument("--workers", type=int, default=2, help="processes decoding photos (default 2)")
    p.add_argument("--epochs", type=int, default=None, help="training epochs (default 60 for photohash, else 30)")
    p.add_argument("--batch-size", type=int, default=None, help="photos per step (default 512 for photohash, else 64)")
    p.add_argument("--views", type=int, default=None,
                   help="augmented views cached per photo (default 8 for photohash, else 4)")
    p.add_argument("--augment", choices=["standard", "duplicates", "edits"], default=None,
                   help="training views: standard (MoCo v2: same subject; the default but for photohash); duplicates "
                        "(random crops with a user's edits: turns, flips, recompression); edits (photohash's: the "
                        "whole photo, untouched or after random edits of the benchmark's kinds)")
    p.add_argument("--tau", type=float, default=None,
                   help="contrastive temperature (default 0.05 for photohash, else the method's, 0.3); low with large "
                        "batches, different photos of one subject get different codes")
    p.add_argument("--slope", type=float, default=None,
                   help="baseline only: train through tanh codes whose slope grows to this value instead of a "
                        "straight-through sign (more duplicates found, much less subject retrieval: docs/benchmark.md)")
    p.add_argument("--upright", action=argparse.BooleanOptionalAction, default=True,
                   help="also learn which way up a photo is, so that copies turned by a quarter turn are found "
                        "(default on, from 250 training photos, that is a library of about 313 once a fifth is held "
                        "out; about 1 min per 2,500 photos on a 2-core CPU)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--device", default="auto", help="auto (cuda, mps, cpu), cpu, cuda or mps")
    p.add_argument("--work-dir", metavar="DIR", help="checkpoints and feature cache (default: in the data folder)")
    p.add_argument("--progress", choices=["bar", "json"], default="bar", help="a progress bar, or JSON lines on stdout")
    p.add_argument("--out", required=True, metavar="MODEL.onnx", help="where to write the trained model")
    p.set_defaults(run=run_train)

    p = sub.add_parser("eval", parents=[common], help="mAP@1000 of a model on a labeled retrieval set (needs [train])")
    p.add_argument("--dataset", choices=["cifar10", "imagenette"], required=True, help="which protocol")
    p.add_argument("--data", metavar="ZIP", help="the dataset zip (default: ../shared/data next to the repository)")
    p.add_argument("--model", required=True, metavar="MODEL.onnx|NAME", help="the model to evaluate (a file, default, or a shipped model's name)")
    p.add_argument("--seed", type=int, default=0, help="split seed (default 0)")
    p.add_argument("--report", metavar="DIR", help="also write the results as JSON and the precision-recall curve "
                                                    "as PNG into this folder")
    p.set_defaults(run=run_eval)


# Settings a method gets when the command line leaves them out (the photohash recipe has its own: trainer.recipe).
METHOD_DEFAULTS = {"bits": 64, "epochs": 30, "batch_size": 64, "views": 4, "augment": "standard", "tau": None}


def training_settings(args) -> dict:
    """The FitConfig settings of a run: the command line's, the rest from the recipe or the method's defaults."""
    from trainer import recipe

    shipped = args.method == recipe.NAME
    if shipped and args.bits not in (None, recipe.SETTINGS["bits"]):
        raise PhotoHashError(f"the {recipe.NAME} recipe learns {recipe.SETTINGS['bits']} bits beside pHash; "
                             f"use --method wch, nsh or baseline for a {args.bits}-bit code alone")
    defaults = recipe.SETTINGS if shipped else {"method": args.method, **METHOD_DEFAULTS}
    given = {key: getattr(args, key) for key in METHOD_DEFAULTS if getattr(args, key) is not None}
    return {**defaults, **given}


def run_train(args) -> int:
    data, _, export, fit = _trainer()
    from trainer import calibrate, recipe

    settings = training_settings(args)
    config = fit.FitConfig(**settings, backbone=args.backbone, seed=args.seed, mode=args.mode,
                           image_size=args.image_size, workers=args.workers, slope=args.slope)
    config.check()
    shipped = args.method == recipe.NAME
    if args.images:
        paths = data.UnlabeledPhotos.from_folder(args.images, data.eval_transform()).paths
        source = f"photos in {Path(args.images).name}"
    else:
        with open_catalog(args) as catalog:
            paths = data.UnlabeledPhotos.from_catalog(catalog, data.eval_transform()).paths
        source = "photos of a PhotoHash catalog"
    training, held_out = calibrate.hold_out(paths, args.seed)
    photos = data.UnlabeledPhotos(training, data.eval_transform())
    out = Path(args.out).resolve()
    work_dir = Path(args.work_dir) if args.work_dir else default_data_dir() / "training" / out.stem
    report = _reporter(args.progress)
    train = fit.fit_finetune if args.mode == "finetune" else fit.fit_frozen
    result = train(photos, config, weights=args.weights, work_dir=work_dir, device=args.device, progress=report)
    if fit.rank() != 0:  # under torchrun, rank 0 reports, learns which way up and exports
        return 0
    if args.upright and not result.cancelled:
        fit.learn_upright(photos, result, config, work_dir=work_dir, device=args.device, progress=report)
    if result.cancelled:
        report(None)
        print(f"training stopped; run the same command again to resume from {work_dir}", file=sys.stderr)
        return 0
    from PIL import Image

    closed_form = getattr(result.method, "closed_form", False)
    skipped = {s[0] for s in result.skipped}
    sample = [Image.open(p).convert("RGB") for p in photos.paths[:16] if p not in skipped]
    info = export.model_info(config.method, args.backbone, config.bits, f"{result.photos} {source} ({args.mode}, {config.views} "
                             f"{config.augment} views" + (", closed form" if closed_form else f", {config.epochs} epochs")
                             + (f", tau {config.tau}, batch {config.batch_size}" if shipped else "") + ")",
                             image_size=args.image_size, resize=data.RESIZE_RULES[config.augment])
    weight = recipe.LEARNED_WEIGHT if shipped else 0
    if shipped:
        duplicate, similar = recipe.shipped_radii()
        info = replace(export.with_perceptual(info, weight, recipe.GATE), radius_duplicate=duplicate,
                       radius_similar=similar)
    if result.upright is not None:
        info = export.with_upright(info, result.upright.confidence)
    encoder, calibration = export.trained_encoder(result, info, weight), None
    if not held_out:
        parity = export.export_onnx(encoder, info, out, sample)
    else:  # the duplicate radius, measured on photos the model has not seen, with the model as exported
        first = calibrate.uncalibrated_path(out)
        try:
            parity = export.export_onnx(encoder, info, first, sample)
            calibration = calibrate.calibrate(first, held_out, ceiling=info.radius_duplicate, seed=args.seed,
                                              progress=report)
            info = calibrate.calibrated(info, calibration)
            export.relabel(first, info, out)
        finally:  # Ctrl-C or an error here: no half-made model is left beside the output
            first.unlink(missing_ok=True)
    report(None)
    for path, reason in result.skipped + (calibration.skipped if calibration else []):
        print(f"skipped {path}: {reason}", file=sys.stderr)
    upright = result.upright
    summary = {"event": "done", "model": str(out), "method": info.method, "bits": info.bits, "photos": result.photos,
               "skipped": len(result.skipped),
               "final_loss": round(result.losses[-1], 5) if result.losses else None,  # None: closed form
               "seconds": round(result.seconds, 1), "parity_bit_agreement": parity.bit_agreement,
               "parity_max_abs_diff": parity.max_abs_diff,
               "radius": {"duplicate": info.radius_duplicate, "similar": info.radius_similar},
               "calibration": None if calibration is None else {
                   "photos": calibration.photos, "copies": calibration.copies, "radius": calibration.radius,
                   "allowed": calibration.allowed, "precision": calibration.precision, "recall": calibration.recall},
               "upright": None if upright is None else {"confidence": upright.confidence, **upright.held_out}}
    if args.progress == "json" or args.json:
        print(json.dumps(summary), flush=True)
        return 0
    print(f"wrote {out}: {info.method}, {info.bits} bits, {result.photos} photos, {result.seconds:.0f} s; "
          f"ONNX matches torch on {parity.bit_agreement:.2%} of bits")
    print(describe_radii(summary))
    if args.upright and upright is None:
        from trainer.orientation import MIN_PHOTOS

        print(f"which way up: not learned (fewer than {MIN_PHOTOS} readable training photos, or no verdict sure enough "
              "on the held-out ones); the model has no turn output")
    elif upright is not None:
        print(f"which way up: on {upright.held_out['photos']} held-out photos, {upright.held_out['turned_righted']:.0%} "
              f"of quarter turns are turned back and {upright.held_out['upright_turned']:.1%} of upright photos "
              f"are turned (confidence {upright.confidence})")
    return 0


def describe_radii(done: dict) -> str:
    """The trainer's ``done`` event -> one line on the new model's duplicate radius and where it comes from."""
    radius, calibration = done["radius"]["duplicate"], done.get("calibration")
    if calibration is None:
        return f"duplicate radius {radius} of {done['bits']} bits (too few photos to hold some out and calibrate it)"
    if not calibration["copies"]:
        return (f"duplicate radius {radius} of {done['bits']} bits, not checked: {calibration['photos']} distinct "
                "held-out photos could be read and edited, too few")
    if calibration["radius"] < 0:
        return (f"duplicate radius 0 of {done['bits']} bits: on {calibration['photos']} photos kept out of training, "
                f"even photos with the same code are copies of one photo only {calibration['precision']:.0%} of the "
                "time. This model finds similar photos, not duplicates (the photohash recipe finds those)")
    found = (f"{calibration['photos']:,} photos kept out of training and {calibration['copies']:,} edited copies of "
             f"them: it finds {calibration['recall']:.0%} of the copies at precision {calibration['precision']:.3f}")
    if calibration["allowed"] > radius:  # the photos allowed more: the starting radius is the ceiling
        return (f"duplicate radius {radius} of {done['bits']} bits, kept: your photos would allow {calibration['allowed']}, "
                f"but a radius is only ever tightened by them. On {found}")
    return f"duplicate radius {radius} of {done['bits']} bits, set on {found}"


def _reporter(mode: str):
    """JSON lines on stdout (for the GUI), or a tqdm bar on stderr."""
    if mode == "json":
        def emit(event):
            if event is not None:
                print(json.dumps(event), flush=True)
        return emit
    from tqdm import tqdm

    bar = None

    def draw(event):
        nonlocal bar
        if event is None or (bar is not None and event["event"] != bar.desc_event):
            if bar is not None:
                bar.close()
                bar = None
            if event is None:
                return
        if event["event"] not in ("cache", "step", "upright", "calibrate"):
            return
        counted = event["event"] != "step"  # the others count photos
        total = event["total"] if counted else event["steps"] * event["epochs"]
        if bar is None:
            desc = {"cache": "Encoding views", "step": "Training", "upright": "Learning which way up",
                    "calibrate": "Calibrating on held-out photos"}[event["event"]]
            bar = tqdm(total=total, desc=desc, file=sys.stderr, disable=None, dynamic_ncols=True)
            bar.desc_event = event["event"]
        bar.total = total  # the radius check's total falls as photos turn out unreadable or duplicates
        bar.n = event["done"] if counted else (event["epoch"] - 1) * event["steps"] + event["step"]
        if event.get("loss") is not None:
            bar.set_postfix_str(f"epoch {event['epoch']}/{event['epochs']} loss {event['loss']:.4f}", refresh=False)
        bar.refresh()

    return draw


def run_eval(args) -> int:
    _, evaluate, _, _ = _trainer()
    default = Path(__file__).resolve().parents[3] / "shared" / "data" / (
        "cifar10-jpg.zip" if args.dataset == "cifar10" else "imagenette2-224-subset.zip")
    zip_path = Path(args.data) if args.data else default
    if not zip_path.is_file():
        raise PhotoHashError(f"dataset zip {zip_path}: not found (give it with --data)")
    from tqdm import tqdm

    bar = tqdm(total=0, desc="Encoding", unit="img", file=sys.stderr, disable=None)

    def progress(done, total):
        bar.total, bar.n = total, done
        bar.refresh()

    result = evaluate.evaluate_model(resolve_model_name(args.model), args.dataset, zip_path, seed=args.seed, progress=progress)
    bar.close()
    if args.report:
        stem = f"{args.dataset}-{resolve_model_name(args.model).stem}"
        report = Path(args.report)
        try:
            report.mkdir(parents=True, exist_ok=True)
            (report / f"{stem}.json").write_text(json.dumps(result, indent=2) + "\n")
            evaluate.plot_pr_curves({f"{result['method']}, {result['bits']} bits": result["pr_curve"]},
                                    report / f"{stem}-pr.png", f"{args.dataset}: precision-recall by Hamming radius")
        except OSError as exc:
            raise PhotoHashError(f"cannot write the report to {report}: {exc.strerror or exc}") from None
        result["report"] = [str(report / f"{stem}.json"), str(report / f"{stem}-pr.png")]
    if args.json:
        print_json(result)
    else:
        print(f"{result['metric']} on {args.dataset}: {result['value']:.4f} ({result['method']}, {result['bits']} bits, "
              f"{result['queries']} queries, {result['database']} database)")
    return 0
