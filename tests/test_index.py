"""The Hamming index against a brute-force reference: k-NN, radius and the exact all-pairs join."""

from __future__ import annotations

import numpy as np
import pytest

from engine import codes
from engine.errors import UsageError
from engine.index import HammingIndex, _choose_split


def clustered(rng, n, nbytes, flips=4, dup_every=50):
    """Codes with planted near-duplicates (0..flips bits away) and exact duplicates."""
    centres = rng.integers(0, 256, (max(1, n // 4), nbytes), dtype=np.uint8)
    out = centres[rng.integers(0, len(centres), n)].copy()
    bits = np.unpackbits(out, axis=1)
    for i in range(n):
        k = rng.integers(0, flips + 1)
        bits[i, rng.choice(nbytes * 8, k, replace=False)] ^= 1
    out = np.packbits(bits, axis=1)
    out[::dup_every] = out[0]
    return out


def reference_pairs(c, radius):
    d = codes.hamming(c, c)
    a, b = np.nonzero(np.triu(d <= radius, 1))
    return a, b, d[a, b]


@pytest.mark.parametrize("nbytes", [1, 2, 4, 8, 9, 16])
@pytest.mark.parametrize("n", [1, 2, 40, 2600])
def test_pairs_equal_brute_force(nbytes, n):
    rng = np.random.default_rng(nbytes * 1000 + n)
    c = clustered(rng, n, nbytes) if n > 2 else rng.integers(0, 256, (n, nbytes), dtype=np.uint8)
    index = HammingIndex(c)
    for radius in (0, 1, 2, 4, 7, 10):
        if radius > nbytes * 8 or (n > 100 and radius > nbytes * 2):
            continue  # nearly every pair matches: nothing left to test but the reference's speed
        a, b, d = index.pairs(radius)
        ra, rb, rd = reference_pairs(c, radius)
        assert np.array_equal(a, ra) and np.array_equal(b, rb) and np.array_equal(d, rd), (nbytes, n, radius)


def test_pairs_use_multi_index_hashing_for_large_sets():
    assert _choose_split(1_000_000, 64, 4) == (6, 2)  # m = 6 substrings, 2 must agree: 21-bit keys
    assert _choose_split(100_000, 64, 4) is not None
    assert _choose_split(3000, 8, 7) is None  # too few bits per substring: brute force is cheaper


def test_pairs_map_to_given_ids():
    c = np.array([[1], [1], [3], [200]], dtype=np.uint8)
    a, b, d = HammingIndex(c, ids=np.array([10, 20, 30, 40])).pairs(1)
    assert list(zip(a, b, d)) == [(10, 20, 0), (10, 30, 1), (20, 30, 1)]


def test_knn_and_within_match_brute_force_with_ties_by_position():
    rng = np.random.default_rng(5)
    for nbytes in (1, 8, 9, 16):
        c = clustered(rng, 3000, nbytes)
        index = HammingIndex(c)
        for q in (0, 7, 2999):
            d = codes.hamming(c[q], c)
            order = np.lexsort((np.arange(len(c)), d))
            for k in (1, 10, 100):
                ids, dist = index.knn(c[q], k)
                assert np.array_equal(ids, order[:k]) and np.array_equal(dist, d[order[:k]])
            for radius in (r for r in (0, 3, 9) if r <= nbytes * 8):
                ids, dist = index.within(c[q], radius)
                expected = order[d[order] <= radius]
                assert np.array_equal(ids, expected) and (dist <= radius).all()


def test_edge_cases_and_errors():
    empty = HammingIndex(np.zeros((0, 8), np.uint8))
    assert len(empty.knn(np.zeros(8, np.uint8), 5)[0]) == 0
    assert len(empty.pairs(3)[0]) == 0
    one = HammingIndex(np.zeros((1, 8), np.uint8))
    assert one.knn(np.zeros(8, np.uint8), 10)[0].tolist() == [0]
    with pytest.raises(UsageError, match="radius must be an integer from 0 to 64"):
        one.pairs(-1)
    with pytest.raises(UsageError, match="from 0 to 64"):
        one.within(np.zeros(8, np.uint8), 65)
    with pytest.raises(UsageError, match="k must be at least 1"):
        one.knn(np.zeros(8, np.uint8), 0)
    with pytest.raises(UsageError, match="query has 32 bits"):
        one.knn(np.zeros(4, np.uint8), 1)
