"""Retrieval evaluation: mAP@K by Hamming ranking, exactly as DESIGN.md 8.4.

For each query the database is ranked by Hamming distance, ties broken by database index (so the
figure is reproducible); AP@K averages the precision at each relevant hit within the top K and
divides by the number of relevant hits there (0 when there is none); mAP is the mean over queries.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

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
    value = mean_average_precision(q, labels[split.query], d, labels[split.database], top_k)
    return {"dataset": dataset, "model": str(model.path), "bits": model.info.bits, "method": model.info.method,
            "metric": f"mAP@{top_k}", "value": round(value, 4), "queries": len(split.query),
            "database": len(split.database), "seed": seed}
