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
- Each combination is one plain sort of one uint64 per code: a hash of the code's bits in the combination
  in the high bits, its position in the low bits (no argsort). A hash collision can only merge two
  buckets, and every pair is checked to agree on the combination's bits, so the result stays exact.
  The codes are then gathered in bucket order and each code is compared with the one 1, 2, ... places
  later in its bucket: whole-array vectorised passes (contiguous memory, no index gathers) while most
  positions still have a partner at that offset, then only the positions that do.
- Gated pairs (a model whose code is several codes side by side, e.g. a perceptual hash and a learned
  hash): a pair counts only when one of the given bit ranges is itself within its own small radius, and the
  whole code within ``radius``. Each gate is an ordinary join on its bytes, so the large whole-code radius
  (37 of 192 bits) never reaches the brute force; each gate's pairs are verified on the whole code, and a
  pair that also passes an earlier gate is left to that gate, so the union needs no sort of its own.
- Identical codes (exact copies are common in photo libraries) are collapsed first and expanded
  at the end, so a thousand copies of one photo cost one code in the join.
- Candidates of small buckets are made one offset at a time (memory O(N) per step); buckets with
  more than ``BIG_BUCKET`` codes are compared block by block; once the buckets have made more
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
DENSE_PASS = 16  # offsets pass over the whole array while at least 1 in DENSE_PASS positions has a partner
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
            a, b, d = self._gated_pairs(radius, gates)
        else:
            a, b, d = _position_pairs(self.words, self.bits, radius)
        order = np.argsort(a * np.int64(n) + b)
        return self.ids[a[order]], self.ids[b[order]], d[order]

    def _gated_pairs(self, radius: int, gates: Sequence[Gate]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each gate's own join (an ordinary join on its bits, at its small radius), kept where the whole code is within
        ``radius``; a pair through several gates is kept from the first only, so the union needs no sort of its own.
        Checked in blocks, so a large gate cluster (e.g. many dark photos with one pHash) never holds every candidate's
        XOR at once. Positions, unsorted."""
        nbytes = self.bits // 8
        gate_words = [codes_mod.to_words(np.pad(np.full((1, (end - first) // 8), 255, np.uint8),
                                                ((0, 0), (first // 8, nbytes - end // 8))))[0]
                      for first, end, _ in gates]
        parts, step = [], max(1, BLOCK_ELEMENTS // self.words.shape[1])
        for g, (first, end, gate_radius) in enumerate(gates):
            part = np.ascontiguousarray(self.packed[:, first // 8:end // 8])
            ga, gb, _ = _position_pairs(codes_mod.to_words(part), end - first, gate_radius)
            for start in range(0, len(ga), step):
                a, b = ga[start:start + step], gb[start:start + step]
                x = _xor_rows(self.words, a, b)
                d = _weight(x)
                keep = d <= radius
                for mask, (_, _, earlier_radius) in zip(gate_words[:g], gates[:g]):  # through an earlier gate: kept there
                    keep &= _weight(x & mask) > earlier_radius
                parts.append((a[keep], b[keep], d[keep]))
        return _concat(parts)


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
    return np.take(words, a, axis=0) ^ np.take(words, b, axis=0)  # np.take: about 4x faster than words[a] on rows


def _weight(x: np.ndarray) -> np.ndarray:
    """Popcount of XOR rows [n, W] (or one word each, [n]) -> [n]."""
    if x.ndim == 1:
        return np.bitwise_count(x)
    if x.shape[1] == 1:
        return np.bitwise_count(x[:, 0]).astype(np.int32)
    return np.bitwise_count(x).sum(axis=1, dtype=np.int32)


def _position_pairs(words: np.ndarray, bits: int, radius: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every pair of positions within ``radius`` (a < b, unsorted): identical codes collapsed, the distinct ones
    joined, then expanded."""
    unique, inverse, grouped = _unique_rows(words)
    if radius == 0 or len(unique) < 2:
        ua = ub = np.empty(0, np.int64)
        ud = np.empty(0, np.int32)
    elif len(unique) < BRUTE_FORCE_BELOW:
        ua, ub, ud = _pairs_brute_force(unique, radius)
    else:
        ua, ub, ud = _pairs_multi_index(unique, bits, radius)
    return _expand(ua, ub, ud, inverse, grouped)


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


def _bucket_key(words: np.ndarray, mask: np.ndarray, index_bits: int) -> np.ndarray:
    """One uint64 per code to sort: a hash of its bits under ``mask`` in the high 64 - ``index_bits`` bits, its
    position in the low bits. Codes equal on the mask's bits get equal high bits; a hash collision only merges two
    buckets (the pairs are checked against the mask), so one plain sort of uint64 groups the buckets and carries
    the positions along (no argsort, no second array to permute)."""
    key = np.zeros(len(words), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for w in np.flatnonzero(mask).tolist():
            key ^= words[:, w] & mask[w]
            key *= _MIX  # multiplicative hashing: the high bits depend on every bit below them
            key ^= key >> np.uint64(29)
        key *= _MIX
    key >>= np.uint64(index_bits)
    key <<= np.uint64(index_bits)
    key |= np.arange(len(words), dtype=np.uint64)
    return key


def _first_in(x: np.ndarray, mask: np.ndarray, earlier: list[np.ndarray]) -> np.ndarray:
    """Which XORs (uint64 [h, W]) agree on the combination's bits and differ on every earlier substring outside it:
    the combination is then the first, in lexicographic order, on which the pair agrees."""
    if x.ndim == 1:
        keep = (x & mask[0]) == 0
        for substring in earlier:
            keep &= (x & substring[0]) != 0
        return keep
    keep = ~(x & mask).any(axis=1)
    for substring in earlier:
        keep &= (x & substring).any(axis=1)
    return keep


def _pairs_in_buckets(sw: np.ndarray, same: np.ndarray, radius: int, add) -> int:
    """Every pair of codes in one run of ``sw`` (codes sorted by bucket; ``same[i]``: i and i + 1 share a bucket),
    given to ``add(i, offset, xor, distance)`` when within ``radius``. Pairs are taken by offset: each code with
    the code 1, 2, ... places later in its run. While most positions still have a partner at the offset, a whole
    vectorised pass over the array is cheapest (no index gathers); then only the positions that do. Returns the
    number of candidate pairs."""
    n = len(sw)
    run, active, offset, candidates = same, None, 1, 0
    while True:
        if active is None:
            count = int(np.count_nonzero(run))
            if not count:
                return candidates
            if count * DENSE_PASS >= len(run):
                x = sw[offset:] ^ sw[:-offset]
                d = _weight(x)
                hits = np.flatnonzero(run & (d <= radius))
                if len(hits):
                    add(hits, offset, x[hits], d[hits])
                candidates += count
                run = run[:-1] & same[offset:]  # i .. i + offset + 1 all in one bucket
                offset += 1
                continue
            active = np.flatnonzero(run)
        if not len(active):
            return candidates
        candidates += len(active)
        x = sw[active + offset] ^ sw[active]
        d = _weight(x)
        near = d <= radius
        if near.any():
            add(active[near], offset, x[near], d[near])
        active = active[active + offset < n - 1]
        active = active[same[active + offset]]
        offset += 1


def _pairs_multi_index(words: np.ndarray, bits: int, radius: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs of distinct codes within radius by multi-index hashing (see the module docstring)."""
    n, nwords = words.shape
    split = _choose_split(n, bits, radius)
    if split is None:
        return _pairs_brute_force(words, radius)
    m, t = split
    masks = _substring_masks(bits, nwords, m)
    index_bits = max(1, (n - 1).bit_length())
    low = np.uint64((1 << index_bits) - 1)
    # Guard against degenerate data (e.g. many codes equal on most bits): once the buckets have promised more
    # candidate pairs than brute force compares, brute force it (counted as the pairs are made, no extra pass).
    budget, parts = n * (n - 1) // 2, []
    for combo in combinations(range(m), t):
        mask = np.bitwise_or.reduce(masks[list(combo)], axis=0)
        earlier = [masks[j] for j in range(combo[-1]) if j not in combo]
        key = _bucket_key(words, mask, index_bits)
        key.sort()
        order = (key & low).astype(np.intp)
        key >>= np.uint64(index_bits)  # the buckets, in order
        same = key[1:] == key[:-1]
        big = key[BIG_BUCKET:] == key[:-BIG_BUCKET] if n > BIG_BUCKET else np.zeros(0, bool)
        # The codes in bucket order (a 1-D gather, or np.take: 2-D fancy indexing is several times slower).
        sw = words[:, 0][order][:, None] if nwords == 1 else np.take(words, order, axis=0)
        starts = sizes = np.empty(0, np.int64)
        if big.any():  # buckets of more than BIG_BUCKET codes: blocks of rows, below; the rest by offsets
            starts = np.flatnonzero(np.r_[True, ~same])
            sizes = np.diff(np.r_[starts, n])
            starts, sizes = starts[sizes > BIG_BUCKET], sizes[sizes > BIG_BUCKET]
            budget -= int((sizes * (sizes - 1) // 2).sum())
            for start, size in zip(starts.tolist(), sizes.tolist()):
                same[start:start + size - 1] = False
        del key, big

        def add(i, offset, x, d, order=order, mask=mask, earlier=earlier):
            keep = _first_in(x, mask, earlier)
            if keep.any():
                i, j = i[keep], i[keep] + (offset[keep] if np.ndim(offset) else offset)
                parts.append((order[i], order[j], d[keep].astype(np.int32)))

        if budget >= 0:
            budget -= _pairs_in_buckets(sw if nwords > 1 else sw[:, 0], same, radius, add)
        if budget < 0:
            parts.clear()  # not held while brute force runs
            return _pairs_brute_force(words, radius)
        for start, size in zip(starts.tolist(), sizes.tolist()):
            _pairs_in_big_bucket(sw[start:start + size], start, radius, add)
    a, b, d = _concat(parts)
    return np.minimum(a, b), np.maximum(a, b), d


def _pairs_in_big_bucket(sw: np.ndarray, start: int, radius: int, add) -> None:
    """All pairs of one large bucket (clustered data), a block of rows against the rest at a time."""
    size, nwords = sw.shape
    block = max(1, BLOCK_ELEMENTS // (size * nwords))
    for row in range(0, size - 1, block):
        rows = np.arange(row, min(size - 1, row + block))
        counts = size - 1 - rows  # row i pairs with i + 1 .. size - 1: a flattened ragged triangle
        first = np.repeat(rows, counts)
        offset = np.repeat(rows + 1, counts) + _ranks(counts) - first
        x = sw[first + offset] ^ sw[first]
        d = _weight(x)
        near = d <= radius
        if near.any():
            add(first[near] + start, offset[near], x[near], d[near])


def _ranks(sizes: np.ndarray) -> np.ndarray:
    """0, 1, .., s-1 for each s in sizes, concatenated."""
    total = int(sizes.sum())
    return np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(sizes) - sizes, sizes)


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
    # Distinct codes: the cross product of their two groups, without a Python loop; 1 x 1 (most pairs) directly.
    ca, cb = counts[ua], counts[ub]
    sizes = ca * cb
    one = sizes == 1
    many = np.flatnonzero(~one)
    pair_of = np.repeat(many, sizes[many])
    local = _ranks(sizes[many])
    left = order[starts[ua][pair_of] + local // cb[pair_of]]
    right = order[starts[ub][pair_of] + local % cb[pair_of]]
    a = np.concatenate([same_a, order[starts[ua[one]]], left])
    b = np.concatenate([same_b, order[starts[ub[one]]], right])
    d = np.concatenate([np.zeros(len(same_a), np.int32), ud[one].astype(np.int32), ud[pair_of].astype(np.int32)])
    return np.minimum(a, b), np.maximum(a, b), d
