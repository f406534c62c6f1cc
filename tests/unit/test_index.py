"""The Hamming index against a brute-force reference (codes.hamming): k-NN, radius and the exact all-pairs join.

Every data set is seeded. The all-pairs join is checked on each of its paths: blocked brute force
(small sets), multi-index hashing (forced on small sets by lowering BRUTE_FORCE_BELOW), its
big-bucket path (forced by lowering BIG_BUCKET) and its fallback for degenerate data.
"""

from __future__ import annotations

import numpy as np
import pytest

from engine import codes
from engine import index as index_mod
from engine.errors import UsageError
from engine.index import HammingIndex, _choose_split, _substring_masks

BYTES = [1, 2, 4, 8, 9, 16]  # 8, 16, 32, 64, 72 and 128 bits


def clustered(rng, n, nbytes, flips=4, dup_every=50):
    """Codes around n/4 random centres, 0..flips bits away, and every dup_every-th one an exact copy."""
    centres = rng.integers(0, 256, (max(1, n // 4), nbytes), dtype=np.uint8)
    bits = np.unpackbits(centres[rng.integers(0, len(centres), n)], axis=1)
    for k in range(1, flips + 1):  # up to `flips` random bit flips per code (may repeat a bit)
        rows = np.flatnonzero(rng.integers(0, flips + 1, n) >= k)
        bits[rows, rng.integers(0, nbytes * 8, len(rows))] ^= 1
    out = np.packbits(bits, axis=1)
    out[::dup_every] = out[0]
    return out


def reference_pairs(d, radius):
    a, b = np.nonzero(np.triu(d <= radius, 1))
    return a, b, d[a, b]


def reference_order(c, q):
    d = codes.hamming(q, c)
    return np.lexsort((np.arange(len(c)), d)), d


def assert_pairs(got, expected, label):
    for g, e, name in zip(got, expected, ("ids_a", "ids_b", "distances")):
        assert np.array_equal(g, e), (label, name, len(g), len(e))
    assert got[2].dtype == np.int32 and got[0].dtype == np.int64


@pytest.fixture(params=["default", "multi-index", "big-buckets", "whole-array-passes", "position-lists"])
def pairs_path(request, monkeypatch):
    """Run a test on each path of the join: small sets would otherwise always be brute-forced; the offsets inside
    buckets are taken either by whole-array passes or by lists of positions, each forced here for every offset."""
    if request.param != "default":
        monkeypatch.setattr(index_mod, "BRUTE_FORCE_BELOW", 0)
    if request.param == "whole-array-passes":
        monkeypatch.setattr(index_mod, "DENSE_PASS", 1 << 62)
    if request.param == "position-lists":
        monkeypatch.setattr(index_mod, "DENSE_PASS", 0)
    if request.param == "big-buckets":
        monkeypatch.setattr(index_mod, "BIG_BUCKET", 3)
        monkeypatch.setattr(index_mod, "BLOCK_ELEMENTS", 64)
    return request.param


@pytest.mark.parametrize("nbytes", BYTES)
def test_pairs_equal_brute_force_all_radii(nbytes, pairs_path):
    rng = np.random.default_rng(nbytes)
    n = 300 if nbytes == 1 else 1500  # 8-bit codes: every pair is near, keep the reference small
    for data in ("random", "clustered"):
        c = rng.integers(0, 256, (n, nbytes), dtype=np.uint8) if data == "random" else clustered(rng, n, nbytes)
        d = codes.hamming(c, c)
        index = HammingIndex(c)
        for radius in range(0, min(10, nbytes * 8) + 1):
            assert_pairs(index.pairs(radius), reference_pairs(d, radius), (pairs_path, data, nbytes, radius))


def test_pairs_at_every_radius_for_short_codes(pairs_path):
    rng = np.random.default_rng(7)
    c = clustered(rng, 200, 2)
    d = codes.hamming(c, c)
    for radius in range(0, 17):  # up to radius = bits: the join falls back to brute force
        assert_pairs(HammingIndex(c).pairs(radius), reference_pairs(d, radius), radius)


def test_pairs_with_many_exact_copies(pairs_path):
    """A photo copied hundreds of times, near-copies of it, and unrelated codes."""
    rng = np.random.default_rng(11)
    c = rng.integers(0, 256, (1200, 8), dtype=np.uint8)
    c[rng.choice(1200, 400, replace=False)] = c[0]
    near = rng.choice(1200, 100, replace=False)
    c[near] = c[0]
    bits = np.unpackbits(c[near], axis=1)
    bits[np.arange(len(near)), rng.integers(0, 64, len(near))] ^= 1
    c[near] = np.packbits(bits, axis=1)
    d = codes.hamming(c, c)
    for radius in (0, 1, 3):
        assert_pairs(HammingIndex(c).pairs(radius), reference_pairs(d, radius), radius)


def test_pairs_on_degenerate_codes_fall_back_exactly(monkeypatch):
    """Codes equal on 56 of 64 bits: every bucket is huge, so the join must give up hashing."""
    monkeypatch.setattr(index_mod, "BRUTE_FORCE_BELOW", 0)
    calls = []
    brute = index_mod._pairs_brute_force
    monkeypatch.setattr(index_mod, "_pairs_brute_force", lambda w, r: calls.append(len(w)) or brute(w, r))
    c = np.zeros((256, 8), np.uint8)
    c[:, 7] = np.arange(256)
    d = codes.hamming(c, c)
    assert_pairs(HammingIndex(c).pairs(2), reference_pairs(d, 2), "degenerate")
    assert calls == [256]


def test_split_choice():
    assert _choose_split(1_000_000, 64, 4) == (6, 2)  # 6 substrings, 2 must agree: ~21-bit keys
    assert _choose_split(1_000_000, 64, 2)[1] >= 1
    assert _choose_split(3000, 8, 7) is None  # 1-bit substrings: brute force is cheaper
    assert _choose_split(3000, 64, 30) is None  # radius large for the bit count: brute force


@pytest.mark.parametrize("bits,m", [(64, 5), (64, 6), (72, 7), (128, 9), (8, 3), (256, 11)])
def test_substrings_partition_the_bits_with_even_widths(bits, m):
    masks = _substring_masks(bits, (bits + 63) // 64, m)
    widths = np.bitwise_count(masks).sum(axis=1)
    assert widths.sum() == bits and widths.max() - widths.min() <= 1
    union = np.bitwise_or.reduce(masks, axis=0)
    assert all((masks[i] & masks[j]).sum() == 0 for i in range(m) for j in range(i))
    # Exactly the code's bits: the little-endian words hold bytes 0..B-1 in their low bits.
    all_ones = codes.to_words(np.full((1, bits // 8), 255, np.uint8))[0]
    assert np.array_equal(union, all_ones)


def test_pairs_map_to_given_ids():
    c = np.array([[1], [1], [3], [200]], dtype=np.uint8)
    a, b, d = HammingIndex(c, ids=np.array([10, 20, 30, 40])).pairs(1)
    assert list(zip(a.tolist(), b.tolist(), d.tolist())) == [(10, 20, 0), (10, 30, 1), (20, 30, 1)]


@pytest.fixture(params=["faiss", "numpy"])
def scan(request, monkeypatch):
    """k-NN and radius queries with FAISS (when installed) and with the numpy fallback."""
    if request.param == "faiss":
        pytest.importorskip("faiss")
    else:
        monkeypatch.setattr(HammingIndex, "_faiss", lambda self: None)
    return request.param


@pytest.mark.parametrize("nbytes", BYTES)
def test_knn_and_within_match_brute_force_with_ties_by_position(nbytes, scan):
    rng = np.random.default_rng(100 + nbytes)
    c = clustered(rng, 2000, nbytes)  # many equal distances, and exact copies of code 0
    ids = rng.permutation(10_000)[:2000].astype(np.int64)
    index = HammingIndex(c, ids)
    for q in (c[0], c[7], c[1999], rng.integers(0, 256, nbytes, dtype=np.uint8)):
        order, d = reference_order(c, q)
        for k in (1, 5, 10, 100, 1999, 2000, 5000):
            got_ids, got_d = index.knn(q, k)
            assert np.array_equal(got_ids, ids[order[:k]]) and np.array_equal(got_d, d[order[:k]]), (k, scan)
            assert got_ids.dtype == np.int64 and got_d.dtype == np.int32
        for radius in range(0, min(10, nbytes * 8) + 1):
            expected = order[d[order] <= radius]
            got_ids, got_d = index.within(q, radius)
            assert np.array_equal(got_ids, ids[expected]) and np.array_equal(got_d, d[expected]), (radius, scan)


def test_ties_are_broken_by_position(scan):
    c = np.array([[0b11], [0b01], [0b10], [0b00], [0b01], [0b10]], dtype=np.uint8)  # distances 2,1,1,0,1,1
    index = HammingIndex(c, ids=np.array([50, 40, 30, 20, 10, 0]))
    assert index.knn(np.array([0], np.uint8), 3)[0].tolist() == [20, 40, 30]
    assert index.within(np.array([0], np.uint8), 1)[0].tolist() == [20, 40, 30, 10, 0]


def test_edge_cases(scan):
    q = np.zeros(8, np.uint8)
    empty = HammingIndex(np.zeros((0, 8), np.uint8))
    assert len(empty) == 0 and empty.bits == 64
    for ids, dist in (empty.knn(q, 5), empty.within(q, 3), empty.pairs(3)[::2]):
        assert len(ids) == 0 and len(dist) == 0
    one = HammingIndex(np.full((1, 8), 3, np.uint8), ids=np.array([9]))
    assert [x.tolist() for x in one.knn(q, 10)] == [[9], [16]]
    assert len(one.within(q, 15)[0]) == 0 and one.within(q, 16)[0].tolist() == [9]
    assert len(one.pairs(64)[0]) == 0
    two = HammingIndex(np.zeros((2, 8), np.uint8))
    assert [x.tolist() for x in two.pairs(0)] == [[0], [1], [0]]


def test_errors_name_the_allowed_range():
    one = HammingIndex(np.zeros((1, 8), np.uint8))
    q = np.zeros(8, np.uint8)
    for bad in (-1, 65, 2.5, True):
        with pytest.raises(UsageError, match="radius must be an integer from 0 to 64"):
            one.pairs(bad)
        with pytest.raises(UsageError, match="from 0 to 64"):
            one.within(q, bad)
    for bad in (0, -3, 1.5):
        with pytest.raises(UsageError, match="k must be an integer from 1 up"):
            one.knn(q, bad)
    with pytest.raises(UsageError, match=r"query must be one packed 64-bit code \(uint8 \[8\]\)"):
        one.knn(np.zeros(4, np.uint8), 1)
    with pytest.raises(ValueError, match="ids must be"):
        HammingIndex(np.zeros((3, 8), np.uint8), ids=np.arange(2))


def test_gated_pairs_are_the_pairs_that_pass_a_gate_and_the_radius():
    """A two-part code (64 + 128 bits): the gated join equals the brute-force filter, for every radius, on
    clustered codes large enough for the multi-index join inside each gate."""
    rng = np.random.default_rng(3)
    centres = rng.integers(0, 256, (400, 24), dtype=np.uint8)
    c = centres[rng.integers(0, 400, 5000)]
    flips = rng.random((5000, 192)) < 0.06
    c = np.packbits(np.unpackbits(c, axis=1) ^ flips, axis=1)
    c[4000:4100] = c[:100]  # exact copies
    gates = ((0, 64, 6), (64, 128, 5))
    whole = codes.hamming(c, c)
    passes = (codes.hamming(c[:, :8], c[:, :8]) <= 6) | (codes.hamming(c[:, 8:16], c[:, 8:16]) <= 5)
    index = HammingIndex(c, ids=np.arange(5000) * 7)
    for radius in (0, 12, 30):
        a, b, d = index.pairs(radius, gates)
        rows, cols = np.nonzero(np.triu((whole <= radius) & passes, k=1))
        expected = {(int(r), int(col), int(whole[r, col])) for r, col in zip(rows, cols)}
        got = {(int(x) // 7, int(y) // 7, int(z)) for x, y, z in zip(a, b, d)}
        assert got == expected, radius
        assert list(zip(a.tolist(), b.tolist())) == sorted(zip(a.tolist(), b.tolist()))
    assert len(index.pairs(30, gates)[0]) < len(index.pairs(30)[0])  # the gates do reject pairs here


def test_gates_are_checked():
    index = HammingIndex(np.zeros((3, 16), np.uint8))
    for bad in ((0, 60, 3), (0, 136, 3), (64, 64, 0), (0, 64, 65)):
        with pytest.raises(UsageError, match="gate"):
            index.pairs(4, [bad])


def test_within_with_gates_keeps_what_pairs_keeps():
    rng = np.random.default_rng(5)
    c = rng.integers(0, 256, (300, 16), dtype=np.uint8)
    c[1:40] = c[0]
    flips = rng.random((39, 128)) < 0.08
    c[1:40] = np.packbits(np.unpackbits(c[1:40], axis=1) ^ flips, axis=1)
    gates = ((0, 64, 4), (64, 128, 6))
    index = HammingIndex(c)
    a, b, d = index.pairs(16, gates)
    expected = {(int(y), int(dist)) for x, y, dist in zip(a, b, d) if x == 0}
    ids, dist = index.within(c[0], 16, gates)
    assert {(int(i), int(x)) for i, x in zip(ids, dist) if i != 0} == expected
    assert len(expected) and len(index.within(c[0], 16)[0]) > len(ids)  # the gates did reject some


def shipped_like(rng, n, photos):
    """Codes shaped as the default model's (64 pHash bits, 64 learned, the learned again): copies of a few photos,
    0-6 bit flips in each part, some exact copies; so many pairs pass both gates and must be reported once."""
    bits = np.unpackbits(rng.integers(0, 256, (photos, 16), dtype=np.uint8), axis=1)[rng.integers(0, photos, n)]
    for part in (0, 64):
        for k in range(1, 7):
            rows = np.flatnonzero(rng.integers(0, 7, n) >= k)
            bits[rows, part + rng.integers(0, 64, len(rows))] ^= 1
    c = np.packbits(np.concatenate([bits, bits[:, 64:]], axis=1), axis=1)
    c[::40] = c[1]
    return c


@pytest.mark.parametrize("photos", [300, 3000])
def test_gated_join_of_default_model_codes_equals_brute_force(photos, pairs_path):
    """The default model's duplicate join (radius 37, gates of 8 on pHash and the learned bits) on each path equals
    the brute-force filter: every pair, once, in order, with its distance."""
    rng = np.random.default_rng(photos)
    c = shipped_like(rng, 3000, photos)
    gates = ((0, 64, 8), (64, 128, 8))
    whole = codes.hamming(c, c)
    passes = (codes.hamming(c[:, :8], c[:, :8]) <= 8) | (codes.hamming(c[:, 8:16], c[:, 8:16]) <= 8)
    for radius in (20, 37):
        rows, cols = np.nonzero(np.triu((whole <= radius) & passes, k=1))
        got = HammingIndex(c).pairs(radius, gates)
        assert_pairs(got, (rows, cols, whole[rows, cols]), (pairs_path, photos, radius))
        assert len(rows) > 1000


def test_join_of_one_word_codes_on_hash_collisions_stays_exact(monkeypatch):
    """Bucket keys are hashed into the bits left over by the positions; with only 8 left (buckets merged
    with others) the pairs must still be exact: each pair checked to agree on its combination, reported once."""
    monkeypatch.setattr(index_mod, "BRUTE_FORCE_BELOW", 0)
    real = index_mod._bucket_key
    monkeypatch.setattr(index_mod, "_bucket_key", lambda words, mask, index_bits: real(words, mask, 56))
    rng = np.random.default_rng(9)
    c = clustered(rng, 2500, 8)
    d = codes.hamming(c, c)
    for radius in (2, 4, 6):
        assert_pairs(HammingIndex(c).pairs(radius), reference_pairs(d, radius), radius)
