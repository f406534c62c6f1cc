"""Training, in two modes: a frozen backbone with a feature cache, and fine-tuning the whole network.

**Frozen** (the CPU path, and the fast path on a GPU): see below. **Fine-tune** (the papers' mode,
for a GPU): the backbone trains too, under automatic mixed precision on CUDA; it also runs under
``torchrun`` with DistributedDataParallel (see ``fit_finetune``).

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
import torch.distributed as dist
from torch import nn
from torch.utils.data import DataLoader

from .backbones import Backbone, frozen_runner
from .data import RESIZE_RULES, VIEW_TRANSFORMS, TwoViews, UnlabeledPhotos, collate
from .errors import TrainerError
from .export import model_info
from .methods import METHODS
from .orientation import Upright, fit_upright

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
    workers: int = 0  # DataLoader processes decoding photos (0: in this process)
    mode: str = "frozen"  # or "finetune"
    backbone_lr: float = 1e-5  # fine-tune: the backbone's learning rate (the papers' 1e-5; heads use lr)
    augment: str = "standard"  # trainer.data.VIEW_TRANSFORMS: "standard" (MoCo v2) or "duplicates"
    tau: float | None = None  # the contrastive temperature; None: the method's own default (0.3)
    slope: float | None = None  # the baseline's final tanh slope (methods/baseline.py); None: a straight-through sign

    def make_method(self, dim: int) -> nn.Module:
        settings = {k: v for k, v in (("tau", self.tau), ("slope", self.slope)) if v is not None}
        return METHODS[self.method](dim=dim, bits=self.bits, **settings)

    def check(self) -> None:
        if self.mode not in ("frozen", "finetune"):
            raise TrainerError(f"mode must be frozen or finetune, got {self.mode!r}")
        if self.method not in METHODS:
            raise TrainerError(f"unknown method {self.method!r}; known: {', '.join(METHODS)}")
        if getattr(METHODS[self.method], "closed_form", False):
            if self.mode == "finetune":
                raise TrainerError(f"{self.method} is fitted in closed form on a frozen backbone; use the frozen mode")
            if self.tau is not None:
                raise TrainerError(f"{self.method} has no temperature (it is fitted in closed form)")
        if self.slope is not None and (self.method != "baseline" or self.slope < 1):
            raise TrainerError(f"slope is the baseline's and at least 1, got {self.slope} for {self.method}")
        if self.bits not in (16, 32, 64, 128):
            raise TrainerError(f"bits must be 16, 32, 64 or 128, got {self.bits}")
        if self.augment not in VIEW_TRANSFORMS:
            raise TrainerError(f"augment must be one of {', '.join(VIEW_TRANSFORMS)}, got {self.augment!r}")
        if self.views < 2:
            raise TrainerError(f"views must be at least 2 (two views are paired per step), got {self.views}")
        if self.epochs < 1 or self.batch_size < 4:
            raise TrainerError("epochs must be >= 1 and batch size >= 4")

    def cache_key(self) -> dict:
        """The settings the feature cache depends on: any method and code length can reuse it."""
        return {k: getattr(self, k) for k in ("backbone", "views", "grid", "image_size", "seed", "augment")}

    def resume_key(self) -> dict:
        """The settings a checkpoint must share to be resumed (everything but the epoch count)."""
        key = asdict(self)
        key.pop("epochs")
        key.pop("workers")
        if key["slope"] is None:  # a checkpoint saved before the setting existed is still resumed
            key.pop("slope")
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
    upright: Upright | None = None  # the which-way-up head (learn_upright), exported as the model's ``turn`` output


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
    photos.transform = TwoViews(VIEW_TRANSFORMS[config.augment](config.image_size))  # two views per decode; K/2 passes
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


def _writable(work_dir: Path) -> Path:
    try:
        work_dir.mkdir(parents=True, exist_ok=True)
        (work_dir / ".write-test").write_bytes(b"")
        (work_dir / ".write-test").unlink()
    except OSError as exc:
        raise TrainerError(f"cannot write to {work_dir}: {exc.strerror or exc}") from None
    return work_dir


def _cosine(optimizer: torch.optim.Optimizer, total_steps: int) -> torch.optim.lr_scheduler.LambdaLR:
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: 0.5 * (1 + math.cos(math.pi * min(s, total_steps) / total_steps)))


def _step_event(epoch: int, epochs: int, step: int, steps: int, loss: float | None, done: int, done_at_start: int,
                total_steps: int, start: float) -> dict:
    rate = (done - done_at_start) / max(time.monotonic() - start, 1e-9)
    return {"event": "step", "epoch": epoch, "epochs": epochs, "step": step, "steps": steps,
            "loss": None if loss is None else round(loss, 5), "rate": round(rate, 2),
            "eta_s": round((total_steps - done) / rate, 1) if rate else None}


class _GeneratorState:
    """A torch.Generator seen as a checkpoint part (state_dict / load_state_dict)."""

    def __init__(self, generator: torch.Generator):
        self.generator = generator

    def state_dict(self) -> torch.Tensor:
        return self.generator.get_state()

    def load_state_dict(self, state: torch.Tensor) -> None:
        self.generator.set_state(state)


def _resume(path: Path, config: FitConfig, parts: dict, progress: Callable[[dict], None],
            device: torch.device | None = None) -> dict | None:
    """Load every part (name -> object with load_state_dict) from a checkpoint saved with the same
    settings and return its loop state; None when there is none to resume."""
    if not path.exists():
        return None
    saved = torch.load(path, weights_only=True, map_location=device)
    if saved["key"] != config.resume_key():
        return None
    for name, part in parts.items():
        part.load_state_dict(saved[name])
    state = saved["state"]
    progress({"event": "resumed", "epoch": state["epoch"], "step": state["step"]})
    return state


def _save_checkpoint(path: Path, config: FitConfig, parts: dict, state: dict) -> None:
    _atomic_save({"key": config.resume_key(), **{name: part.state_dict() for name, part in parts.items()},
                  "state": state}, path)


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
    if world_size() > 1:
        raise TrainerError("frozen mode runs in one process; use --mode finetune under torchrun")
    work_dir = _writable(Path(work_dir))
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


def train_on_cache(cache: dict, config: FitConfig, work_dir: Path, device: str = "cpu") -> nn.Module:
    """The heads alone, trained afresh on views already cached (``build_cache``'s dict): for benches that
    compare recipes on the same views. Ctrl-C / SIGTERM raise KeyboardInterrupt."""
    config.check()
    work_dir = _writable(Path(work_dir))
    (work_dir / CHECKPOINT).unlink(missing_ok=True)  # its key names the settings, not the cache: never resume
    with _StopFlag() as stop:
        method, _, cancelled = _train(cache, cache["pooled"].shape[-1], config, choose_device(device), work_dir,
                                      lambda event: None, stop)
    if cancelled:
        raise KeyboardInterrupt
    return method


def learn_upright(photos: UnlabeledPhotos, result: FitResult, config: FitConfig, *, work_dir: str | os.PathLike[str],
                  device: str = "auto", progress: Callable[[dict], None] = lambda event: None) -> FitResult:
    """After the hash head, on the same photos and the trained backbone: the head that tells a photo's quarter
    turn (trainer.orientation), so that the engine encodes turned copies turned back. Ctrl-C / SIGTERM cancel it."""
    info = model_info(config.method, config.backbone, config.bits, "", config.image_size, RESIZE_RULES[config.augment])
    started = time.monotonic()
    with _StopFlag() as stop:
        try:
            result.upright = fit_upright(photos, result.backbone.eval(), info, device=choose_device(device),
                                         work_dir=_writable(Path(work_dir)), workers=config.workers, seed=config.seed,
                                         progress=progress, stop=lambda: stop.raised)
        except KeyboardInterrupt:
            result.cancelled = True
    result.seconds += time.monotonic() - started
    return result


def _train(cache: dict, dim: int, config: FitConfig, device: torch.device, work_dir: Path,
           progress: Callable[[dict], None], stop: _StopFlag):
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
    schedule = _cosine(optimizer, total_steps)
    generator = torch.Generator().manual_seed(config.seed)
    checkpoint = work_dir / CHECKPOINT
    parts = {"method": method, "optimizer": optimizer, "schedule": schedule, "generator": _GeneratorState(generator)}
    state = _resume(checkpoint, config, parts, progress) or {
        "epoch": 0, "step": 0, "losses": [], "epoch_loss": 0.0, "perm": None}
    if state["perm"] is not None and len(state["perm"]) != n:  # the photos changed since: the epoch starts again
        state["perm"] = None

    def save():
        _save_checkpoint(checkpoint, config, parts, state)

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
            progress(_step_event(state["epoch"] + 1, config.epochs, state["step"], steps, loss.item(), done,
                                 done_at_start, total_steps, start))
        state["losses"].append(state["epoch_loss"] / steps)
        state["epoch"] += 1
        state["perm"] = None
        save()
        progress({"event": "epoch", "epoch": state["epoch"], "epochs": config.epochs,
                  "loss": round(state["losses"][-1], 5)})
    return method.eval(), state["losses"], False


# -- fine-tune mode --------------------------------------------------------------------------------


def rank() -> int:
    """This process's rank under torchrun (0 when not distributed)."""
    return int(os.environ.get("RANK", "0"))


def world_size() -> int:
    """How many processes torchrun started (1 when not distributed)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


class _Ranks:
    """The process group ``torchrun`` describes (RANK, WORLD_SIZE, LOCAL_RANK), or a single process.

    gloo on the CPU, nccl on CUDA. Rank 0 alone writes checkpoints, emits progress and exports.
    """

    def __init__(self, device: torch.device):
        self.world = world_size()
        self.rank = rank()
        self.device = device
        if self.world > 1:
            if device.type == "cuda":
                self.device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
                torch.cuda.set_device(self.device)
            if not dist.is_initialized():
                dist.init_process_group("nccl" if device.type == "cuda" else "gloo")

    @property
    def main(self) -> bool:
        return self.rank == 0

    def sizes(self, n: int) -> list[int]:
        """Every rank's row count for this step."""
        if self.world == 1:
            return [n]
        counts = torch.tensor([n], device=self.device)
        out = [torch.zeros_like(counts) for _ in range(self.world)]
        dist.all_gather(out, counts)
        return [int(c.item()) for c in out]

    def gather_rows(self, x: torch.Tensor, sizes: list[int]) -> torch.Tensor:
        """All ranks' rows in rank order, differentiable: the loss then sees the whole global batch
        (in-batch negatives across ranks), and each rank's gradient flows back to its own rows."""
        if self.world == 1:
            return x
        pad = max(sizes) - x.shape[0]
        if pad:
            x = torch.cat([x, x.new_zeros((pad, *x.shape[1:]))])
        parts = _GatherRows.apply(x)
        return torch.cat([part[:size] for part, size in zip(parts, sizes)])

    def any(self, flag: bool) -> bool:
        """True on every rank when any rank has it (a signal may reach the ranks at different steps)."""
        if self.world == 1:
            return flag
        t = torch.tensor([int(flag)], device=self.device)
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return bool(t.item())

    def gather_objects(self, obj) -> list:
        if self.world == 1:
            return [obj]
        out = [None] * self.world
        dist.all_gather_object(out, obj)
        return out

    def close(self) -> None:
        if self.world > 1 and dist.is_initialized():
            dist.barrier()
            dist.destroy_process_group()


class _GatherRows(torch.autograd.Function):
    """all_gather whose backward sums every rank's gradient for this rank's rows (each rank computes
    the same global loss; DistributedDataParallel's averaging then gives the single-process gradient)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor):
        parts = [torch.empty_like(x) for _ in range(dist.get_world_size())]
        dist.all_gather(parts, x.contiguous())
        return tuple(parts)

    @staticmethod
    def backward(ctx, *grads):
        grad = torch.stack(grads)
        dist.all_reduce(grad)
        return grad[dist.get_rank()]


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


def _rank_batches(n: int, config: FitConfig, epoch: int, first_step: int, ranks: _Ranks) -> list[list[int]]:
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

    def __init__(self, backbone: Backbone, method: nn.Module, ranks: _Ranks, amp: bool):
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
) -> FitResult:
    """Train backbone and heads end to end on two fresh views per photo per step (as the papers).

    Our choices: Adam with ``config.backbone_lr`` (1e-5, the papers') on the backbone and
    ``config.lr`` on the new heads, one cosine schedule; BatchNorm statistics stay frozen (batches
    per device are small, and it keeps a multi-process run equal to a single-process one without
    SyncBatchNorm); float16 autocast and a gradient scaler on CUDA, float32 elsewhere; a checkpoint
    at the end of every epoch and on SIGINT/SIGTERM, resumed at the exact step.

    Under ``torchrun --nproc_per_node N`` each rank loads its contiguous share of every global batch
    (``config.batch_size`` photos in all, divisible by N), the ranks' features are gathered so the
    loss sees the whole batch, and DistributedDataParallel averages the gradients: the same updates
    as one process, up to floating-point summation order. Rank 0 writes checkpoints and progress.
    """
    config.check()
    work_dir = Path(work_dir)
    ranks = _Ranks(choose_device(device))
    try:
        if config.batch_size % ranks.world:
            raise TrainerError(f"batch size {config.batch_size} must be divisible by the {ranks.world} processes")
        if ranks.main:
            _writable(work_dir)
        return _finetune(photos, config, weights, work_dir, ranks, progress if ranks.main else lambda e: None)
    finally:
        ranks.close()


def _finetune(photos, config, weights, work_dir, ranks: _Ranks, progress) -> FitResult:
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
    schedule = _cosine(optimizer, total_steps)
    scaler = torch.amp.GradScaler(dev.type, enabled=amp)
    checkpoint = work_dir / CHECKPOINT
    parts = {"backbone": backbone, "method": method, "optimizer": optimizer, "schedule": schedule, "scaler": scaler}
    state = _resume(checkpoint, config, parts, progress, dev) or {"epoch": 0, "step": 0, "losses": [], "epoch_loss": 0.0}

    def save():
        if ranks.main:
            _save_checkpoint(checkpoint, config, parts, state)

    views = _SeededViews(photos, VIEW_TRANSFORMS[config.augment](config.image_size), config.seed)
    skipped: dict[str, str] = {}
    result = FitResult(method=method, backbone=backbone)
    start, done_at_start = time.monotonic(), state["epoch"] * steps + state["step"]
    with _StopFlag() as stop:
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
                progress(_step_event(state["epoch"] + 1, config.epochs, state["step"], steps, value, done,
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
