"""The plain contrastive baseline, CIBHash-style (Qiu et al., IJCAI 2021, arXiv 2105.06138), DESIGN.md 8.3.

Frozen features → Linear(→1024) → ReLU → Linear(→d) → sigmoid q; b = sign(q − ½) with a
straight-through gradient; NT-Xent between the two views' codes (τ = 0.3) + 0.001 × the symmetric
Bernoulli KL between q¹ and q². No patch weights, no sorting: what WCH and NSH must beat.
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

    def __init__(self, dim: int, bits: int, *, hidden: int = 1024, tau: float = 0.3, kl_weight: float = 0.001):
        super().__init__()
        check_positive(bits=bits, hidden=hidden, tau=tau)
        self.head = nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(), nn.Linear(hidden, bits))
        self.tau, self.kl_weight = tau, kl_weight

    def probabilities(self, pooled: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.head(pooled))

    def encode(self, pooled: torch.Tensor) -> torch.Tensor:
        """Pre-sign codes in (-1, 1): 2q − 1 has the sign of q − ½."""
        return 2 * self.probabilities(pooled) - 1

    def loss(self, pooled1: torch.Tensor, pooled2: torch.Tensor) -> torch.Tensor:
        q1, q2 = self.probabilities(pooled1), self.probabilities(pooled2)
        b1, b2 = sign_ste(q1 - 0.5), sign_ste(q2 - 0.5)
        return nt_xent(b1, b2, self.tau) + self.kl_weight * bernoulli_kl(q1, q2)
