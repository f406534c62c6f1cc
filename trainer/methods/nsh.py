"""NSH: "Learning to Hash Naturally Sorts" (Yu, Shen, Wang, Zhang, Torr, IJCAI 2022, arXiv 2201.13322).

The idea: rank the batch by code similarity with a differentiable sort, gather the latent features
in that order, and ask a contrastive loss (SortedNCE) that the top-ranked ones are the true
partners. The hash head learns only through the sorter (and the quantisation term), so the codes
learn to *sort* photos the way their latents say. Details follow DESIGN.md 8.2:

- per view: b = tanh(hash head(f(x))) ∈ (−1, 1)^d and z = normalise(latent head(f(x)));
- S = b¹ b²ᵀ / (2d) + ½ (= 1 − Hamming/d for binary codes);
- P_i = SoftSort(S_i, τ_s); E_i = P_i Z¹ (view-1 latents ordered by code similarity to i);
- c_ir = cos(E_ir, z²_i); the first m = 2 ranks are positives, the rest negatives:
  ℓ_i = (1/m) Σ_{r≤m} −log(e^{c_ir/τ} / (e^{c_ir/τ} + Σ_{k>m} e^{c_ik/τ})), τ = 0.3;
- L = mean_i ℓ_i + λ·MSE(b, sign(b)) (both views; λ: see below).

Our choices (not confirmed from the paper): the sorter's temperature τ_s·d falls from 16 to the paper's 1 over the
run (geometrically): a smooth sort first lets ranks far down the list pass gradient while the codes are still random.
On a frozen MobileNetV2, Imagenette mAP@1000 (tests/bench/bench_nsh_gap.py, docs/benchmark.md): 16 → 1: 0.884;
4 → 1: 0.858; a constant 2: 0.872; the paper's constant 1: 0.839; 1 → 0.25: 0.821. The hash head Linear→tanh and latent head Linear(→1024)→L2
on pooled features, as the known-good re-implementation; the quantisation term on both views;
and its weight λ = 0.1, not 1. With our learning rate (1e-3 on the heads of a frozen backbone,
100× the paper's), λ = 1 saturates the tanh early and the codes stop learning through the sorter.
Measured (CIFAR-10, 64 bits, frozen MobileNetV2, 10 epochs, mAP@1000): λ = 1: 0.305, 0.1: 0.399,
0.01: 0.411, 0: 0.410; λ = 0.1 keeps a pull towards ±1 at almost no cost. Also measured and not
taken: an MLP hash head (0.248), m = 1 positive (0.398), batch 128 (0.376), the transposed
similarity matrix (0.263), lr 1e-4 (0.280).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..sorting import soft_sort
from .common import check_positive


def sorted_nce(b1: torch.Tensor, b2: torch.Tensor, z1: torch.Tensor, z2: torch.Tensor, *,
               positives: int = 2, tau: float = 0.3, sort_tau: float | None = None) -> torch.Tensor:
    """SortedNCE. b1, b2: [n, d] relaxed codes; z1, z2: [n, k] L2-normalised latents; ``sort_tau`` None: 1/d.
    Returns a scalar."""
    n, d = b1.shape
    if not 0 < positives < n:
        raise ValueError(f"positives must be between 1 and batch size - 1 ({n - 1}), got {positives}")
    s = b1 @ b2.T / (2 * d) + 0.5
    p = soft_sort(s, sort_tau if sort_tau is not None else 1.0 / d)  # [n (photo i), n (rank r), n (item)]
    e = torch.einsum("irk,kc->irc", p, z1)  # i: photo, r: rank, k: item, c: latent channel
    c = F.cosine_similarity(e, z2.unsqueeze(1), dim=-1) / tau  # [n, n]: c_ir / τ
    pos, neg = c[:, :positives], c[:, positives:]
    neg_sum = torch.logsumexp(neg, dim=1, keepdim=True)  # log Σ_{k>m} e^{c_ik/τ}
    losses = -(pos - torch.logaddexp(pos, neg_sum))  # −log(e^pos / (e^pos + Σ e^neg))
    return losses.mean()


def quantisation(b: torch.Tensor) -> torch.Tensor:
    return F.mse_loss(b, torch.sign(b).detach())


class NSH(nn.Module):
    """NSH heads over pooled features [n, D]."""

    needs_tokens = False

    def __init__(self, dim: int, bits: int, *, latent_dim: int = 1024, positives: int = 2, tau: float = 0.3,
                 sort_anneal: tuple[float, float] = (16.0, 1.0), quantisation_weight: float = 0.1):
        """``sort_anneal``: τ_s·d at the start and at the end of training ((1, 1): the paper's constant 1/d)."""
        super().__init__()
        check_positive(bits=bits, latent_dim=latent_dim, positives=positives, tau=tau, sort_start=sort_anneal[0],
                       sort_end=sort_anneal[1])
        self.hash_head = nn.Linear(dim, bits)
        self.latent_head = nn.Linear(dim, latent_dim)
        self.positives, self.tau, self.sort_anneal = positives, tau, sort_anneal
        self.quantisation_weight = quantisation_weight
        self.progress = 0.0  # the fraction of training done; the trainer sets it before every step

    @property
    def sort_tau(self) -> float:
        """The sorter's temperature now, from ``progress``."""
        start, end = self.sort_anneal
        return start * (end / start) ** self.progress / self.hash_head.out_features

    def encode(self, pooled: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.hash_head(pooled))

    def loss(self, pooled1: torch.Tensor, pooled2: torch.Tensor) -> torch.Tensor:
        b1, b2 = self.encode(pooled1), self.encode(pooled2)
        z1 = F.normalize(self.latent_head(pooled1), dim=-1)
        z2 = F.normalize(self.latent_head(pooled2), dim=-1)
        nce = sorted_nce(b1, b2, z1, z2, positives=self.positives, tau=self.tau, sort_tau=self.sort_tau)
        return nce + self.quantisation_weight * (quantisation(b1) + quantisation(b2)) / 2
