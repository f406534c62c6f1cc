"""Index benchmarks: k-NN latency, the all-pairs join, and memory, beside FAISS and brute force.

Run: .venv/bin/python tests/bench/bench_index.py [--sizes 100000 1000000] [--repeats 5]

Fixed seeds, FAISS pinned to 2 threads (our code is single-threaded numpy). Times are wall clock
of the call alone (the index is built beforehand), median and min over the repeats.
- k-NN: k = 100 nearest of one query among N random 64-bit codes, exact, ties by position.
- all pairs: every pair within Hamming radius 4, exact. "random" = uniform codes (few true pairs:
  the cost is all in candidate generation); "clustered" = N/10 centres, each code 0-4 bits from its
  centre, 1 % exact duplicates (many true pairs, like a photo library with edited copies).
- FAISS IndexBinaryMultiHash (nhash = 5 substrings of 12 bits, as multi-index hashing with r + 1 = 5
  tables) is timed at 1e5 and extrapolated quadratically beyond (its candidate count grows as N²).
- brute force = blocked XOR + popcount of all N²/2 pairs, timed at 2e4 and extrapolated as N².
"""

from __future__ import annotations

import argparse
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


def timed(fn, repeats):
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
    centres = rng.integers(0, 256, (n // 10, 8), dtype=np.uint8)
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


def faiss_index(codes, kind):
    import faiss

    faiss.omp_set_num_threads(2)
    index = faiss.IndexBinaryFlat(64) if kind == "flat" else faiss.IndexBinaryMultiHash(64, 5, 12)
    index.add(codes)
    return index


def bench_knn(n, repeats):
    codes = random_codes(n)
    index = HammingIndex(codes)
    queries = codes[:repeats]
    it = iter(range(10**9))
    med, best, _ = timed(lambda: index.knn(queries[next(it) % len(queries)], 100), repeats * 4)
    print(f"  k-NN k=100, N={n:>9,}: ours        median {med * 1e3:7.2f} ms  min {best * 1e3:7.2f} ms")
    fi = faiss_index(codes, "flat")
    med, best, _ = timed(lambda: fi.search(queries[:1], 100), repeats * 4)
    print(f"  k-NN k=100, N={n:>9,}: FAISS flat  median {med * 1e3:7.2f} ms  min {best * 1e3:7.2f} ms")
    words = codes.view("<u8")[:, 0]

    def naive():
        d = np.bitwise_count(words ^ words[0])
        idx = np.argpartition(d, 100)[:100]
        return idx[np.argsort(d[idx], kind="stable")]

    med, best, _ = timed(naive, repeats * 4)
    print(f"  k-NN k=100, N={n:>9,}: numpy naive median {med * 1e3:7.2f} ms  min {best * 1e3:7.2f} ms")


def bench_pairs(n, repeats, kind):
    codes = random_codes(n) if kind == "random" else clustered_codes(n)
    index = HammingIndex(codes)
    med, best, (a, _, _) = timed(lambda: index.pairs(4), repeats)
    print(f"  pairs r=4, {kind:9s} N={n:>9,}: ours          median {med:8.2f} s  min {best:8.2f} s  ({len(a):,} pairs)")
    return codes, len(a)


def bench_faiss_pairs(codes, ours_count):
    fi = faiss_index(codes, "multihash")
    start = time.perf_counter()
    lims, _, labels = fi.range_search(codes, 5)  # FAISS radius is exclusive: < 5 means <= 4
    seconds = time.perf_counter() - start
    rows = np.repeat(np.arange(len(codes)), np.diff(lims).astype(np.int64))
    count = int((labels > rows).sum())
    print(f"  pairs r=4, FAISS MultiHash N={len(codes):>9,}: {seconds:8.2f} s  ({count:,} pairs; ours found {ours_count:,})")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print("k nearest neighbours (64-bit codes)")
    for n in args.sizes:
        bench_knn(n, args.repeats)
    print("\nall pairs within radius 4 (64-bit codes), exact")
    faiss_at = {}
    for kind in ("random", "clustered"):
        for n in args.sizes:
            codes, count = bench_pairs(n, max(1, args.repeats // 2), kind)
            if n <= 100_000:
                faiss_at[kind] = (n, bench_faiss_pairs(codes, count))
    for kind, (n, seconds) in faiss_at.items():
        print(f"  FAISS MultiHash {kind} extrapolated to 1e6 (×(1e6/{n:,})²): {seconds * (1e6 / n) ** 2:,.0f} s")
    small = random_codes(20_000)
    start = time.perf_counter()
    _pairs_brute_force(small.view("<u8"), 4)
    seconds = time.perf_counter() - start
    print(f"  brute force N=20,000: {seconds:.2f} s, extrapolated to 1e6 (×2500): {seconds * 2500:,.0f} s")

    print("\nmemory, 1M 64-bit codes")
    codes = clustered_codes(1_000_000)
    tracemalloc.start()
    index = HammingIndex(codes)
    built = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    index.pairs(4)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"  index held: {built / 2**20:.1f} MiB; peak during pairs(4): {peak / 2**20:.0f} MiB; "
          f"process max RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10:.0f} MiB")


if __name__ == "__main__":
    main()
