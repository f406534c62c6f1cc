"""The plain contrastive baseline, CIBHash-style (Qiu et al., IJCAI 2021, arXiv 2105.06138), DESIGN.md 8.3.

Frozen features → Linear(→1024) → ReLU → Linear(→d) → sigmoid q; b = sign(q − ½) with a
straight-through gradient; NT-Xent between the two views' codes (τ = 0.3) + 0.001 × the symmetric
Bernoulli KL between q¹ and q². No patch weights, no sorting: what WCH and NSH must beat.

With ``slope`` (an option, measured and not shipped: docs/benchmark.md), the codes in the loss are
tanh(β·z/2) instead of the straight-through sign, with β growing linearly from 1 to ``slope`` over training
(HashNet's continuation, Cao et al., ICCV 2017): early on every bit gets a gradient, and by the end the
codes are nearly signs, so bits are pushed away from zero rather than left where an edit flips them.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .common import check_positive, sign_ste

EPS = 1e-7


def nt_xent(a: torch.Tensor, b: torch.Tensor, tau: float = 0.3) -> torch.Tensor:
    """SimCLR's NT-Xent over 2n samples: each view's partner is the positive, the other 2n − 2 negatives.

    a, b: [n, d] (any scale; cosine similarity is used).
    """
    n = a.shape[0]
    x = F.normalize(torch.cat([a, b]), dim=1)
    sim = x @ x.T / tau
    sim = sim.masked_fill(torch.eye(2 * n, dtype=torch.bool, device=a.device), float("-inf"))
    targets = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]).to(a.device)
    return F.cross_entropy(sim, targets)


def bernoulli_kl(q1: torch.Tensor, q2: torch.Tensor) -> torch.Tensor:
    """Mean over bits and photos of KL(q1 ‖ q2) + KL(q2 ‖ q1) for independent Bernoulli bits."""
    q1, q2 = q1.clamp(EPS, 1 - EPS), q2.clamp(EPS, 1 - EPS)

    def kl(p, q):
        return p * (p.log() - q.log()) + (1 - p) * ((1 - p).log() - (1 - q).log())

    return (kl(q1, q2) + kl(q2, q1)).mean()


class Baseline(nn.Module):
    needs_tokens = False

    def __init__(self, dim: int, bits: int, *, hidden: int = 1024, tau: float = 0.3, kl_weight: float = 0.001,
                 slope: float = 0.0):
        super().__init__()
        check_positive(bits=bits, hidden=hidden, tau=tau)
        self.head = nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(), nn.Linear(hidden, bits))
        self.tau, self.kl_weight, self.slope = tau, kl_weight, slope
        self.progress = 0.0  # the fraction of training done; the trainer sets it before every step

    def probabilities(self, pooled: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.head(pooled))

    def encode(self, pooled: torch.Tensor) -> torch.Tensor:
        """Pre-sign codes in (-1, 1): 2q − 1 has the sign of q − ½."""
        return 2 * self.probabilities(pooled) - 1

    def loss(self, pooled1: torch.Tensor, pooled2: torch.Tensor) -> torch.Tensor:
        z1, z2 = self.head(pooled1), self.head(pooled2)
        q1, q2 = torch.sigmoid(z1), torch.sigmoid(z2)
        if self.slope:
            beta = 1 + (self.slope - 1) * self.progress
            b1, b2 = torch.tanh(beta * z1 / 2), torch.tanh(beta * z2 / 2)
        else:
            b1, b2 = sign_ste(q1 - 0.5), sign_ste(q2 - 0.5)
        return nt_xent(b1, b2, self.tau) + self.kl_weight * bernoulli_kl(q1, q2)
