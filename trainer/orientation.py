"""Which way up: a small head on the backbone's token grid that tells a photo's quarter turn.

A copy written by a viewer's "rotate" button keeps almost none of its original's bits, because frozen CNN
features are not rotation invariant (photohash64 found 10 % of quarter turns; pooling the four turns in
the model would cost four encodes per photo). Instead the model says how the image looks turned, and the
engine (``engine.model``, output ``turn``) encodes a photo it is sure about turned back, at the cost of a
second encode for those photos only.

The head is trained without labels, as RotNet does (Gidaris et al., ICLR 2018): every photo is shown at
its four quarter turns, and the turn is the label. Half of the images are first changed by a random user
edit (crop, colour, caption, JPEG...; never a turn), so that a copy gets the same verdict as its original.
It is a logistic regression on the token grid average-pooled to 3×3 (where the sky is), standardised.
The confidence the engine asks for is set on photos held out of the fit: the lowest softmax at which at
most ``MAX_WRONGLY_TURNED`` of the held-out upright images would be turned.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from engine.model import ModelInfo, prepare
from engine.retrain import UPRIGHT_MAX_PHOTOS as MAX_PHOTOS
from engine.retrain import UPRIGHT_MIN_PHOTOS as MIN_PHOTOS

from .backbones import IMAGENET_MEAN, IMAGENET_STD, frozen_runner
from .data import UnlabeledPhotos, collate
from .edits import random_edit

GRID = 3  # the token grid is average-pooled to GRID × GRID cells
EDITED = 0.5  # share of training images changed by a random user edit before they are turned
HELD_OUT = 0.2  # share of the photos kept out of the fit to set the confidence
MAX_WRONGLY_TURNED = 0.02  # at most this share of held-out upright images may be turned by the engine
WEIGHT_DECAY = 0.1  # on the standardised features; 0.001-0.01 fit the training photos too closely
CONFIDENCES = np.round(np.arange(0.5, 0.995, 0.01), 2)


def pool_matrix(side: int, grid: int = GRID) -> torch.Tensor:
    """[grid², side²]: averages the token grid into grid × grid cells, the bins of adaptive_avg_pool2d
    (written as a matrix product so that it exports to ONNX for any grid size)."""
    bins = [(math.floor(i * side / grid), math.ceil((i + 1) * side / grid)) for i in range(grid)]
    out = torch.zeros(grid * grid, side * side)
    for r, (top, bottom) in enumerate(bins):
        for c, (left, right) in enumerate(bins):
            cell = torch.zeros(side, side)
            cell[top:bottom, left:right] = 1 / ((bottom - top) * (right - left))
            out[r * grid + c] = cell.flatten()
    return out


class UprightHead(nn.Module):
    """tokens [n, side², D] -> logits [n, 4] of "the upright photo turned k quarter turns counter-clockwise"."""

    def __init__(self, dim: int, side: int):
        super().__init__()
        self.register_buffer("pool", pool_matrix(side))
        self.register_buffer("mean", torch.zeros(GRID * GRID * dim))
        self.register_buffer("std", torch.ones(GRID * GRID * dim))
        self.linear = nn.Linear(GRID * GRID * dim, 4)

    def cells(self, tokens: torch.Tensor) -> torch.Tensor:
        return (self.pool @ tokens).flatten(1)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.linear((self.cells(tokens) - self.mean) / self.std)


@dataclass
class Upright:
    head: UprightHead
    confidence: float  # the engine's ``upright_confidence``
    held_out: dict  # what the held-out photos measured at that confidence
    skipped: list


class FourTurns:
    """A photo as the engine prepares it (``info``'s resize rule), turned 0, 1, 2 and 3 quarter turns
    counter-clockwise, each first changed by a random user edit with probability ``EDITED``."""

    def __init__(self, info: ModelInfo):
        self.info = info
        self.mean = torch.tensor(IMAGENET_MEAN).view(3, 1, 1)
        self.std = torch.tensor(IMAGENET_STD).view(3, 1, 1)

    def __call__(self, image) -> tuple[torch.Tensor, ...]:
        rng = np.random.default_rng(int(torch.randint(2**62, ())))
        out = []
        for k in range(4):
            view = random_edit(image, rng, exclude=("turn",)) if rng.random() < EDITED else image
            pixels = np.rot90(prepare(view, self.info), k, axes=(0, 1))
            x = torch.from_numpy(pixels.copy()).permute(2, 0, 1).float() / 255
            out.append((x - self.mean) / self.std)
        return tuple(out)


def turned_cells(photos: UnlabeledPhotos, head: UprightHead, run: Callable, info: ModelInfo, *, workers: int,
                 seed: int, progress: Callable[[dict], None], stop: Callable[[], bool]):
    """The pooled grid cells of every readable photo at its four turns (float16 [n, 4, GRID² · D]), and the
    [path, reason] of the photos that could not be read."""
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    photos.transform = FourTurns(info)
    loader = DataLoader(photos, batch_size=32, shuffle=False, num_workers=workers, collate_fn=collate,
                        generator=generator)
    cells, skipped = [], []
    done, start = 0, time.monotonic()
    with torch.no_grad():
        for indices, views, bad in loader:
            if stop():
                raise KeyboardInterrupt
            skipped += [[s.path, s.reason] for s in bad]
            done += len(indices) + len(bad)
            if len(indices):
                turns = [head.cells(run(view)[1].float().cpu()).half() for view in views]  # an accelerator's tokens too
                cells.append(torch.stack(turns, dim=1))
            rate = done / max(time.monotonic() - start, 1e-9)
            progress({"event": "upright", "done": done, "total": len(photos), "rate": round(rate, 2),
                      "eta_s": round((len(photos) - done) / rate, 1) if rate else None})
    return (torch.cat(cells) if cells else torch.zeros(0, 4, 0)), skipped


def fit_upright(photos: UnlabeledPhotos, backbone, info: ModelInfo, *, device: torch.device, work_dir,
                workers: int = 0, seed: int = 0, progress: Callable[[dict], None] = lambda event: None,
                stop: Callable[[], bool] = lambda: False) -> Upright | None:
    """Learn the turn head on ``photos`` (no labels needed; at most MAX_PHOTOS of them, a seeded sample) and
    set its confidence on held-out photos. None when fewer than MIN_PHOTOS photos can be read (too few to hold
    some out and trust the verdicts), or when no confidence keeps the held-out upright photos upright."""
    if len(photos) < MIN_PHOTOS:
        return None
    if len(photos) > MAX_PHOTOS:
        chosen = np.sort(np.random.default_rng(seed).choice(len(photos), MAX_PHOTOS, replace=False))
        photos = UnlabeledPhotos([photos.paths[i] for i in chosen], photos.transform)
    run = frozen_runner(backbone, device, work_dir, info.input_size)
    head = UprightHead(backbone.dim, math.isqrt(run(torch.zeros(1, 3, info.input_size, info.input_size))[1].shape[1]))
    cells, skipped = turned_cells(photos, head, run, info, workers=workers, seed=seed, progress=progress,
                                     stop=stop)
    if len(cells) < MIN_PHOTOS:
        return None
    order = torch.randperm(len(cells), generator=torch.Generator().manual_seed(seed))
    cut = max(1, round(len(cells) * HELD_OUT))
    held, fit = cells[order[:cut]].float(), cells[order[cut:]].float()
    x = fit.reshape(-1, fit.shape[-1])
    y = torch.arange(4).repeat(len(fit))
    head.mean.copy_(x.mean(0))
    head.std.copy_(x.std(0) + 1e-3)
    x = (x - head.mean) / head.std
    torch.manual_seed(seed)
    head.linear.reset_parameters()
    optimizer = torch.optim.LBFGS(head.linear.parameters(), max_iter=200, line_search_fn="strong_wolfe")

    def loss():
        optimizer.zero_grad()
        value = nn.functional.cross_entropy(head.linear(x), y) + WEIGHT_DECAY * head.linear.weight.pow(2).sum()
        value.backward()
        return value

    optimizer.step(loss)
    if stop():
        raise KeyboardInterrupt
    with torch.no_grad():
        probs = head.linear((held.reshape(-1, held.shape[-1]) - head.mean) / head.std).softmax(1).numpy()
    confidence, measured = choose_confidence(probs, np.tile(np.arange(4), len(held)))
    return None if confidence is None else Upright(head.eval(), confidence, measured, skipped)


def choose_confidence(probs: np.ndarray, turns: np.ndarray) -> tuple[float | None, dict]:
    """The lowest confidence at which at most MAX_WRONGLY_TURNED of the upright images would be turned,
    and what it gives: the share of turned images that would be turned back right. None when even the
    highest confidence turns too many (such a head is not exported)."""
    sure, guess = probs.max(axis=1), probs.argmax(axis=1)
    upright = turns == 0
    for confidence in CONFIDENCES:
        acted = (guess != 0) & (sure >= confidence)
        wrongly = float(acted[upright].mean())
        if wrongly <= MAX_WRONGLY_TURNED:
            break
    else:
        confidence = None
    righted = float((acted & (guess == turns))[~upright].mean())
    return (None if confidence is None else float(confidence)), {"photos": len(turns) // 4, "accuracy": round(float((guess == turns).mean()), 4),
                               "upright_turned": round(wrongly, 4), "turned_righted": round(righted, 4)}
