"""Hamming search over packed binary codes: k nearest, all within a radius, and all pairs within a radius.

k-NN and radius queries are one exhaustive scan: FAISS's binary flat index where faiss is
installed (it measured fastest, see tests/bench/bench_index.py), else numpy XOR + popcount over
64-bit words; either way ties are ordered by position, so results are reproducible. The all-pairs join (the
near-duplicate finder) never compares every pair. It uses multi-index hashing, generalised:

    Split each code into m = r + t disjoint substrings. Two codes within distance r differ in at
    most r substrings, so they agree exactly on at least t of them (pigeonhole; t = 1 is Norouzi
    et al.'s m = r + 1). Bucket the codes on every combination of t substrings, pair the codes that
    share a bucket, and keep the pairs whose full distance is <= r.

t is chosen so that a bucket key has about log2(N) bits: then buckets hold about one code each and
the candidates stay few, while C(m, t) sorts stay cheap. Identical codes (exact copies are common in
photo libraries) are collapsed first and expanded at the end. The result is exact.
"""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np

from . import codes as codes_mod
from .errors import UsageError

MAX_KEY_COMBINATIONS = 512
BRUTE_FORCE_BELOW = 2048
CHUNK = 1 << 16


class HammingIndex:
    """Packed codes uint8 [N, B] with their ids (file ids in the catalog; positions by default)."""

    def __init__(self, codes: np.ndarray, ids: np.ndarray | None = None):
        codes = np.asarray(codes, dtype=np.uint8)
        if codes.ndim != 2:
            raise ValueError(f"codes must be [N, bytes], got shape {codes.shape}")
        self.bits = codes.shape[1] * 8
        self.packed = np.ascontiguousarray(codes)
        self.words = codes_mod.to_words(codes)
        self.ids = np.arange(len(codes), dtype=np.int64) if ids is None else np.asarray(ids, dtype=np.int64)
        if len(self.ids) != len(codes):
            raise ValueError(f"{len(self.ids)} ids for {len(codes)} codes")
        self._flat = None

    def __len__(self) -> int:
        return len(self.words)

    # -- checks ---------------------------------------------------------------------------------

    def _check_radius(self, radius: int) -> None:
        if not isinstance(radius, (int, np.integer)) or not 0 <= radius <= self.bits:
            raise UsageError(f"radius must be an integer from 0 to {self.bits} for {self.bits}-bit codes, got {radius}")

    def _query_words(self, query: np.ndarray) -> np.ndarray:
        query = np.asarray(query, dtype=np.uint8).reshape(1, -1)
        if query.shape[1] * 8 != self.bits:
            raise UsageError(f"query has {query.shape[1] * 8} bits, the index holds {self.bits}-bit codes")
        return codes_mod.to_words(query)[0]

    # -- single queries -------------------------------------------------------------------------

    def distances(self, query: np.ndarray) -> np.ndarray:
        """Distance from ``query`` (packed uint8 [B]) to every code, uint8/uint16 [N]."""
        q = self._query_words(query)
        if self.words.shape[1] == 1:
            return np.bitwise_count(self.words[:, 0] ^ q[0])
        return np.bitwise_count(self.words ^ q).sum(axis=1, dtype=np.uint16)

    def _faiss(self):
        """A FAISS flat binary index over the same codes, built on first use (None without faiss)."""
        if self._flat is None:
            try:
                import faiss
            except ImportError:
                self._flat = False
            else:
                self._flat = faiss.IndexBinaryFlat(self.bits)
                self._flat.add(self.packed)
        return self._flat or None

    def _at_most(self, query: np.ndarray, radius: int) -> tuple[np.ndarray, np.ndarray]:
        """Positions and distances of all codes within ``radius``, by distance then position."""
        flat = self._faiss()
        if flat is not None:
            lims, dist, pos = flat.range_search(np.asarray(query, np.uint8).reshape(1, -1), radius + 1)  # < r + 1
            order = np.lexsort((pos, dist))
            return pos[order].astype(np.int64), dist[order].astype(np.int32)
        d = self.distances(query)
        hits = np.flatnonzero(d <= radius)
        hits = hits[np.argsort(d[hits], kind="stable")]
        return hits, d[hits].astype(np.int32)

    def knn(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` nearest codes: (ids, distances), by distance then by position (reproducible ties).

        FAISS's scan is the fastest here, but it breaks ties arbitrarily: so it only tells the k-th
        distance, and every code up to that distance is then fetched and ordered by position.
        """
        if k < 1:
            raise UsageError(f"k must be at least 1, got {k}")
        self._query_words(query)
        if not len(self):
            return np.empty(0, np.int64), np.empty(0, np.int32)
        k = min(k, len(self))
        flat = self._faiss()
        if flat is not None:
            dist, _ = flat.search(np.asarray(query, np.uint8).reshape(1, -1), k)
            threshold = int(dist[0, -1])
        else:
            # The k-th smallest distance from a histogram (distances take only bits + 1 values).
            counts = np.bincount(self.distances(query), minlength=self.bits + 1)
            threshold = int(np.searchsorted(np.cumsum(counts), k))
        pos, dist = self._at_most(query, threshold)
        return self.ids[pos[:k]], dist[:k]

    def within(self, query: np.ndarray, radius: int) -> tuple[np.ndarray, np.ndarray]:
        """All codes within ``radius`` of ``query``: (ids, distances), by distance then position."""
        self._check_radius(radius)
        self._query_words(query)
        if not len(self):
            return np.empty(0, np.int64), np.empty(0, np.int32)
        pos, dist = self._at_most(query, radius)
        return self.ids[pos], dist

    # -- all pairs ------------------------------------------------------------------------------

    def pairs(self, radius: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every pair of codes within ``radius``, exactly: (ids_a, ids_b, distances).

        Pairs are reported once, with a before b in index order, sorted by (a, b) position.
        """
        self._check_radius(radius)
        n = len(self)
        if n < 2:
            empty = np.empty(0, np.int64)
            return empty, empty, np.empty(0, np.int32)
        unique, inverse = _unique_rows(self.words)
        if len(unique) < BRUTE_FORCE_BELOW:
            ua, ub, ud = _pairs_brute_force(unique, radius)
        else:
            ua, ub, ud = _pairs_multi_index(unique, self.bits, radius)
        pa, pb, pd = _expand(ua, ub, ud, inverse)
        order = np.argsort(pa * np.int64(n) + pb)
        pa, pb, pd = pa[order], pb[order], pd[order]
        return self.ids[pa], self.ids[pb], pd.astype(np.int32)


def _unique_rows(words: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct codes and, for each code, the index of its distinct value."""
    if words.shape[1] == 1:
        values, inverse = np.unique(words[:, 0], return_inverse=True)
        return values[:, None], inverse.ravel()
    view = np.ascontiguousarray(words).view(np.dtype((np.void, words.dtype.itemsize * words.shape[1])))[:, 0]
    _, first, inverse = np.unique(view, return_index=True, return_inverse=True)
    return words[first], inverse.ravel()


def _distance_rows(words: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if words.shape[1] == 1:
        return np.bitwise_count(words[a, 0] ^ words[b, 0]).astype(np.int32)
    return np.bitwise_count(words[a] ^ words[b]).sum(axis=1, dtype=np.int32)


def _pairs_brute_force(words: np.ndarray, radius: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Blocked all-against-all: for small sets, or radii too large for multi-index hashing."""
    out_a, out_b, out_d = [], [], []
    n = len(words)
    block = max(1, (1 << 22) // max(n, 1))
    for start in range(0, n, block):
        stop = min(n, start + block)
        d = np.bitwise_count(words[start:stop, None, :] ^ words[None, :, :]).sum(axis=2, dtype=np.int32)
        rows, cols = np.nonzero(d <= radius)
        rows = rows + start
        keep = cols > rows
        out_a.append(rows[keep])
        out_b.append(cols[keep])
        out_d.append(d[rows[keep] - start, cols[keep]])
    return np.concatenate(out_a), np.concatenate(out_b), np.concatenate(out_d)


def _choose_split(n: int, bits: int, radius: int) -> tuple[int, int] | None:
    """(m substrings, t that must agree) with the lowest estimated work, or None for brute force.

    Work of one key combination: a sort of n keys plus the candidate pairs it yields, about
    n² / 2^(key bits + 1) for well-spread codes. Brute force costs n² / 2 comparisons.
    """
    best, best_cost = None, n * n / 2
    for t in range(1, bits + 1):
        m = radius + t
        combos = math.comb(m, t) if m <= bits else None
        if combos is None or combos > MAX_KEY_COMBINATIONS:
            break
        key_bits = t * (bits // m)
        cost = combos * (n * 40 + n * n / 2 ** (key_bits + 1))
        if cost < best_cost:
            best, best_cost = (m, t), cost
    return best


def _substring_keys(words: np.ndarray, bits: int, m: int) -> list[np.ndarray]:
    """m integer keys per code, one per contiguous bit range (widths differ by at most one)."""
    edges = np.linspace(0, bits, m + 1).round().astype(int)
    keys = [np.empty(len(words), dtype=np.uint64) for _ in range(m)]
    packed = np.ascontiguousarray(words).view(np.uint8)
    for start in range(0, len(words), CHUNK):
        bitmat = np.unpackbits(packed[start : start + CHUNK], axis=1)[:, :bits]
        for j in range(m):
            lo, hi = edges[j], edges[j + 1]
            weights = np.left_shift(np.uint64(1), np.arange(hi - lo, dtype=np.uint64))
            keys[j][start : start + CHUNK] = bitmat[:, lo:hi].astype(np.uint64) @ weights
    return keys


def _combine(keys: list[np.ndarray], combo: tuple[int, ...], widths: list[int]) -> np.ndarray:
    """One bucket key from several substrings: concatenated when it fits 64 bits, else mixed.

    Mixing can only merge buckets (more candidates), never split them, so exactness holds.
    """
    if sum(widths[j] for j in combo) <= 64:
        key = np.zeros_like(keys[0])
        for j in combo:
            key = (key << np.uint64(widths[j])) | keys[j]
        return key
    key = np.zeros_like(keys[0])
    with np.errstate(over="ignore"):
        for j in combo:
            key = (key ^ keys[j]) * np.uint64(0x9E3779B97F4A7C15)
    return key


def _pairs_in_runs(order: np.ndarray, sorted_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All (i, j) pairs of positions whose keys are equal, given positions sorted by key."""
    n = len(sorted_keys)
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    sizes = np.diff(np.r_[starts, n])
    run_end = np.repeat(starts + sizes, sizes)
    active = np.flatnonzero(np.repeat(sizes, sizes) > 1)
    out_a, out_b = [], []
    offset = 1
    while len(active):
        active = active[active + offset < run_end[active]]
        if not len(active):
            break
        out_a.append(order[active])
        out_b.append(order[active + offset])
        offset += 1
    if not out_a:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    a, b = np.concatenate(out_a), np.concatenate(out_b)
    return np.minimum(a, b), np.maximum(a, b)


def _pairs_multi_index(words: np.ndarray, bits: int, radius: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    split = _choose_split(len(words), bits, radius)
    if split is None:
        return _pairs_brute_force(words, radius)
    m, t = split
    keys = _substring_keys(words, bits, m)
    edges = np.linspace(0, bits, m + 1).round().astype(int)
    widths = list(np.diff(edges))
    found_a, found_b, found_d = [], [], []
    for combo in combinations(range(m), t):
        key = _combine(keys, combo, widths)
        order = np.argsort(key)  # stability is not needed: pairs are normalised and deduplicated
        a, b = _pairs_in_runs(order, key[order])
        if not len(a):
            continue
        d = _distance_rows(words, a, b)
        keep = d <= radius
        found_a.append(a[keep])
        found_b.append(b[keep])
        found_d.append(d[keep])
    if not found_a:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int32)
    a, b, d = np.concatenate(found_a), np.concatenate(found_b), np.concatenate(found_d)
    # A pair agreeing on several key combinations was found several times: keep one.
    _, first = np.unique(a * np.int64(len(words)) + b, return_index=True)
    return a[first], b[first], d[first]


def _expand(ua: np.ndarray, ub: np.ndarray, ud: np.ndarray, inverse: np.ndarray):
    """Pairs of distinct codes -> pairs of positions, adding the pairs inside each group of identical codes."""
    order = np.argsort(inverse, kind="stable")  # positions grouped by distinct code
    counts = np.bincount(inverse)
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    # Identical codes: every pair inside a group, distance 0.
    grouped = inverse[order]
    in_multi = counts[grouped] > 1
    same_a, same_b = _pairs_in_runs(order[in_multi], grouped[in_multi])
    # Distinct codes: the cross product of their two groups (usually 1 × 1), without a Python loop.
    ca, cb = counts[ua], counts[ub]
    sizes = ca * cb
    pair_of = np.repeat(np.arange(len(ua)), sizes)
    local = np.arange(len(pair_of)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    left = order[starts[ua][pair_of] + local // cb[pair_of]]
    right = order[starts[ub][pair_of] + local % cb[pair_of]]
    a = np.concatenate([same_a, np.minimum(left, right)])
    b = np.concatenate([same_b, np.maximum(left, right)])
    d = np.concatenate([np.zeros(len(same_a), np.int32), ud[pair_of].astype(np.int32)])
    return a, b, d
