"""Pieces every hashing method shares."""

from __future__ import annotations

import torch


def sign_ste(x: torch.Tensor) -> torch.Tensor:
    """sign(x) in the forward pass, identity gradient in the backward pass (straight-through).

    sign(0) is taken as +1 so every training bit is ±1; the engine thresholds exported tanh
    outputs, where an exact zero does not occur in practice.
    """
    hard = torch.where(x >= 0, torch.ones_like(x), -torch.ones_like(x))
    return x + (hard - x).detach()


def check_positive(**values: float) -> None:
    """Impossible hyper-parameters raise at construction, naming the setting."""
    for name, value in values.items():
        if not value > 0:
            raise ValueError(f"{name} must be positive, got {value}")
