"""Retrain on my library, as one session that yields events (as ``engine.scan`` does): keep a fifth of the photos
out, train on the rest (frozen or fine-tune), learn which way up, export to ONNX, check the duplicate radius on the
held-out photos and write the model. ``photohash-cli train`` renders the events as a bar or JSON lines; the app runs
``python -m trainer.session REQUEST`` in a child process (it never imports torch) and reads the same events as JSON
lines. The request, the events and the recipe are the engine's contract (engine.retrain).

The stages run in a worker thread so that events reach the caller while they happen; SIGINT and SIGTERM, which only
the main thread receives, set the session's cancel event: each stage then saves what it has and stops, and the
session ends with a ``stopped`` event (the same request resumes).
"""

from __future__ import annotations

import json
import queue
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from engine.catalog import Catalog, default_data_dir
from engine.errors import PhotoHashError
from engine.retrain import GATE, LEARNED_WEIGHT, RECIPE, SIMILAR_SETTINGS, RetrainRequest, hold_out, shipped_radii

_END = object()


def retrain(request: RetrainRequest, *, cancel: threading.Event | None = None) -> Iterator[dict]:
    """The events of one retrain (engine.retrain.EVENTS), the last ``done`` or ``stopped``. Setting ``cancel`` (or
    SIGINT / SIGTERM, when iterated in the main thread) stops it resumably; an error is raised here, in the caller's
    thread, as the stage raised it. Under torchrun, ranks other than 0 yield nothing."""
    stop = cancel if cancel is not None else threading.Event()
    events: queue.Queue = queue.Queue()
    failure: list[BaseException] = []

    def work() -> None:
        try:
            _run(request, events.put, stop)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread, which raises it
            failure.append(exc)
        finally:
            events.put(_END)

    with _signals_cancel(stop):
        worker = threading.Thread(target=work, name="photohash-retrain", daemon=True)
        worker.start()
        try:
            while (event := events.get()) is not _END:
                yield event
        finally:  # also when the caller stops listening: the stages stop, and nothing runs on behind its back
            if worker.is_alive():
                stop.set()
            worker.join()
    if failure:
        raise failure[0]


@contextmanager
def _signals_cancel(stop: threading.Event):
    """SIGINT / SIGTERM set ``stop`` instead of raising (only the main thread can install handlers)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = {sig: signal.signal(sig, lambda signum, frame: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)


def _photos(request: RetrainRequest) -> tuple[list[str], str]:
    """The library's photo paths, and how the model card names them."""
    from .data import UnlabeledPhotos, eval_transform

    if request.images:
        return UnlabeledPhotos.from_folder(request.images, eval_transform()).paths, f"photos in {Path(request.images).name}"
    with Catalog(request.catalog, create=False, write=False) as catalog:
        return UnlabeledPhotos.from_catalog(catalog, eval_transform()).paths, "photos of a PhotoHash catalog"


def _run(request: RetrainRequest, emit: Callable[[dict], None], stop: threading.Event) -> None:
    from PIL import Image

    from . import calibrate, export
    from .config import FitConfig
    from .data import RESIZE_RULES, UnlabeledPhotos, eval_transform
    from .distributed import rank
    from .finetune import fit_finetune
    from .fit import fit_frozen, learn_upright

    settings = request.settings()
    config = FitConfig(**settings, backbone=request.backbone, seed=request.seed, mode=request.mode,
                       image_size=request.image_size, workers=request.workers, slope=request.slope)
    config.check()
    similar_method = request.similar()
    similar_config = None if similar_method is None else replace(config, method=similar_method, tau=None, slope=None,
                                                                 **SIMILAR_SETTINGS)
    shipped = request.method == RECIPE
    paths, source = _photos(request)
    training, held_out = hold_out(paths, request.seed)
    photos = UnlabeledPhotos(training, eval_transform())
    out = Path(request.out).resolve()
    work_dir = Path(request.work_dir) if request.work_dir else default_data_dir() / "training" / out.stem
    if request.mode == "finetune":
        result = fit_finetune(photos, config, weights=request.weights, work_dir=work_dir, device=request.device,
                              progress=emit, cancel=stop)
    else:
        result = fit_frozen(photos, config, weights=request.weights, work_dir=work_dir, device=request.device,
                            progress=emit, cancel=stop, similar=similar_config)
    if rank() != 0:  # under torchrun, rank 0 reports, learns which way up and exports
        return
    if request.upright and not result.cancelled:
        learn_upright(photos, result, config, work_dir=work_dir, device=request.device, progress=emit, cancel=stop)
    if result.cancelled:
        emit({"event": "stopped", "work_dir": str(work_dir)})
        return

    closed_form = getattr(result.method, "closed_form", False)
    skipped = {s[0] for s in result.skipped}
    sample = [Image.open(p).convert("RGB") for p in photos.paths[:16] if p not in skipped]
    how = (f"{request.mode}, {config.views} {config.augment} views"
           + (", closed form" if closed_form else f", {config.epochs} epochs")
           + (f", tau {config.tau}, batch {config.batch_size}" if shipped else "")
           + (f"; similarity code: {similar_method.upper()}, {similar_config.views} {similar_config.augment} views, "
              f"{similar_config.epochs} epochs" if result.similar is not None else ""))
    info = export.model_info(config.method, request.backbone, config.bits, f"{result.photos} {source} ({how})",
                             image_size=request.image_size, resize=RESIZE_RULES[config.augment])
    weight = LEARNED_WEIGHT if shipped else 0
    if shipped:  # the recipe, and its similarity code where it learned one
        radii = shipped_radii()
        info = replace(export.with_perceptual(info, weight, GATE), radius_duplicate=radii.duplicate,
                       radius_similar=radii.similar)
        if result.similar is not None:
            info = export.with_similar(info, similar_method, similar_config.bits, radii.similar_code or None)
    if result.upright is not None:
        info = export.with_upright(info, result.upright.confidence)
    encoder, calibration = export.trained_encoder(result, info, weight), None
    if not held_out:
        parity = export.export_onnx(encoder, info, out, sample)
    else:  # the duplicate radius, measured on photos the model has not seen, with the model as exported
        first = calibrate.uncalibrated_path(out)
        try:
            parity = export.export_onnx(encoder, info, first, sample)
            calibration = calibrate.calibrate(first, held_out, ceiling=info.radius_duplicate, seed=request.seed,
                                              progress=emit, cancel=stop)
            info = calibrate.calibrated(info, calibration)
            export.relabel(first, info, out)
        except KeyboardInterrupt:  # cancelled while checking: training is saved, the same request resumes
            emit({"event": "stopped", "work_dir": str(work_dir)})
            return
        finally:  # an error here: no half-made model is left beside the output
            first.unlink(missing_ok=True)
    for path, reason in result.skipped + (calibration.skipped if calibration else []):
        emit({"event": "skipped", "path": path, "reason": reason})
    upright = result.upright
    emit({"event": "done", "model": str(out), "method": info.method, "bits": info.bits, "photos": result.photos,
          "skipped": len(result.skipped),
          "final_loss": round(result.losses[-1], 5) if result.losses else None,  # None: closed form
          "seconds": round(result.seconds, 1), "parity_bit_agreement": parity.bit_agreement,
          "parity_max_abs_diff": parity.max_abs_diff,
          "radius": {"duplicate": info.radius_duplicate, "similar": info.radius_similar},
          "calibration": None if calibration is None else {
              "photos": calibration.photos, "copies": calibration.copies, "radius": calibration.radius,
              "allowed": calibration.allowed, "precision": calibration.precision, "recall": calibration.recall,
              "similar_copies": calibration.similar_copies, "similar_different": calibration.similar_different},
          "similar": None if not info.similar_bits else {
              "method": info.similar_method, "bits": info.similar_bits, "radius": info.similar_radius,
              "parity_bit_agreement": parity.similar_bit_agreement},
          "upright": None if upright is None else {"confidence": upright.confidence, **upright.held_out}})


def main(argv: list[str] | None = None) -> int:
    """``python -m trainer.session REQUEST_JSON``: the events as JSON lines on stdout; an error is one line on
    stderr and exit code 1; a cancelled run (SIGINT) ends with its ``stopped`` event and exit code 0."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m trainer.session REQUEST_JSON (engine.retrain.RetrainRequest)", file=sys.stderr)
        return 2
    try:
        for event in retrain(RetrainRequest.from_json(argv[0])):
            print(json.dumps(event), flush=True)
    except PhotoHashError as exc:
        print(f"photohash trainer: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
