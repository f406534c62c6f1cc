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
from dataclasses import dataclass
from collections.abc import Callable
from pathlib import Path

import numpy as np

from engine import codes
from engine.images import decode_image
from engine.index import HammingIndex
from engine.model import HashModel

from .data import RetrievalSplit, cifar10_split, imagenette_split

DATASETS = {"cifar10": cifar10_split, "imagenette": imagenette_split}
TOP_K = {"cifar10": 1000, "imagenette": 1000}
DUPLICATE_PRECISION = 0.99  # the duplicate radius: the largest whose copy-pair precision is at least this


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


def plot_pr_curves(curves: dict[str, dict], path: str | os.PathLike[str], title: str, emphasise: str = "") -> Path:
    """One PNG with a precision–recall curve per name (matplotlib, no display needed); ``emphasise``'s in bold black."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    many = len(curves) > 10  # the default cycle repeats after ten colours: twenty, and the legend beside the plot
    fig, ax = plt.subplots(figsize=(8.5, 4.2) if many else (5.5, 4.2), dpi=120)
    colours = plt.get_cmap("tab20").colors if many else [None] * len(curves)
    for (name, curve), colour in zip(curves.items(), colours):
        bold = name == emphasise
        ax.plot(curve["recall"], curve["precision"], marker=".", markersize=3, linewidth=2.4 if bold else 1.2,
                label=name, color="black" if bold else colour, zorder=3 if bold else 2)
    ax.set(xlabel="recall", ylabel="precision", xlim=(0, 1), ylim=(0, 1.02), title=title)
    ax.grid(alpha=0.3)
    if many:
        ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.02, 0.5))
    else:
        ax.legend(fontsize=8)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def encode_members(model: HashModel, zip_path: Path, members: list[str], progress: Callable[[int], None],
                   batch: int = 256) -> tuple[np.ndarray, np.ndarray | None]:
    """Encode zip members through the engine (its decoder, the model's own preprocessing, ONNX Runtime): the packed
    duplicate codes, and the similarity codes (None: the model has one code)."""
    import zipfile

    duplicate, similar = [], []
    with zipfile.ZipFile(zip_path) as zf:
        for start in range(0, len(members), batch):
            names = members[start:start + batch]
            dup, sim = model.encode_images_both([decode_image(zf.read(n), n, min_side=model.info.input_size).image
                                                 for n in names])
            duplicate.append(dup)
            similar.append(sim)
            progress(len(names))
    return np.concatenate(duplicate), None if similar[0] is None else np.concatenate(similar)


def evaluate_model(model_path: str | os.PathLike[str], dataset: str, zip_path: str | os.PathLike[str], *,
                   seed: int = 0, progress: Callable[[int, int], None] = lambda done, total: None) -> dict:
    """mAP@K of an exported model on a labeled set's retrieval protocol, by the code that ``search`` ranks with (the
    similarity code where the model has one); a model with two codes also gets the duplicate code's figures under
    ``duplicate_code``."""
    model = HashModel.load(model_path)
    split: RetrievalSplit = DATASETS[dataset](zip_path, seed=seed)
    needed = split.query + split.database
    total, done = len(needed), 0

    def tick(n):
        nonlocal done
        done += n
        progress(done, total)

    labels = np.asarray(split.labels)
    q, q_similar = encode_members(model, Path(zip_path), [split.members[i] for i in split.query], tick)
    d, d_similar = encode_members(model, Path(zip_path), [split.members[i] for i in split.database], tick)
    top_k = TOP_K[dataset]
    ql, dl = labels[split.query], labels[split.database]

    def figures(query, database, bits):
        return {"bits": bits, "metric": f"mAP@{top_k}",
                "value": round(mean_average_precision(query, ql, database, dl, top_k), 4),
                "pr_curve": precision_recall_by_radius(query, ql, database, dl, bits)}

    info = model.info
    common = {"dataset": dataset, "model": str(model.path), "queries": len(split.query),
              "database": len(split.database), "seed": seed}
    if q_similar is None:
        return {**common, "code": "one", "method": info.method, **figures(q, d, info.bits)}
    return {**common, "code": "similar", "method": info.similar_method, **figures(q_similar, d_similar, info.similar_bits),
            "duplicate_code": {"method": info.method, **figures(q, d, info.bits)}}


# -- near-duplicate benchmark ------------------------------------------------------------------------
#
# Items are originals, their edited copies, and distractors. A *positive* pair is an edited copy and
# its original; a *negative* pair is two items from different photos (distractors are each their own
# photo). Two edits of the same original are the same photo too, but their difficulty compounds two
# edits, so those pairs count as neither. Distances come in integer bins: the Hamming distance for
# codes, a binned dissimilarity for float features; "radius r" retrieves every pair at bin <= r.


@dataclass(frozen=True)
class NearDupItems:
    source: np.ndarray  # int [N]: the original an item comes from; distractors get unique negative ids
    edit: np.ndarray  # str [N]: the edit's name; "" for originals and distractors
    label: np.ndarray  # int [N]: a distractor's class (Imagenette), -1 when it has none

    @property
    def is_edit(self) -> np.ndarray:
        return self.edit != ""


def near_duplicate_counts(distances: Callable[[int, int], np.ndarray], items: NearDupItems, bins: int,
                          chunk: int = 256) -> dict:
    """Histograms by distance bin of every pair kind, and each edited copy's rank of its original.

    ``distances(start, stop)`` gives int [stop - start, N] in 0..bins-1 for rows start..stop.
    The rank is pessimistic on ties (the original comes after every other item at its distance); the
    ranked set is everything but the query and the other edits of its original.
    """
    n = len(items.source)
    source, is_edit, label = items.source, items.is_edit, items.label
    original_of = {int(s): i for i, s in enumerate(source) if s >= 0 and not is_edit[i]}
    edit_names = sorted(set(items.edit[is_edit].tolist()))
    edit_index = {name: k for k, name in enumerate(edit_names)}
    positive_by_edit = np.zeros((len(edit_names), bins), np.int64)
    negative = np.zeros(bins, np.int64)
    same_class = np.zeros(bins, np.int64)  # different distractor photos of one class
    other_class = np.zeros(bins, np.int64)  # distractor photos of different classes
    ranks = np.zeros(n, np.int64)
    columns = np.arange(n)
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        d = distances(start, stop)
        rows = np.arange(start, stop)
        upper = columns[None, :] > rows[:, None]
        same = source[rows, None] == source[None, :]
        pos = same & (is_edit[rows, None] != is_edit[None, :]) & upper
        neg = ~same & upper
        negative += np.bincount(d[neg], minlength=bins)[:bins]
        labelled = (label[rows, None] >= 0) & (label[None, :] >= 0) & neg
        same_label = label[rows, None] == label[None, :]
        same_class += np.bincount(d[labelled & same_label], minlength=bins)[:bins]
        other_class += np.bincount(d[labelled & ~same_label], minlength=bins)[:bins]
        for r, c in zip(*np.nonzero(pos)):
            e = r + start if is_edit[r + start] else c
            positive_by_edit[edit_index[items.edit[e]], d[r, c]] += 1
        for r in np.flatnonzero(is_edit[rows]):
            i = start + r
            target = d[r, original_of[int(source[i])]]
            ranked = ~(same[r] & is_edit) & (columns != i)
            ranks[i] = int(np.count_nonzero(d[r, ranked] <= target))
    return {"bins": bins, "edits": edit_names, "positive_by_edit": positive_by_edit, "negative": negative,
            "same_class": same_class, "other_class": other_class, "ranks": ranks[is_edit],
            "rank_edits": items.edit[is_edit]}


def near_duplicate_curve(counts: dict) -> dict:
    """Pooled precision / recall / F1 at every radius (radii retrieving nothing are left out)."""
    tp = np.cumsum(counts["positive_by_edit"].sum(axis=0))
    fp = np.cumsum(counts["negative"])
    retrieved = tp + fp
    keep = retrieved > 0
    precision = np.divide(tp, retrieved, out=np.ones_like(tp, dtype=float), where=keep)
    recall = tp / max(int(tp[-1]), 1)
    f1 = np.divide(2 * precision * recall, precision + recall, out=np.zeros_like(recall), where=precision + recall > 0)
    return {"radius": np.flatnonzero(keep).tolist(), "precision": np.round(precision[keep], 5).tolist(),
            "recall": np.round(recall[keep], 5).tolist(), "f1": np.round(f1[keep], 5).tolist()}


def code_counts(packed: np.ndarray, items: NearDupItems, gates=()) -> dict:
    """:func:`near_duplicate_counts` of packed codes by Hamming distance; with ``gates`` (engine.index), a pair
    that passes none is put at the last bin (all bits), beyond every calibrated radius, as the engine's duplicate
    finder drops it."""
    bits = packed.shape[1] * 8

    def distances(a, b):
        d = codes.hamming(packed[a:b], packed)
        if gates:
            passes = np.zeros(d.shape, bool)
            for first, end, radius in gates:
                passes |= codes.hamming(packed[a:b, first // 8:end // 8], packed[:, first // 8:end // 8]) <= radius
            d[~passes] = bits
        return d

    return near_duplicate_counts(distances, items, bits + 1)


def calibrate_radius(positive: np.ndarray, negative: np.ndarray, min_precision: float) -> int:
    """The largest radius whose pooled precision is at least ``min_precision`` (-1: none is)."""
    tp, fp = np.cumsum(positive), np.cumsum(negative)
    retrieved = tp + fp
    good = np.flatnonzero((retrieved > 0) & (tp >= min_precision * retrieved))
    return int(good[-1]) if len(good) else -1


def near_duplicate_report(counts: dict, radius: int) -> dict:
    """Everything the benchmark states about one method at one radius."""
    upto = slice(0, radius + 1)
    positives = counts["positive_by_edit"]
    tp, fp = int(positives[:, upto].sum()), int(counts["negative"][upto].sum())
    total = int(positives.sum())
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / total if total else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    same_class_pairs = int(counts["same_class"].sum())
    ranks, rank_edits = counts["ranks"], counts["rank_edits"]
    return {
        "radius": radius, "precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
        "true_pairs": tp, "false_pairs": fp,
        "recall_by_edit": {e: round(float(positives[k, upto].sum() / max(positives[k].sum(), 1)), 4)
                           for k, e in enumerate(counts["edits"])},
        "recall_at_1": round(float(np.mean(ranks <= 1)), 4), "recall_at_10": round(float(np.mean(ranks <= 10)), 4),
        "recall_at_1_by_edit": {e: round(float(np.mean(ranks[rank_edits == e] <= 1)), 4) for e in counts["edits"]},
        "same_class_false_rate": round(int(counts["same_class"][upto].sum()) / max(same_class_pairs, 1), 5),
        "same_class_false_pairs": int(counts["same_class"][upto].sum()), "same_class_pairs": same_class_pairs,
    }
