"""Removal with undo: files go to the system trash, never deleted, and every move is journaled.

send2trash does the move (FreeDesktop trash on Linux, including the per-volume ``.Trash-UID``
folders; the Trash on macOS; the Recycle Bin on Windows). It does not say where the file went, so
on Linux we read the trash's ``info/*.trashinfo`` records to find it, and journal that place in the
catalog; ``undo`` moves it back byte-identical and removes the record. Where the place cannot be
found (other platforms), the journal says so and ``undo`` asks the user to restore by hand.

Safety rules: a file changed since the last scan is refused (it may no longer be a duplicate): its size
and mtime, and then its bytes, must be the ones scanned; so is a protected file (reference folder) and
any request that would leave a group with no copy. A photo moves with its stack (its RAW, its sidecars), and
undo puts the stack back whole: they are journaled in one batch.

Crash safety: each move is journaled as an intent *before* it happens and marked done after, so a
process killed between the two leaves a row that :func:`undo` finishes: the file is put back from the
trash if it got there, and the row is dropped if it never left.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import unquote

from send2trash import send2trash

from .catalog import Catalog
from .duplicates import Group
from .errors import FileError, TrashError
from .images import hash_file
from .keeper_metadata import Carried, carry_metadata, undo_carried
from .stacks import StacksOnDisk


@dataclass(slots=True)
class TrashResult:
    batch: int | None
    moved: list[str] = field(default_factory=list)  # moved to the trash, or restored by undo
    failed: list[tuple[str, str]] = field(default_factory=list)  # (path, one-line reason)
    carried: list[Carried] = field(default_factory=list)  # metadata kept in the keepers' sidecars (trash only)


def _trash_dirs(path: str) -> list[Path]:
    """The FreeDesktop trash folders a file at ``path`` may have gone to: home trash, then its volume's."""
    from send2trash.plat_other import HOMETRASH  # where send2trash itself moves files (fixed at its import)

    dirs = [Path(HOMETRASH)]
    mount = Path(path).parent
    while not os.path.ismount(mount) and mount != mount.parent:
        mount = mount.parent
    uid = os.getuid() if hasattr(os, "getuid") else 0
    dirs += [mount / ".Trash" / str(uid), mount / f".Trash-{uid}"]
    return dirs


def _find_in_trash(original: str) -> str | None:
    """Where the trash put ``original`` (newest matching record), or None if it cannot be told."""
    if not sys.platform.startswith("linux"):
        return None
    best: tuple[str, str] | None = None
    stem = Path(original).stem
    for trash in _trash_dirs(original):
        info_dir = trash / "info"
        if not info_dir.is_dir():
            continue
        topdir = trash.parent.parent if trash.parent.name == ".Trash" else trash.parent
        for info in info_dir.glob(f"{glob_escape(stem)}*.trashinfo"):
            # a name that is not UTF-8 is percent-encoded bytes: decode it the way Python names files
            text = info.read_bytes().decode("utf-8", "surrogateescape")
            fields = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
            recorded = unquote(fields.get("Path", ""), errors="surrogateescape")
            if not os.path.isabs(recorded):
                recorded = str(topdir / recorded)
            if os.path.normpath(recorded) != os.path.normpath(original):
                continue
            stamp = fields.get("DeletionDate", "")
            candidate = trash / "files" / info.name[: -len(".trashinfo")]
            if candidate.exists() and (best is None or stamp >= best[0]):
                best = (stamp, str(candidate))
    return best[1] if best else None


def glob_escape(text: str) -> str:
    return "".join(f"[{c}]" if c in "*?[]" else c for c in text)


def _refusals(catalog: Catalog, paths: Sequence[str], groups: Sequence[Group] | None) -> dict[str, str]:
    """Why each refused path may not be moved (paths not listed here may go)."""
    refused: dict[str, str] = {}
    wanted = set(paths)
    for group in groups or ():
        members = [m.file.path for m in group.members]
        for m in group.members:
            if m.file.path in wanted and m.protected:
                refused[m.file.path] = "it is in a reference folder"
        # a copy stays only if it is still the photo that was scanned (not since overwritten or removed)
        staying = [m for m in group.members if m.file.path not in wanted and _unchanged(m.file)]
        if not staying:
            for p in members:
                if p in wanted:
                    refused.setdefault(p, "it would remove every copy in its group")
    for path in paths:
        if path in refused:
            continue
        row = catalog.file_by_path(path)
        if row is None:
            refused[path] = "not in the catalog (scan it first)"
        elif not os.path.lexists(path):
            refused[path] = "no longer on disk"
        elif not _unchanged(row):
            refused[path] = "changed since the last scan (scan again first)"
    return refused


def _bytes_unchanged(row) -> str | None:
    """Why the file's bytes are not the ones scanned (an edit that kept its size and mtime), or None."""
    if not row.content_hash:
        return None
    try:
        digest = hash_file(row.path)  # a piece at a time: a video may be larger than memory
    except FileError as exc:
        return exc.reason
    if digest != row.content_hash:
        return "its contents changed since the last scan, though its size and date did not (scan again first)"
    return None


def _unchanged(row) -> bool:
    """Is the file on disk still the one the catalog scanned (same size and mtime)?"""
    try:
        st = os.stat(row.path)
    except OSError:
        return False
    return (st.st_size, st.st_mtime_ns) == (row.size, row.mtime_ns)


def trash_files(catalog: Catalog, paths: Sequence[str], *, groups: Sequence[Group] | None = None,
                carry: Sequence[tuple[str, Sequence[str]]] = ()) -> TrashResult:
    """Move ``paths`` to the system trash, journaling each move; refused ones say why.

    Each photo moves with its stack (engine.stacks): the RAW beside a JPEG, a Live Photo's video, the sidecars. A
    stack moves whole or not at all: one of its files refused refuses it, and one the trash refuses puts back the
    files of its stack already moved.

    ``carry``: (keeper, its copies) pairs. Before its copies move, what the keeper lacks that they had (capture
    date, GPS, camera, keywords, rating, title) is written to the keeper's XMP sidecar (engine.keeper_metadata), in
    the same batch: undone with it. A copy whose metadata cannot be kept does not move; a carry whose copies all
    stay is taken back."""
    paths = list(dict.fromkeys(os.fspath(p) for p in paths))
    _take_back_orphans(catalog)
    result = TrashResult(catalog.next_trash_batch())
    refused = _refusals(catalog, paths, groups)
    sources = _carry(catalog, result, carry, [p for p in paths if p not in refused], refused)
    done: set[str] = set()
    on_disk = StacksOnDisk(catalog)
    for path in paths:
        if path in done:
            continue  # moved already, with the stack of another photo asked for
        stack = on_disk.of(path) if path not in refused else None
        moving = [path, *(p for p in stack.paths if p != path and p not in done)] if stack else [path]
        reason = refused.get(path) or _stack_refusal(catalog, moving)
        if reason:
            result.failed.append((path, reason))
            continue
        entries = []
        for member in moving:
            entry, why = _move(catalog, result.batch, member)
            if why:
                result.failed.append((path, why if member == path else f"{os.path.basename(member)}, which goes "
                                                                        f"with it: {why}"))
                _put_back(catalog, result.batch, entries)
                break
            entries.append(entry)
        else:
            result.moved.extend(moving)
            done.update(moving)
    stayed = [made for made in result.carried if not done & set(sources[made.entry_id])]
    if stayed:  # none of its copies moved: the keeper's sidecar goes back as it was
        undo_carried(catalog, result.batch, {made.entry_id for made in stayed})
        result.carried = [made for made in result.carried if made not in stayed]
    return result


def _take_back_orphans(catalog: Catalog) -> None:
    """Take back the carries of a batch that moved nothing: the process died between writing a keeper's sidecar and
    moving its copies, which are still where they were (as a batch whose copies all stay takes its carries back)."""
    for batch in sorted({entry.batch for entry in catalog.sidecar_journal(only_pending=True)}):
        if not catalog.journal(batch):
            undo_carried(catalog, batch)


def _carry(catalog: Catalog, result: TrashResult, carry: Sequence[tuple[str, Sequence[str]]], going: Sequence[str],
           refused: dict[str, str]) -> dict[int, list[str]]:
    """Keep what each keeper lacks from its copies that are going; returns each carry's copies by journal entry."""
    going = set(going)
    sources: dict[int, list[str]] = {}
    for keeper, copies in carry:
        copies = [os.fspath(c) for c in copies if os.fspath(c) in going]
        if not copies:
            continue
        try:
            made = carry_metadata(catalog, result.batch, keeper, copies)
        except FileError as exc:
            for copy in copies:
                refused[copy] = (f"what it knows that {os.path.basename(keeper)} lacks could not be kept "
                                 f"({exc.reason})")
            continue
        if made is not None:
            result.carried.append(made)
            sources[made.entry_id] = copies
    return sources


def _stack_refusal(catalog: Catalog, moving: Sequence[str]) -> str | None:
    """Why the files of one stack may not move (the photo asked for first), or None. Its photos must be the ones
    scanned; its companions (sidecars, a Live Photo's video) are not in the catalog and move as they are."""
    for member in moving:
        row = catalog.file_by_path(member)
        if row is None:
            continue
        reason = None if _unchanged(row) else "changed since the last scan (scan again first)"
        reason = reason or _bytes_unchanged(row)
        if reason:
            return reason if member == moving[0] else f"{os.path.basename(member)}, which goes with it: {reason}"
    return None


def _move(catalog: Catalog, batch: int, path: str) -> tuple[int | None, str | None]:
    """Journal the move of one file, then move it: (journal entry, None), or (None, why not)."""
    row = catalog.file_by_path(path)
    if row is not None:
        digest, size = row.content_hash, row.size
    else:  # a companion: journal what it holds now, so that undo puts back these bytes
        try:
            digest, size = hash_file(path), os.path.getsize(path)
        except FileError as exc:
            return None, exc.reason
        except OSError as exc:  # gone between the two
            return None, f"cannot read ({exc.strerror or exc})"
    entry = catalog.journal_intend(batch, path, digest, size)
    try:
        send2trash(path)
    except Exception as exc:  # send2trash raises OSError subclasses and its own TrashPermissionError  # noqa: BLE001
        catalog.journal_forget(entry)
        return None, f"the system trash refused it ({' '.join(str(exc).split())[:120]})"
    catalog.journal_moved(entry, _find_in_trash(path))
    return entry, None


def _put_back(catalog: Catalog, batch: int, entries: Sequence[int]) -> None:
    """Undo the moves of a stack that could not move whole."""
    for entry in catalog.journal(batch, only_pending=True):
        if entry.id in entries and _restore(entry) is None:
            catalog.journal_mark_restored(entry.id)
            catalog.set_missing([entry.original_path], False)


def last_batch(catalog: Catalog) -> int | None:
    """The newest batch that still has files in the trash."""
    pending = catalog.journal(only_pending=True)
    return pending[0].batch if pending else None


def undo(catalog: Catalog, batch: int | None = None) -> TrashResult:
    """Put back every file of ``batch`` (default: the newest one not yet restored)."""
    batch = last_batch(catalog) if batch is None else batch
    if batch is None:
        raise TrashError("nothing to undo: no files moved to the trash are waiting to be restored")
    entries = catalog.journal(batch, only_pending=True)
    if not entries:
        raise TrashError(f"nothing to undo in batch {batch}: its files were restored already, or it does not exist")
    result = TrashResult(batch)
    for entry in entries:
        if entry.moved_at is None:
            # killed between the journal's intent and its "done": where did the file end up?
            if os.path.lexists(entry.original_path):
                catalog.journal_forget(entry.id)  # it never left (or is back): nothing to restore
                continue
            entry = replace(entry, trashed_path=_find_in_trash(entry.original_path))
            if entry.trashed_path is None:
                result.failed.append((entry.original_path, "it was being moved to the trash when PhotoHash stopped, "
                                                           "and is neither in its folder nor in the trash"))
                continue
        reason = _restore(entry)
        if reason:
            result.failed.append((entry.original_path, reason))
            continue
        catalog.journal_mark_restored(entry.id)
        catalog.set_missing([entry.original_path], False)
        result.moved.append(entry.original_path)
    result.failed += undo_carried(catalog, batch)  # the keepers' sidecars as they were before the batch
    return result


def _restore(entry) -> str | None:
    """Move one journaled file back; returns why not, or None when done."""
    if entry.trashed_path is None:
        return "its place in the trash is unknown on this system: restore it from the system Trash by hand"
    trashed = Path(entry.trashed_path)
    if os.path.lexists(entry.original_path):
        return "a file already exists at the original place (not overwritten)"
    if not trashed.exists():
        return "no longer in the trash (was the trash emptied?)"
    try:
        moved = hash_file(trashed)
    except FileError as exc:
        return f"cannot read it in the trash ({exc.reason})"
    if entry.content_hash and moved != entry.content_hash:
        return "the file in the trash is not the one that was moved (contents differ)"
    try:
        os.makedirs(os.path.dirname(entry.original_path), exist_ok=True)
        shutil.move(str(trashed), entry.original_path)
    except OSError as exc:
        return f"cannot move it back ({exc.strerror or exc})"
    info = trashed.parent.parent / "info" / f"{trashed.name}.trashinfo"
    try:
        info.unlink()
    except OSError:
        pass  # a stale record in the trash is harmless; the file itself is back
    return None

