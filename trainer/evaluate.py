"""Retrieval evaluation: mAP@K by Hamming ranking, exactly as DESIGN.md 8.4, and precision–recall
curves by Hamming radius.

For each query the database is ranked by Hamming distance, ties broken by database index (so the
figure is reproducible); AP@K averages the precision at each relevant hit within the top K and
divides by the number of relevant hits there (0 when there is none); mAP is the mean over queries.

The PR curve has one point per radius r = 0..bits: everything within distance r of a query is
retrieved; precision and recall are pooled over all queries (relevant retrieved / retrieved,
relevant retrieved / relevant), the usual hashing-paper curve. Radii retrieving nothing are left out.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from engine import codes
from engine.images import decode_image
from engine.index import HammingIndex
from engine.model import HashModel, prepare

from .data import RetrievalSplit, cifar10_split, imagenette_split

DATASETS = {"cifar10": cifar10_split, "imagenette": imagenette_split}
TOP_K = {"cifar10": 1000, "imagenette": 1000}


def average_precision_at_k(relevant: np.ndarray) -> float:
    """``relevant``: bool [K], the relevance of the top-K ranked items in order."""
    hits = np.flatnonzero(relevant)
    if not len(hits):
        return 0.0
    precision_at_hits = np.arange(1, len(hits) + 1) / (hits + 1)
    return float(precision_at_hits.mean())


def mean_average_precision(query_codes: np.ndarray, query_labels: np.ndarray, db_codes: np.ndarray,
                           db_labels: np.ndarray, top_k: int) -> float:
    """Packed codes uint8 [Q, B] and [D, B]; labels int [Q] and [D]."""
    index = HammingIndex(db_codes)
    scores = []
    for code, label in zip(query_codes, query_labels):
        ids, _ = index.knn(code, top_k)
        scores.append(average_precision_at_k(db_labels[ids] == label))
    return float(np.mean(scores))


def precision_recall_by_radius(query_codes: np.ndarray, query_labels: np.ndarray, db_codes: np.ndarray,
                               db_labels: np.ndarray, bits: int, chunk: int = 64) -> dict:
    """{"radius", "precision", "recall"} lists, pooled over queries (see the module docstring)."""
    retrieved = np.zeros(bits + 1, np.int64)  # per radius: pairs at exactly that distance
    relevant = np.zeros(bits + 1, np.int64)
    for start in range(0, len(query_codes), chunk):
        d = codes.hamming(query_codes[start:start + chunk], db_codes)
        same = query_labels[start:start + chunk, None] == db_labels[None, :]
        retrieved += np.bincount(d.ravel(), minlength=bits + 1)[: bits + 1]
        relevant += np.bincount(d[same], minlength=bits + 1)[: bits + 1]
    retrieved, relevant = np.cumsum(retrieved), np.cumsum(relevant)
    total_relevant = max(int(relevant[-1]), 1)
    keep = retrieved > 0
    return {"radius": np.flatnonzero(keep).tolist(),
            "precision": np.round(relevant[keep] / retrieved[keep], 5).tolist(),
            "recall": np.round(relevant[keep] / total_relevant, 5).tolist()}


def plot_pr_curves(curves: dict[str, dict], path: str | os.PathLike[str], title: str) -> Path:
    """One PNG with a precision–recall curve per name (matplotlib, no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 4.2), dpi=120)
    for name, curve in curves.items():
        ax.plot(curve["recall"], curve["precision"], marker=".", markersize=3, linewidth=1.2, label=name)
    ax.set(xlabel="recall", ylabel="precision", xlim=(0, 1), ylim=(0, 1.02), title=title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def encode_members(model: HashModel, zip_path: Path, members: list[str], progress: Callable[[int], None],
                   batch: int = 256) -> np.ndarray:
    """Encode zip members through the engine (its decoder, the model's own preprocessing, ONNX Runtime)."""
    import zipfile

    out = []
    with zipfile.ZipFile(zip_path) as zf:
        for start in range(0, len(members), batch):
            names = members[start:start + batch]
            pixels = [prepare(decode_image(zf.read(n), n, min_side=model.info.input_size).image, model.info)
                      for n in names]
            out.append(model.encode(np.stack(pixels)))
            progress(len(names))
    return np.concatenate(out)


def evaluate_model(model_path: str | os.PathLike[str], dataset: str, zip_path: str | os.PathLike[str], *,
                   seed: int = 0, progress: Callable[[int, int], None] = lambda done, total: None) -> dict:
    """mAP@K of an exported model on a labeled set's retrieval protocol."""
    model = HashModel.load(model_path)
    split: RetrievalSplit = DATASETS[dataset](zip_path, seed=seed)
    needed = split.query + split.database
    total, done = len(needed), 0

    def tick(n):
        nonlocal done
        done += n
        progress(done, total)

    labels = np.asarray(split.labels)
    q = encode_members(model, Path(zip_path), [split.members[i] for i in split.query], tick)
    d = encode_members(model, Path(zip_path), [split.members[i] for i in split.database], tick)
    top_k = TOP_K[dataset]
    ql, dl = labels[split.query], labels[split.database]
    value = mean_average_precision(q, ql, d, dl, top_k)
    return {"dataset": dataset, "model": str(model.path), "bits": model.info.bits, "method": model.info.method,
            "metric": f"mAP@{top_k}", "value": round(value, 4), "queries": len(split.query),
            "database": len(split.database), "seed": seed,
            "pr_curve": precision_recall_by_radius(q, ql, d, dl, model.info.bits)}
