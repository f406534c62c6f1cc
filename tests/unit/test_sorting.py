"""SoftSort: rows are distributions, it tends to the hard sort as τ → 0, and gradients reach the scores."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch", reason="needs the [train] extra (torch)")

from trainer.sorting import soft_sort  # noqa: E402


def test_rows_are_distributions():
    scores = torch.randn(4, 7, generator=torch.Generator().manual_seed(0))
    p = soft_sort(scores, tau=0.5)
    assert p.shape == (4, 7, 7)
    assert (p >= 0).all()
    assert torch.allclose(p.sum(-1), torch.ones(4, 7), atol=1e-6)


def test_tends_to_the_hard_sort():
    scores = torch.tensor([0.3, -1.2, 2.5, 0.9, 0.0])
    hard = torch.zeros(5, 5)
    hard[torch.arange(5), scores.argsort(descending=True)] = 1.0
    errors = [(soft_sort(scores, tau) - hard).abs().max().item() for tau in (1.0, 0.1, 0.01, 0.001)]
    assert errors == sorted(errors, reverse=True)
    assert errors[-1] < 1e-6
    # Applying P to the scores sorts them.
    assert torch.allclose(soft_sort(scores, 1e-3) @ scores, scores.sort(descending=True).values, atol=1e-4)


def test_gradients_flow_to_the_scores():
    scores = torch.randn(6, requires_grad=True, generator=torch.Generator().manual_seed(1))
    target = torch.arange(6, dtype=torch.float32)
    (soft_sort(scores, 0.5) @ target).sum().backward()
    assert scores.grad is not None and scores.grad.abs().sum() > 0


def test_bad_temperature():
    with pytest.raises(ValueError, match="tau must be positive"):
        soft_sort(torch.zeros(3), 0.0)
