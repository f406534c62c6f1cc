"""``train`` and ``eval``: the trainer, headless. The trainer (torch) is imported only when these run,
so the engine and the other commands work without the ``[train]`` extra."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from engine.errors import PhotoHashError, printable
from engine.model import resolve_model_name
from engine.retrain import (AUGMENTS, BACKBONES, BITS, HELD_OUT, METHOD_DEFAULTS, METHODS, MODES, PERCEPTUAL_BITS,
                            RECIPE, RECIPE_BITS, RECIPE_SETTINGS, SIMILAR_METHODS, SIMILAR_SETTINGS,
                            UPRIGHT_MIN_PHOTOS, RetrainRequest, describe_radii, describe_similar)

from .common import counting_bar, print_json


def _trainer():
    """The trainer's session module, or one line saying how to install it (torch loads only here)."""
    try:
        import torch  # noqa: F401
    except ImportError:
        raise PhotoHashError("training needs the [train] extra: pip install 'photohash[train]'") from None
    from trainer import session

    return session


def register(sub, common) -> None:
    p = sub.add_parser("train", parents=[common], help="train a hash model on your own photos (needs [train])")
    recipe, alone = RECIPE_SETTINGS, METHOD_DEFAULTS
    p.add_argument("--method", choices=METHODS, default=RECIPE,
                   help=f"{RECIPE} (default): the shipped model's recipe, a contrastive head beside pHash in one "
                        f"{RECIPE_BITS}-bit code; or a learned code alone: wch, nsh, baseline, or whitening (closed "
                        "form, frozen mode only)")
    p.add_argument("--bits", type=int, choices=BITS, default=None,
                   help=f"learned code length (default {alone['bits']}; {RECIPE} learns {recipe['bits']} beside "
                        f"pHash's {PERCEPTUAL_BITS})")
    p.add_argument("--similar-method", choices=[*SIMILAR_METHODS, "none"], default=None,
                   help=f"{RECIPE} only: the similarity code learned beside the duplicate code, for search by example "
                        f"and similar photos ({SIMILAR_SETTINGS['bits']} bits, {SIMILAR_SETTINGS['epochs']} epochs on "
                        f"{SIMILAR_SETTINGS['views']} {SIMILAR_SETTINGS['augment']} views of each photo; default "
                        f"{SIMILAR_METHODS[0]}); none: the model has one code")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--images", metavar="DIR", help="train on the photos in this folder")
    source.add_argument("--from-catalog", action="store_true", help="train on the photos the catalog has scanned")
    p.add_argument("--weights", metavar="PATH", help="pretrained backbone weights (.pth state_dict)")
    p.add_argument("--backbone", default="mobilenet_v2", choices=BACKBONES,
                   help="backbone (default mobilenet_v2)")
    p.add_argument("--mode", choices=MODES, default="frozen",
                   help="frozen: backbone frozen, features cached once (fast, the CPU path); finetune: the whole "
                        "network trains (needs a GPU to be practical; runs under torchrun for several GPUs)")
    p.add_argument("--image-size", type=int, default=224, help="input side in pixels (default 224)")
    p.add_argument("--workers", type=int, default=2, help="processes decoding photos (default 2)")
    p.add_argument("--epochs", type=int, default=None, help=f"training epochs (default {recipe['epochs']} for {RECIPE}, else {alone['epochs']})")
    p.add_argument("--batch-size", type=int, default=None, help=f"photos per step (default {recipe['batch_size']} for {RECIPE}, else "
                                                                   f"{alone['batch_size']})")
    p.add_argument("--views", type=int, default=None,
                   help=f"augmented views cached per photo (default {recipe['views']} for {RECIPE}, else {alone['views']})")
    p.add_argument("--augment", choices=AUGMENTS, default=None,
                   help="training views: standard (MoCo v2: same subject; the default but for photohash); duplicates "
                        "(random crops with a user's edits: turns, flips, recompression); edits (photohash's: the "
                        "whole photo, untouched or after random edits of the benchmark's kinds)")
    p.add_argument("--tau", type=float, default=None,
                   help=f"contrastive temperature (default {recipe['tau']} for {RECIPE}, else the method's, 0.3); low with large "
                        "batches, different photos of one subject get different codes")
    p.add_argument("--slope", type=float, default=None,
                   help="baseline only: train through tanh codes whose slope grows to this value instead of a "
                        "straight-through sign (more duplicates found, much less subject retrieval: docs/benchmark.md)")
    p.add_argument("--upright", action=argparse.BooleanOptionalAction, default=True,
                   help="also learn which way up a photo is, so that copies turned by a quarter turn are found "
                        f"(default on, from {UPRIGHT_MIN_PHOTOS} training photos, that is a library of about "
                        f"{round(UPRIGHT_MIN_PHOTOS / (1 - HELD_OUT))} once a fifth is held out)")
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


def request(args) -> RetrainRequest:
    """The command line as the trainer's request (engine.retrain)."""
    return RetrainRequest(
        out=args.out, method=args.method, bits=args.bits, images=args.images,
        catalog=None if args.images else args.catalog, weights=args.weights, backbone=args.backbone, mode=args.mode,
        image_size=args.image_size, workers=args.workers, epochs=args.epochs, batch_size=args.batch_size,
        views=args.views, augment=args.augment, tau=args.tau, slope=args.slope, upright=args.upright, seed=args.seed,
        device=args.device, work_dir=args.work_dir, similar_method=args.similar_method)


def run_train(args) -> int:
    wanted = request(args)
    wanted.settings()  # a bad combination is refused before torch loads
    wanted.similar()
    retrain = _trainer().retrain
    report = _reporter(args.progress)
    done = None
    for event in retrain(wanted):
        kind = event["event"]
        if kind in ("skipped", "stopped", "done"):
            report(None)  # the bar ends before a line of its own
            if args.progress == "json" and kind != "done":
                print(json.dumps(event), flush=True)
        if kind == "skipped":
            print(f"skipped {printable(event['path'])}: {event['reason']}", file=sys.stderr)
        elif kind == "stopped":
            print(f"training stopped; run the same command again to resume from {event['work_dir']}", file=sys.stderr)
        elif kind == "done":
            done = event
        else:
            report(event)
    if done is None:
        return 0
    if args.progress == "json" or args.json:
        print(json.dumps(done), flush=True)
        return 0
    print(f"wrote {done['model']}: {done['method']}, {done['bits']} bits, {done['photos']} photos, "
          f"{done['seconds']:.0f} s; ONNX matches torch on {done['parity_bit_agreement']:.2%} of bits")
    print(describe_radii(done))
    if describe_similar(done):
        print(describe_similar(done))
    upright = done["upright"]
    if args.upright and upright is None:
        print(f"which way up: not learned (fewer than {UPRIGHT_MIN_PHOTOS} readable training photos, or no verdict "
              "sure enough on the held-out ones); the model has no turn output")
    elif upright is not None:
        print(f"which way up: on {upright['photos']} held-out photos, {upright['turned_righted']:.0%} of quarter "
              f"turns are turned back and {upright['upright_turned']:.1%} of upright photos are turned "
              f"(confidence {upright['confidence']})")
    return 0


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
        stage = None if event is None else (event["event"], event.get("code"))
        if event is None or (bar is not None and stage != bar.desc_event):
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
            if event.get("code") == "similar":
                desc = "Training the similarity code"
            bar = tqdm(total=total, desc=desc, file=sys.stderr, disable=None, dynamic_ncols=True)
            bar.desc_event = stage
        bar.total = total  # the radius check's total falls as photos turn out unreadable or duplicates
        bar.n = event["done"] if counted else (event["epoch"] - 1) * event["steps"] + event["step"]
        if event.get("loss") is not None:
            bar.set_postfix_str(f"epoch {event['epoch']}/{event['epochs']} loss {event['loss']:.4f}", refresh=False)
        bar.refresh()

    return draw


def _codes(result: dict) -> list[dict]:
    """The evaluated codes: the one a search ranks with first, then the duplicate code of a model with two."""
    return [result] + ([result["duplicate_code"]] if "duplicate_code" in result else [])


def _code_name(code: dict) -> str:
    kind = {"similar": "similarity code, ", "one": ""}.get(code.get("code"), "duplicate code, ")
    return f"{kind}{code['method']}, {code['bits']} bits"


def run_eval(args) -> int:
    _trainer()
    from trainer import evaluate

    default = Path(__file__).resolve().parents[3] / "shared" / "data" / (
        "cifar10-jpg.zip" if args.dataset == "cifar10" else "imagenette2-224-subset.zip")
    zip_path = Path(args.data) if args.data else default
    if not zip_path.is_file():
        raise PhotoHashError(f"dataset zip {zip_path}: not found (give it with --data)")
    with counting_bar("Encoding", "img") as progress:
        result = evaluate.evaluate_model(resolve_model_name(args.model), args.dataset, zip_path, seed=args.seed,
                                         progress=progress)
    if args.report:
        stem = f"{args.dataset}-{resolve_model_name(args.model).stem}"
        report = Path(args.report)
        try:
            report.mkdir(parents=True, exist_ok=True)
            (report / f"{stem}.json").write_text(json.dumps(result, indent=2) + "\n")
            evaluate.plot_pr_curves({_code_name(code): code["pr_curve"] for code in _codes(result)},
                                    report / f"{stem}-pr.png", f"{args.dataset}: precision-recall by Hamming radius")
        except OSError as exc:
            raise PhotoHashError(f"cannot write the report to {report}: {exc.strerror or exc}") from None
        result["report"] = [str(report / f"{stem}.json"), str(report / f"{stem}-pr.png")]
    if args.json:
        print_json(result)
    else:
        for code in _codes(result):
            print(f"{code['metric']} on {args.dataset}: {code['value']:.4f} ({_code_name(code)}, "
                  f"{result['queries']} queries, {result['database']} database)")
    return 0
