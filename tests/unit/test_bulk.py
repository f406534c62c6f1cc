"""Bulk rules (engine.bulk) on real FileRow/Group objects: what each rule keeps and marks, the product's never-mark
guarantees over every kind of group and member, exact preview totals and their words, and a bulk batch trashed and
put back by one undo."""

from __future__ import annotations

import hashlib
import itertools
import os
import random
from pathlib import Path

import numpy as np
import pytest

from engine.bulk import (TOTALS, Decision, engine_decision, group_id, joined, keep_in_folder, keep_largest, keep_oldest,
                         mark_in_folder, markable, never_touch, preview, trash_plan)
from engine.catalog import Catalog, FileRow, ScanRecord
from engine.duplicates import Group, Member, find_groups
from engine.errors import UsageError
from engine.images import content_hash
from engine.trash import undo
from engine.verify import Verdict

_ids = itertools.count(1)


def row(path: str, *, size: int = 1000, w: int = 100, h: int = 100, captured: str | None = None,
        mtime: int = 1) -> FileRow:
    return FileRow(next(_ids), path, size, mtime, path, w, h, "JPEG", captured, None, None)


def member(f: FileRow, *, keep=False, protected=False, similar=False, unchecked=False) -> Member:
    verdict = Verdict("unread") if unchecked else Verdict("copy", agreement=0.9)
    return Member(f, 0 if keep else 3, keep, protected, False, similar, None if keep else verdict)


def group(keeper: FileRow, *others: FileRow, kind: str = "copy", protected=(), similar=(), unchecked=(),
          keeper_protected: bool = False) -> Group:
    members = [member(keeper, keep=True, protected=keeper_protected)]
    members += [member(f, protected=f in protected, similar=f in similar, unchecked=f in unchecked) for f in others]
    return Group(members, kind)


def ids(*files: FileRow) -> frozenset[int]:
    return frozenset(f.id for f in files)


def test_keep_largest_and_oldest_pick_by_the_keeper_rules():
    # the engine kept the oldest (the user's keeper rules put "oldest" first); the largest is a later re-save
    old = row("/p/old.jpg", w=100, h=100, captured="2001-01-01T00:00:00")
    big = row("/p/big.jpg", w=400, h=300, captured="2005-01-01T00:00:00")
    small = row("/p/small.jpg", w=50, h=50)
    g = group(old, big, small)
    plan = preview([g], keep_largest())
    assert plan.decisions == {old.id: Decision(big.id, ids(old, small))}  # the engine's keeper is a copy of big's
    assert plan.changed == 1 and plan.photos == 2 and plan.groups == 1

    # keeping the oldest there changes nothing, but the group is decided: landing it moves its copies
    plan = preview([g], keep_oldest())
    assert plan.decisions == {old.id: Decision(old.id, ids(big, small))} and plan.changed == 0
    assert plan.photos == 2 and plan.unmarked_photos == 0

    # sizes within 3 % tie on "size": the keeper now stays rather than move for nothing
    a, b = row("/s/a.jpg", size=1000), row("/s/b.jpg", size=1010)
    assert preview([group(a, b)], keep_largest()).decisions == {a.id: Decision(a.id, ids(b))}
    assert preview([group(a, b)], keep_largest(), current={a.id: Decision(b.id, ids(a))}).decisions == {
        a.id: Decision(b.id, ids(a))}


def test_keep_in_folder_reaches_only_groups_with_a_copy_there():
    inside, outside = row("/lib/phone/a.jpg"), row("/lib/camera/a.jpg", w=300, h=300)
    other_keeper, other = row("/lib/camera/b.jpg"), row("/lib/camera/b2.jpg")
    series = group(row("/lib/phone/s1.jpg"), row("/lib/phone/s2.jpg"), kind="series")
    g = group(outside, inside)
    plan = preview([g, group(other_keeper, other), series], keep_in_folder("/lib/phone"))
    assert plan.decisions == {outside.id: Decision(inside.id, ids(outside))}
    assert [(grp.kind, why) for grp, why in plan.left] == [("series", "a series: which shot to keep is yours to say")]
    # "/lib/phone" does not hold "/lib/phone2": whole folder names only (engine.keepers.in_folders)
    assert preview([g], keep_in_folder("/lib/phon")).steps == ()


def test_mark_in_folder_marks_only_the_folder_and_keeps_a_copy_outside():
    keeper, copy_out, copy_in = row("/l/keep/k.jpg", w=400, h=400), row("/l/keep/c.jpg"), row("/l/down/c.jpg")
    g1 = group(keeper, copy_out, copy_in)
    # the keeper inside: the best copy outside becomes the keeper, and the engine's keeper goes with the folder
    big_in, mid_out, small_out = row("/l/down/big.jpg", w=900, h=900), row("/l/x/mid.jpg", w=500, h=500), \
        row("/l/x/small.jpg", w=100, h=100)
    g2 = group(big_in, mid_out, small_out)
    # every copy inside: one must stay
    g3 = group(row("/l/down/a.jpg"), row("/l/down/b.jpg"))
    # inside only a photo in a reference folder, or only similar, or not checked
    ref = row("/l/down/ref.jpg")
    g4 = group(row("/l/r/k.jpg"), ref, protected=[ref], keeper_protected=True)
    sim, unread = row("/l/down/sim.jpg"), row("/l/down/unread.jpg")
    g5 = group(row("/l/x/k5.jpg"), sim, unread, kind="near", similar=[sim], unchecked=[unread])

    plan = preview([g1, g2, g3, g4, g5], mark_in_folder("/l/down"))
    assert plan.decisions == {group_id(g1): Decision(keeper.id, ids(copy_in)),
                              group_id(g2): Decision(mid_out.id, ids(big_in))}
    # from the engine's decisions: copy_out was marked in g1, mid_out and small_out in g2; the folder rule leaves them
    assert plan.unmarked_photos == 3 and plan.photos == 2 and plan.bytes == 2000
    reasons = {group_id(grp): why for grp, why in plan.left}
    assert reasons == {group_id(g3): "every copy is in the folder: one must stay",
                       group_id(g4): "its other photos are in a reference folder",
                       group_id(g5): "its other photos were not checked this time"}
    assert plan.words == "mark 2 photos in 2 groups, 2.0 KB; un-mark 3 photos, 3.0 KB; 3 groups left as is"
    assert plan.paths == [copy_in.path, big_in.path]

    # the user's keeper outside the folder stays the keeper
    user = Decision(copy_out.id, ids(keeper, copy_in))
    assert preview([g1], mark_in_folder("/l/down"), current={group_id(g1): user}).decisions == {
        group_id(g1): Decision(copy_out.id, ids(copy_in))}


def test_a_protected_keeper_inside_the_folder_stays_kept():
    ref_keeper, ref_copy, copy = row("/l/ref/k.jpg"), row("/l/ref/k2.jpg"), row("/l/ref/k3.jpg")
    g = group(ref_keeper, ref_copy, copy, keeper_protected=True, protected=[ref_copy])
    assert preview([g], mark_in_folder("/l/ref")).decisions == {ref_keeper.id: Decision(ref_keeper.id, ids(copy))}


def test_never_touch_is_a_guard():
    keeper, kept_safe, other = row("/n/a/k.jpg", w=900, h=900), row("/n/safe/c.jpg"), row("/n/a/c.jpg")
    g = group(keeper, kept_safe, other)
    lone = group(row("/n/b/k.jpg"), row("/n/safe/d.jpg"))
    # alone it un-marks the current marks inside the folder (the engine's here), and says so
    alone = preview([g, lone], never_touch("/n/safe"))
    assert alone.decisions == {keeper.id: Decision(keeper.id, ids(other)), group_id(lone): Decision(lone.keeper.file.id)}
    assert alone.unmarked_photos == 2 and alone.words == "un-mark 2 photos in 2 groups, 2.0 KB"
    with pytest.raises(UsageError, match="only un-marks"):
        trash_plan(None, alone)
    # after another rule, whatever the order given: the folder is never marked, and the guard reaches only the
    # groups that rule decides (it never lands the other groups' marks)
    for rules in ((keep_in_folder("/n/a"), never_touch("/n/safe")), (never_touch("/n/safe"), keep_in_folder("/n/a"))):
        plan = preview([g, lone], *rules)
        assert plan.decisions == {keeper.id: Decision(keeper.id, ids(other))}
        assert plan.words == "mark 1 photo in 1 group, 1.0 KB; un-mark 1 photo, 1.0 KB"
    assert preview([g], mark_in_folder("/n/safe"), never_touch("/n/safe")).decisions == {
        keeper.id: Decision(keeper.id, frozenset())}


def test_a_similar_or_series_group_and_user_marks():
    shot1, shot2 = row("/s/1.jpg"), row("/s/2.jpg", w=900, h=900)
    series = group(shot1, shot2, kind="series", similar=[shot2])
    alike1, alike2 = row("/s/a.jpg"), row("/s/b.jpg", w=900, h=900)
    similar = group(alike1, alike2, kind="similar", similar=[alike2])
    for rule in (keep_largest(), keep_oldest(), keep_in_folder("/s"), mark_in_folder("/s")):
        plan = preview([series, similar], rule)
        assert plan.steps == () and plan.photos == 0
        assert sorted(why for _, why in plan.left) == ["a series: which shot to keep is yours to say",
                                                      "similar photos, not copies: never marked"]
    # a shot the user marked by hand: the guard may un-mark it; no rule marks one
    plan = preview([series], never_touch("/s"), current={shot1.id: Decision(shot1.id, ids(shot2))})
    assert plan.decisions == {shot1.id: Decision(shot1.id)}


def test_current_decisions_may_be_any_object_with_keep_and_remove():
    """The review's Choice has ``keep`` and a mutable ``remove``: a plan starts from it as from a Decision."""
    from types import SimpleNamespace

    keeper, copy = row("/c/k.jpg", w=900, h=900), row("/c/c.jpg")
    g = group(keeper, copy)
    plan = preview([g], keep_largest(), current={keeper.id: SimpleNamespace(keep=keeper.id, remove=set())})
    assert plan.steps[0].before == Decision(keeper.id) and plan.decisions == {keeper.id: Decision(keeper.id, ids(copy))}
    with pytest.raises(UsageError, match="no rule"):
        preview([g])


def random_group(rng: random.Random, n: int) -> Group:
    kind = rng.choice(["exact", "copy", "copy", "near", "series", "similar"])
    folders = ["/r/a", "/r/b", "/r/c/d"]
    files = [row(f"{rng.choice(folders)}/{n}-{i}.jpg", size=rng.randint(1, 9) * 1000, w=rng.choice([50, 100, 200]),
                 h=100, captured=rng.choice([None, "2001-01-01T00:00:00", "2010-05-05T00:00:00"]),
                 mtime=rng.randint(1, 100)) for i in range(rng.randint(2, 6))]
    keeper_protected = rng.random() < 0.2
    flags = {f: rng.choice(["", "", "protected", "similar", "unchecked"]) for f in files[1:]}
    if kind in ("series", "similar"):
        flags = {f: "similar" for f in files[1:]}
    return group(files[0], *files[1:], kind=kind, keeper_protected=keeper_protected,
                 protected=[f for f, x in flags.items() if x == "protected" and keeper_protected],
                 similar=[f for f, x in flags.items() if x == "similar"],
                 unchecked=[f for f, x in flags.items() if x == "unchecked"])


def test_no_rule_ever_marks_what_it_may_not():
    """Over many groups of every kind and member (protected, similar, not checked), every rule and pair of rules,
    from the engine's decisions and from odd user ones: a plan marks only copies of the photo kept, never a
    protected, similar or unchecked photo, never in a series or similar group, and keeps exactly one photo."""
    rng = random.Random(7)
    groups = [random_group(rng, n) for n in range(400)]
    by_id = {group_id(g): g for g in groups}
    rules = [keep_largest(), keep_oldest(), keep_in_folder("/r/a"), keep_in_folder("/r/c"), mark_in_folder("/r/a"),
             mark_in_folder("/r/c/d"), never_touch("/r/b")]
    user = {}
    for g in groups[::3]:  # the user kept another photo and unmarked everything
        user[group_id(g)] = Decision(rng.choice(g.members).file.id)
    seen_changes = 0
    for chosen in [(r,) for r in rules] + list(itertools.combinations(rules, 2)):
        for current in (None, user):
            plan = preview(groups, *chosen, current=current)
            for step in plan.steps:
                g = step.group
                members = {m.file.id: m for m in g.members}
                keep, remove = step.after.keep, step.after.remove
                assert keep in members and keep not in remove and remove <= members.keys()  # one photo kept
                added = remove - step.before.remove
                seen_changes += bool(added)
                if added:
                    assert g.kind not in ("series", "similar")
                for f in added:
                    m = members[f]
                    assert not m.protected and not m.similar and not m.unchecked
                    assert m.keep or m in g.removable  # the engine's keeper only once another copy is kept
                if keep == g.keeper.file.id:
                    assert added <= {m.file.id for m in g.removable}
                assert added <= markable(g, keep)
            assert all(group_id(g) in by_id for g, _ in plan.left)
    assert seen_changes > 100  # the rules did decide many groups


def test_totals_and_their_words_count_exactly():
    """812 groups, 392 with two copies and 420 with one: 1,204 photos of 2,823,920 bytes."""
    groups = []
    for n in range(812):
        copies = [row(f"/t/{n}-{i}.jpg", size=2_823_920, w=10, h=10) for i in range(2 if n < 392 else 1)]
        groups.append(group(row(f"/t/{n}.jpg", size=5_000_000, w=20, h=20), *copies))
    plan = preview(groups, keep_largest())
    assert (plan.groups, plan.photos, plan.bytes) == (812, 1204, 1204 * 2_823_920)
    assert plan.words == "mark 1,204 photos in 812 groups, 3.4 GB"
    assert len(plan.paths) == 1204 and plan.unmarked_photos == 0 and plan.unmarked_bytes == 0
    one = preview(groups[-1:], keep_largest())
    assert one.words == "mark 1 photo in 1 group, 2.8 MB"
    assert preview(groups, keep_in_folder("/elsewhere")).words == "mark nothing"


def test_a_plan_joined_from_parts_sums_their_totals_and_reads_the_same():
    """A screen previews 10,000 groups in parts, each part's totals made in its slice: the joined plan's totals are
    their sums, the same as one plan's over all the groups, words included."""
    rng = random.Random(11)
    groups = [random_group(rng, n) for n in range(300)]
    for rules in ((mark_in_folder("/r/a"),), (keep_largest(),), (never_touch("/r/b"),)):
        whole = preview(groups, *rules)
        parts = [preview(groups[i:i + 50], *rules) for i in range(0, len(groups), 50)]
        for part in parts:
            for total in TOTALS:
                getattr(part, total)
        plan = joined(parts)
        assert all(total in plan.__dict__ for total in TOTALS)  # summed, not made again over every step
        assert [getattr(plan, t) for t in TOTALS] == [getattr(whole, t) for t in TOTALS]
        assert plan.words == whole.words and plan.steps == whole.steps


def test_engine_decision_is_the_reviews_default():
    keeper, copy, sim = row("/e/k.jpg"), row("/e/c.jpg"), row("/e/s.jpg")
    g = group(keeper, copy, sim, kind="near", similar=[sim])
    assert engine_decision(g) == Decision(keeper.id, ids(copy))
    assert engine_decision(g, premark=False) == Decision(keeper.id)
    assert markable(g, sim.id) == frozenset()  # a similar photo kept: nothing is known to be its copy


def code(*flipped: int) -> bytes:
    bits = np.zeros(64, np.uint8)
    bits[list(flipped)] = 1
    return np.packbits(bits).tobytes()


def test_rules_on_groups_the_engine_found(tmp_path):
    """find_groups on a real catalog with a reference folder: a rule never marks a protected photo, and a keeper
    rule's choice follows engine.keepers."""
    with Catalog(tmp_path / "c.sqlite") as c:
        m = c.register_model("k", "/m.onnx", 64, {})
        records = [ScanRecord("/lib/ref/a.jpg", 900, 1, "a", 100, 100, "JPEG", None, code(1)),
                   ScanRecord("/lib/phone/a.jpg", 5000, 2, "a2", 400, 300, "JPEG", None, code(1, 2)),
                   ScanRecord("/lib/phone/a-small.jpg", 300, 3, "a3", 40, 30, "JPEG", None, code(1, 3)),
                   ScanRecord("/lib/x/b.jpg", 800, 4, "b", 100, 100, "JPEG", None, code(20, 21, 22, 23, 24)),
                   ScanRecord("/lib/phone/b.jpg", 800, 5, "b", 100, 100, "JPEG", None, code(20, 21, 22, 23, 24))]
        c.save_scanned(m, records)
        groups = find_groups(c, m, 2, reference_folders=["/lib/ref"])
    a = next(g for g in groups if g.keeper.file.path == "/lib/ref/a.jpg")
    b = next(g for g in groups if g is not a)
    assert b.kind == "exact"
    plan = preview(groups, keep_largest())
    big = next(x.file.id for x in a.members if x.file.path == "/lib/phone/a.jpg")
    small = next(x.file.id for x in a.members if x.file.path == "/lib/phone/a-small.jpg")
    assert plan.decisions[group_id(a)] == Decision(big, frozenset({small}))  # the reference photo stays too
    plan = preview(groups, mark_in_folder("/lib/phone"))
    assert plan.decisions[group_id(a)] == Decision(a.keeper.file.id, frozenset({big, small}))
    assert plan.decisions[group_id(b)].remove == {x.file.id for x in b.members if x.file.path.startswith("/lib/phone")}
    assert preview(groups, mark_in_folder("/lib/ref")).left == ((a, "the photo kept is the only one in the folder"),)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_bulk_batch_lands_as_one_batch_and_one_undo_puts_it_back(tmp_path):
    """Real files in a real catalog: a bulk plan over three groups goes to the (test session's) system trash as one
    batch, and one undo restores every file byte-identical."""
    rng = np.random.default_rng(5)
    library = tmp_path / "lib"
    records = []
    for n in range(3):
        data = rng.integers(0, 256, 4000 + n, dtype=np.uint8).tobytes()
        for folder, suffix in (("keep", b""), ("down", b"")) if n else (("keep", b""), ("down", b""), ("down2", b"x")):
            path = library / folder / f"{n}.jpg"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data + suffix)
            st = os.stat(path)
            records.append(ScanRecord(str(path), st.st_size, st.st_mtime_ns, content_hash(data + suffix), 100, 100,
                                      "JPEG", None, code(n * 10, n * 10 + 1)))
    with Catalog(tmp_path / "c.sqlite") as c:
        m = c.register_model("k", "/m.onnx", 64, {})
        c.save_scanned(m, records)
        groups = find_groups(c, m, 0, keeper_rules=["path"])
        assert len(groups) == 3
        plan = preview(groups, mark_in_folder(library / "down"))
        assert plan.photos == 3 and plan.groups == 3
        moving = {Path(p): sha(Path(p)) for p in plan.paths}
        assert all(p.parent.name == "down" for p in moving)
        result = trash_plan(c, plan)
        assert result.failed == [] and sorted(result.moved) == sorted(map(str, moving))
        assert not any(p.exists() for p in moving)
        assert {e.batch for e in c.journal(result.batch)} == {result.batch}
        back = undo(c)
        assert back.batch == result.batch and sorted(back.moved) == sorted(map(str, moving))
        assert {p: sha(p) for p in moving} == moving
