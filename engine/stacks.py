"""Files that belong together and move together (issue 25, part 2): a RAW and the JPEG or HEIC the camera wrote
beside it of the same shot, a Live Photo's still and its video, and a photo's sidecars (.xmp, .aae, .pp3, .dop,
.on1). A stack is never a group of duplicates of itself; where two stacks are copies, the whole stack moves.

Found by name, as cameras and phones write them: one folder, one stem ("IMG_1234.CR2" + "IMG_1234.JPG"), the
photos taken at the same moment where both say when; a sidecar is "IMG_1234.xmp" or "IMG_1234.CR2.xmp" (darktable,
digiKam)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .images import IMAGE_EXTENSIONS, RAW_EXTENSIONS

SIDECAR_EXTENSIONS = frozenset({".xmp", ".aae", ".pp3", ".dop", ".on1"})
LIVE_VIDEO_EXTENSIONS = frozenset({".mov", ".mp4"})  # a Live Photo's (iPhone) or Motion Photo's clip beside its still


@dataclass(frozen=True)
class Stack:
    lead: str  # the photo the stack is shown and grouped by: its JPEG or HEIC where it has one, else its RAW
    photos: tuple[str, ...]  # its photos, the lead first
    companions: tuple[str, ...] = ()  # files that are not photos but go with it: a Live Photo's video, sidecars

    @property
    def paths(self) -> tuple[str, ...]:
        """Everything that moves with it, to the trash and back."""
        return self.photos + self.companions


def _key(path: str) -> tuple[str, str]:
    folder, name = os.path.split(path)
    return os.path.normcase(folder), os.path.splitext(name)[0].casefold()


def _is_raw(path: str) -> bool:
    return os.path.splitext(path)[1].lower() in RAW_EXTENSIONS


def find_stacks(photos: Mapping[str, str | None], folder_names: Mapping[str, Iterable[str]] | None = None
                ) -> dict[str, Stack]:
    """The stacks among ``photos`` (path -> capture time or None), with their companions among the names of each
    folder (``folder_names``: folder -> the names in it; read from disk where not given). Returns each stacked
    photo's stack, by path; a photo alone, with nothing beside it, has none."""
    by_key: dict[tuple[str, str], list[str]] = {}
    for path in photos:
        by_key.setdefault(_key(path), []).append(path)
    listed: dict[str, list[str]] = {}

    def names_in(folder: str) -> list[str]:
        if folder not in listed:
            if folder_names is not None and folder in folder_names:
                listed[folder] = list(folder_names[folder])
            else:
                try:
                    listed[folder] = [e.name for e in os.scandir(folder) if e.is_file(follow_symlinks=False)]
                except OSError:
                    listed[folder] = []
        return listed[folder]

    out: dict[str, Stack] = {}
    for members in by_key.values():
        for stack in _split_by_moment(members, photos):
            folder = os.path.dirname(stack[0])
            companions = _companions(stack, names_in(folder), folder)
            if len(stack) < 2 and not companions:
                continue
            lead = min(stack, key=lambda p: (_is_raw(p), os.path.splitext(p)[1].lower() not in IMAGE_EXTENSIONS, p))
            made = Stack(lead, (lead, *sorted(p for p in stack if p != lead)), companions)
            out.update({p: made for p in stack})
    return out


def _split_by_moment(members: list[str], photos: Mapping[str, str | None]) -> list[list[str]]:
    """One stem's photos, by the moment they were taken: a RAW and a JPEG that both say when, and not the same
    second, are two shots that happen to share a name (a camera's counter wrapped), not one shot."""
    if len(members) < 2:
        return [members]
    parts: list[list[str]] = []
    for path in sorted(members):
        when = (photos.get(path) or "")[:19]
        home = next((part for part in parts if not when or all(
            not (photos.get(p) or "")[:19] or (photos.get(p) or "")[:19] == when for p in part)), None)
        if home is None:
            parts.append([path])
        else:
            home.append(path)
    return parts


def _companions(stack: list[str], names: list[str], folder: str) -> tuple[str, ...]:
    """The files beside ``stack`` that go with it: sidecars named by its stem or by a photo's whole name, and a Live
    Photo's video named by its stem."""
    stems = {os.path.splitext(os.path.basename(p))[0].casefold() for p in stack}
    whole = {os.path.basename(p).casefold() for p in stack}
    taken = {os.path.basename(p) for p in stack}
    found = []
    for name in names:
        if name in taken:
            continue
        base, ext = os.path.splitext(name)
        ext = ext.lower()
        if ext in SIDECAR_EXTENSIONS and (base.casefold() in stems or base.casefold() in whole):
            found.append(os.path.join(folder, name))
        elif ext in LIVE_VIDEO_EXTENSIONS and base.casefold() in stems and not all(_is_raw(p) for p in stack):
            found.append(os.path.join(folder, name))
    return tuple(sorted(found))
