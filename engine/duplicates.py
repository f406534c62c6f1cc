"""Duplicate groups: exact copies and near-duplicates, each with a suggested copy to keep.

Exact copies share a content hash. Near-duplicates are codes within a Hamming radius, found by
the index's all-pairs join. Both kinds of link are merged into connected components, then each
component is checked against chaining: photo A may be close to B and B to C while A and C are
different pictures. A group is therefore the keeper plus the members within ``max_diameter`` of
the keeper's code (default: the radius itself, so every member of a group is within the radius of
the photo kept); the members left out are grouped again among themselves, the same way. Above the
model's duplicate radius (towards "similar") that is not enough: a star around the keeper still
gathers unrelated photos that are each a little like it, so there a group is a clique (members are
added nearest first, each within the radius of every member already in).

Precision before recall: only a member within the model's duplicate radius of its keeper (and through
the model's gates there) is a duplicate and may be suggested for removal. One farther out is
*similar*: shown, never in :attr:`Group.removable`.

The copy to keep comes from ``engine.keepers``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from .catalog import Catalog, FileRow
from .catalog_models import model_row_id, similar_row_id
from .index import Gate, HammingIndex, gate_mask
from .keepers import KEEPER_RULES, check_rules, keeper_among
from .model import HashModel, ModelFile
from .stacks import Stacks, catalog_stacks, live_photo_videos

if TYPE_CHECKING:  # verification and best shots need OpenCV, videos PyAV: imported by the functions that use them,
    # so that listing groups by the hash alone (and importing this module) loads neither
    from .verification import Verifier
    from .verify import Verdict



@dataclass(frozen=True, slots=True)
class Member:
    file: FileRow
    distance: int  # Hamming distance to the keeper's code (0 for an exact copy)
    keep: bool
    protected: bool  # inside a reference folder: never removed
    exact: bool  # same bytes as the keeper (never true for the keeper itself)
    similar: bool = False  # beyond the model's duplicate radius (or gates) from the keeper: shown, never removable
    verdict: Verdict | None = None  # what verification found against the keeper (None: not verified)
    via: str = ""  # a copy verified against another member, not the keeper: that member's path
    saved: str = ""  # how its file differs from the keeper's: "re-encoded", "saved as PNG" ("": same format or exact)
    stack: tuple[FileRow, ...] = ()  # the other photos of its stack (the RAW beside its JPEG): shown and moved with it
    described: str = ""  # how it compares with the keeper where no verdict says: a video's ("trimmed: 18 s of 1 min")

    @property
    def bytes(self) -> int:
        """What moving it frees: its file and the other photos of its stack."""
        return self.file.size + sum(f.size for f in self.stack)

    @property
    def reason(self) -> str:
        """Why it is in its group, in words: "downscaled to 50 %, mirrored", "same bytes", "not verified"."""
        if self.keep:
            return ""
        if self.exact:
            return "same bytes"
        if self.described:
            return self.described
        if self.verdict is None:
            return ""
        if self.verdict.kind == "unverified":
            return "not verified (too small or flat): by its hash"
        if self.verdict.kind == "unread":
            return "not checked (its photo was not read this time): by its hash, not marked"
        seen = self.verdict.reason()
        if self.similar:  # a shot of a series (or a similar photo), not a copy: how its file was saved says nothing
            return f"{seen} (compared with {os.path.basename(self.via)})" if self.via else seen
        if self.saved:
            seen = self.saved if seen == "same frame" else f"{seen}, {self.saved}"
        return f"a copy of {os.path.basename(self.via)}: {seen}" if self.via else seen

    @property
    def unchecked(self) -> bool:
        """Grouped by its hash because its photo was not read this time (cancelled, or unreadable now): shown, but
        never suggested for removal until it is checked."""
        return self.verdict is not None and self.verdict.kind == "unread"


@dataclass(frozen=True, slots=True)
class Group:
    members: list[Member]  # keeper first, then by distance and path
    kind: str  # "exact": all the others have the keeper's bytes; "similar": all the others are similar; "copy": verified
    # copies (and exact ones); "series": the same scene a moment apart, never removable; "video": videos whose frames
    # match (engine.videos); else "near" (not verified)
    decided_by: str = ""  # why the keeper was chosen, in plain words: "more pixels (4000×3000 vs 2000×1500)"
    keeper_rule: str = ""  # the rule that decided: a KEEPER_RULES name, "reference", or "" (nothing to decide)

    @property
    def keeper(self) -> Member:
        return self.members[0]

    @property
    def removable(self) -> list[Member]:
        """What may be suggested for removal: duplicates of the keeper, outside reference folders, checked."""
        return [m for m in self.members if not m.keep and not m.protected and not m.similar and not m.unchecked]

    @property
    def similar(self) -> list[Member]:
        """Members only similar to the keeper: moved only when the user says so twice."""
        return [m for m in self.members if not m.keep and not m.protected and m.similar]

    @property
    def bytes_freed(self) -> int:
        return sum(m.bytes for m in self.removable)


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
    duplicate_radius: int | None = None,
    duplicate_gates: Sequence[Gate] | None = None,
) -> list[Group]:
    """Groups of duplicates among the files present on disk, largest saving first.

    ``gates``: the model's (``ModelInfo.gates``): a pair of photos, and a member and its keeper, must also be
    within one gate's radius on its part of the code.
    ``duplicate_radius`` and ``duplicate_gates``: what the model calls a duplicate (default: ``radius`` and
    ``gates``). Above it groups are cliques, and a member beyond it from its keeper is ``similar``.
    """
    rules = check_rules(keeper_rules)
    references = [os.fspath(f) for f in reference_folders]
    stacks = catalog_stacks(catalog)
    ids, packed = stacks.leads_only(*catalog.codes(model_id))
    index = HammingIndex(packed, ids)
    limit = radius if max_diameter is None else max_diameter
    duplicate = _Duplicate(radius if duplicate_radius is None else duplicate_radius,
                           tuple(gates if duplicate_gates is None else duplicate_gates))
    near_a, near_b, _ = index.pairs(radius, gates)

    # Nodes: every file with a code, plus exact copies that have none (e.g. two copies of a broken file).
    exact_groups = stacks.exact_copy_groups(catalog)
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
        groups.extend(_split(files, code_of, limit, rules, references, tuple(gates), duplicate, stacks))
    groups = [_stacked(g, stacks) for g in groups]
    groups.sort(key=lambda g: (-g.bytes_freed, g.kind == "similar", g.keeper.file.path))
    return groups


def model_groups(catalog: Catalog, model: HashModel | ModelFile, radius: int | None = None, *,
                 duplicate_radius: int | None = None, **options) -> list[Group]:
    """:func:`find_groups` over a model's codes at ``radius`` (default: the duplicate radius), with the gates the
    model applies there (``ModelInfo.gates_for``), and the duplicate radius (default: the model's; the app passes
    the user's own where set) and its gates to tell duplicates from similar photos: what the CLI and the app show."""
    info = model.info
    duplicate = info.radius_duplicate if duplicate_radius is None else duplicate_radius
    radius = duplicate if radius is None else radius
    return find_groups(catalog, model_row_id(catalog, model), radius, gates=info.gates_for(radius),
                       duplicate_radius=duplicate, duplicate_gates=info.gates_for(duplicate), **options)


MAX_SIMILAR_GROUP = 100  # photos in one similar group: a group is browsed, and its clique check stays cheap


def similar_groups(catalog: Catalog, model: HashModel | ModelFile, radius: int | None = None, *,
                   reference_folders: Iterable[str] = (), keeper_rules: Sequence[str] = KEEPER_RULES) -> list[Group]:
    """Groups of photos like each other, for browsing: by the model's similarity code where it has one (format
    version 4), at ``radius`` on it (default: its similar radius). Each group is a cluster around a photo: every
    member within the radius of every other, never a chain, at most MAX_SIMILAR_GROUP photos. Nothing in it is
    removable but exact copies: on a code learned for "like this one", no distance says "copy". A model with one code
    groups by it at its similar radius, as :func:`model_groups` does.

    Where the photos are most alike the groups form first (:func:`_clusters`): a library's photos crowd around its
    subjects, and a component of all pairs within the radius is a whole subject, thousands of photos."""
    info = model.info
    if not info.similar_bits:
        return model_groups(catalog, model, info.radius_similar if radius is None else radius,
                            reference_folders=reference_folders, keeper_rules=keeper_rules)
    radius = info.similar_radius if radius is None else radius
    rules, references = check_rules(keeper_rules), [os.fspath(f) for f in reference_folders]
    stacks = catalog_stacks(catalog)
    ids, packed = stacks.leads_only(*catalog.codes(similar_row_id(catalog, model)))
    clusters = _clusters(packed, *HammingIndex(packed).pairs(radius), radius)  # pairs of positions
    rows = catalog.files(ids[np.concatenate(clusters)].tolist() if clusters else [])
    groups = []
    for cluster in clusters:
        files = [rows[f] for f in ids[cluster].tolist() if f in rows]
        if len(files) < 2:
            continue
        keeper, rule, reason, protected = keeper_among(files, rules, references, stacks.other_paths)
        code_of = dict(zip(ids[cluster].tolist(), packed[cluster]))
        members = [Member(keeper, 0, True, keeper.id in protected, False)]
        for f in files:
            if f.id == keeper.id:
                continue
            exact = f.content_hash is not None and f.content_hash == keeper.content_hash
            distance = _distance(code_of[keeper.id], code_of[f.id])
            members.append(Member(f, distance, False, f.id in protected, exact, similar=not exact))
        members[1:] = sorted(members[1:], key=lambda m: (m.distance, m.file.path))
        kind = "exact" if all(m.exact for m in members[1:]) else "similar"
        groups.append(_stacked(Group(members, kind, reason, rule), stacks))
    groups.sort(key=lambda g: (-len(g.members), g.keeper.file.path))
    return groups


def keeper_distances(catalog: Catalog, model: HashModel | ModelFile, groups: Iterable[Group]) -> dict[int, int]:
    """Each member's Hamming distance to its group's keeper on the model's own code (file id -> distance; -1 where a
    code is missing): how alike the two photos look. Similar groups' members carry their distance on the similarity
    code, which says "the same kind of subject": two photos of one subject can be 0 apart there and look different."""
    ids, packed = catalog.codes(model_row_id(catalog, model))
    position = {int(f): i for i, f in enumerate(ids.tolist())}

    def code(file_id: int) -> np.ndarray | None:
        return packed[position[file_id]] if file_id in position else None

    return {m.file.id: _distance(code(g.keeper.file.id), code(m.file.id)) for g in groups for m in g.members[1:]}


def _clusters(packed: np.ndarray, a: np.ndarray, b: np.ndarray, distance: np.ndarray, radius: int) -> list[np.ndarray]:
    """Positions of clusters from the pairs (a, b) at ``distance`` within ``radius``: the photo with the most neighbours not yet
    taken first, then its neighbours nearest first, each kept where it is within the radius of every member so far
    (a clique, never a chain). Work grows with the pairs, not with the photos squared."""
    n = len(packed)
    src, dst, distance = np.concatenate([a, b]), np.concatenate([b, a]), np.concatenate([distance, distance])
    order = np.lexsort((dst, distance, src))
    src, dst = src[order], dst[order]
    starts = np.searchsorted(src, np.arange(n + 1))
    degree = np.diff(starts)
    taken = np.zeros(n, bool)
    clusters = []
    for centre in np.lexsort((np.arange(n), -degree)):
        if not degree[centre]:
            break  # the rest have no neighbour
        if taken[centre]:
            continue
        near = dst[starts[centre]:starts[centre + 1]]
        near = near[~taken[near]][:MAX_SIMILAR_GROUP - 1]
        if not len(near):
            continue
        close = np.bitwise_count(np.bitwise_xor(packed[near][:, None], packed[near][None])).sum(axis=2) <= radius
        chosen = []
        for i in range(len(near)):
            if close[i, chosen].all():
                chosen.append(i)
        members = np.concatenate([[centre], near[chosen]])
        taken[members] = True
        clusters.append(members)
    return clusters


@dataclass(frozen=True, slots=True)
class _Duplicate:
    """What the model calls a duplicate: within ``radius`` and through one of ``gates`` (if any)."""

    radius: int
    gates: tuple[Gate, ...]

    def holds(self, xor: np.ndarray, distance: int) -> bool:
        return distance <= self.radius and bool(gate_mask(xor[None], self.gates)[0])


def _code(row: FileRow, code_of: dict, twins: dict[str, np.ndarray]) -> np.ndarray | None:
    code = code_of.get(row.id)
    return code if code is not None else twins.get(row.content_hash)


def _within(a: np.ndarray | None, b: np.ndarray | None, limit: int, gates: Sequence[Gate]) -> bool:
    if a is None or b is None:
        return False
    xor = np.bitwise_xor(a, b)
    return int(np.bitwise_count(xor).sum()) <= limit and bool(gate_mask(xor[None], gates)[0])


def _split(files: list[FileRow], code_of: dict, limit: int, rules: tuple[str, ...], references: list[str],
           gates: tuple[Gate, ...], duplicate: _Duplicate, stacks: Stacks) -> list[Group]:
    """One component -> groups whose members are all within ``limit`` of their keeper, and of each other where
    ``limit`` is wider than the duplicate radius (there a star around the keeper chains unrelated photos)."""
    twins = {f.content_hash: code_of[f.id] for f in files if f.id in code_of and f.content_hash}
    clique = limit > duplicate.radius
    out = []
    remaining = files
    while len(remaining) > 1:
        keeper, rule, reason, protected = keeper_among(remaining, rules, references, stacks.other_paths)
        keeper_code = _code(keeper, code_of, twins)
        candidates, rest = [], []  # candidates: (distance, path, row, code, exact, similar)
        for f in remaining:
            if f.id == keeper.id:
                continue
            exact = f.content_hash is not None and f.content_hash == keeper.content_hash
            code = _code(f, code_of, twins)
            if exact:
                candidates.append((0, f.path, f, code, True, False))
                continue
            if code is None or keeper_code is None:
                rest.append(f)
                continue
            xor = np.bitwise_xor(code, keeper_code)
            distance = int(np.bitwise_count(xor).sum())
            if distance > limit or not gate_mask(xor[None], gates)[0]:
                rest.append(f)
                continue
            candidates.append((distance, f.path, f, code, False, not duplicate.holds(xor, distance)))
        candidates.sort(key=lambda c: (c[0], c[1]))
        members = [Member(keeper, 0, True, keeper.id in protected, False, False)]
        taken = [keeper_code]
        for distance, _, f, code, exact, similar in candidates:
            if clique and not exact and not all(_within(code, other, limit, gates) for other in taken):
                rest.append(f)
                continue
            members.append(Member(f, distance, False, f.id in protected, exact, similar))
            if code is not None and not exact:
                taken.append(code)
        if len(members) > 1:
            others = members[1:]
            kind = ("exact" if all(m.exact for m in others) else
                    "similar" if all(m.similar for m in others) else "near")
            out.append(Group(members, kind, reason, rule))
        remaining = rest
    return out


# -- verified groups ---------------------------------------------------------------------------------------------------

# The candidate radius, as a share of the duplicate radius, for each strictness: wide enough for crops and turns,
# which verification keeps from letting look-alikes in. The model's gates widen by the same share. "normal" was
# chosen on the calibration half (docs/benchmark.md, "Verified duplicates"); "loose" looks a quarter further for
# twice the pairs to check; "strict" keeps only copies of the whole frame, at most resized (Verdict.only_resized),
# which the duplicate radius itself proposes.
CANDIDATE_SHARES = {"strict": 1.0, "normal": 1.25, "loose": 1.5}
STRICTNESS = tuple(CANDIDATE_SHARES)
FEATURE_BATCH = 512  # photos whose features are made at once, in parallel, ahead of the pairs that need them


def candidate_search(info, duplicate_radius: int | None = None,
                     strictness: str = "normal") -> tuple[int, tuple[Gate, ...]]:
    """(radius, gates) at which the index proposes pairs to verify, for a model's ``ModelInfo`` and its duplicate
    radius (default: the model's; the app passes the user's own where set)."""
    share = CANDIDATE_SHARES[strictness]
    duplicate = info.radius_duplicate if duplicate_radius is None else duplicate_radius
    radius = min(max(info.radius_similar, duplicate), round(duplicate * share))  # never under duplicate
    gates = tuple((first, end, round(r * share)) for first, end, r in info.gates)
    return radius, gates


def _strict_split(files: list[FileRow], verifier: Verifier) -> tuple[list[list[FileRow]], list[tuple[int, int]]]:
    """A group of copies cut into strict copies (:func:`_strict`): the largest photo and the photos that show it
    whole, at most resized; then the same among those left, and so on. Verifying every pair would be quadratic in the
    group; a photo is tried against a later anchor only when both stood in the same way to the first anchor (the same
    crop, turn, mirror and tone), as two strict copies of one photo must. Returns the parts of two or more, and the
    (anchor, photo) pairs that join them."""
    left = sorted(files, key=lambda f: (-(f.width or 0) * (f.height or 0), f.path))
    first = left[0]
    to_first: dict[int, Verdict] = {}  # each photo's verdict against the first anchor
    parts: list[list[FileRow]] = []
    edges: list[tuple[int, int]] = []
    while len(left) > 1:
        anchor, part, others = left[0], [left[0]], []
        for f in left[1:]:
            if anchor is not first and not _same_edits(to_first.get(anchor.id), to_first.get(f.id)):
                others.append(f)
                continue
            verdict = verifier.verdict(anchor, f)  # the same bytes: a copy at scale 1
            if anchor is first:
                to_first[f.id] = verdict
            if _strict(anchor, f, verdict):
                part.append(f)
                edges.append((anchor.id, f.id))
            else:
                others.append(f)
        if len(part) > 1:
            parts.append(part)
        left = others
    return parts, edges


def _same_edits(a: Verdict | None, b: Verdict | None) -> bool:
    """Two photos, each against a third: could they be strict copies of each other? Not when one is cropped, turned,
    mirrored or toned and the other is not, or not as much. Unknown (no verdict, or no geometry): try them."""
    if a is None or b is None or a.kind != "copy" or b.kind != "copy":
        return True
    turn = abs((a.rotation - b.rotation + 180) % 360 - 180)
    return (a.mirrored == b.mirrored and turn < 2.0 and abs(a.kept - b.kept) < 0.05
            and [k for k, _ in a.changes() if k == "tone"] == [k for k, _ in b.changes() if k == "tone"])


def _strict(a: FileRow, b: FileRow, verdict: Verdict) -> bool:
    """A copy under "strict": the whole frame, at most resized (sizes unknown: not a strict copy)."""
    return bool(a.width and a.height and b.width and b.height) and verdict.only_resized((a.width, a.height),
                                                                                        (b.width, b.height))


def _taken_apart(a: FileRow, b: FileRow) -> bool:
    """Both say when they were taken, and not the same moment: two shots, never one photo and its copy (an edit or a
    re-encode keeps the capture date, or loses it). Within one second, the frames of a burst differ in the fraction
    the camera writes; an editor may drop the fraction, so a missing one is no difference."""
    if not a.captured_at or not b.captured_at:
        return False
    second_a, _, fraction_a = a.captured_at.partition(".")
    second_b, _, fraction_b = b.captured_at.partition(".")
    if second_a != second_b:
        return True
    return bool(fraction_a and fraction_b) and float(f"0.{fraction_a}") != float(f"0.{fraction_b}")


def verified_groups(catalog: Catalog, model: HashModel | ModelFile, *, reference_folders: Iterable[str] = (),
                    keeper_rules: Sequence[str] = KEEPER_RULES, verifier: Verifier | None = None,
                    series: bool = False, duplicate_radius: int | None = None,
                    strictness: str = "normal") -> list[Group]:
    """Groups of verified copies (or, with ``series``, of series), largest saving first.

    The index proposes pairs at the candidate radius (:func:`candidate_search`), and each is verified (engine.verify),
    nearest first. A group is what verified copy pairs and exact copies connect: verification is what stops chains, so
    every copy of a photo lands in one group whatever the keeper, and the keeper is chosen once the group is formed. A
    pair whose photos verified pairs already connect is not verified (a verdict would change no group): on a library of
    many copies, most candidate pairs are such. A pair that cannot be verified (a photo too small or too flat, or not
    read this time) falls back to the hash: a copy when it is within the duplicate radius (``duplicate_radius``,
    default the model's) and gates, as without verification, and only when the hash says so of every member of the
    two groups it would join. Series (aligned, but the content moved, or taken at different moments) are grouped
    apart, and nothing in them is ever removable. ``strictness`` (:data:`STRICTNESS`): "strict" calls a pair a copy
    only when it shows the whole frame, at most resized; "loose" looks further for heavily edited copies.
    """
    from .verification import Verifier

    if strictness not in CANDIDATE_SHARES:
        raise ValueError(f"strictness must be one of {', '.join(STRICTNESS)}, not {strictness!r}")
    rules = check_rules(keeper_rules)
    references = [os.fspath(f) for f in reference_folders]
    info = model.info
    radius, gates = candidate_search(info, duplicate_radius, strictness)
    accepted = _strict if strictness == "strict" else (lambda fa, fb, verdict: verdict.kind == "copy")
    hash_radius = info.radius_duplicate if duplicate_radius is None else duplicate_radius
    duplicate = _Duplicate(hash_radius, tuple(info.gates_for(hash_radius)))
    stacks = catalog_stacks(catalog)  # a RAW and its JPEG are one photo here, shown by the JPEG: never each other's copy
    ids, packed = stacks.leads_only(*catalog.codes(model_row_id(catalog, model)))
    code_of = {int(f): packed[i] for i, f in enumerate(ids)}
    near_a, near_b, near_d = HammingIndex(packed, ids).pairs(radius, gates)
    exact = stacks.exact_copy_groups(catalog)
    rows = catalog.files({*near_a.tolist(), *near_b.tolist(), *(f for g in exact for f in g)})
    verifier = verifier or Verifier(catalog)

    copies: list[tuple[int, int]] = [(g[0], f) for g in exact for f in g[1:] if g[0] in rows and f in rows]
    kinds: list[tuple[int, int]] = []
    order = np.lexsort((near_b, near_a, near_d))  # nearest first: copies join early, and joined pairs are not verified
    candidates = [(rows[a], rows[b], d) for a, b, d in zip(near_a[order].tolist(), near_b[order].tolist(),
                                                             near_d[order].tolist())
                  if a in rows and b in rows and not (rows[a].content_hash and rows[a].content_hash == rows[b].content_hash)]
    verifier.look_up([(fa, fb) for fa, fb, _ in candidates])
    verifier.expected = len({f.content_hash for fa, fb, _ in candidates if not verifier.known(fa, fb) for f in (fa, fb)})

    def kind_of(fa: FileRow, fb: FileRow, joined: _Joined) -> str:
        kind = verifier.verdict(fa, fb).kind
        if kind in ("unverified", "unread"):
            # The hash decides (an unread copy is shown, not marked), and only among photos it calls duplicates of
            # each other: a photo too flat to verify must not bridge two groups it is each a little like.
            kind = "copy" if all(_within(code_of.get(x), code_of.get(y), duplicate.radius, duplicate.gates)
                                 for x in joined.members(fa.id) for y in joined.members(fb.id)) else "different"
        return "series" if kind == "copy" and _taken_apart(fa, fb) else kind

    def joins(kind: str) -> bool:
        return kind == "copy" or (series and kind == "series")

    joined = _Joined(copies)  # what copies connect so far (and, for series, what series connect too)
    start = 0
    try:
        while start < len(candidates):
            # Look ahead for the photos whose features the next pairs need, and make them at once (in parallel).
            # Pairs known from the catalog join what they join; a pair that an unknown one joins first does not need
            # its features after all: a little work done for nothing.
            ahead = joined.copy()
            wanted: dict[str, FileRow] = {}
            end = start
            while end < len(candidates) and len(wanted) < FEATURE_BATCH:
                fa, fb, _ = candidates[end]
                if not ahead.same(fa.id, fb.id):
                    if not verifier.known(fa, fb):
                        wanted.update({fa.content_hash: fa, fb.content_hash: fb})
                    elif joins(kind_of(fa, fb, ahead)):
                        ahead.join(fa.id, fb.id)
                end += 1
            verifier.prepare(wanted.values())
            for fa, fb, _ in candidates[start:end]:
                if joined.same(fa.id, fb.id):
                    continue  # already in one group: a verdict would change nothing (its reason is asked below if needed)
                kind = kind_of(fa, fb, joined)
                if kind == "copy":
                    copies.append((fa.id, fb.id))
                elif kind == "series":
                    kinds.append((fa.id, fb.id))
                if joins(kind):
                    joined.join(fa.id, fb.id)
            start = end
        edges = copies if not series else kinds
        components = _connected(rows, edges)
        if strictness == "strict" and not series:  # within each group of copies, the photos at most resized
            split = [_strict_split(files, verifier) for files in components]
            components = [part for parts, _ in split for part in parts]
            edges = [edge for _, anchored in split for edge in anchored]
        linked: dict[int, set[int]] = {}  # each file's verified partners
        for a, b in edges:
            linked.setdefault(a, set()).add(b)
            linked.setdefault(b, set()).add(a)
        groups = [_stacked(_verified_group(files, rules, references, verifier, code_of, linked, series, accepted,
                                           stacks), stacks) for files in components]
    finally:
        verifier.close()  # keeps the verdicts made, those against each keeper too
    groups.sort(key=lambda g: (-g.bytes_freed, g.keeper.file.path))
    return groups


class _Joined:
    """Union-find over file ids: which files verified pairs already connect, and who they are."""

    def __init__(self, edges: Iterable[tuple[int, int]] = ()):
        self.parent: dict[int, int] = {}
        self.held: dict[int, list[int]] = {}  # root -> the ids it connects (roots of one file are absent)
        for a, b in edges:
            self.join(a, b)

    def root(self, x: int) -> int:
        parent = self.parent
        while parent.get(x, x) != x:
            parent[x] = parent.get(parent[x], parent[x])  # path halving
            x = parent[x]
        return x

    def same(self, a: int, b: int) -> bool:
        return self.root(a) == self.root(b)

    def members(self, x: int) -> list[int]:
        return self.held.get(self.root(x), [x])

    def copy(self) -> _Joined:
        twin = _Joined()
        twin.parent = dict(self.parent)
        twin.held = {root: list(ids) for root, ids in self.held.items()}
        return twin

    def join(self, a: int, b: int) -> None:
        ra, rb = self.root(a), self.root(b)
        if ra != rb:
            self.held[rb] = self.held.get(rb, [rb]) + self.held.pop(ra, [ra])
            self.parent[ra] = rb


def _connected(rows: dict[int, FileRow], edges: list[tuple[int, int]]) -> list[list[FileRow]]:
    """The files each connected component of ``edges`` holds (components of two or more)."""
    if not edges:
        return []
    node_ids = np.unique(np.array(edges, np.int64))
    a, b = (np.searchsorted(node_ids, np.array(side, np.int64)) for side in zip(*edges))
    labels = _components(len(node_ids), a, b)
    out: dict[int, list[FileRow]] = {}
    for position, label in enumerate(labels.tolist()):
        out.setdefault(label, []).append(rows[int(node_ids[position])])
    return [files for files in out.values() if len(files) > 1]


def _verified_group(files: list[FileRow], rules: tuple[str, ...], references: list[str], verifier: Verifier,
                    code_of: dict, linked: dict[int, set[int]], series: bool,
                    accepted: Callable[[FileRow, FileRow, Verdict], bool], stacks: Stacks) -> Group:
    from .best_shot import best_shot
    from .verify import Verdict

    keeper, rule, reason, protected = keeper_among(files, rules, references, stacks.other_paths)
    if series and rule != "reference":  # the shot to keep is the one a photographer would: measured, not by file
        best = best_shot(files)
        if best is not None:
            (keeper, reason), rule = best, "best shot"
    by_id = {f.id: f for f in files}
    members = [Member(keeper, 0, True, keeper.id in protected, False, False)]
    for f in sorted(files, key=lambda f: f.path):
        if f.id == keeper.id:
            continue
        same = bool(f.content_hash and f.content_hash == keeper.content_hash)
        verdict, via = (Verdict("copy", agreement=1.0), "") if same else (verifier.verdict(keeper, f), "")
        shown = verdict.kind == "series" if series else accepted(keeper, f, verdict)
        if not same and not shown and verdict.kind != "unverified":
            # joined to the group through another member: say which, and what that pair showed
            other = next((by_id[o] for o in sorted(linked.get(f.id, ())) if o in by_id), None)
            if other is not None and other.id != keeper.id:
                verdict, via = verifier.verdict(other, f), other.path
        distance = _distance(code_of.get(keeper.id), code_of.get(f.id))
        members.append(Member(f, distance, False, f.id in protected, same, series, verdict, via, _saved(keeper, f)))
    members[1:] = sorted(members[1:], key=lambda m: (m.distance, m.file.path))
    others = members[1:]
    kind = "series" if series else ("exact" if all(m.exact for m in others) else "copy")
    return Group(members, kind, reason, rule)


def _stacked(group: Group, stacks: Stacks) -> Group:
    """The group with each member's stack: the other photos that are shown, and move, with it."""
    if not any(m.file.path in stacks.others for m in group.members):
        return group
    return replace(group, members=[replace(m, stack=stacks.others.get(m.file.path, ())) for m in group.members])


def _saved(keeper: FileRow, f: FileRow) -> str:
    """How a copy's file was written, beside the keeper's: another format, or the same one encoded again."""
    if f.content_hash and f.content_hash == keeper.content_hash:
        return ""
    if f.format and keeper.format and f.format != keeper.format:
        return f"saved as {f.format}"
    return "re-encoded" if (f.width, f.height) == (keeper.width, keeper.height) else ""


def _distance(a: np.ndarray | None, b: np.ndarray | None) -> int:
    return -1 if a is None or b is None else int(np.bitwise_count(np.bitwise_xor(a, b)).sum())


def video_duplicates(catalog: Catalog, model: HashModel | ModelFile, *, reference_folders: Iterable[str] = (),
                     keeper_rules: Sequence[str] = KEEPER_RULES) -> list[Group]:
    """Groups of videos that are copies (re-encoded, resized, trimmed: engine.videos matches their frames in order),
    largest saving first; a photo is never in one. A Live Photo's video is left out: it goes with its still."""
    from .videos import VideoSignature, compare_videos, video_groups

    rules, references = check_rules(keeper_rules), [os.fspath(f) for f in reference_folders]
    info = model.info
    stored = catalog.video_codes(model_row_id(catalog, model))
    rows = catalog.files(stored)
    live = live_photo_videos(path for _, path, _ in catalog.capture_times())
    signatures = {}
    for file_id, v in stored.items():
        f = rows.get(file_id)
        if f is None or f.path in live:
            continue
        signatures[f.path] = (f, VideoSignature(f.path, v.duration, f.width or 0, f.height or 0, v.step, v.times,
                                                v.codes))
    radius, gates = info.radius_duplicate, info.gates_for(info.radius_duplicate)
    groups = []
    for paths in video_groups([s for _, s in signatures.values()], radius, gates):
        files = [signatures[p][0] for p in paths]
        keeper, rule, reason, protected = keeper_among(files, rules, references)
        longest = signatures[paths[0]][1]  # every member is a copy of it (engine.videos.video_groups)
        members = [Member(keeper, 0, True, keeper.id in protected, False)]
        for f in sorted(files, key=lambda f: f.path):
            if f.id == keeper.id:
                continue
            exact = bool(f.content_hash and f.content_hash == keeper.content_hash)
            if paths[0] in (keeper.path, f.path):
                said = compare_videos(signatures[keeper.path][1], signatures[f.path][1], radius, gates).reason
            else:
                said = (f"a copy of {os.path.basename(longest.path)}: "
                        f"{compare_videos(longest, signatures[f.path][1], radius, gates).reason}")
            members.append(Member(f, 0, False, f.id in protected, exact, described=said))
        groups.append(Group(members, "video", reason, rule))
    groups.sort(key=lambda g: (-g.bytes_freed, g.keeper.file.path))
    return groups
