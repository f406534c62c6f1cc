"""Hamming search over packed binary codes: k nearest, all within a radius, and all pairs within a radius.

Codes are kept once, as little-endian uint64 words (``codes.to_words``); every result is exact and
ordered by (distance, position) or, for pairs, by (position a, position b), so it is reproducible.

k-NN and radius queries are one exhaustive scan. With faiss installed its binary flat index does
the scan (measured about 2x faster than numpy at 1M codes, see tests/bench/bench_index.py); FAISS
breaks ties arbitrarily, so it only supplies the k-th distance, and every code up to that distance
is then fetched and ordered by position. Without faiss: numpy XOR + popcount, and the k-th distance
from a histogram of the distances (they take only bits + 1 values), no argpartition.

The all-pairs join (the near-duplicate finder) never compares every pair. Multi-index hashing
(Norouzi, Punjani, Fleet, "Fast Search in Hamming Space with Multi-Index Hashing", CVPR 2012),
generalised:

    Split the bit positions into m = r + t disjoint contiguous substrings (widths differ by at most
    one bit when bits is not divisible by m). Two codes within distance r differ in at most r
    substrings, so they agree exactly on at least t of them (pigeonhole; t = 1 is the paper's
    m = r + 1). Bucket the codes on every combination of t substrings, pair the codes sharing a
    bucket, and keep the pairs whose full distance is <= r.

Choices the paper leaves open, and why:

- t is picked by a cost model (:func:`_choose_split`): a combination's key should have about
  log2(N) bits so buckets hold about one code. For 1M 64-bit codes at r = 4 that is m = 6, t = 2
  (15 keys of ~21 bits) instead of m = 5, t = 1 (5 keys of ~13 bits, ~6e8 candidates).
- A pair agreeing on several combinations is kept only from the FIRST one in lexicographic order,
  i.e. when the combination equals the t lowest substrings on which the pair agrees. Agreement is
  read off the pair's XOR with a bit mask per substring, so no set / unique over all candidates
  is needed and every pair is reported once.
- Bucket keys are the codes ANDed with the combination's bit mask (one word) or a 64-bit mix of
  the masked words (longer codes). Mixing can only merge buckets, never split them, so the
  result stays exact.
- Gated pairs (a model whose code is several codes side by side, e.g. a perceptual hash and a learned
  hash): a pair counts only when one of the given bit ranges is itself within its own small radius, and the
  whole code within ``radius``. Each gate is an ordinary join on its bytes, so the large whole-code radius
  (37 of 192 bits) never reaches the brute force; the union of the gates' pairs is then verified.
- Identical codes (exact copies are common in photo libraries) are collapsed first and expanded
  at the end, so a thousand copies of one photo cost one code in the join.
- Candidates of small buckets are made one offset at a time (memory O(N) per step); buckets with
  more than ``BIG_BUCKET`` codes are compared block by block; if the buckets promise more
  candidates than all N²/2 pairs (radius large for the bit count, or degenerate data) the join
  falls back to a blocked brute force. Memory stays bounded in every case except the output.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import combinations

import numpy as np

from . import codes as codes_mod
from .errors import UsageError

MAX_KEY_COMBINATIONS = 512  # more bucket keys than this: brute force is cheaper
BRUTE_FORCE_BELOW = 2048  # distinct codes; below this a blocked all-against-all is fastest
BIG_BUCKET = 256  # buckets larger than this are compared block by block
BLOCK_ELEMENTS = 1 << 22  # XOR words held at once by a blocked comparison (32 MiB)
SORT_COST = 3.0  # cost of sorting one code for one key, relative to verifying one candidate pair
_MIX = np.uint64(0x9E3779B97F4A7C15)
Gate = tuple[int, int, int]  # (first bit, end bit, radius): bits [first, end) of the code within radius


class HammingIndex:
    """Packed codes uint8 [N, B] with their ids (file ids in the catalog; positions by default).

    ``bits`` = 8 * B. Results are ids (int64) and distances (int32), exact, ties by position.
    """

    def __init__(self, codes: np.ndarray, ids: np.ndarray | None = None):
        codes = np.asarray(codes)
        if codes.ndim != 2 or codes.dtype != np.uint8:
            raise ValueError(f"codes must be packed uint8 [N, bytes], got {codes.dtype} {codes.shape}")
        self.bits = codes.shape[1] * 8
        self.words = codes_mod.to_words(codes)  # the only copy of the codes: N * ceil(B / 8) * 8 bytes
        self.ids = np.arange(len(codes), dtype=np.int64) if ids is None else np.asarray(ids, dtype=np.int64)
        if self.ids.shape != (len(codes),):
            raise ValueError(f"ids must be [N] = [{len(codes)}], got shape {self.ids.shape}")
        self._flat = None  # FAISS IndexBinaryFlat, built on first query

    def __len__(self) -> int:
        return len(self.words)

    @property
    def packed(self) -> np.ndarray:
        """The codes as packed uint8 [N, B] (a view of the words, no copy)."""
        return self.words.view(np.uint8)[:, : self.bits // 8]

    # -- checks ---------------------------------------------------------------------------------

    def _check_radius(self, radius: int) -> None:
        integer = isinstance(radius, (int, np.integer)) and not isinstance(radius, bool)
        if not integer or not 0 <= radius <= self.bits:
            raise UsageError(
                f"radius must be an integer from 0 to {self.bits} for {self.bits}-bit codes, got {radius!r}"
            )

    def _query(self, query: np.ndarray) -> np.ndarray:
        """The query as packed uint8 [1, B], checked against the index's code length."""
        query = np.asarray(query)
        if query.dtype != np.uint8 or query.size * 8 != self.bits or (query.ndim == 2 and len(query) != 1):
            raise UsageError(
                f"query must be one packed {self.bits}-bit code (uint8 [{self.bits // 8}]), "
                f"got {query.dtype} {query.shape}"
            )
        return np.ascontiguousarray(query.reshape(1, -1))

    # -- single queries -------------------------------------------------------------------------

    def distances(self, query: np.ndarray) -> np.ndarray:
        """Distance from ``query`` (packed uint8 [B]) to every code: uint8 (<= 64 bits) or uint16 [N]."""
        q = codes_mod.to_words(self._query(query))[0]
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
                self._flat.add(np.ascontiguousarray(self.packed))
        return self._flat or None

    def _up_to(self, query: np.ndarray, radius: int, d: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Positions and distances of all codes within ``radius``, by distance then position."""
        flat = self._faiss() if d is None else None
        if flat is not None:
            _, dist, pos = flat.range_search(query, radius + 1)  # FAISS keeps distances < radius + 1
            order = np.lexsort((pos, dist))
            return pos[order].astype(np.int64), dist[order].astype(np.int32)
        if d is None:
            d = self.distances(query)
        hits = np.flatnonzero(d <= radius)
        hits = hits[np.argsort(d[hits], kind="stable")]  # stable: equal distances stay by position
        return hits, d[hits].astype(np.int32)

    def knn(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` nearest codes (all of them if k > N): (ids, distances), by distance then position."""
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise UsageError(f"k must be an integer from 1 up (k > N returns all N), got {k!r}")
        query = self._query(query)
        if not len(self):
            return np.empty(0, np.int64), np.empty(0, np.int32)
        k = min(int(k), len(self))
        flat = self._faiss()
        d = None
        if flat is not None:
            dist, _ = flat.search(query, k)
            threshold = int(dist[0, -1])  # the k-th distance; ties at it are re-ordered below
        else:
            d = self.distances(query)
            counts = np.bincount(d, minlength=self.bits + 1)
            threshold = int(np.searchsorted(np.cumsum(counts), k))
        pos, dist = self._up_to(query, threshold, d)
        return self.ids[pos[:k]], dist[:k]

    def within(self, query: np.ndarray, radius: int, gates: Sequence[Gate] = ()) -> tuple[np.ndarray, np.ndarray]:
        """All codes within ``radius`` of ``query`` (and, with ``gates``, within one gate's radius on its bits,
        as :meth:`pairs`): (ids, distances), by distance then position."""
        self._check_radius(radius)
        check_gates(gates, self.bits)
        query = self._query(query)
        if not len(self):
            return np.empty(0, np.int64), np.empty(0, np.int32)
        pos, dist = self._up_to(query, int(radius))
        if gates:
            passes = gate_mask(self.packed[pos] ^ query, gates)
            pos, dist = pos[passes], dist[passes]
        return self.ids[pos], dist

    # -- all pairs ------------------------------------------------------------------------------

    def pairs(self, radius: int, gates: Sequence[Gate] = ()) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every pair of codes within ``radius``, exactly: (ids_a, ids_b, distances int32).

        Each pair once, a before b in index order, sorted by (position a, position b). With ``gates``
        (first bit, end bit, radius), only pairs that are also within a gate's radius on its bits.
        """
        self._check_radius(radius)
        check_gates(gates, self.bits)
        radius = int(radius)
        n = len(self)
        if n < 2:
            empty = np.empty(0, np.int64)
            return empty, empty, np.empty(0, np.int32)
        if gates:
            return self._gated_pairs(radius, gates)
        unique, inverse, grouped = _unique_rows(self.words)
        if radius == 0 or len(unique) < 2:
            ua = ub = np.empty(0, np.int64)
            ud = np.empty(0, np.int32)
        elif len(unique) < BRUTE_FORCE_BELOW:
            ua, ub, ud = _pairs_brute_force(unique, radius)
        else:
            ua, ub, ud = _pairs_multi_index(unique, self.bits, radius)
        pa, pb, pd = _expand(ua, ub, ud, inverse, grouped)
        order = np.argsort(pa * np.int64(n) + pb)
        return self.ids[pa[order]], self.ids[pb[order]], pd[order]

    def _gated_pairs(self, radius: int, gates: Sequence[Gate]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The union of each gate's own join, kept where the whole code is within ``radius`` (checked in blocks, so
        a large gate cluster, e.g. many dark photos with one pHash, does not hold every candidate's XOR at once)."""
        n = len(self)
        keys = [HammingIndex(self.packed[:, first // 8:end // 8]).pairs(gate_radius)
                for first, end, gate_radius in gates]
        key = np.unique(np.concatenate([a * np.int64(n) + b for a, b, _ in keys]))  # sorted: by (a, b)
        parts, step = [], BLOCK_ELEMENTS // self.words.shape[1]
        for start in range(0, len(key), step):
            a, b = np.divmod(key[start:start + step], n)
            d = _weight(_xor_rows(self.words, a, b))
            keep = d <= radius
            parts.append((a[keep], b[keep], d[keep]))
        a, b, d = _concat(parts)
        return self.ids[a], self.ids[b], d


def check_gates(gates: Sequence[Gate], bits: int) -> None:
    """Refuse gates that are not whole bytes of a ``bits``-bit code with a radius that fits them."""
    for gate in gates:
        first, end, gate_radius = gate
        if not (0 <= first < end <= bits and first % 8 == 0 and end % 8 == 0 and 0 <= gate_radius <= end - first):
            raise UsageError(f"gate {list(gate)} must be [first bit, end bit, radius] on whole bytes of a "
                             f"{bits}-bit code, the radius at most its width")


def gate_mask(xor: np.ndarray, gates: Sequence[Gate]) -> np.ndarray:
    """Which pairs, given by their XOR (packed uint8 [N, B]), pass a gate (all of them, without gates)."""
    if not gates:
        return np.ones(len(xor), bool)
    passes = np.zeros(len(xor), bool)
    for first, end, gate_radius in gates:
        passes |= np.bitwise_count(xor[:, first // 8:end // 8]).sum(axis=1) <= gate_radius
    return passes


# -- all pairs: helpers --------------------------------------------------------------------------


def _empty_pairs() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int32)


def _concat(parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if not parts:
        return _empty_pairs()
    a, b, d = zip(*parts)
    return np.concatenate(a), np.concatenate(b), np.concatenate(d)


def _unique_rows(words: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct codes [U, W], each code's distinct index [N], and positions grouped by it [N].

    One unstable argsort; inside a group positions are in no particular order (pairs are
    normalised and sorted at the end).
    """
    if words.shape[1] == 1:
        order = np.argsort(words[:, 0])
        ordered = words[order, 0]
        new = np.r_[True, ordered[1:] != ordered[:-1]]
        inverse = np.empty(len(words), dtype=np.int64)
        inverse[order] = np.cumsum(new) - 1
        return ordered[new][:, None], inverse, order
    view = np.ascontiguousarray(words).view(np.dtype((np.void, words.dtype.itemsize * words.shape[1])))[:, 0]
    _, first, inverse = np.unique(view, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    return words[first], inverse, np.argsort(inverse)


def _xor_rows(words: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """XOR of code rows a and b: uint64 [len(a), W]."""
    if words.shape[1] == 1:
        return (words[a, 0] ^ words[b, 0])[:, None]
    return words[a] ^ words[b]


def _weight(x: np.ndarray) -> np.ndarray:
    """Popcount of XOR rows [n, W] -> int32 [n]."""
    if x.shape[1] == 1:
        return np.bitwise_count(x[:, 0]).astype(np.int32)
    return np.bitwise_count(x).sum(axis=1, dtype=np.int32)


def _pairs_brute_force(words: np.ndarray, radius: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Blocked all-against-all over the upper triangle: small sets, or radii too large for hashing."""
    parts = []
    n, w = words.shape
    block = max(1, BLOCK_ELEMENTS // max(n * w, 1))
    for start in range(0, n - 1, block):
        stop = min(n, start + block)
        x = words[start:stop, None, :] ^ words[None, start:, :]
        d = np.bitwise_count(x).sum(axis=2, dtype=np.int32) if w > 1 else np.bitwise_count(x[:, :, 0]).astype(np.int32)
        rows, cols = np.nonzero(d <= radius)
        keep = cols > rows  # columns start at `start`: strictly upper triangle
        rows, cols = rows[keep], cols[keep]
        parts.append((rows + start, cols + start, d[rows, cols]))
    return _concat(parts)


def _choose_split(n: int, bits: int, radius: int) -> tuple[int, int] | None:
    """(m substrings, t that must agree) with the lowest estimated work, or None for brute force.

    Work of one key combination: sorting n keys (SORT_COST each) plus verifying the candidate pairs
    it yields, about n² / 2^(key bits + 1) for well-spread codes. Brute force verifies n² / 2 pairs.
    """
    best, best_cost = None, n * n / 2
    for t in range(1, bits + 1):
        m = radius + t
        if m > bits:
            break
        combos = math.comb(m, t)
        if combos > MAX_KEY_COMBINATIONS:
            break
        key_bits = t * bits / m  # substrings are bits // m or one more bits wide: their mean, not the narrower one
        cost = combos * (n * SORT_COST + n * n / 2 ** (key_bits + 1))
        if cost < best_cost:
            best, best_cost = (m, t), cost
    return best


def _substring_masks(bits: int, nwords: int, m: int) -> np.ndarray:
    """uint64 [m, W]: substring j covers global bits [edges[j], edges[j+1]), widths within one bit.

    Global bit g is bit g % 64 of word g // 64; with the little-endian word view these are exactly
    the code's bits 0..bits-1 (padding bytes are the high bytes of the last word).
    """
    edges = np.linspace(0, bits, m + 1).round().astype(int)
    masks = np.zeros((m, nwords), dtype=np.uint64)
    for j in range(m):
        for g in range(edges[j], edges[j + 1]):
            masks[j, g // 64] |= np.uint64(1) << np.uint64(g % 64)
    return masks


def _bucket_key(words: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """One uint64 key per code: equal keys for codes equal on the mask's bits (mixed if > 1 word)."""
    used = [w for w in range(words.shape[1]) if mask[w]]
    if len(used) == 1:
        return words[:, used[0]] & mask[used[0]]
    key = np.zeros(len(words), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for w in used:
            key = (key ^ (words[:, w] & mask[w])) * _MIX
            key ^= key >> np.uint64(29)
    return key


class _Verifier:
    """Keeps candidate pairs within the radius that are first found in the current combination."""

    def __init__(self, words: np.ndarray, radius: int, masks: np.ndarray, combo: tuple[int, ...]):
        self.words, self.radius = words, radius
        # The combination must be the t lowest substrings the pair agrees on: so the pair must
        # differ on every lower substring outside the combination.
        self.earlier = [masks[j] for j in range(combo[-1]) if j not in combo]
        self.parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def add(self, a: np.ndarray, b: np.ndarray) -> None:
        x = _xor_rows(self.words, a, b)
        d = _weight(x)
        keep = d <= self.radius
        if self.earlier and keep.any():
            x = x[keep]
            first = np.ones(len(x), dtype=bool)
            for mask in self.earlier:
                first &= (x & mask).any(axis=1)
            keep[keep] = first
        if keep.any():
            a, b = a[keep], b[keep]
            self.parts.append((np.minimum(a, b), np.maximum(a, b), d[keep]))


def _candidates(order: np.ndarray, starts: np.ndarray, sizes: np.ndarray, verifier: _Verifier, n_words: int) -> None:
    """Feed every pair of codes sharing a key to the verifier, in memory-bounded batches (``order`` sorts the codes
    by key; each bucket of equal keys starts at ``starts`` and has ``sizes`` codes)."""
    # Small buckets: pair each code with the one `offset` places later in its bucket, offset 1, 2...
    small = (sizes > 1) & (sizes <= BIG_BUCKET)
    active = np.repeat(starts[small], sizes[small]) + _ranks(sizes[small])
    run_end = np.repeat(starts[small] + sizes[small], sizes[small])
    offset = 1
    while len(active):
        live = active + offset < run_end
        active, run_end = active[live], run_end[live]
        if len(active):
            verifier.add(order[active], order[active + offset])
        offset += 1
    # Big buckets (clustered data): blocks of rows against the rest of the bucket.
    for start, size in zip(starts[sizes > BIG_BUCKET].tolist(), sizes[sizes > BIG_BUCKET].tolist()):
        members = order[start : start + size]
        block = max(1, BLOCK_ELEMENTS // (size * n_words))
        for row in range(0, size - 1, block):
            rows = np.arange(row, min(size - 1, row + block))
            # Row i pairs with i+1 .. size-1: a flattened ragged triangle.
            counts = size - 1 - rows
            local = _ranks(counts)
            verifier.add(members[np.repeat(rows, counts)], members[np.repeat(rows + 1, counts) + local])


def _ranks(sizes: np.ndarray) -> np.ndarray:
    """0, 1, .., s-1 for each s in sizes, concatenated."""
    total = int(sizes.sum())
    return np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(sizes) - sizes, sizes)


def _pairs_multi_index(words: np.ndarray, bits: int, radius: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs of distinct codes within radius by multi-index hashing (see the module docstring)."""
    n = len(words)
    split = _choose_split(n, bits, radius)
    if split is None:
        return _pairs_brute_force(words, radius)
    m, t = split
    masks = _substring_masks(bits, words.shape[1], m)
    # Guard against degenerate data (e.g. many codes equal on most bits): once the buckets have promised more
    # candidate pairs than brute force compares, brute force it. Counted as each combination's sort is made, so the
    # guard costs no sort of its own (docs/benchmark.md, "Index").
    candidates, parts = 0, []
    for combo in combinations(range(m), t):
        key = _bucket_key(words, np.bitwise_or.reduce(masks[list(combo)], axis=0))
        order = np.argsort(key)
        sorted_key = key[order]
        starts = np.flatnonzero(np.r_[True, sorted_key[1:] != sorted_key[:-1]])
        sizes = np.diff(np.r_[starts, n])
        candidates += int((sizes * (sizes - 1) // 2).sum())
        if candidates > n * (n - 1) // 2:
            parts.clear()  # not held while brute force runs
            return _pairs_brute_force(words, radius)
        verifier = _Verifier(words, radius, masks, combo)
        _candidates(order, starts, sizes, verifier, words.shape[1])
        parts.extend(verifier.parts)
    return _concat(parts)


def _expand(ua: np.ndarray, ub: np.ndarray, ud: np.ndarray, inverse: np.ndarray, order: np.ndarray):
    """Pairs of distinct codes -> pairs of positions, adding the pairs inside each group of identical codes.

    order: positions grouped by distinct code (group g is order[starts[g] : starts[g] + counts[g]]).
    """
    counts = np.bincount(inverse, minlength=int(inverse.max()) + 1 if len(inverse) else 0)
    starts = np.cumsum(counts) - counts
    # Identical codes: every pair inside a group, distance 0 (each member with every later one).
    later = np.repeat(counts, counts) - 1 - _ranks(counts)
    first = np.repeat(np.arange(len(order)), later)
    same_a, same_b = order[first], order[first + 1 + _ranks(later)]
    if len(ua) == 0:
        return np.minimum(same_a, same_b), np.maximum(same_a, same_b), np.zeros(len(same_a), np.int32)
    # Distinct codes: the cross product of their two groups (usually 1 x 1), without a Python loop.
    ca, cb = counts[ua], counts[ub]
    sizes = ca * cb
    pair_of = np.repeat(np.arange(len(ua)), sizes)
    local = _ranks(sizes)
    left = order[starts[ua][pair_of] + local // cb[pair_of]]
    right = order[starts[ub][pair_of] + local % cb[pair_of]]
    a = np.concatenate([same_a, left])
    b = np.concatenate([same_b, right])
    d = np.concatenate([np.zeros(len(same_a), np.int32), ud[pair_of].astype(np.int32)])
    return np.minimum(a, b), np.maximum(a, b), d
