"""Which copy to keep: ordered rules (as beets' duplicates plugin orders its candidates), never the order files
were found. The rules are successive filters: each keeps the candidates that tie with the best within its tolerance,
and the group records the rule that left one (``decided_by``), in plain words. Files in reference folders are
protected: never suggested for removal, and when a group holds one, the keeper is chosen among them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence

from .catalog import FileRow
from .errors import UsageError
from .images import is_raw
from .units import human_bytes

KEEPER_RULES = ("raw", "resolution", "size", "oldest", "metadata", "original", "path")

# What apps and people add to a photo's name when they copy it: "IMG_1 (1)", "IMG_1 copy 2", "IMG_1-edited",
# "IMG_1~2", and messengers' own names ("IMG-20190601-WA0003": WhatsApp strips the EXIF too).
COPY_NAME = re.compile(r"(?:\s\(\d+\)|[\s_-]copy(?:\s?\d+)?|[\s_-]edit(?:ed)?|~\d+|-WA\d{4}|_\d{13,})$", re.IGNORECASE)

# Two files whose sizes differ by less than this share of the larger are the same size to the "size" rule:
# re-saving a photo (a brightness edit at a similar quality) changes its size by a few tenths of a percent,
# which says nothing about which one is the original.
SIZE_TOLERANCE = 0.03


def _dims(f: FileRow) -> str:
    return f"{f.width}×{f.height}" if f.width and f.height else "size unknown"


def _span(ns: int) -> str:
    """A time difference in plain words: "3 s", "2 days"."""
    seconds = ns / 1e9
    for unit, length in (("days", 86400), ("h", 3600), ("min", 60), ("s", 1)):
        if seconds >= length:
            value = seconds / length
            return f"{value:.0f} {unit}" if value >= 10 or unit != "days" else f"{value:.1f} {unit}"
    return "under a second"


def _facts(f: FileRow) -> list[str]:
    """The EXIF facts the "metadata" rule counts."""
    return [name for name, present in (("capture date", bool(f.captured_at)), ("camera", bool(f.camera)),
                                       ("GPS", f.has_gps is True)) if present]


# A rule takes the candidates (two or more) and the other photos of each one's stack (path -> paths: a JPEG's RAW),
# and returns those that tie with the best within its tolerance, and a plain-words reason for the best against the
# best of those it dropped (used when one is left).
Rule = Callable[[list[FileRow], Mapping[str, Sequence[str]]], tuple[list[FileRow], str]]


def _best(candidates: list[FileRow], key: Callable[[FileRow], object]) -> tuple[list[FileRow], FileRow | None]:
    """The candidates with the smallest key, and the best one of the others (None: all tied)."""
    best = min(key(f) for f in candidates)
    kept = [f for f in candidates if key(f) == best]
    dropped = [f for f in candidates if key(f) != best]
    return kept, (min(dropped, key=key) if dropped else None)


def _resolution(candidates: list[FileRow], stacked: Mapping[str, Sequence[str]]) -> tuple[list[FileRow], str]:
    kept, other = _best(candidates, lambda f: -f.pixels)
    return kept, (f"more pixels ({_dims(kept[0])} vs {_dims(other)})" if other else "")


def _size(candidates: list[FileRow], stacked: Mapping[str, Sequence[str]]) -> tuple[list[FileRow], str]:
    largest = max(f.size for f in candidates)
    kept = [f for f in candidates if f.size >= largest * (1 - SIZE_TOLERANCE)]
    dropped = [f for f in candidates if f.size < largest * (1 - SIZE_TOLERANCE)]
    if not dropped:
        return kept, ""
    top, other = max(kept, key=lambda f: f.size), max(dropped, key=lambda f: f.size)
    return kept, f"larger file ({human_bytes(top.size)} vs {human_bytes(other.size)})"


def _oldest(candidates: list[FileRow], stacked: Mapping[str, Sequence[str]]) -> tuple[list[FileRow], str]:
    """The older file: the one with an EXIF capture date (an edited copy often lost it), then the earliest
    capture date, then the file modified first (a copy or an edit is written after its source)."""
    reason = ""
    kept, other = _best(candidates, lambda f: not f.captured_at)
    if other is not None:
        reason = "the only one with a capture date" if len(kept) == 1 else ""
    if len(kept) > 1:
        kept, other = _best(kept, lambda f: f.captured_at or "")
        if other is not None:
            reason = (f"older capture date ({kept[0].captured_at.replace('T', ' ')[:19]} vs "
                      f"{other.captured_at.replace('T', ' ')[:19]})")
    if len(kept) > 1:
        kept, other = _best(kept, lambda f: f.mtime_ns)
        if other is not None:
            reason = f"older file (modified {_span(other.mtime_ns - kept[0].mtime_ns)} before the next copy)"
    return kept, reason


def _metadata(candidates: list[FileRow], stacked: Mapping[str, Sequence[str]]) -> tuple[list[FileRow], str]:
    """Richer EXIF (capture date, camera, GPS): editors and messengers strip it, cameras write it."""
    kept, other = _best(candidates, lambda f: -len(_facts(f)))
    if other is None:
        return kept, ""
    return kept, f"richer metadata ({', '.join(_facts(kept[0]))} vs {', '.join(_facts(other)) or 'none'})"


def _path(candidates: list[FileRow], stacked: Mapping[str, Sequence[str]]) -> tuple[list[FileRow], str]:
    kept, other = _best(candidates, lambda f: f.path)
    return kept, ("first by path (the other rules tied)" if other else "")


def _raw(candidates: list[FileRow], stacked: Mapping[str, Sequence[str]]) -> tuple[list[FileRow], str]:
    """The camera's RAW, alone or beside its JPEG: what a photographer keeps, and cannot make again from a JPEG."""
    def raw_of(f: FileRow) -> str:
        return next((p for p in (f.path, *stacked.get(f.path, ())) if is_raw(p)), "")

    kept, other = _best(candidates, lambda f: not raw_of(f))
    if other is None:
        return kept, ""
    where = raw_of(kept[0])
    return kept, ("the RAW" if where == kept[0].path else f"kept with its RAW ({os.path.basename(where)})")


def copy_name(path: str) -> bool:
    """Does the name look like one an app or a person gave a copy ("IMG_1 (1).jpg", "IMG_1 copy.jpg")?"""
    return bool(COPY_NAME.search(os.path.splitext(os.path.basename(path))[0]))


def _original(candidates: list[FileRow], stacked: Mapping[str, Sequence[str]]) -> tuple[list[FileRow], str]:
    """The camera-made original over an app-made copy: the name the camera gave, and the camera in its EXIF."""
    kept, other = _best(candidates, lambda f: (copy_name(f.path), not f.camera))
    if other is None:
        return kept, ""
    if copy_name(other.path) and not copy_name(kept[0].path):
        return kept, (f"the original's name ({os.path.basename(kept[0].path)} vs "
                      f"{os.path.basename(other.path)})")
    return kept, f"made by a camera ({kept[0].camera}) rather than an app"


RULES: dict[str, Rule] = {
    "raw": _raw,  # a RAW, or a photo stacked with its RAW
    "resolution": _resolution,  # most pixels
    "size": _size,  # largest file (least compressed), when it is larger by more than SIZE_TOLERANCE
    "oldest": _oldest,  # captured first, then modified first
    "metadata": _metadata,  # most of capture date, camera, GPS
    "original": _original,  # the camera's name and EXIF, not a copy's ("IMG_1 (1).jpg") or an app's
    "path": _path,  # alphabetical path: stable last resort
}


def choose_keeper(files: Sequence[FileRow], rules: Sequence[str] = KEEPER_RULES,
                  stacked: Mapping[str, Sequence[str]] | None = None) -> tuple[FileRow, str, str]:
    """The file to keep among ``files``, the rule that decided and why in plain words. The rules filter in turn;
    the path breaks what they leave tied, so the choice never depends on the order files were found. ``stacked``:
    the other photos of each file's stack, by path (engine.stacks)."""
    candidates = list(files)
    for name in (*rules, "path"):
        if len(candidates) == 1:
            break
        candidates, reason = RULES[name](candidates, stacked or {})
        if len(candidates) == 1:
            return candidates[0], name, reason
    return candidates[0], "", ""


def check_rules(rules: Sequence[str]) -> tuple[str, ...]:
    unknown = [r for r in rules if r not in RULES]
    if unknown or not rules:
        raise UsageError(f"unknown keeper rule {', '.join(unknown) or '(none given)'}; known rules: {', '.join(RULES)}")
    return tuple(rules)


def in_folders(path: str, folders: Sequence[str]) -> bool:
    """Is ``path`` inside one of ``folders``? Whole path components only: /a/ref does not hold /a/reference2."""
    path = os.path.normpath(os.path.abspath(path))
    for folder in folders:
        folder = os.path.normpath(os.path.abspath(folder))
        if path == folder or path.startswith(folder.rstrip(os.sep) + os.sep):
            return True
    return False


def keeper_among(files: list[FileRow], rules: tuple[str, ...], references: list[str],
                 stacked: Mapping[str, Sequence[str]] | None = None) -> tuple[FileRow, str, str, set]:
    """The keeper among ``files`` (among those in reference folders first), the rule that decided, why, and the ids
    of the files in reference folders."""
    protected = {f.id for f in files if in_folders(f.path, references)}
    pool = [f for f in files if f.id in protected] or files
    keeper, rule, reason = choose_keeper(pool, rules, stacked)
    if len(pool) < len(files):  # the reference folders decided first
        rule, reason = "reference", ("in a reference folder" if len(pool) == 1 else
                                     f"in a reference folder, then {reason}")
    return keeper, rule, reason, protected
