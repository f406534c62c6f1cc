"""Duplicate groups: exact copies and near-duplicates, each with a suggested copy to keep.

Exact copies share a content hash. Near-duplicates are codes within a Hamming radius, found by
the index's all-pairs join. Both kinds of link are merged into connected components, then each
component is checked against chaining: photo A may be close to B and B to C while A and C are
different pictures. A group is therefore the keeper plus the members within ``max_diameter`` of
the keeper's code (default: the radius itself, so every member of a group is within the radius of
the photo kept); the members left out are grouped again among themselves, the same way.

The keeper comes from ordered rules (as beets' duplicates plugin orders its candidates), never from
the order files were found. Files in reference folders are protected: never suggested for removal,
and when a group holds one, the keeper is chosen among them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from .catalog import Catalog, FileRow
from .errors import UsageError
from .index import Gate, HammingIndex, gate_mask
from .model import HashModel
from .search import model_row_id

KEEPER_RULES = ("resolution", "size", "oldest", "path")

# Each rule maps a file to a sort key; smaller is better.
RULES: dict[str, Callable[[FileRow], object]] = {
    "resolution": lambda f: -f.pixels,  # most pixels
    "size": lambda f: -f.size,  # largest file (least compressed)
    "oldest": lambda f: (f.captured_at is None, f.captured_at or ""),  # earliest capture time; unknown last
    "path": lambda f: f.path,  # alphabetical path: stable last resort
}


@dataclass(frozen=True, slots=True)
class Member:
    file: FileRow
    distance: int  # Hamming distance to the keeper's code (0 for an exact copy)
    keep: bool
    protected: bool  # inside a reference folder: never removed
    exact: bool  # same bytes as the keeper


@dataclass(frozen=True, slots=True)
class Group:
    members: list[Member]  # keeper first, then by distance and path
    kind: str  # "exact" when every member has the keeper's bytes, else "near"

    @property
    def keeper(self) -> Member:
        return self.members[0]

    @property
    def removable(self) -> list[Member]:
        return [m for m in self.members if not m.keep and not m.protected]

    @property
    def bytes_freed(self) -> int:
        return sum(m.file.size for m in self.removable)


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


def _components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Connected-component label (smallest member position) for n nodes and edges a-b."""
    labels = np.arange(n)
    if not len(a):
        return labels
    while True:
        low = np.minimum(labels[a], labels[b])
        before = labels.copy()
        np.minimum.at(labels, a, low)
        np.minimum.at(labels, b, low)
        labels = labels[labels]  # pointer jumping: follow labels to their roots
        if np.array_equal(labels, before):
            return labels


def find_groups(
    catalog: Catalog,
    model_id: int,
    radius: int,
    *,
    reference_folders: Iterable[str] = (),
    keeper_rules: Sequence[str] = KEEPER_RULES,
    max_diameter: int | None = None,
    gates: Sequence[Gate] = (),
) -> list[Group]:
    """Groups of duplicates among the files present on disk, largest saving first.

    ``gates``: the model's (``ModelInfo.gates``): a pair of photos, and a member and its keeper, must also be
    within one gate's radius on its part of the code.
    """
    rules = check_rules(keeper_rules)
    references = [os.fspath(f) for f in reference_folders]
    ids, packed = catalog.codes(model_id)
    index = HammingIndex(packed, ids)
    limit = radius if max_diameter is None else max_diameter
    near_a, near_b, _ = index.pairs(radius, gates)

    # Nodes: every file with a code, plus exact copies that have none (e.g. two copies of a broken file).
    exact_groups = catalog.exact_copy_groups()
    node_ids = np.unique(np.concatenate([ids, *[np.asarray(g, np.int64) for g in exact_groups]]))
    position = {int(f): i for i, f in enumerate(node_ids)}
    edge_a = [np.searchsorted(node_ids, near_a)]
    edge_b = [np.searchsorted(node_ids, near_b)]
    for group in exact_groups:
        members = np.array([position[f] for f in group])
        edge_a.append(members[:-1])
        edge_b.append(members[1:])
    labels = _components(len(node_ids), np.concatenate(edge_a), np.concatenate(edge_b))

    sizes = np.bincount(labels, minlength=len(node_ids))
    linked = np.flatnonzero(sizes[labels] > 1)
    if not len(linked):
        return []
    rows = catalog.files(node_ids[linked].tolist())
    code_of = {int(f): packed[i] for i, f in enumerate(ids)}
    by_label: dict[int, list[FileRow]] = {}
    for pos in linked.tolist():
        row = rows.get(int(node_ids[pos]))
        if row is not None:
            by_label.setdefault(int(labels[pos]), []).append(row)

    groups = []
    for files in by_label.values():
        groups.extend(_split(files, code_of, limit, rules, references, gates))
    groups.sort(key=lambda g: (-g.bytes_freed, g.keeper.file.path))
    return groups


def model_groups(catalog: Catalog, model: HashModel, radius: int | None = None, **options) -> list[Group]:
    """:func:`find_groups` over a model's codes at ``radius`` (default: its duplicate radius), with the gates the
    model applies there (``ModelInfo.gates_for``): what the CLI and the app show."""
    radius = model.info.radius_duplicate if radius is None else radius
    return find_groups(catalog, model_row_id(catalog, model), radius, gates=model.info.gates_for(radius), **options)


def _code(row: FileRow, code_of: dict, twins: dict[str, np.ndarray]) -> np.ndarray | None:
    code = code_of.get(row.id)
    return code if code is not None else twins.get(row.content_hash)


def _split(files: list[FileRow], code_of: dict, limit: int, rules: tuple[str, ...], references: list[str],
           gates: Sequence[Gate]) -> list[Group]:
    """One component -> groups whose members are all within ``limit`` of their keeper."""
    twins = {f.content_hash: code_of[f.id] for f in files if f.id in code_of and f.content_hash}
    out = []
    remaining = files
    while len(remaining) > 1:
        protected = {f.id for f in remaining if in_folders(f.path, references)}
        pool = [f for f in remaining if f.id in protected] or remaining
        keeper = min(pool, key=lambda f: tuple(RULES[r](f) for r in rules))
        keeper_code = _code(keeper, code_of, twins)
        members, rest = [], []
        for f in remaining:
            exact = f.content_hash is not None and f.content_hash == keeper.content_hash
            code = _code(f, code_of, twins)
            if exact:
                distance = 0
            elif code is None or keeper_code is None:
                rest.append(f)
                continue
            else:
                xor = np.bitwise_xor(code, keeper_code)
                distance = int(np.bitwise_count(xor).sum()) if gate_mask(xor[None], gates)[0] else limit + 1
            if distance > limit:
                rest.append(f)
                continue
            members.append(Member(f, distance, f.id == keeper.id, f.id in protected, exact))
        if len(members) > 1:
            members.sort(key=lambda m: (not m.keep, m.distance, m.file.path))
            kind = "exact" if all(m.exact for m in members) else "near"
            out.append(Group(members, kind))
        remaining = rest
    return out
