"""Stopping and resuming, shared by both training loops (``trainer.fit``'s heads on a feature cache and
``trainer.finetune``'s whole network).

Training is reproducible (seeded), checkpointed at the end of every epoch and when it is stopped (then it
returns cleanly, ``cancelled`` set), and resumable at the exact step: a checkpoint is only resumed when its saved
settings match (``FitConfig.resume_key``, as solo-learn's auto-resumer). It stops on SIGINT/SIGTERM, or when the
caller sets a ``threading.Event``: signal handlers can only be installed in the main thread, so a run in a worker
thread (the main thread owning the signals) is stopped through the event. Progress goes to a callback as dicts;
the CLI prints them as JSON lines or a bar.
"""

from __future__ import annotations

import math
import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

import torch

from .config import FitConfig
from .errors import TrainerError

CHECKPOINT = "checkpoint.pt"
SIMILAR_CHECKPOINT = "similar-checkpoint.pt"  # the similarity code's head, trained second on the same cache


class StopFlag:
    """SIGINT/SIGTERM, or ``cancel`` being set, raise the flag; the loop saves a checkpoint and returns cleanly.

    The signal handlers are installed only in the main thread (elsewhere ``signal.signal`` refuses): a run in
    another thread is stopped through ``cancel`` alone."""

    def __init__(self, cancel: threading.Event | None = None):
        self.cancel = cancel
        self._signalled = False
        self._old = {}

    @property
    def raised(self) -> bool:
        return self._signalled or (self.cancel is not None and self.cancel.is_set())

    def __enter__(self):
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                self._old[sig] = signal.signal(sig, self._handle)
            except ValueError:  # not the main thread: no signal handling, cancellation by caller only
                pass
        return self

    def _handle(self, signum, frame):
        self._signalled = True

    def __exit__(self, *exc):
        for sig, old in self._old.items():
            signal.signal(sig, old)


def atomic_save(obj, path: Path) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def writable(work_dir: Path) -> Path:
    try:
        work_dir.mkdir(parents=True, exist_ok=True)
        (work_dir / ".write-test").write_bytes(b"")
        (work_dir / ".write-test").unlink()
    except OSError as exc:
        raise TrainerError(f"cannot write to {work_dir}: {exc.strerror or exc}") from None
    return work_dir


def cosine(optimizer: torch.optim.Optimizer, total_steps: int) -> torch.optim.lr_scheduler.LambdaLR:
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: 0.5 * (1 + math.cos(math.pi * min(s, total_steps) / total_steps)))


def step_event(epoch: int, epochs: int, step: int, steps: int, loss: float | None, done: int, done_at_start: int,
               total_steps: int, start: float) -> dict:
    rate = (done - done_at_start) / max(time.monotonic() - start, 1e-9)
    return {"event": "step", "epoch": epoch, "epochs": epochs, "step": step, "steps": steps,
            "loss": None if loss is None else round(loss, 5), "rate": round(rate, 2),
            "eta_s": round((total_steps - done) / rate, 1) if rate else None}


class GeneratorState:
    """A torch.Generator seen as a checkpoint part (state_dict / load_state_dict)."""

    def __init__(self, generator: torch.Generator):
        self.generator = generator

    def state_dict(self) -> torch.Tensor:
        return self.generator.get_state()

    def load_state_dict(self, state: torch.Tensor) -> None:
        self.generator.set_state(state)


def resume(path: Path, config: FitConfig, parts: dict, progress: Callable[[dict], None],
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


def save_checkpoint(path: Path, config: FitConfig, parts: dict, state: dict) -> None:
    atomic_save({"key": config.resume_key(), **{name: part.state_dict() for name, part in parts.items()},
                 "state": state}, path)
