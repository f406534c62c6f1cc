"""Files that belong together and move together (issue 25, part 2): a RAW and the JPEG or HEIC the camera wrote
beside it of the same shot, a Live Photo's still and its video, and a photo's sidecars (.xmp, .aae, .pp3, .dop,
.on1). A stack is never a group of duplicates of itself; where two stacks are copies, the whole stack moves.

Found by name, as cameras and phones write them: one folder, one stem ("IMG_1234.CR2" + "IMG_1234.JPG"), one RAW
with the JPEG or HEIC beside it, taken at the same moment where both say when; a sidecar is "IMG_1234.CR2.xmp"
(darktable, digiKam) or "IMG_1234.xmp" (Adobe) where that stem names one shot."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .catalog import Catalog, FileRow
from .images import IMAGE_EXTENSIONS, is_raw, is_video

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


def find_stacks(photos: Mapping[str, str | None], folder_names: Mapping[str, Iterable[str]] | None = None, *,
                companions: bool = True) -> dict[str, Stack]:
    """The stacks among ``photos`` (path -> capture time or None), with their companions among the names of each
    folder (``folder_names``: folder -> the names in it; read from disk where not given). Returns each stacked
    photo's stack, by path; a photo alone, with nothing beside it, has none. Without ``companions`` nothing is read
    from disk, and only stacks of two photos or more are found (what grouping needs)."""
    by_key: dict[tuple[str, str], list[str]] = {}
    for path in photos:
        if not is_video(path):  # a video beside a photo of its name is a Live Photo's: a companion, found on disk
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
        shots = [shot for part in _split_by_moment(members, photos) for shot in _one_raw_each(part)]
        for stack in shots:
            if len(stack) < 2 and not companions:
                continue
            folder = os.path.dirname(stack[0])
            # a sidecar or video named by the stem alone is this shot's only when the stem names one shot
            beside = _companions(stack, names_in(folder), folder, by_stem=len(shots) == 1) if companions else ()
            if len(stack) < 2 and not beside:
                continue
            lead = min(stack, key=lambda p: (is_raw(p), os.path.splitext(p)[1].lower() not in IMAGE_EXTENSIONS, p))
            made = Stack(lead, (lead, *sorted(p for p in stack if p != lead)), beside)
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


def _one_raw_each(part: list[str]) -> list[list[str]]:
    """One moment's photos of one stem as shots: a RAW with the JPEG, HEIC or TIFF the camera wrote beside it is one
    shot; photos of one name without a RAW (IMG_1.jpg and the IMG_1.png saved from it), or with two (IMG_1.CR2 and
    the IMG_1.dng converted from it), are each their own, and may be each other's copies."""
    raws = [p for p in part if is_raw(p)]
    return [part] if len(raws) == 1 else [[p] for p in part]


def _companions(stack: list[str], names: list[str], folder: str, by_stem: bool = True) -> tuple[str, ...]:
    """The files beside ``stack`` that go with it: sidecars named by a photo's whole name, and (``by_stem``: the
    stem names this shot alone) sidecars named by its stem and a Live Photo's video."""
    stems = {os.path.splitext(os.path.basename(p))[0].casefold() for p in stack}
    whole = {os.path.basename(p).casefold() for p in stack}
    taken = {os.path.basename(p) for p in stack}
    found = []
    for name in names:
        if name in taken:
            continue
        base, ext = os.path.splitext(name)
        ext = ext.lower()
        if ext in SIDECAR_EXTENSIONS and ((by_stem and base.casefold() in stems) or base.casefold() in whole):
            found.append(os.path.join(folder, name))
        elif (ext in LIVE_VIDEO_EXTENSIONS and by_stem and base.casefold() in stems
              and not all(is_raw(p) for p in stack)):
            found.append(os.path.join(folder, name))
    return tuple(sorted(found))


def live_photo_videos(paths: Iterable[str]) -> set[str]:
    """The videos among ``paths`` that are a Live Photo's clip, as :func:`find_stacks` takes them for companions: named
    by the stem of a still beside them that is not a RAW (a camera's clip of a RAW's number is a clip of its own)."""
    paths = list(paths)
    stills = {_key(p) for p in paths if not is_video(p) and not is_raw(p)}
    return {p for p in paths if os.path.splitext(p)[1].lower() in LIVE_VIDEO_EXTENSIONS and _key(p) in stills}


@dataclass(frozen=True)
class Stacks:
    """The catalog's stacks of two photos or more, as grouping uses them: each stack is compared and shown by its
    lead alone (a RAW and its JPEG are one photo there, never each other's copy), and carries its other photos."""

    others: dict[str, tuple[FileRow, ...]]  # a lead's path -> the other photos of its stack
    hidden: frozenset[int]  # the ids of the photos shown through their stack's lead

    @cached_property
    def other_paths(self) -> dict[str, tuple[str, ...]]:
        return {lead: tuple(f.path for f in rows) for lead, rows in self.others.items()}

    def leads_only(self, ids: np.ndarray, packed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A model's codes (catalog.codes) without the photos shown through their lead."""
        if not self.hidden:
            return ids, packed
        keep = ~np.isin(ids, np.fromiter(self.hidden, np.int64, len(self.hidden)))
        return ids[keep], packed[keep]

    def exact_copy_groups(self, catalog: Catalog) -> list[list[int]]:
        """The catalog's exact copies among the photos grouping sees."""
        groups = [[f for f in group if f not in self.hidden] for group in catalog.exact_copy_groups()]
        return [group for group in groups if len(group) > 1]


def catalog_stacks(catalog: Catalog) -> Stacks:
    """The stacks of two photos or more among the catalog's present files (nothing is read from disk). A stack holds
    a RAW, so only the names beside one are looked at: a library without RAWs costs one query."""
    present = catalog.capture_times()
    beside_raw = {_key(path) for _, path, _ in present if is_raw(path)}
    near = {path: (file_id, when) for file_id, path, when in present if beside_raw and _key(path) in beside_raw}
    stacks = find_stacks({path: when for path, (_, when) in near.items()}, companions=False)
    rows = catalog.files(near[path][0] for path in stacks)
    files = {f.path: f for f in rows.values()}
    others = {stack.lead: tuple(files[p] for p in stack.photos[1:]) for stack in stacks.values()}
    return Stacks(others, frozenset(files[path].id for path in stacks if path not in others))


class StacksOnDisk:
    """Everything that moves with a photo now: the catalog's photos of its stack and the companions beside it on
    disk (a photo alone is a stack of one). Each folder is queried and listed once, however many of its photos are
    asked about (a bulk move of thousands)."""

    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self.folders: dict[str, tuple[dict[str, str | None], dict[str, Stack]]] = {}

    def of(self, path: str) -> Stack:
        folder = os.path.dirname(path)
        if folder not in self.folders:
            photos = {f.path: f.captured_at for f in self.catalog.files_in_folder(folder)}
            self.folders[folder] = photos, find_stacks(photos)
        photos, stacks = self.folders[folder]
        if path not in photos:  # not in the catalog: its stack as if it were
            stacks = find_stacks({**photos, path: None})
        return stacks.get(path) or Stack(path, (path,))
