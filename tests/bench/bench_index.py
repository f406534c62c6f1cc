"""Index benchmarks: k-NN latency, the exact all-pairs join and memory, beside FAISS and brute force.

Run: .venv/bin/python tests/bench/bench_index.py [--sizes 100000 1000000] [--repeats 5] [--faiss-full]
     .venv/bin/python tests/bench/bench_index.py --scale 10000000   (the default model's join alone, at one size:
     time and the process's peak RSS; codes made a million at a time so making them does not set the peak)

Data (fixed seeds): 64-bit codes; and 192-bit codes shaped as the shipped model's (``shipped_like_codes``).
- random: uniform codes (at radius 4 almost no true pairs: the cost is all candidate generation).
- clustered: N/10 random centres, each code 0-4 random bit flips from its centre, then 1 % of the
  codes overwritten by exact copies of others (a photo library with edited and copied photos).

What each timing includes: wall clock of the call alone, after the index is built and warmed
(FAISS's flat index is built on the first query, outside the timing); median and min over the
repeats. FAISS runs pinned to 2 threads (faiss.omp_set_num_threads(2)); our code is numpy on one
thread except where it calls FAISS.
- k-NN: k = 100 nearest of one query code (a different code of the set each repeat, 20 x repeats
  queries), exact, ties by position. "ours" = HammingIndex.knn (FAISS search for the k-th distance,
  FAISS range search, sort by (distance, position)); "ours, numpy" = the same without faiss;
  "FAISS flat" = IndexBinaryFlat.search alone (ties in arbitrary order); "numpy naive" = XOR +
  popcount + argpartition + sort.
- all pairs: every pair within Hamming radius 4, exact, including the final sort and the mapping
  to ids. FAISS IndexBinaryMultiHash(64, nhash=5, b=12) (5 = r + 1 tables of 12 bits: exact by
  pigeonhole) answers range_search(all codes, radius < 5); it is timed once at sizes <= 1e5 and
  extrapolated as N² (its candidate count grows as N² / 2^12) unless --faiss-full. Brute force =
  our blocked XOR + popcount over all N²/2 pairs, timed once at 1e5 and extrapolated as N².
- memory: tracemalloc peak (numpy buffers) while building the index and during pairs(4), 1M
  clustered codes; and the process's max RSS.
"""

from __future__ import annotations

import argparse
import platform
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from engine.index import HammingIndex, _pairs_brute_force  # noqa: E402

K = 100
RADIUS = 4


def timed(fn, repeats):
    """(median s, min s, last result) of fn() over repeats calls."""
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times), result


def random_codes(n, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n, 8), dtype=np.uint8)


def clustered_codes(n, seed=1):
    rng = np.random.default_rng(seed)
    centres = rng.integers(0, 256, (max(1, n // 10), 8), dtype=np.uint8)
    codes = centres[rng.integers(0, len(centres), n)]
    bits = np.unpackbits(codes, axis=1)
    flips = rng.integers(0, 5, n)
    for k in range(1, 5):
        rows = np.flatnonzero(flips >= k)
        bits[rows, rng.integers(0, 64, len(rows))] ^= 1
    codes = np.packbits(bits, axis=1)
    dup = rng.choice(n, n // 100, replace=False)
    codes[dup] = codes[rng.integers(0, n, len(dup))]
    return codes


def row(what, n, med, best, unit, note=""):
    scale = 1e3 if unit == "ms" else 1.0
    print(f"  {what:<36s} N={n:>9,}  median {med * scale:9.2f} {unit}  min {best * scale:9.2f} {unit}  {note}")


def bench_knn(n, repeats):
    import faiss

    codes = random_codes(n)
    queries = codes[np.random.default_rng(2).integers(0, n, 20 * repeats)]
    index = HammingIndex(codes)
    index.knn(queries[0], K)  # builds FAISS's flat index
    numpy_index = HammingIndex(codes)
    numpy_index._flat = False  # the numpy fallback, as without faiss
    words = codes.view("<u8")[:, 0]

    def naive(q):
        d = np.bitwise_count(words ^ q.view("<u8")[0])
        idx = np.argpartition(d, K)[:K]
        return idx[np.lexsort((idx, d[idx]))]

    flat = faiss.IndexBinaryFlat(64)
    flat.add(codes)
    for what, fn in (
        ("k-NN k=100, ours (FAISS + ties)", lambda q: index.knn(q, K)),
        ("k-NN k=100, ours, numpy only", lambda q: numpy_index.knn(q, K)),
        ("k-NN k=100, FAISS flat (raw)", lambda q: flat.search(q[None], K)),
        ("k-NN k=100, numpy naive", naive),
    ):
        it = iter(queries)
        med, best, _ = timed(lambda: fn(next(it)), len(queries))
        row(what, n, med, best, "ms")
    # Exactness: ours equals the (distance, position) reference on every query, both paths.
    for q in queries[:20]:
        d = np.bitwise_count(words ^ q.view("<u8")[0])
        ref = np.lexsort((np.arange(n), d))[:K]
        assert np.array_equal(index.knn(q, K)[0], ref) and np.array_equal(numpy_index.knn(q, K)[0], ref)


def faiss_pairs(codes):
    """FAISS IndexBinaryMultiHash exact range search: (seconds, pairs i < j)."""
    import faiss

    mh = faiss.IndexBinaryMultiHash(64, RADIUS + 1, 12)
    mh.add(codes)
    start = time.perf_counter()
    lims, _, labels = mh.range_search(codes, RADIUS + 1)  # FAISS keeps distances < radius + 1
    seconds = time.perf_counter() - start
    rows = np.repeat(np.arange(len(codes)), np.diff(lims).astype(np.int64))
    return seconds, int((labels > rows).sum())


def bench_pairs(sizes, repeats, faiss_full):
    extrapolated = []
    for kind in ("random", "clustered"):
        faiss_at = None
        for n in sizes:
            codes = random_codes(n) if kind == "random" else clustered_codes(n)
            index = HammingIndex(codes)
            med, best, (a, _, _) = timed(lambda: index.pairs(RADIUS), repeats)
            row(f"pairs r=4 {kind:9s} ours", n, med, best, "s", f"{len(a):,} pairs")
            if n <= 100_000 or faiss_full:
                seconds, count = faiss_pairs(codes)
                same = "== ours" if count == len(a) else f"!= ours ({len(a):,}) MISMATCH"
                row(f"pairs r=4 {kind:9s} FAISS MultiHash", n, seconds, seconds, "s", f"{count:,} pairs {same} (1 run)")
                faiss_at = (n, seconds)
            elif faiss_at:
                n0, s0 = faiss_at
                extrapolated.append(f"  FAISS MultiHash {kind} N={n:,}: ~{s0 * (n / n0) ** 2:,.0f} s "
                                    f"(extrapolated as N² from {s0:.2f} s at N={n0:,}; not run)")
    for line in extrapolated:
        print(line)
    n = 100_000
    words = random_codes(n).view("<u8")
    start = time.perf_counter()
    _pairs_brute_force(words, RADIUS)
    seconds = time.perf_counter() - start
    row("pairs r=4 random    brute force", n, seconds, seconds, "s", "(1 run)")
    print(f"  brute force N=1,000,000: ~{seconds * 100:,.0f} s (extrapolated as N² from N=100,000; not run)")


def shipped_like_codes(n, seed=4):
    """192-bit codes shaped as photohash192's: 64 pHash bits, 64 learned bits, the learned bits again. N/10 photos,
    each copy 0-6 bit flips from its photo in each part, 1 % exact copies."""
    rng = np.random.default_rng(seed)
    centres = np.unpackbits(rng.integers(0, 256, (max(1, n // 10), 16), dtype=np.uint8), axis=1)
    bits = centres[rng.integers(0, len(centres), n)]
    for part in (0, 64):
        flips = rng.integers(0, 7, n)
        for k in range(1, 7):
            rows = np.flatnonzero(flips >= k)
            bits[rows, part + rng.integers(0, 64, len(rows))] ^= 1
    codes = np.packbits(np.concatenate([bits, bits[:, 64:]], axis=1), axis=1)
    dup = rng.choice(n, n // 100, replace=False)
    codes[dup] = codes[rng.integers(0, n, len(dup))]
    return codes


def bench_gated(sizes, repeats):
    """The shipped model's duplicate join: radius 37 of 192 bits, gates of 8 on pHash and on the learned bits."""
    gates = ((0, 64, 8), (64, 128, 8))
    for n in sizes:
        codes = shipped_like_codes(n)
        index = HammingIndex(codes)
        med, best, (a, _, _) = timed(lambda: index.pairs(37, gates), repeats)
        row("pairs r=37 gated (8, 8) ours", n, med, best, "s", f"{len(a):,} pairs")
        queries = codes[np.random.default_rng(2).integers(0, n, 20 * repeats)]
        index.knn(queries[0], K)
        it = iter(queries)
        med, best, _ = timed(lambda: index.knn(next(it), K), len(queries))
        row("k-NN k=100, 192 bits, ours", n, med, best, "ms")


def shipped_like_codes_chunked(n, seed=4, chunk=1_000_000):
    """As :func:`shipped_like_codes` (N/10 photos, 0-6 flips a part, 1 % exact copies), made a chunk at a time."""
    rng = np.random.default_rng(seed)
    centres = rng.integers(0, 256, (max(1, n // 10), 16), dtype=np.uint8)
    codes = np.empty((n, 24), np.uint8)
    for start in range(0, n, chunk):
        size = min(chunk, n - start)
        bits = np.unpackbits(centres[rng.integers(0, len(centres), size)], axis=1)
        for part in (0, 64):
            flips = rng.integers(0, 7, size)
            for k in range(1, 7):
                rows = np.flatnonzero(flips >= k)
                bits[rows, part + rng.integers(0, 64, len(rows))] ^= 1
        codes[start:start + size] = np.packbits(np.concatenate([bits, bits[:, 64:]], axis=1), axis=1)
    dup = rng.choice(n, n // 100, replace=False)
    codes[dup] = codes[rng.integers(0, n, len(dup))]
    return codes


def bench_scale(n):
    """One run of the default model's duplicate join at n codes: seconds, pairs, and peak RSS."""
    gates = ((0, 64, 8), (64, 128, 8))
    codes = shipped_like_codes_chunked(n)
    index = HammingIndex(codes)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    a, b, d = index.pairs(37, gates)
    seconds = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = a.nbytes + b.nbytes + d.nbytes
    print(f"  pairs r=37 gated (8, 8) N={n:,}: {seconds:.1f} s (1 run), {len(a):,} pairs; process peak RSS "
          f"{rss / 2**20:.2f} GiB ({rss_before / 2**20:.2f} GiB before the join: the codes, {codes.nbytes / 2**30:.2f} GiB, "
          f"and making them); the result alone {result / 2**30:.2f} GiB")


def bench_memory():
    codes = clustered_codes(1_000_000)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    index = HammingIndex(codes)
    held, build_peak = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    a, b, d = index.pairs(RADIUS)
    result = a.nbytes + b.nbytes + d.nbytes
    pairs_peak = tracemalloc.get_traced_memory()[1] - held
    tracemalloc.stop()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"  index build: holds {held / 2**20:.1f} MiB (codes as uint64 words), peak {build_peak / 2**20:.1f} MiB")
    print(f"  pairs(4), clustered: peak {pairs_peak / 2**20:.0f} MiB above the index, "
          f"of which the result is {result / 2**20:.0f} MiB ({len(a):,} pairs)")
    print(f"  process max RSS {rss_after / 2**10:.0f} MiB (grew {max(0, rss_after - rss_before) / 2**10:.0f} MiB "
          f"in this step; earlier steps already raised it)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--faiss-full", action="store_true", help="run FAISS MultiHash at every size (slow)")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--scale", type=int, help="only the default model's join at this many codes (e.g. 10000000)")
    args = parser.parse_args()
    if args.scale:
        print(f"numpy {np.__version__}, Python {platform.python_version()}, {platform.machine()}")
        bench_scale(args.scale)
        return
    import faiss

    faiss.omp_set_num_threads(2)
    print(f"numpy {np.__version__}, faiss {faiss.__version__}, Python {platform.python_version()}, "
          f"{platform.machine()}, repeats {args.repeats}")
    print(f"\nk nearest neighbours, k={K}, random 64-bit codes (per query)")
    for n in args.sizes:
        bench_knn(n, args.repeats)
    print(f"\nall pairs within radius {RADIUS}, 64-bit codes, exact (whole join)")
    bench_pairs(args.sizes, args.repeats, args.faiss_full)
    print("\nthe shipped model's codes (photohash192: pHash + learned x2, 192 bits), exact")
    bench_gated(args.sizes, args.repeats)
    if not args.skip_memory:
        print("\nmemory, 1M clustered 64-bit codes")
        bench_memory()


if __name__ == "__main__":
    main()
