"""Grouping on a real catalog file with hand-made codes: exact and near links, the chain guard, keepers."""

from __future__ import annotations

import numpy as np
import pytest

from engine.catalog import Catalog, ScanRecord
from engine.duplicates import find_groups
from engine.keepers import KEEPER_RULES, in_folders
from engine.errors import UsageError


def code(*flipped_bits: int) -> bytes:
    bits = np.zeros(64, np.uint8)
    bits[list(flipped_bits)] = 1
    return np.packbits(bits).tobytes()


def add(catalog, model_id, path, code_bytes, *, size=1000, w=100, h=100, content=None, captured=None, error=None):
    rec = ScanRecord(path, size, 1, content or path, w, h, "JPEG", captured, None if error else code_bytes, error)
    catalog.save_scanned(model_id, [rec])


@pytest.fixture
def cat(tmp_path):
    with Catalog(tmp_path / "c.sqlite") as c:
        yield c, c.register_model("k", "/m.onnx", 64, {})


def paths(group):
    return [m.file.path for m in group.members]


def test_near_and_exact_grouped_far_not(cat):
    c, m = cat
    add(c, m, "/p/a.jpg", code(), size=5000)
    add(c, m, "/p/a-small.jpg", code(1, 2), size=1000, w=50, h=50)
    add(c, m, "/p/b.jpg", code(*range(10, 40)))
    add(c, m, "/p/b-copy.jpg", code(*range(10, 40)), content="/p/b.jpg")
    add(c, m, "/p/lonely.jpg", code(*range(40, 64)))
    groups = find_groups(c, m, 4)
    assert [paths(g) for g in groups] == [["/p/a.jpg", "/p/a-small.jpg"], ["/p/b.jpg", "/p/b-copy.jpg"]]
    assert groups[0].kind == "near" and groups[1].kind == "exact"
    assert groups[1].keeper_rule == "original"  # the same bytes: the name a copy was given says which came first
    assert groups[0].members[1].distance == 2 and not groups[0].members[1].keep
    assert groups[0].bytes_freed == 1000
    assert find_groups(c, m, 1)[0].kind == "exact"  # a-small is 2 bits away: not within radius 1


def test_gates_keep_pairs_with_one_close_part(cat):
    """A two-part code (bits 0-31 and 32-63, each gated at 2): within radius 6 is not enough, one part must
    be within 2; a member and its keeper obey the same rule."""
    c, m = cat
    gates = ((0, 32, 2), (32, 64, 2))
    add(c, m, "/g/a.jpg", code(), size=5000)
    add(c, m, "/g/first-close.jpg", code(1, 40, 41, 42, 43))  # parts 1 + 4: passes
    add(c, m, "/g/both-far.jpg", code(5, 6, 7, 50, 51, 52))  # parts 3 + 3: within 6, no gate
    (group,) = find_groups(c, m, 6, gates=gates)
    assert paths(group) == ["/g/a.jpg", "/g/first-close.jpg"]
    assert [len(g.members) for g in find_groups(c, m, 6)] == [3]  # without gates all three


def test_a_member_must_pass_a_gate_with_its_keeper(cat):
    """Linked through a middle photo, the far one is within the radius of the keeper but passes no gate with it."""
    c, m = cat
    gates = ((0, 32, 2), (32, 64, 2))
    add(c, m, "/k/keeper.jpg", code(), size=5000)
    add(c, m, "/k/middle.jpg", code(1, 40, 41, 42))  # to the keeper: parts 1 + 3
    add(c, m, "/k/far.jpg", code(1, 2, 3, 40, 41, 42))  # to the keeper: 3 + 3 (distance 6); to the middle: 2 + 0
    (group,) = find_groups(c, m, 6, gates=gates)
    assert paths(group) == ["/k/keeper.jpg", "/k/middle.jpg"]


def test_exact_copies_of_an_undecodable_file_are_grouped(cat):
    c, m = cat
    add(c, m, "/p/broken.jpg", None, content="same", error="truncated")
    add(c, m, "/p/broken-copy.jpg", None, content="same", error="truncated")
    (group,) = find_groups(c, m, 4)
    assert group.kind == "exact" and len(group.members) == 2


def test_chain_of_photos_is_not_one_group(cat):
    c, m = cat
    for i in range(6):  # each 4 bits from the next; the ends are 20 bits apart
        add(c, m, f"/chain/{i}.jpg", code(*range(0, 4 * i)), size=1000 + i)
    groups = find_groups(c, m, 4)
    for g in groups:
        assert all(x.distance <= 4 for x in g.members)
        ends = {int(p.split("/")[-1][0]) for p in paths(g)}
        assert max(ends) - min(ends) <= 2
    assert sum(len(g.members) for g in groups) >= 4
    # A tight cluster (8 bits from the chain's first photo: not linked to it) stays one group.
    for i in range(4):
        add(c, m, f"/tight/{i}.jpg", code(*range(56, 64), *range(30, 30 + i)))
    tight = [g for g in find_groups(c, m, 4) if paths(g)[0].startswith("/tight")]
    assert len(tight) == 1 and len(tight[0].members) == 4


@pytest.mark.parametrize(
    "rule, files, keeper",
    [
        ("resolution", [("/r/a.jpg", dict(w=100, h=100)), ("/r/b.jpg", dict(w=200, h=100))], "/r/b.jpg"),
        ("size", [("/s/a.jpg", dict(size=10)), ("/s/b.jpg", dict(size=20))], "/s/b.jpg"),
        ("oldest", [("/o/a.jpg", dict(captured="2020-01-01T00:00:00")), ("/o/b.jpg", dict(captured="2019-01-01T00:00:00")),
                    ("/o/c.jpg", dict())], "/o/b.jpg"),
        ("path", [("/t/b.jpg", dict()), ("/t/a.jpg", dict())], "/t/a.jpg"),
    ],
)
def test_each_keeper_rule_decides(cat, rule, files, keeper):
    c, m = cat
    for path, kw in files:
        add(c, m, path, code(1), **kw)
    (group,) = find_groups(c, m, 0, keeper_rules=[rule])
    assert group.keeper.file.path == keeper and group.keeper.keep


def test_default_rule_order(cat):
    c, m = cat
    assert KEEPER_RULES == ("raw", "resolution", "size", "oldest", "metadata", "original", "path")
    add(c, m, "/d/big-old.jpg", code(1), w=400, h=300, size=10, captured="2001-01-01T00:00:00")
    add(c, m, "/d/bigger-file.jpg", code(1), w=400, h=300, size=99)
    add(c, m, "/d/small.jpg", code(1), w=40, h=30, size=500)
    (group,) = find_groups(c, m, 0)
    assert group.keeper.file.path == "/d/bigger-file.jpg"
    (group,) = find_groups(c, m, 0, keeper_rules=["oldest", "resolution"])
    assert group.keeper.file.path == "/d/big-old.jpg"
    known = "raw, resolution, size, oldest, metadata, original, path"
    with pytest.raises(UsageError, match=f"unknown keeper rule newest; known rules: {known}"):
        find_groups(c, m, 0, keeper_rules=["newest"])


def test_reference_folders_are_protected(cat):
    c, m = cat
    add(c, m, "/lib/ref/original.jpg", code(1), w=10, h=10)
    add(c, m, "/lib/reference2/copy.jpg", code(1), w=999, h=999)
    add(c, m, "/lib/other/copy.jpg", code(1, 2), w=999, h=999)
    (group,) = find_groups(c, m, 2, reference_folders=["/lib/ref"])
    assert group.keeper.file.path == "/lib/ref/original.jpg" and group.keeper.protected
    assert {x.file.path for x in group.removable} == {"/lib/reference2/copy.jpg", "/lib/other/copy.jpg"}
    (group,) = find_groups(c, m, 2, reference_folders=["/lib/ref", "/lib/other"])
    assert [x.file.path for x in group.removable] == ["/lib/reference2/copy.jpg"]
    assert in_folders("/lib/ref/x.jpg", ["/lib/ref/"]) and not in_folders("/lib/reference2/x.jpg", ["/lib/ref"])


def test_missing_files_leave_groups_and_radius_is_checked(cat):
    c, m = cat
    add(c, m, "/x/a.jpg", code(1))
    add(c, m, "/x/b.jpg", code(1))
    assert len(find_groups(c, m, 0)) == 1
    c.set_missing(["/x/b.jpg"], True)
    assert find_groups(c, m, 0) == []
    with pytest.raises(UsageError, match="radius must be an integer from 0 to 64"):
        find_groups(c, m, 65)


def test_many_codes_group_quickly(cat):
    c, m = cat
    rng = np.random.default_rng(3)
    base = rng.integers(0, 256, (3000, 8), dtype=np.uint8)
    records = [ScanRecord(f"/big/{i:05d}.jpg", 100, 1, f"h{i}", 10, 10, "JPEG", None, base[i].tobytes())
               for i in range(3000)]
    flipped = base.copy()
    flipped[:, 0] ^= 1  # one bit away
    records += [ScanRecord(f"/big/{i:05d}-copy.jpg", 50, 1, f"c{i}", 5, 5, "JPEG", None, flipped[i].tobytes())
                for i in range(0, 3000, 3)]
    c.save_scanned(m, records)
    groups = find_groups(c, m, 2)
    assert len(groups) == 1000
    assert all(len(g.members) == 2 and not g.keeper.file.path.endswith("-copy.jpg") for g in groups)


def test_similar_clusters_start_where_photos_crowd_and_never_chain():
    """engine.duplicates._clusters: the photo with the most neighbours is a cluster's first member, each member is
    within the radius of every other (a chain a-b-c with a, c apart splits), and a cluster holds at most
    MAX_SIMILAR_GROUP photos."""
    from engine.duplicates import MAX_SIMILAR_GROUP, _clusters
    from engine.index import HammingIndex

    def code(*ones):
        bits = np.zeros(64, np.uint8)
        bits[list(ones)] = 1
        return np.packbits(bits)

    # a chain 0 - 1 - 2 - 3 (each one bit further), and a crowd: code 4 and five codes one bit from it
    packed = np.stack([code(40, 41, 42, 43), code(40, 41, 42), code(40, 41), code(40), code(10, 11, 12),
                       code(10, 11), code(10, 12), code(11, 12), code(10, 11, 12, 13), code(10, 11, 12, 14)])
    a, b, d = HammingIndex(packed, np.arange(len(packed))).pairs(1)
    clusters = [c.tolist() for c in _clusters(packed, a, b, d, 1)]
    assert clusters == [[4, 5], [1, 0], [2, 3]]  # the crowd's centre first; the chain in links, never whole
    crowd = _clusters(packed, *HammingIndex(packed, np.arange(len(packed))).pairs(2), 2)
    assert crowd[0].tolist() == [4, 5, 6, 7, 8, 9]  # within 2 bits of each other: the centre, then nearest first
    many = np.repeat(code(5)[None], MAX_SIMILAR_GROUP + 30, axis=0)
    big = _clusters(many, *HammingIndex(many, np.arange(len(many))).pairs(0 + 1), 1)
    assert [len(c) for c in big] == [MAX_SIMILAR_GROUP, 30]


# -- stacks (engine.stacks): a RAW and its JPEG are one photo to grouping ----------------------------------------------

SHOT = "2024-06-01T10:00:01"


def test_a_raw_and_its_jpeg_are_never_a_group_but_a_copy_elsewhere_is_a_copy_of_the_stack(cat):
    c, m = cat
    add(c, m, "/s/IMG_1.CR2", code(1), w=6000, h=4000, size=25_000_000, captured=SHOT)
    add(c, m, "/s/IMG_1.JPG", code(1), w=6000, h=4000, size=8_000_000, captured=SHOT)
    assert find_groups(c, m, 4) == []  # alike, and one shot: a stack, not a duplicate group
    add(c, m, "/backup/IMG_1.JPG", code(1, 2), w=6000, h=4000, size=8_000_000, captured=SHOT)
    (group,) = find_groups(c, m, 4)
    assert paths(group) == ["/s/IMG_1.JPG", "/backup/IMG_1.JPG"]  # the stack, by its JPEG, kept for its RAW
    assert [f.path for f in group.keeper.stack] == ["/s/IMG_1.CR2"] and group.members[1].stack == ()
    assert group.keeper.bytes == 33_000_000  # moving it would move its RAW too
    assert group.keeper_rule == "raw" and group.decided_by == "kept with its RAW (IMG_1.CR2)"
    assert [x.file.path for x in group.removable] == ["/backup/IMG_1.JPG"]


def test_two_stacks_that_are_copies_are_one_group_of_two_stacks(cat):
    c, m = cat
    for folder in ("/a", "/b"):
        add(c, m, f"{folder}/IMG_2.NEF", code(7), size=20_000_000, captured=SHOT, content="raw-bytes")
        add(c, m, f"{folder}/IMG_2.jpg", code(7), size=5_000_000, captured=SHOT, content="jpeg-bytes")
    (group,) = find_groups(c, m, 4)
    assert paths(group) == ["/a/IMG_2.jpg", "/b/IMG_2.jpg"] and group.kind == "exact"
    assert [[f.path for f in x.stack] for x in group.members] == [["/a/IMG_2.NEF"], ["/b/IMG_2.NEF"]]
    assert group.bytes_freed == 25_000_000  # the JPEG and its RAW


def test_the_original_name_is_kept_over_a_copy_name_when_the_files_tie(cat):
    c, m = cat
    add(c, m, "/o/IMG_5 (1).jpg", code(3), content="same")
    add(c, m, "/o/IMG_5.jpg", code(3), content="same")
    (group,) = find_groups(c, m, 0)
    assert group.keeper.file.path == "/o/IMG_5.jpg" and group.keeper_rule == "original"
    assert group.decided_by == "the original's name (IMG_5.jpg vs IMG_5 (1).jpg)"
