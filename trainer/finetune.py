"""Training in the papers' mode, for a GPU: the whole network (backbone and heads) trains end to end on two fresh
augmented views per photo per step, under automatic mixed precision on CUDA; it also runs under ``torchrun``
with DistributedDataParallel (see ``fit_finetune``). The frozen mode, with its feature cache, is ``trainer.fit``.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader

from .backbones import Backbone
from .checkpoints import (
    CHECKPOINT,
    StopFlag,
    cosine,
    resume,
    save_checkpoint,
    step_event,
    writable,
)
from .config import FitConfig, FitResult, choose_device
from .data import VIEW_TRANSFORMS, TwoViews, UnlabeledPhotos, collate
from .distributed import Ranks
from .errors import TrainerError


class _SeededViews(torch.utils.data.Dataset):
    """Two augmented views of photo i in epoch e, drawn from a generator seeded by (seed, e, i): the
    same views whichever process, worker or rank loads the photo, so a run under torchrun sees
    exactly the batches a single process would."""

    def __init__(self, photos: UnlabeledPhotos, transform: Callable, seed: int):
        self.photos, self.seed, self.epoch = photos, seed, 0
        self.photos.transform = TwoViews(transform)

    def __len__(self) -> int:
        return len(self.photos)

    def __getitem__(self, index: int):
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(((self.seed * 1_000_003 + self.epoch) * 1_000_003 + index) % 2**63)
            return self.photos[index]


def _rank_batches(n: int, config: FitConfig, epoch: int, first_step: int, ranks: Ranks) -> list[list[int]]:
    """This rank's share of each global batch of the epoch (a contiguous slice, so gathering the ranks'
    rows in rank order rebuilds the global batch), from step ``first_step`` on."""
    order = torch.randperm(n, generator=torch.Generator().manual_seed(config.seed * 10_007 + epoch)).tolist()
    share = config.batch_size // ranks.world
    steps = n // config.batch_size
    return [order[s * config.batch_size + ranks.rank * share:s * config.batch_size + (ranks.rank + 1) * share]
            for s in range(first_step, steps)]


def _freeze_untrained(backbone: Backbone) -> None:
    """BatchNorm layers keep their pretrained statistics and affine weights while fine-tuning, and
    the ImageNet classifier (unused) takes no gradient."""
    backbone.classifier().requires_grad_(False)
    for m in backbone.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.eval()
            for p in m.parameters():
                p.requires_grad_(False)


class _Network(nn.Module):
    """Backbone + method: ``forward(views1, views2, sizes) -> loss`` over the global batch."""

    def __init__(self, backbone: Backbone, method: nn.Module, ranks: Ranks, amp: bool):
        super().__init__()
        self.backbone, self.method, self.ranks, self.amp = backbone, method, ranks, amp

    def forward(self, v1: torch.Tensor, v2: torch.Tensor, sizes: list[int]) -> torch.Tensor:
        with torch.autocast(v1.device.type, dtype=torch.float16, enabled=self.amp):
            pooled, tokens = self.backbone(torch.cat([v1, v2]))
        f = (tokens if self.method.needs_tokens else pooled).float()  # the loss runs in float32
        f1 = self.ranks.gather_rows(f[: len(v1)], sizes)
        f2 = self.ranks.gather_rows(f[len(v1):], sizes)
        return self.method.loss(f1, f2)


def fit_finetune(
    photos: UnlabeledPhotos,
    config: FitConfig,
    *,
    weights: str | os.PathLike[str] | None,
    work_dir: str | os.PathLike[str],
    device: str = "auto",
    progress: Callable[[dict], None] = lambda event: None,
    cancel: threading.Event | None = None,
) -> FitResult:
    """Train backbone and heads end to end on two fresh views per photo per step (as the papers).

    Our choices: Adam with ``config.backbone_lr`` (1e-5, the papers') on the backbone and
    ``config.lr`` on the new heads, one cosine schedule; BatchNorm statistics stay frozen (batches
    per device are small, and it keeps a multi-process run equal to a single-process one without
    SyncBatchNorm); float16 autocast and a gradient scaler on CUDA, float32 elsewhere; a checkpoint
    at the end of every epoch and on SIGINT/SIGTERM, resumed at the exact step.
    ``cancel``: setting it stops the run as SIGINT does (for a run in a worker thread).

    Under ``torchrun --nproc_per_node N`` each rank loads its contiguous share of every global batch
    (``config.batch_size`` photos in all, divisible by N), the ranks' features are gathered so the
    loss sees the whole batch, and DistributedDataParallel averages the gradients: the same updates
    as one process, up to floating-point summation order. Rank 0 writes checkpoints and progress.
    """
    config.check()
    work_dir = Path(work_dir)
    ranks = Ranks(choose_device(device))
    try:
        if config.batch_size % ranks.world:
            raise TrainerError(f"batch size {config.batch_size} must be divisible by the {ranks.world} processes")
        if ranks.main:
            writable(work_dir)
        return _finetune(photos, config, weights, work_dir, ranks, progress if ranks.main else lambda e: None,
                         cancel)
    finally:
        ranks.close()


def _finetune(photos, config, weights, work_dir, ranks: Ranks, progress,
              cancel: threading.Event | None = None) -> FitResult:
    dev = ranks.device
    amp = dev.type == "cuda"
    torch.manual_seed(config.seed)
    backbone = Backbone(config.backbone, weights).to(dev)
    method = config.make_method(backbone.dim).to(dev)
    network = _Network(backbone, method, ranks, amp).train()
    _freeze_untrained(backbone)  # after train(): BatchNorm back to eval
    trained = network
    if ranks.world > 1:
        trained = nn.parallel.DistributedDataParallel(network, device_ids=[dev.index] if dev.type == "cuda" else None)
    optimizer = torch.optim.Adam([
        {"params": [p for p in backbone.parameters() if p.requires_grad], "lr": config.backbone_lr},
        {"params": method.parameters(), "lr": config.lr},
    ])
    steps = len(photos) // config.batch_size
    if steps < 1:
        raise TrainerError(f"{len(photos)} photos are fewer than one batch of {config.batch_size}; "
                           "lower --batch-size")
    total_steps = steps * config.epochs
    schedule = cosine(optimizer, total_steps)
    scaler = torch.amp.GradScaler(dev.type, enabled=amp)
    checkpoint = work_dir / CHECKPOINT
    parts = {"backbone": backbone, "method": method, "optimizer": optimizer, "schedule": schedule, "scaler": scaler}
    state = resume(checkpoint, config, parts, progress, dev) or {"epoch": 0, "step": 0, "losses": [], "epoch_loss": 0.0}

    def save():
        if ranks.main:
            save_checkpoint(checkpoint, config, parts, state)

    views = _SeededViews(photos, VIEW_TRANSFORMS[config.augment](config.image_size), config.seed)
    skipped: dict[str, str] = {}
    result = FitResult(method=method, backbone=backbone)
    start, done_at_start = time.monotonic(), state["epoch"] * steps + state["step"]
    with StopFlag(cancel) as stop:
        while state["epoch"] < config.epochs:
            views.epoch = state["epoch"]
            batches = _rank_batches(len(photos), config, state["epoch"], state["step"], ranks)
            loader = DataLoader(views, batch_sampler=batches, num_workers=config.workers, collate_fn=collate)
            for indices, pair, bad in loader:
                if ranks.any(stop.raised):
                    save()
                    progress({"event": "cancelled", "epoch": state["epoch"], "step": state["step"]})
                    result.cancelled = True
                    break
                skipped.update((s.path, s.reason) for s in bad)
                sizes = ranks.sizes(len(indices))
                value = None
                if sum(sizes) >= 4:  # a contrastive loss needs a few photos; a batch of bad files is passed over
                    method.progress = (state["epoch"] * steps + state["step"]) / total_steps
                    if pair is None:
                        pair = (torch.zeros(0, 3, config.image_size, config.image_size),) * 2
                    loss = trained(pair[0].to(dev, non_blocking=True), pair[1].to(dev, non_blocking=True), sizes)
                    optimizer.zero_grad(set_to_none=True)
                    scaler.scale(loss).backward()
                    scaler.step(optimizer)
                    scaler.update()
                    value = loss.item()
                    state["epoch_loss"] += value
                schedule.step()
                state["step"] += 1
                done = state["epoch"] * steps + state["step"]
                progress(step_event(state["epoch"] + 1, config.epochs, state["step"], steps, value, done,
                                    done_at_start, total_steps, start))
            if result.cancelled:
                break
            state["losses"].append(state["epoch_loss"] / steps)
            state["epoch"] += 1
            state["step"], state["epoch_loss"] = 0, 0.0
            save()
            progress({"event": "epoch", "epoch": state["epoch"], "epochs": config.epochs,
                      "loss": round(state["losses"][-1], 5)})
    merged = {}
    for part in ranks.gather_objects(skipped):
        merged.update(part)
    result.skipped = [[path, reason] for path, reason in sorted(merged.items())]
    result.photos = len(photos) - len(merged)
    result.losses = state["losses"]
    result.seconds = time.monotonic() - start
    backbone.eval()
    method.eval()
    return result
