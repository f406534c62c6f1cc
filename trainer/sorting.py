"""Differentiable sorting: SoftSort (Prillo & Eisenschlos, "SoftSort: A Continuous Relaxation for
the argsort Operator", ICML 2020, arXiv 2006.16038).

For scores s ∈ R^n and their descending sort s↓, the relaxed permutation matrix is

    P[r, k] = softmax_k( -|s↓_r - s_k| / τ )

Row r is a distribution over the items that puts its mass on the item ranked r-th; as τ → 0 it
becomes the hard permutation matrix of argsort. NSH (DESIGN.md 8.2) sorts each row of the code
similarity matrix this way with τ = 1/d, so gradients reach the hash codes through the ranking.
As in the paper, s↓ is not detached: gradients flow through both the sorted and the unsorted
scores (sorting values is differentiable; only the order is piecewise constant).
"""

from __future__ import annotations

import torch


def soft_sort(scores: torch.Tensor, tau: float) -> torch.Tensor:
    """Relaxed descending-sort permutation matrices.

    scores: [..., n]. Returns P: [..., n, n], P[..., r, k] = weight of item k at rank r; every row
    sums to 1. ``tau`` > 0 is the temperature.
    """
    if tau <= 0:
        raise ValueError(f"tau must be positive, got {tau}")
    ranked = scores.sort(dim=-1, descending=True).values
    # [..., r, 1] - [..., 1, k]: distance of every item's score to the score at every rank.
    gaps = (ranked.unsqueeze(-1) - scores.unsqueeze(-2)).abs()
    return torch.softmax(-gaps / tau, dim=-1)
