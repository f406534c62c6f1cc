"""The settings of a training run and what it returns, shared by both modes (``trainer.fit``, the frozen
backbone with a feature cache, and ``trainer.finetune``, the whole network): one ``FitConfig`` decides what is
trained, what the feature cache and a checkpoint depend on (``cache_key``, ``resume_key``), and on which device.
Why its defaults are what they are: ``trainer.fit``'s docstring ("Our choices").
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch
from torch import nn

from .backbones import Backbone
from .data import VIEW_TRANSFORMS
from .errors import TrainerError
from .methods import METHODS
from .orientation import Upright


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
    similar: torch.nn.Module | None = None  # the similarity code's head, exported as the model's ``similar`` output


def choose_device(name: str = "auto") -> torch.device:
    """cuda ► mps ► cpu, unless named."""
    if name != "auto":
        return torch.device(name)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")
