"""Training: the frozen-backbone mode with a feature cache (the CPU path, and the fast path on a GPU).

Why a cache: with the backbone frozen, its output for a given augmented view never changes, so
each photo's K augmented views are encoded once (pooled features, and for WCH a patch grid reduced
to ``grid``×``grid`` by average pooling, stored as float16) and the heads then train for many
epochs on the cache alone. That is what makes "Retrain on my library" practical on a laptop.
Each step draws, per photo, two different views of its K.

Reproducible (seeded), checkpointed every epoch and on SIGINT/SIGTERM (then it exits cleanly), and
resumable: a checkpoint is only resumed when its saved settings match (as solo-learn's
auto-resumer). Progress goes to a callback as dicts; the CLI prints them as JSON lines or a bar.

Our choices, where the papers train end to end and say nothing of a frozen cache: Adam with
learning rate 1e-3 on the heads (the papers' 1e-5 is for fine-tuning a whole backbone), a cosine
schedule, K = 4 views, a 3×3 token grid for WCH.
"""

from __future__ import annotations

import hashlib
import math
import os
import signal
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from torch.utils.data import DataLoader

from .backbones import Backbone, frozen_runner
from .data import TwoViews, UnlabeledPhotos, collate, view_transform
from .errors import TrainerError
from .methods import METHODS

CHECKPOINT = "checkpoint.pt"
CACHE = "features.pt"


@dataclass(frozen=True)
class FitConfig:
    method: str = "wch"
    bits: int = 64
    backbone: str = "mobilenet_v2"
    epochs: int = 30
    batch_size: int = 64
    lr: float = 1e-3
    views: int = 4  # augmented views cached per photo
    grid: int = 3  # WCH token grid side in the cache
    image_size: int = 224
    seed: int = 0
    workers: int = 0  # DataLoader processes while caching (0: in this process)

    def check(self) -> None:
        if self.method not in METHODS:
            raise TrainerError(f"unknown method {self.method!r}; known: {', '.join(METHODS)}")
        if self.bits not in (16, 32, 64, 128):
            raise TrainerError(f"bits must be 16, 32, 64 or 128, got {self.bits}")
        if self.views < 2:
            raise TrainerError(f"views must be at least 2 (two views are paired per step), got {self.views}")
        if self.epochs < 1 or self.batch_size < 4:
            raise TrainerError("epochs must be >= 1 and batch size >= 4")

    def cache_key(self) -> dict:
        """The settings the feature cache depends on: any method and code length can reuse it."""
        return {k: getattr(self, k) for k in ("backbone", "views", "grid", "image_size", "seed")}

    def resume_key(self) -> dict:
        """The settings a checkpoint must share to be resumed (everything but the epoch count)."""
        key = asdict(self)
        key.pop("epochs")
        key.pop("workers")
        return key


@dataclass
class FitResult:
    method: torch.nn.Module
    backbone: Backbone
    losses: list[float] = field(default_factory=list)  # mean loss per epoch
    skipped: list = field(default_factory=list)  # [path, reason] of photos that could not be read
    photos: int = 0
    cancelled: bool = False
    seconds: float = 0.0


def choose_device(name: str = "auto") -> torch.device:
    """cuda ► mps ► cpu, unless named."""
    if name != "auto":
        return torch.device(name)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


class _StopFlag:
    """SIGINT/SIGTERM set a flag; the loop saves a checkpoint and returns cleanly."""

    def __init__(self):
        self.raised = False
        self._old = {}

    def __enter__(self):
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                self._old[sig] = signal.signal(sig, self._handle)
            except ValueError:  # not the main thread: no signal handling, cancellation by caller only
                pass
        return self

    def _handle(self, signum, frame):
        self.raised = True

    def __exit__(self, *exc):
        for sig, old in self._old.items():
            signal.signal(sig, old)


def _atomic_save(obj, path: Path) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def build_cache(photos: UnlabeledPhotos, backbone: Backbone, config: FitConfig, device: torch.device,
                work_dir: Path, progress: Callable[[dict], None], stop: _StopFlag) -> dict:
    """Encode ``config.views`` augmented views of every photo once: pooled features and the token grid
    reduced to ``config.grid``², both float16 on the CPU. Every method can train on the same cache."""
    generator = torch.Generator().manual_seed(config.seed)
    torch.manual_seed(config.seed)
    photos.transform = TwoViews(view_transform(config.image_size))  # two views per decode; K/2 passes
    loader = DataLoader(photos, batch_size=32, shuffle=False, num_workers=config.workers, collate_fn=collate,
                        generator=generator)
    passes = math.ceil(config.views / 2)
    pooled = torch.zeros(len(photos), passes * 2, backbone.dim, dtype=torch.float16)
    tokens = torch.zeros(len(photos), passes * 2, config.grid * config.grid, backbone.dim, dtype=torch.float16)
    ok = torch.zeros(len(photos), dtype=torch.bool)
    skipped = {}
    done, total, start = 0, passes * len(photos), time.monotonic()
    run = frozen_runner(backbone, device, work_dir, config.image_size)
    with torch.no_grad():
        for p in range(passes):
            for indices, views, bad in loader:
                if stop.raised:
                    raise KeyboardInterrupt
                for s in bad:
                    skipped[s.path] = s
                done += len(indices) + len(bad)
                if len(indices):
                    ok[indices] = True
                    for v, view in enumerate(views):
                        slot = 2 * p + v
                        pool, grid = run(view)
                        pooled[indices, slot] = pool.half().cpu()
                        side = math.isqrt(grid.shape[1])
                        g = grid.float().transpose(1, 2).reshape(len(indices), -1, side, side)
                        g = torch.nn.functional.adaptive_avg_pool2d(g, config.grid).flatten(2).transpose(1, 2)
                        tokens[indices, slot] = g.half().cpu()
                rate = done / max(time.monotonic() - start, 1e-9)
                progress({"event": "cache", "done": done, "total": total, "rate": round(rate, 2),
                          "eta_s": round((total - done) / rate, 1) if rate else None})
    keep = ok.nonzero().flatten()
    if len(keep) < 4:
        reasons = "; ".join(str(s) for s in list(skipped.values())[:3])
        raise TrainerError(f"only {len(keep)} of {len(photos)} photos could be read (need at least 4). {reasons}")
    return {
        "pooled": pooled[keep, : config.views],
        "tokens": tokens[keep, : config.views],
        "paths": [photos.paths[i] for i in keep.tolist()],
        "skipped": [[s.path, s.reason] for s in skipped.values()],
        "key": config.cache_key(),
        "source": _source_id(photos.paths),
    }


def _source_id(paths: list[str]) -> str:
    """Which photos a cache was built from: a cache of another folder must never be reused."""
    return hashlib.blake2b("\n".join(paths).encode(), digest_size=16).hexdigest()


def fit_frozen(
    photos: UnlabeledPhotos,
    config: FitConfig,
    *,
    weights: str | os.PathLike[str] | None,
    work_dir: str | os.PathLike[str],
    device: str = "auto",
    progress: Callable[[dict], None] = lambda event: None,
) -> FitResult:
    """Cache features, then train the method's heads; resumes from ``work_dir`` when it can."""
    config.check()
    work_dir = Path(work_dir)
    try:
        work_dir.mkdir(parents=True, exist_ok=True)
        (work_dir / ".write-test").write_bytes(b"")
        (work_dir / ".write-test").unlink()
    except OSError as exc:
        raise TrainerError(f"cannot write to {work_dir}: {exc.strerror or exc}") from None
    dev = choose_device(device)
    backbone = Backbone(config.backbone, weights)
    started = time.monotonic()
    result = FitResult(method=None, backbone=backbone)
    with _StopFlag() as stop:
        cache_path = work_dir / CACHE
        cache = torch.load(cache_path, weights_only=True) if cache_path.exists() else None
        fresh = cache is not None and cache["key"] == config.cache_key() and cache["source"] == _source_id(photos.paths)
        if not fresh:
            try:
                cache = build_cache(photos, backbone, config, dev, work_dir, progress, stop)
            except KeyboardInterrupt:
                result.cancelled = True
                return result
            _atomic_save(cache, cache_path)
        result.skipped, result.photos = cache["skipped"], len(cache["paths"])
        result.method, result.losses, result.cancelled = _train(cache, backbone.dim, config, dev, work_dir,
                                                                progress, stop)
    result.seconds = time.monotonic() - started
    return result


def _train(cache: dict, dim: int, config: FitConfig, device: torch.device, work_dir: Path,
           progress: Callable[[dict], None], stop: _StopFlag):
    torch.manual_seed(config.seed)
    method = METHODS[config.method](dim=dim, bits=config.bits).to(device)
    optimizer = torch.optim.Adam(method.parameters(), lr=config.lr)
    features = cache["tokens"] if method.needs_tokens else cache["pooled"]
    n, views = features.shape[0], features.shape[1]
    steps = max(1, n // config.batch_size)
    total_steps = steps * config.epochs
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: 0.5 * (1 + math.cos(math.pi * min(s, total_steps) / total_steps)))
    generator = torch.Generator().manual_seed(config.seed)
    state = {"epoch": 0, "step": 0, "losses": [], "epoch_loss": 0.0, "perm": None}
    checkpoint = work_dir / CHECKPOINT
    if checkpoint.exists():
        saved = torch.load(checkpoint, weights_only=True)
        if saved["key"] == config.resume_key():
            method.load_state_dict(saved["method"])
            optimizer.load_state_dict(saved["optimizer"])
            schedule.load_state_dict(saved["schedule"])
            generator.set_state(saved["generator"])
            state = saved["state"]
            progress({"event": "resumed", "epoch": state["epoch"], "step": state["step"]})

    def save():
        _atomic_save({"key": config.resume_key(), "method": method.state_dict(), "optimizer": optimizer.state_dict(),
                      "schedule": schedule.state_dict(), "generator": generator.get_state(), "state": state},
                     checkpoint)

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
            loss = method.loss(x1, x2)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            state["step"] += 1
            state["epoch_loss"] += loss.item()
            done = state["epoch"] * steps + state["step"]
            rate = (done - done_at_start) / max(time.monotonic() - start, 1e-9)
            progress({"event": "step", "epoch": state["epoch"] + 1, "epochs": config.epochs, "step": state["step"],
                      "steps": steps, "loss": round(loss.item(), 5), "rate": round(rate, 2),
                      "eta_s": round((total_steps - done) / rate, 1) if rate else None})
        state["losses"].append(state["epoch_loss"] / steps)
        state["epoch"] += 1
        state["perm"] = None
        save()
        progress({"event": "epoch", "epoch": state["epoch"], "epochs": config.epochs,
                  "loss": round(state["losses"][-1], 5)})
    return method.eval(), state["losses"], False
