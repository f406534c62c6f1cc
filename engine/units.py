"""Quantities as a person reads them: the engine's reasons ("larger file (3.1 MB vs 2.0 MB)") and the faces' tables."""

from __future__ import annotations


def human_bytes(n: int | None) -> str:
    """A byte count in decimal units, as file managers show it: 950 B, 1.2 KB, 3.4 MB."""
    if n is None:
        return ""
    value = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{n} B"


def alike_percent(distance: int, bits: int) -> int:
    """How alike two photos are, in per cent, from the Hamming distance of their ``bits``-bit codes: 100 for the same
    code, 0 at ``bits`` / 2, where two unrelated photos' codes fall (half their bits agree by chance). Never below 0."""
    if bits <= 0 or distance < 0:
        return 0
    return max(0, round(100 * (1 - 2 * distance / bits)))
