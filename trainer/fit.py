"""Training in the frozen mode (the CPU path, and the fast path on a GPU): the backbone stays frozen, each photo's
K augmented views are encoded once into a feature cache (``trainer.feature_cache``, which says why), and the
method's heads then train for many epochs on the cache alone; each step draws, per photo, two different views of
its K. Fine-tuning the whole network is ``trainer.finetune``; the settings are ``trainer.config``; stopping and
resuming (checkpoints, SIGINT/SIGTERM, a cancel event) are ``trainer.checkpoints``.

Our choices, where the papers train end to end and say nothing of a frozen cache: Adam with
learning rate 1e-3 on the heads (the papers' 1e-5 is for fine-tuning a whole backbone), a cosine
schedule, K = 4 views, a 3×3 token grid for WCH.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

from .backbones import Backbone
from .checkpoints import (
    CHECKPOINT,
    SIMILAR_CHECKPOINT,
    GeneratorState,
    StopFlag,
    atomic_save,
    cosine,
    resume,
    save_checkpoint,
    step_event,
    writable,
)
from .config import FitConfig, FitResult, choose_device
from .data import RESIZE_RULES, UnlabeledPhotos
from .distributed import world_size
from .errors import TrainerError
from .export import model_info
from .feature_cache import CACHE, SIMILAR_CACHE, build_cache, source_id
from .orientation import fit_upright


def fit_frozen(
    photos: UnlabeledPhotos,
    config: FitConfig,
    *,
    weights: str | os.PathLike[str] | None,
    work_dir: str | os.PathLike[str],
    device: str = "auto",
    progress: Callable[[dict], None] = lambda event: None,
    cancel: threading.Event | None = None,
    similar: FitConfig | None = None,
) -> FitResult:
    """Cache features, then train the method's heads, then ``similar``'s (the similarity code beside a duplicate
    code: ``result.similar``), on the same cached views or on its own where its views differ; resumes from
    ``work_dir`` when it can.

    Stopped by SIGINT/SIGTERM or ``cancel`` (set from any thread): a checkpoint is saved, ``cancelled`` is set."""
    config.check()
    if similar is not None:
        similar.check()
    if world_size() > 1:
        raise TrainerError("frozen mode runs in one process; use --mode finetune under torchrun")
    work_dir = writable(Path(work_dir))
    dev = choose_device(device)
    backbone = Backbone(config.backbone, weights)
    started = time.monotonic()
    result = FitResult(method=None, backbone=backbone)
    with StopFlag(cancel) as stop:
        try:
            cache = _views(photos, backbone, config, dev, work_dir / CACHE, progress, stop)
        except KeyboardInterrupt:
            result.cancelled = True
            return result
        result.skipped, result.photos = cache["skipped"], len(cache["paths"])
        result.method, result.losses, result.cancelled = _train(cache, backbone.dim, config, dev,
                                                                work_dir / CHECKPOINT, progress, stop)
        if similar is not None and not result.cancelled:
            def named(event: dict) -> None:
                progress({**event, "code": "similar"})

            try:  # its own views where it learns from others (WCH from MoCo-style crops, the recipe from edits)
                views = cache if similar.cache_key() == config.cache_key() else _views(
                    photos, backbone, similar, dev, work_dir / SIMILAR_CACHE, named, stop)
            except KeyboardInterrupt:
                result.cancelled = True
                return result
            result.similar, _, result.cancelled = _train(views, backbone.dim, similar, dev,
                                                         work_dir / SIMILAR_CHECKPOINT, named, stop)
    result.seconds = time.monotonic() - started
    return result


def _views(photos: UnlabeledPhotos, backbone: Backbone, config: FitConfig, device: torch.device, path: Path,
           progress: Callable[[dict], None], stop: StopFlag) -> dict:
    """The cache of ``config``'s views at ``path``: read back when it holds them for these photos, else built and
    saved (KeyboardInterrupt when stopped while building)."""
    cache = torch.load(path, weights_only=True) if path.exists() else None
    if cache is not None and cache["key"] == config.cache_key() and cache["source"] == source_id(photos.paths):
        return cache
    cache = build_cache(photos, backbone, config, device, path.parent, progress, stop)
    atomic_save(cache, path)
    return cache


def train_on_cache(cache: dict, config: FitConfig, work_dir: Path, device: str = "cpu") -> nn.Module:
    """The heads alone, trained afresh on views already cached (``build_cache``'s dict): for benches that
    compare recipes on the same views. Ctrl-C / SIGTERM raise KeyboardInterrupt."""
    config.check()
    work_dir = writable(Path(work_dir))
    (work_dir / CHECKPOINT).unlink(missing_ok=True)  # its key names the settings, not the cache: never resume
    with StopFlag() as stop:
        method, _, cancelled = _train(cache, cache["pooled"].shape[-1], config, choose_device(device),
                                      work_dir / CHECKPOINT, lambda event: None, stop)
    if cancelled:
        raise KeyboardInterrupt
    return method


def learn_upright(photos: UnlabeledPhotos, result: FitResult, config: FitConfig, *, work_dir: str | os.PathLike[str],
                  device: str = "auto", progress: Callable[[dict], None] = lambda event: None,
                  cancel: threading.Event | None = None) -> FitResult:
    """After the hash head, on the same photos and the trained backbone: the head that tells a photo's quarter
    turn (trainer.orientation), so that the engine encodes turned copies turned back. Ctrl-C / SIGTERM cancel it,
    and so does setting ``cancel`` (from any thread)."""
    info = model_info(config.method, config.backbone, config.bits, "", config.image_size, RESIZE_RULES[config.augment])
    started = time.monotonic()
    with StopFlag(cancel) as stop:
        try:
            result.upright = fit_upright(photos, result.backbone.eval(), info, device=choose_device(device),
                                         work_dir=writable(Path(work_dir)), workers=config.workers, seed=config.seed,
                                         progress=progress, stop=lambda: stop.raised)
        except KeyboardInterrupt:
            result.cancelled = True
    result.seconds += time.monotonic() - started
    return result


def _train(cache: dict, dim: int, config: FitConfig, device: torch.device, checkpoint: Path,
           progress: Callable[[dict], None], stop: StopFlag):
    """``config``'s heads on the cached views, resumed from ``checkpoint``."""
    torch.manual_seed(config.seed)
    method = config.make_method(dim).to(device)
    if getattr(method, "closed_form", False):
        progress({"event": "fit", "method": config.method, "photos": cache["pooled"].shape[0]})
        method.fit(cache["pooled"].to(device))
        return method.eval(), [], False
    optimizer = torch.optim.Adam(method.parameters(), lr=config.lr)
    features = cache["tokens"] if method.needs_tokens else cache["pooled"]
    n, views = features.shape[0], features.shape[1]
    steps = max(1, n // config.batch_size)
    total_steps = steps * config.epochs
    schedule = cosine(optimizer, total_steps)
    generator = torch.Generator().manual_seed(config.seed)
    parts = {"method": method, "optimizer": optimizer, "schedule": schedule, "generator": GeneratorState(generator)}
    state = resume(checkpoint, config, parts, progress) or {
        "epoch": 0, "step": 0, "losses": [], "epoch_loss": 0.0, "perm": None}
    if state["perm"] is not None and len(state["perm"]) != n:  # the photos changed since: the epoch starts again
        state["perm"] = None

    def save():
        save_checkpoint(checkpoint, config, parts, state)

    start, done_at_start = time.monotonic(), state["epoch"] * steps + state["step"]
    while state["epoch"] < config.epochs:
        if state["perm"] is None:
            state["perm"] = torch.randperm(n, generator=generator)
            state["step"], state["epoch_loss"] = 0, 0.0
        while state["step"] < steps:
            if stop.raised:
                save()
                progress({"event": "cancelled", "epoch": state["epoch"], "step": state["step"]})
                return method, state["losses"], True
            idx = state["perm"][state["step"] * config.batch_size:(state["step"] + 1) * config.batch_size]
            first = torch.randint(views, (len(idx),), generator=generator)
            second = (first + torch.randint(1, views, (len(idx),), generator=generator)) % views
            x1 = features[idx, first].float().to(device)
            x2 = features[idx, second].float().to(device)
            method.train()
            method.progress = (state["epoch"] * steps + state["step"]) / total_steps
            loss = method.loss(x1, x2)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            state["step"] += 1
            state["epoch_loss"] += loss.item()
            done = state["epoch"] * steps + state["step"]
            progress(step_event(state["epoch"] + 1, config.epochs, state["step"], steps, loss.item(), done,
                                done_at_start, total_steps, start))
        state["losses"].append(state["epoch_loss"] / steps)
        state["epoch"] += 1
        state["perm"] = None
        save()
        progress({"event": "epoch", "epoch": state["epoch"], "epochs": config.epochs,
                  "loss": round(state["losses"][-1], 5)})
    return method.eval(), state["losses"], False
