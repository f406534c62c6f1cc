"""Bulk decisions: one rule ("keep the largest", "mark everything in this folder") decides many groups at once, and
the user sees what it would move (photos, groups, bytes) before anything moves; then it lands as one trash batch,
which one undo puts back.

Precision before recall, whatever the rule: a rule marks only copies of the photo kept (:func:`markable`, the same
set the review's "keep this" marks), never a photo in a reference folder, only similar to the keeper, or not
checked; it never decides a series or a group of similar photos; and every group it decides keeps one photo. Where
the photo kept is the engine's keeper, what a rule may mark is exactly ``Group.removable``; where a rule keeps another
copy, the engine's keeper is a copy of it and may be marked, as when the user picks that copy by hand.

A rule decides a group from the group and the decision it has now (the user's, or the engine's), returning a new
:class:`Decision`, :class:`Left` with the reason it may not decide this group, or None where the group is outside
its reach (no photo in its folder). A *guard* (:func:`never_touch`) filters what the other rules decide, and a
caller keeps applying it to every later plan; on its own, it un-marks.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Protocol

from .catalog import Catalog
from .duplicates import Group, Member
from .errors import UsageError
from .keepers import KEEPER_RULES, RULES, check_rules, choose_keeper, in_folders
from .trash import TrashResult, trash_files
from .units import human_bytes

NEVER_DECIDED = {  # group kinds no rule decides, and why, in words
    "series": "a series: which shot to keep is yours to say",
    "similar": "similar photos, not copies: never marked",
}


@dataclass(frozen=True, slots=True)
class Decision:
    """One group's decision: the file id kept, and the file ids marked to go. The review's ``Choice`` has the same
    two fields, so either passes for the other."""

    keep: int
    remove: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class Left:
    """A group a rule reaches but leaves as it is, and why (said to the user beside the preview)."""

    reason: str


def group_id(group: Group) -> int:
    """A group's name across refreshes and subsets: its engine keeper's file id (a file is in one group only)."""
    return group.keeper.file.id


def engine_decision(group: Group, premark: bool = True) -> Decision:
    """What the review starts from: the engine's keeper and its duplicates marked (``premark``), as ``Choice.default``."""
    return Decision(group.keeper.file.id, frozenset(m.file.id for m in group.removable) if premark else frozenset())


def keepable(group: Group) -> list[Member]:
    """The photos a rule may keep: the engine's keeper and its copies (a photo only similar to it, or not checked,
    is not known to be a copy of the others, so keeping it says nothing about them). None in a series or a group of
    similar photos."""
    if group.kind in NEVER_DECIDED:
        return []
    return [m for m in group.members if m.keep or (not m.similar and not m.unchecked)]


def markable(group: Group, keep: int) -> frozenset[int]:
    """What a rule may mark when ``keep`` is kept: the other copies, outside reference folders. With the engine's
    keeper kept that is ``Group.removable``; with another copy kept the engine's keeper joins them (it is a copy of
    the one kept), as the review's "keep this" marks it. Nothing where ``keep`` is not one of :func:`keepable`."""
    return _marks(keepable(group), keep)


def _marks(family: list[Member], keep: int) -> frozenset[int]:
    if all(m.file.id != keep for m in family):
        return frozenset()
    return frozenset(m.file.id for m in family if m.file.id != keep and not m.protected)


def _best(members: Sequence[Member], rules: Sequence[str], prefer: Iterable[int]) -> int:
    """The file id to keep among ``members`` by the keeper rules ``rules`` (engine.keepers filters each in turn);
    among those they leave tied, the first of ``prefer`` (the keeper now, then the engine's) so a rule never moves
    the keeper for nothing, else the first by path."""
    files = [m.file for m in members]
    stacked = {m.file.path: [f.path for f in m.stack] for m in members}
    for name in rules:
        if len(files) == 1:
            break
        files, _ = RULES[name](files, stacked)
    tied = {f.id for f in files}
    for candidate in prefer:
        if candidate in tied:
            return candidate
    return choose_keeper(files, ("path",))[0].id


def _why_nothing(members: Iterable[Member]) -> str:
    """Why none of ``members`` may be marked, in words (the first flag that holds for one of them)."""
    members = list(members)
    if any(m.protected for m in members):
        return "its other photos are in a reference folder"
    if any(m.unchecked for m in members):
        return "its other photos were not checked this time"
    return "its other photos are only similar to the one kept"


class _Folder:
    """``engine.keepers.in_folders`` for one folder over many paths: answered once per parent folder (a library's
    photos share few folders), so a rule over 10,000 groups stays quick."""

    def __init__(self, folder: str):
        self.folder = os.fspath(folder)
        self._itself = os.path.normpath(os.path.abspath(self.folder))
        self._parents: dict[str, bool] = {}

    def holds(self, path: str) -> bool:
        parent = os.path.dirname(path)
        inside = self._parents.get(parent)
        if inside is None:
            inside = self._parents[parent] = in_folders(parent, [self.folder])
        return inside or path == self._itself  # a path is in its parent's folders, and in itself

    def members(self, group: Group) -> list[Member]:
        return [m for m in group.members if self.holds(m.file.path)]


class Rule(Protocol):
    words: str  # what it does, as the preview and the dialog say it
    guard: bool  # filters what the other rules decide, and applies after them

    def decide(self, group: Group, decision: Decision) -> Decision | Left | None: ...


@dataclass
class KeepBest:
    """Keep the best copy by some of the keeper rules (``engine.keepers.RULES``); its copies are marked."""

    rules: tuple[str, ...]
    words: str
    guard: bool = False

    def __post_init__(self):
        self.rules = check_rules(self.rules)

    def decide(self, group: Group, decision: Decision) -> Decision | Left | None:
        if group.kind in NEVER_DECIDED:
            return Left(NEVER_DECIDED[group.kind])
        family = keepable(group)
        keep = _best(family, self.rules, (decision.keep, group_id(group)))
        marks = _marks(family, keep)
        if not marks:
            return Left(_why_nothing(m for m in group.members if m.file.id != keep))
        return Decision(keep, marks)


def keep_largest() -> KeepBest:
    """Most pixels, then the larger file (sizes within engine.keepers.SIZE_TOLERANCE tie)."""
    return KeepBest(("resolution", "size"), "keep the largest")


def keep_oldest() -> KeepBest:
    """The capture date (the one that has one, then the earliest), then the file modified first."""
    return KeepBest(("oldest",), "keep the oldest")


@dataclass
class _FolderRule:
    """A rule about one folder: the groups with a photo in it are its reach, series and similar groups never."""

    folder: str
    rules: tuple[str, ...] = KEEPER_RULES
    guard: bool = False

    def __post_init__(self):
        self.rules, self._inside = check_rules(self.rules), _Folder(self.folder)

    def _reach(self, group: Group) -> list | Left | None:
        """The group's members inside the folder; None: none is; Left: the group is never decided."""
        inside = self._inside.members(group)
        if not inside:
            return None
        if group.kind in NEVER_DECIDED:
            return Left(NEVER_DECIDED[group.kind])
        return inside


@dataclass
class KeepInFolder(_FolderRule):
    """Where a group has a copy in ``folder``, keep it (the best of them by ``rules`` where several are), and mark
    its copies. Groups with no photo in the folder are outside its reach."""

    @property
    def words(self) -> str:
        return f"keep the one in {self.folder}"

    def decide(self, group: Group, decision: Decision) -> Decision | Left | None:
        inside = self._reach(group)
        if not isinstance(inside, list):
            return inside
        family = keepable(group)
        ids = {m.file.id for m in family}
        candidates = [m for m in inside if m.file.id in ids]
        if not candidates:
            return Left("its photos in the folder are not copies of the others (only similar, or not checked)")
        keep = _best(candidates, self.rules, (decision.keep, group_id(group)))
        marks = _marks(family, keep)
        if not marks:
            return Left(_why_nothing(m for m in group.members if m.file.id != keep))
        return Decision(keep, marks)


def keep_in_folder(folder: str, rules: Sequence[str] = KEEPER_RULES) -> KeepInFolder:
    return KeepInFolder(os.fspath(folder), tuple(rules))


@dataclass
class MarkInFolder(_FolderRule):
    """Mark every copy inside ``folder``, and only those: a group's decision becomes the folder's copies (so what
    lands is what is in the folder). The photo kept stays outside it: the one kept now where it is outside (or in a
    reference folder, never marked), else the engine's keeper, else the best copy outside by ``rules``; where every
    copy is inside, the group is left as is (one must stay)."""

    @property
    def words(self) -> str:
        return f"mark everything in {self.folder}"

    def decide(self, group: Group, decision: Decision) -> Decision | Left | None:
        inside_members = self._reach(group)
        if not isinstance(inside_members, list):
            return inside_members
        inside = {m.file.id for m in inside_members}
        family = keepable(group)
        stays = {m.file.id for m in family if m.file.id not in inside or m.protected}  # may be kept here
        keep = next((k for k in (decision.keep, group_id(group)) if k in stays), None)
        if keep is None:
            outside = [m for m in family if m.file.id not in inside]
            if not outside:
                return Left("every copy is in the folder: one must stay")
            keep = _best(outside, self.rules, ())
        marks = _marks(family, keep) & inside
        if not marks:
            others = [m for m in inside_members if m.file.id != keep]
            return Left(_why_nothing(others) if others else "the photo kept is the only one in the folder")
        return Decision(keep, marks)


def mark_in_folder(folder: str, rules: Sequence[str] = KEEPER_RULES) -> MarkInFolder:
    return MarkInFolder(os.fspath(folder), tuple(rules))


@dataclass
class NeverTouch:
    """Nothing inside ``folder`` is marked: a guard. After the other rules it un-marks what they marked there; on its
    own it un-marks the current marks there. The photo kept may be inside: it never moves."""

    folder: str
    guard: bool = True

    def __post_init__(self):
        self._inside = _Folder(self.folder)

    @property
    def words(self) -> str:
        return f"never touch {self.folder}"

    def decide(self, group: Group, decision: Decision) -> Decision | Left | None:
        hit = {m.file.id for m in group.members if m.file.id in decision.remove and self._inside.holds(m.file.path)}
        if not hit:
            return None
        return Decision(decision.keep, decision.remove - hit)


def never_touch(folder: str) -> NeverTouch:
    return NeverTouch(os.fspath(folder))


@dataclass(frozen=True, slots=True)
class Step:
    """One group a plan decides: its decision before and after."""

    group: Group
    before: Decision
    after: Decision

    @property
    def marked(self) -> list[Member]:
        return [m for m in self.group.members if m.file.id in self.after.remove]

    @property
    def unmarked(self) -> list[Member]:
        return [m for m in self.group.members if m.file.id in self.before.remove and m.file.id not in self.after.remove]


@dataclass(frozen=True)
class Plan:
    """What rules decide, before anything moves: the groups they decide (``steps``) and those they reach but leave
    as they are (``left``, with the reason). ``photos`` and ``bytes`` are what landing it moves (every photo its
    decisions mark); ``unmarked_*`` what it un-marks of the decisions it started from."""

    steps: tuple[Step, ...]
    left: tuple[tuple[Group, str], ...]
    words_of_rules: str
    selects: bool  # a rule other than a guard decided: landing it moves its marks (a guard alone only un-marks)

    @cached_property
    def decisions(self) -> dict[int, Decision]:
        """The new decision of each group it decides, by :func:`group_id`."""
        return {group_id(s.group): s.after for s in self.steps}

    @cached_property
    def groups(self) -> int:
        """Groups where something is marked."""
        return sum(1 for s in self.steps if s.after.remove)

    @cached_property
    def photos(self) -> int:
        return sum(len(s.after.remove) for s in self.steps)

    @cached_property
    def bytes(self) -> int:
        return sum(m.bytes for s in self.steps for m in s.marked)

    @cached_property
    def unmarked_photos(self) -> int:
        return sum(len(s.before.remove - s.after.remove) for s in self.steps)

    @cached_property
    def unmarked_bytes(self) -> int:
        return sum(m.bytes for s in self.steps for m in s.unmarked)

    @cached_property
    def unmarked_groups(self) -> int:
        """Groups where it un-marks something."""
        return sum(1 for s in self.steps if s.before.remove - s.after.remove)

    @cached_property
    def changed(self) -> int:
        """Groups whose decision differs from the one it started from."""
        return sum(1 for s in self.steps if s.after != s.before)

    @cached_property
    def paths(self) -> list[str]:
        """The files landing it moves, group by group."""
        return [m.file.path for s in self.steps for m in s.marked]

    def reasons_left(self) -> Counter[str]:
        """How many groups are left as they are, by reason."""
        return Counter(reason for _, reason in self.left)

    @cached_property
    def words(self) -> str:
        """The totals in plain words: "mark 1,204 photos in 812 groups, 3.4 GB; 3 groups left as is"."""
        parts = []
        unmarked = f"{_count(self.unmarked_photos, 'photo')}, {human_bytes(self.unmarked_bytes)}"
        if self.selects:
            parts.append(f"mark {_count(self.photos, 'photo')} in {_count(self.groups, 'group')}, "
                         f"{human_bytes(self.bytes)}" if self.photos else "mark nothing")
            if self.unmarked_photos:
                parts.append(f"un-mark {unmarked}")
        else:
            parts.append(f"un-mark {_count(self.unmarked_photos, 'photo')} in {_count(self.unmarked_groups, 'group')}, "
                         f"{human_bytes(self.unmarked_bytes)}" if self.unmarked_photos else "un-mark nothing")
        if self.left:
            parts.append(f"{_count(len(self.left), 'group')} left as is")
        return "; ".join(parts)


def joined(plans: Sequence[Plan]) -> Plan:
    """One plan from plans of the same rules over parts of the groups: a screen previews 10,000 groups a slice at a
    time, so its thread never waits long."""
    if not plans:
        raise UsageError("no plan to join")
    plan = Plan(tuple(s for p in plans for s in p.steps), tuple(x for p in plans for x in p.left),
                plans[0].words_of_rules, plans[0].selects)
    for total in TOTALS:  # made part by part (a slice each), the whole plan's are their sums, not another pass
        if all(total in p.__dict__ for p in plans):
            plan.__dict__[total] = sum(p.__dict__[total] for p in plans)
    return plan


TOTALS = ("groups", "photos", "bytes", "unmarked_photos", "unmarked_bytes", "unmarked_groups", "changed")  # sums


def _count(n: int, word: str) -> str:
    return f"{n:,} {word if n == 1 else word + 's'}"


def _as_decision(decision) -> Decision:
    """A :class:`Decision` from anything with ``keep`` and ``remove`` (the review's ``Choice``)."""
    return decision if isinstance(decision, Decision) else Decision(decision.keep, frozenset(decision.remove))


def preview(groups: Iterable[Group], *rules: Rule, current: Mapping[int, object] | None = None) -> Plan:
    """The plan ``rules`` make over ``groups``, changing nothing: each group's decision now (``current``, by
    :func:`group_id`: Decisions or the review's Choices; the engine's where absent) goes through the rules in turn,
    the guards last. A group a rule leaves as is stays so. Guards filter only the groups the other rules decide;
    given alone, they filter the current decisions (a plan that un-marks, for the review, not for the trash)."""
    if not rules:
        raise UsageError("no rule given: say what to keep or mark")
    ordered = [r for r in rules if not r.guard] + [r for r in rules if r.guard]
    selects = any(not r.guard for r in rules)
    current = current or {}
    steps, left = [], []
    for group in groups:
        known = current.get(group_id(group))
        before = engine_decision(group) if known is None else _as_decision(known)
        decision, decided, reason = before, False, ""
        for rule in ordered:
            if rule.guard and selects and not decided:
                break  # a guard filters what the rules decide; this group they left alone
            answer = rule.decide(group, decision)
            if isinstance(answer, Left):
                reason = answer.reason
                break
            if answer is not None:
                decision, decided = answer, True
        if reason:
            left.append((group, reason))
        elif decided:
            _check(group, before, decision)
            steps.append(Step(group, before, decision))
    return Plan(tuple(steps), tuple(left), ", ".join(r.words for r in rules), selects)


def _check(group: Group, before: Decision, after: Decision) -> None:
    """The product's rule, checked on every decision a plan makes: a rule marks only what :func:`markable` allows
    (the user's own marks it may keep), never the photo kept, and keeps one photo of the group."""
    ids = {m.file.id for m in group.members}
    added = after.remove - before.remove
    if after.keep not in ids or after.keep in after.remove or not after.remove <= ids:
        raise AssertionError(f"a bulk rule broke the group of {group.keeper.file.path}: it must keep one photo")
    if not added <= markable(group, after.keep):
        raise AssertionError(f"a bulk rule marked a photo it may not in the group of {group.keeper.file.path}")


def trash_plan(catalog: Catalog, plan: Plan, carry_metadata: bool = True) -> TrashResult:
    """Move what ``plan`` marks to the system trash as one journaled batch (engine.trash): one undo puts it all back.
    The trash checks each file again (changed since the scan, in a reference folder, the last copy of its group).
    ``carry_metadata``: what each photo kept lacks that its marked copies had goes to its sidecar first."""
    if not plan.selects:
        raise UsageError("this plan only un-marks photos: it has nothing to move")
    pairs = [carry_pair(s.group, s.after.keep, s.after.remove) for s in plan.steps] if carry_metadata else []
    return trash_files(catalog, plan.paths, groups=[s.group for s in plan.steps], carry=[p for p in pairs if p])


def carry_pair(group: Group, keep: int, remove: Iterable[int]) -> tuple[str, list[str]] | None:
    """(the photo kept, its copies going) in one group, by file ids: what engine.trash carries metadata between.
    Only copies: a shot of a series or a photo only similar knows nothing true of the one kept (its date, its
    rating), so None where the photo kept or every one going is only similar. Not videos: their metadata is not read
    (engine.keeper_metadata reads whole files, and a video may be gigabytes)."""
    if group.kind == "video":
        return None
    remove = set(remove)
    kept = next((m for m in group.members if m.file.id == keep), None)
    copies = [m.file.path for m in group.members if m.file.id in remove and not m.similar]
    return (kept.file.path, copies) if kept is not None and not kept.similar and copies else None
