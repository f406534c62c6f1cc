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
