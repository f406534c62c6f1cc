"""The frozen mode's cache of views (``trainer.fit``).

Why a cache: with the backbone frozen, its output for a given augmented view never changes, so each photo's
K augmented views are encoded once (pooled features, and for WCH a patch grid reduced to ``grid``×``grid`` by
average pooling, stored as float16) and the heads then train for many epochs on the cache alone. That is what
makes "Retrain on my library" practical on a laptop. The cache depends only on ``FitConfig.cache_key`` and on
which photos it was built from, so every method and code length can reuse it.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch.utils.data import DataLoader

from .backbones import Backbone, frozen_runner
from .checkpoints import StopFlag
from .config import FitConfig
from .data import VIEW_TRANSFORMS, TwoViews, UnlabeledPhotos, collate
from .errors import TrainerError

CACHE = "features.pt"
SIMILAR_CACHE = "similar-features.pt"  # a similarity code's views, where they are not the duplicate head's


def build_cache(photos: UnlabeledPhotos, backbone: Backbone, config: FitConfig, device: torch.device,
                work_dir: Path, progress: Callable[[dict], None], stop: StopFlag) -> dict:
    """Encode ``config.views`` augmented views of every photo once: pooled features and the token grid
    reduced to ``config.grid``², both float16 on the CPU. Every method can train on the same cache."""
    generator = torch.Generator().manual_seed(config.seed)
    torch.manual_seed(config.seed)
    photos.transform = TwoViews(VIEW_TRANSFORMS[config.augment](config.image_size))  # two views per decode; K/2 passes
    loader = DataLoader(photos, batch_size=32, shuffle=False, num_workers=config.workers, collate_fn=collate,
                        generator=generator)
    passes = math.ceil(config.views / 2)
    pooled = torch.zeros(len(photos), passes * 2, backbone.dim, dtype=torch.float16)
    tokens = torch.zeros(len(photos), passes * 2, config.grid * config.grid, backbone.dim, dtype=torch.float16)
    ok = torch.zeros(len(photos), dtype=torch.bool)
    skipped = {}
    done, total, start = 0, passes * len(photos), time.monotonic()
    run = frozen_runner(backbone, device, work_dir, config.image_size)
    with torch.no_grad():
        for p in range(passes):
            for indices, views, bad in loader:
                if stop.raised:
                    raise KeyboardInterrupt
                for s in bad:
                    skipped[s.path] = s
                done += len(indices) + len(bad)
                if len(indices):
                    ok[indices] = True
                    for v, view in enumerate(views):
                        slot = 2 * p + v
                        pool, grid = run(view)
                        pooled[indices, slot] = pool.half().cpu()
                        side = math.isqrt(grid.shape[1])
                        g = grid.float().transpose(1, 2).reshape(len(indices), -1, side, side)
                        g = torch.nn.functional.adaptive_avg_pool2d(g, config.grid).flatten(2).transpose(1, 2)
                        tokens[indices, slot] = g.half().cpu()
                rate = done / max(time.monotonic() - start, 1e-9)
                progress({"event": "cache", "done": done, "total": total, "rate": round(rate, 2),
                          "eta_s": round((total - done) / rate, 1) if rate else None,
                          "pass": p + 1, "passes": passes, "photos": len(photos)})  # each pass reads every photo
    keep = ok.nonzero().flatten()
    if len(keep) < 4:
        reasons = "; ".join(str(s) for s in list(skipped.values())[:3])
        raise TrainerError(f"only {len(keep)} of {len(photos)} photos could be read (need at least 4). {reasons}")
    return {
        "pooled": pooled[keep, : config.views],
        "tokens": tokens[keep, : config.views],
        "paths": [photos.paths[i] for i in keep.tolist()],
        "skipped": [[s.path, s.reason] for s in skipped.values()],
        "key": config.cache_key(),
        "source": source_id(photos.paths),
    }


def source_id(paths: list[str]) -> str:
    """Which photos a cache was built from: a cache of another folder must never be reused."""
    return hashlib.blake2b("\n".join(paths).encode(), digest_size=16).hexdigest()
