"""WCH: Weighted Contrastive Hashing (Yu, Qiu, Chen, Zhang, ACCV 2022, arXiv 2209.14099).

The idea: plain contrastive hashing treats every other photo in the batch as an equally wrong
answer. WCH measures, from patch-level features, how similar two photos really are, and distils
that similarity into the codes: a soft-target cross-entropy whose target row for photo i is the
weight W_ij = exp((S_ij − S_ii) / T_w) (W = I gives InfoNCE). Details follow DESIGN.md 8.1:

- tokens: the backbone's patch features X ∈ R^{N×D} per view (for a CNN, the cells of the last
  feature map, e.g. MobileNetV2's 7×7 grid);
- mutual attention (no parameters, T_a = 1): C_pq = cos(x¹_p, x²_q); X̃¹ = softmax_p(Cᵀ/T_a) X¹
  (view-1 content at view-2's positions), X̃² = softmax_q(C/T_a) X². Training only; at test time the
  raw tokens go to the head;
- hash head: u = LayerNorm(mean of tokens), a = tanh(W₂ ReLU(W₁ u)), W₁: D→1024, W₂: 1024→d;
  h = sign(a) with a straight-through gradient;
- S_ij = mean_p max_q cos(x̃¹_{i,p}, x̃²_{j,q});
- L = −(1/n) Σ_i Σ_j W_ij log softmax_j(⟨h¹_i, h²_j⟩ / (d τ)) + mean_k (mean_i h¹_ik)², τ = 0.3,
  T_w = 0.2.

Our choices (the paper is silent):

- A token adapter: one linear layer D→D on every token, initialised to the identity, before the
  mutual attention (and so also in the exported encoder). In the paper the backbone is fine-tuned
  and W is not detached, so the loss's gradient through W makes the patch features tell photos
  apart; with a frozen backbone that gradient has nowhere to go and W stays a fixed target. On
  frozen MobileNetV2 features of CIFAR-10, the two views of a photo are each other's most similar
  patch set only about half the time (128-photo batches), so a fixed W teaches the codes mostly noise.
  Measured (CIFAR-10, 64 bits, 10 epochs on the frozen cache, mAP@1000): without the adapter 0.138
  (the untrained head gives 0.214); with it 0.447; W = I (plain InfoNCE) 0.440.
- ``detach_weights``: whether W is detached. Default False, as the official code. With the adapter
  and W detached, mAP@1000 falls to 0.105 in the same setting: the gradient through W is what
  trains the adapter to separate photos.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .common import check_positive, sign_ste


def mutual_attention(x1: torch.Tensor, x2: torch.Tensor, temperature: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Each view re-expressed at the other view's positions.

    x1, x2: [n, N, D] tokens of the two views of the same n photos. Returns (X̃¹, X̃²), both [n, N, D]:
    X̃¹[q] = Σ_p softmax_p(C[p, q] / T) x¹[p] and X̃²[p] = Σ_q softmax_q(C[p, q] / T) x²[q].
    """
    # n: photo, p: token of view 1, q: token of view 2, d: feature.
    c = torch.einsum("npd,nqd->npq", F.normalize(x1, dim=-1), F.normalize(x2, dim=-1))
    x1_at_2 = torch.einsum("npq,npd->nqd", torch.softmax(c / temperature, dim=1), x1)
    x2_at_1 = torch.einsum("npq,nqd->npd", torch.softmax(c / temperature, dim=2), x2)
    return x1_at_2, x2_at_1


def patch_similarity(t1: torch.Tensor, t2: torch.Tensor, chunk: int = 8) -> torch.Tensor:
    """S[i, j] = mean over p of max over q of cos(t1[i, p], t2[j, q]); t1, t2: [n, N, D] -> [n, n].

    Computed ``chunk`` rows of photos at a time: the full tensor is n²·N² cosines.
    """
    a, b = F.normalize(t1, dim=-1), F.normalize(t2, dim=-1)
    rows = []
    for start in range(0, a.shape[0], chunk):
        # i: photo of view 1, j: photo of view 2, p / q: their tokens.
        cos = torch.einsum("ipd,jqd->ijpq", a[start : start + chunk], b)
        rows.append(cos.amax(dim=3).mean(dim=2))
    return torch.cat(rows)


def similarity_weights(s: torch.Tensor, temperature: float = 0.2) -> torch.Tensor:
    """W_ij = exp((S_ij − S_ii) / T_w): the row softmax divided by its diagonal, so W_ii = 1."""
    return torch.exp((s - s.diagonal().unsqueeze(1)) / temperature)


def wch_loss(h1: torch.Tensor, h2: torch.Tensor, weights: torch.Tensor, tau: float = 0.3) -> torch.Tensor:
    """Soft-target contrastive loss plus bit balance. h1, h2: [n, d] codes (±1); weights: [n, n]."""
    d = h1.shape[1]
    logits = h1 @ h2.T / (d * tau)
    distil = -(weights * torch.log_softmax(logits, dim=1)).sum(dim=1).mean()
    balance = h1.mean(dim=0).pow(2).mean()
    return distil + balance


class WCHHead(nn.Module):
    """u = LayerNorm(mean of tokens); a = tanh(W₂ ReLU(W₁ u)): the pre-sign codes the ONNX model outputs."""

    def __init__(self, dim: int, bits: int, hidden: int = 1024):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(), nn.Linear(hidden, bits))

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.mlp(self.norm(tokens.mean(dim=1))))


class WCH(nn.Module):
    """WCH on top of patch tokens [n, N, D] (the backbone is outside: frozen or fine-tuned by the caller).

    The adapter is linear, so the mean of adapted tokens is the adapted mean: a CNN's pooled feature
    given as a grid of one token encodes exactly as its full grid does.
    """

    needs_tokens = True

    def __init__(
        self, dim: int, bits: int, *, tau: float = 0.3, weight_temperature: float = 0.2,
        attention_temperature: float = 1.0, detach_weights: bool = False,
    ):
        super().__init__()
        check_positive(bits=bits, tau=tau, weight_temperature=weight_temperature,
                       attention_temperature=attention_temperature)
        self.adapter = nn.Linear(dim, dim)
        nn.init.eye_(self.adapter.weight)
        nn.init.zeros_(self.adapter.bias)
        self.head = WCHHead(dim, bits)
        self.tau, self.weight_temperature = tau, weight_temperature
        self.attention_temperature, self.detach_weights = attention_temperature, detach_weights

    def encode(self, tokens: torch.Tensor) -> torch.Tensor:
        """Test time: tokens [n, N, D] (no mutual attention) -> pre-sign codes [n, bits] in (-1, 1)."""
        return self.head(self.adapter(tokens))

    def loss(self, tokens1: torch.Tensor, tokens2: torch.Tensor) -> torch.Tensor:
        x1, x2 = mutual_attention(self.adapter(tokens1), self.adapter(tokens2), self.attention_temperature)
        weights = similarity_weights(patch_similarity(x1, x2), self.weight_temperature)
        if self.detach_weights:
            weights = weights.detach()
        return wch_loss(sign_ste(self.head(x1)), sign_ste(self.head(x2)), weights, self.tau)
