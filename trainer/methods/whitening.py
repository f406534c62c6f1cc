"""Learned discriminative whitening, then random-rotation hashing: a closed-form instance code.

Each photo is its own class and its K cached views (``edits``: a user's copies of it) are the class's
samples. Fisher's criterion then asks for the directions along which copies of one photo stay
together while different photos spread apart: whiten the within-photo scatter S_w (regularised by
``reg`` · trace/D · I), take the top ``keep`` eigenvectors of the between-photo scatter S_b in that
whitened space, and hash by the signs of a random orthonormal projection of those ``keep`` dimensions
to ``bits`` (the sign-random-projection LSH of Charikar 2002, where the distance between two photos
is now measured in units of how far a user's edit moves a photo). This is the "learned whitening" of
Mikolajczyk & Matas (ICCV 2007) and Radenović, Tolias & Chum (TPAMI 2018, arXiv 1711.02512), where
matching pairs came from 3-D reconstructions and here come from the edit views.

What it measured (docs/benchmark.md, issue 4), and why it does not ship. On the calibration half
(8 ``edits`` views of the training photos) it found 0.66-0.75 of the edited copies at precision ≥ 0.99
over rotation seeds 0-4, against 0.59-0.62 for the contrastive heads, and a split of that half in two
carried the radius over. On the test half its precision at the calibrated radius 8 fell to 0.925
(recall 0.650); at precision ≥ 0.99 it finds 0.50 (radius 6), less than the shipped contrastive head's
0.59. A contrastive loss pushes every other photo away; whitening only spreads photos on average, so a
few unrelated photos land within a few bits of an original and of all its copies, and where that
happens depends on the photos. Settings, each measured on the calibration half:
- ``keep`` 256 of 1280: 128 loses recall, 384-512 gain nothing.
- ``reg`` 1e-2: 1e-3 reaches 0.80 with one rotation but 0.30 with another; 1e-2 varies less (0.66-0.75).
- The unscaled whitened dimensions: scaling them by the between-photo spread gives half the recall.
- A random rotation, not ITQ: ITQ's rotation groups photos by subject (recall 0.23-0.60).
- Not fine-tuned afterwards with NT-Xent: that lowered recall to 0.69 (linear) and 0.54 (MLP).
"""

from __future__ import annotations

import torch
from torch import nn

from .common import check_positive


class Whitening(nn.Module):
    needs_tokens = False
    closed_form = True  # fitted once on the cached views by ``fit``: no loss, no epochs

    def __init__(self, dim: int, bits: int, *, keep: int = 256, reg: float = 1e-2, seed: int = 0):
        super().__init__()
        check_positive(bits=bits, keep=keep, reg=reg)
        if not bits <= keep <= dim:
            raise ValueError(f"keep must be between bits ({bits}) and the feature width ({dim}), got {keep}")
        self.keep, self.reg, self.seed = keep, reg, seed
        self.register_buffer("mean", torch.zeros(dim))
        self.register_buffer("projection", torch.zeros(dim, bits))

    @torch.no_grad()
    def fit(self, views: torch.Tensor) -> None:
        """views [n photos, K views, D]: the cached pooled features (K ≥ 2)."""
        n, k, d = views.shape
        if n < 2 or k < 2:
            raise ValueError(f"whitening needs at least 2 photos with 2 views each, got {n} × {k}")
        x = views.double()
        mean = x.reshape(-1, d).mean(0)
        per_photo = x.mean(1)
        within = (x - per_photo[:, None]).reshape(-1, d)
        s_w = within.T @ within / len(within)
        between = per_photo - mean
        s_b = between.T @ between / n
        values, vectors = torch.linalg.eigh(s_w + self.reg * s_w.trace() / d * torch.eye(d, dtype=x.dtype))
        whiten = vectors / values.clamp_min(1e-12).sqrt()
        spread, directions = torch.linalg.eigh(whiten.T @ s_b @ whiten)
        # past n - 1 directions the photos do not spread at all (a small library): keep only those that do
        keep = max(self.projection.shape[1], min(self.keep, n - 1))
        lda = whiten @ directions[:, spread.argsort(descending=True)[:keep]]
        generator = torch.Generator().manual_seed(self.seed)
        rotation, _ = torch.linalg.qr(torch.randn(keep, keep, generator=generator, dtype=x.dtype))
        self.mean.copy_(mean.float())
        self.projection.copy_((lda @ rotation[:, : self.projection.shape[1]]).float())

    def encode(self, pooled: torch.Tensor) -> torch.Tensor:
        """Pre-sign codes in (-1, 1)."""
        return torch.tanh((pooled - self.mean) @ self.projection)
