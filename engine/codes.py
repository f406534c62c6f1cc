"""Binary hash codes: packing float model outputs into bits, and Hamming distances.

A code of ``bits`` bits is stored packed as ``bits // 8`` bytes (numpy ``packbits`` order: the
first bit is the most significant bit of the first byte). For distance work the bytes are viewed
as little-endian 64-bit words so one XOR + popcount covers 64 bits.
"""

from __future__ import annotations

import numpy as np


def pack(values: np.ndarray) -> np.ndarray:
    """Threshold model outputs at 0 (strictly positive is a 1 bit) and pack them.

    values: float array [N, bits], bits a multiple of 8. Returns uint8 [N, bits // 8].
    """
    values = np.asarray(values)
    if values.ndim != 2 or values.shape[1] % 8:
        raise ValueError(f"codes must be [N, bits] with bits a multiple of 8, got shape {values.shape}")
    return np.packbits(values > 0, axis=1)


def unpack(packed: np.ndarray) -> np.ndarray:
    """Packed uint8 [N, B] to a bool bit array [N, 8 * B]."""
    return np.unpackbits(np.asarray(packed, dtype=np.uint8), axis=1).astype(bool)


def to_words(packed: np.ndarray) -> np.ndarray:
    """View packed uint8 codes [N, B] as uint64 words [N, ceil(B / 8)], zero-padded.

    Padding bytes are zero in every code, so they never add to a distance.
    """
    packed = np.ascontiguousarray(packed, dtype=np.uint8)
    if packed.ndim != 2:
        raise ValueError(f"packed codes must be [N, B], got shape {packed.shape}")
    n, nbytes = packed.shape
    pad = (-nbytes) % 8
    if pad:
        packed = np.concatenate([packed, np.zeros((n, pad), dtype=np.uint8)], axis=1)
    return packed.view("<u8")


def popcount(words: np.ndarray) -> np.ndarray:
    """Number of set bits per element of an unsigned integer array."""
    return np.bitwise_count(words)


def hamming(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hamming distances between packed codes, broadcasting over rows.

    a: uint8 [B] or [N, B]; b: uint8 [M, B]. Returns int array [M] (a single query) or [N, M].
    """
    a = np.asarray(a, dtype=np.uint8)
    single = a.ndim == 1
    aw = to_words(a[None, :] if single else a)
    bw = to_words(b)
    d = popcount(aw[:, None, :] ^ bw[None, :, :]).sum(axis=2, dtype=np.int32)
    return d[0] if single else d


def to_hex(code: np.ndarray) -> str:
    """One packed code as a hex string (for JSON output and logs)."""
    return np.asarray(code, dtype=np.uint8).tobytes().hex()


def from_hex(text: str) -> np.ndarray:
    """Inverse of :func:`to_hex`."""
    return np.frombuffer(bytes.fromhex(text), dtype=np.uint8).copy()
