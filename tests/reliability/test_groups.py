"""Issue 20's duplicate groups: at the "similar" radius groups chained unrelated photos and marked originals for
the trash; the keeper rule kept a brightened copy over its original on a 0.4 KB size difference; the CLI's undo
hint, plurals, ``exact`` column and paths. Real catalog files, the shipped model on real photos (the sample library
of ``tools/make_sample_photos.py``), the real CLI and the app's real widgets. Each failed before its fix."""

from __future__ import annotations

import csv
import io
import itertools
import json
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.catalog import Catalog, ScanRecord
from photohash_cli import main
from photohash_cli.common import load_model
from engine.duplicates import find_groups, model_groups
from engine.keepers import KEEPER_RULES, SIZE_TOLERANCE

from ..conftest import PHOTOS_ZIP, REPO, extract_photos, require


def code(*flipped_bits: int) -> bytes:
    bits = np.zeros(64, np.uint8)
    bits[list(flipped_bits)] = 1
    return np.packbits(bits).tobytes()


def distance(a: bytes, b: bytes) -> int:
    return int(np.unpackbits(np.bitwise_xor(np.frombuffer(a, np.uint8), np.frombuffer(b, np.uint8))).sum())


@pytest.fixture
def cat(tmp_path):
    with Catalog(tmp_path / "c.sqlite") as c:
        yield c, c.register_model("k", "/m.onnx", 64, {})


def add(c, m, path, code_bytes, *, size=1000, mtime=1, w=100, h=100, content=None, captured=None, camera=None,
        gps=None):
    c.save_scanned(m, [ScanRecord(path, size, mtime, content or path, w, h, "JPEG", captured, code_bytes, None,
                                  camera, gps)])


def paths(group) -> list[str]:
    return [m.file.path for m in group.members]


# -- chaining and "similar" on hand-made codes ----------------------------------------------------------------------


def test_a_wide_radius_groups_cliques_and_never_marks_a_similar_photo(cat):
    """Above the duplicate radius a star around the keeper chained photos unlike each other, and every member was
    removable: only a duplicate of the keeper may be, and members must be near each other too."""
    c, m = cat
    add(c, m, "/w/keeper.jpg", code(), w=400, h=300)
    add(c, m, "/w/copy.jpg", code(1, 2))  # 2 bits: a duplicate (duplicate radius 4)
    add(c, m, "/w/left.jpg", code(*range(10, 20)))  # 10 bits from the keeper, 20 from right
    add(c, m, "/w/right.jpg", code(*range(30, 40)))
    groups = find_groups(c, m, 12, duplicate_radius=4)
    (group,) = [g for g in groups if g.keeper.file.path == "/w/keeper.jpg"]
    assert paths(group) == ["/w/keeper.jpg", "/w/copy.jpg", "/w/left.jpg"]  # nearest first; right is 20 from left
    assert [x.file.path for x in group.removable] == ["/w/copy.jpg"]
    assert [x.file.path for x in group.similar] == ["/w/left.jpg"] and group.members[2].similar
    assert group.bytes_freed == 1000 and group.kind == "near"
    codes = {"/w/keeper.jpg": code(), "/w/copy.jpg": code(1, 2), "/w/left.jpg": code(*range(10, 20))}
    assert all(distance(codes[a], codes[b]) <= 12 for a, b in itertools.combinations(paths(group), 2))
    # At the duplicate radius itself nothing is similar and the star is as before.
    (group,) = find_groups(c, m, 4, duplicate_radius=4)
    assert paths(group) == ["/w/keeper.jpg", "/w/copy.jpg"] and not group.similar


def test_a_member_failing_the_duplicate_gates_is_similar(cat):
    """Above the duplicate radius no gate applies to the join, but a member that passes none of the model's gates
    with its keeper is not what the model calls a duplicate."""
    c, m = cat
    gates = ((0, 32, 2), (32, 64, 2))
    add(c, m, "/g/keeper.jpg", code(), w=400, h=300)
    add(c, m, "/g/gated.jpg", code(1, 40, 41, 42))  # parts 1 + 3: through a gate
    add(c, m, "/g/ungated.jpg", code(5, 6, 7, 50, 51, 52))  # parts 3 + 3: within 6, no gate
    (group,) = find_groups(c, m, 12, duplicate_radius=6, duplicate_gates=gates)
    similar = {x.file.path: x.similar for x in group.members}
    assert similar == {"/g/keeper.jpg": False, "/g/gated.jpg": False, "/g/ungated.jpg": True}
    assert [x.file.path for x in group.removable] == ["/g/gated.jpg"]
    assert group.kind == "near"


def test_exact_means_the_keepers_bytes_and_not_the_keeper(cat):
    """The keeper was reported ``exact`` (same bytes as itself), so the CSV marked every keeper exact."""
    c, m = cat
    add(c, m, "/e/a.jpg", code(1), content="same", mtime=1)
    add(c, m, "/e/b.jpg", code(1), content="same", mtime=2)
    add(c, m, "/e/c.jpg", code(1, 2), content="other", mtime=3)
    (group,) = find_groups(c, m, 2)
    assert [(x.file.path, x.exact) for x in group.members] == [("/e/a.jpg", False), ("/e/b.jpg", True),
                                                                ("/e/c.jpg", False)]
    assert group.kind == "near"
    (group,) = find_groups(c, m, 0)
    assert paths(group) == ["/e/a.jpg", "/e/b.jpg"] and group.kind == "exact"


# -- the keeper rule ------------------------------------------------------------------------------------------------


def test_a_small_size_difference_does_not_decide_the_keeper(cat):
    """budgie-branch-bright.jpg (142.8 KB) was kept over its original budgie-branch.jpg (142.4 KB): a re-saved copy
    is as likely a little larger as smaller. Within the tolerance the older file decides."""
    c, m = cat
    add(c, m, "/k/original.jpg", code(1), size=142_400, mtime=1_000_000_000)
    add(c, m, "/k/original-bright.jpg", code(1), size=142_800, mtime=5_000_000_000)
    (group,) = find_groups(c, m, 0)
    assert group.keeper.file.path == "/k/original.jpg"
    assert group.keeper_rule == "oldest" and group.decided_by == "older file (modified 4 s before the next copy)"
    # beyond the tolerance the larger file (least compressed) still wins
    add(c, m, "/l/original.jpg", code(9), size=100_000, mtime=1)
    add(c, m, "/l/original-q95.jpg", code(9), size=round(100_000 * (1 + 2 * SIZE_TOLERANCE)), mtime=2)
    (group,) = [g for g in find_groups(c, m, 0) if g.keeper.file.path.startswith("/l/")]
    assert group.keeper.file.path == "/l/original-q95.jpg" and group.keeper_rule == "size"
    assert group.decided_by == "larger file (106.0 KB vs 100.0 KB)"


def test_rules_filter_against_the_best_so_the_tolerance_cannot_chain(cat):
    """1000, 1025 and 1050 bytes: each within 3 % of the next, but 1000 is not within 3 % of the largest. A tie
    judged pair by pair would keep all three and let the oldest (1000) win; the filter keeps 1025 and 1050."""
    c, m = cat
    add(c, m, "/t/x.jpg", code(1), size=1000, mtime=1)
    add(c, m, "/t/y.jpg", code(1), size=1025, mtime=2)
    add(c, m, "/t/z.jpg", code(1), size=1050, mtime=3)
    (group,) = find_groups(c, m, 0)
    assert group.keeper.file.path == "/t/y.jpg" and group.keeper_rule == "oldest"


@pytest.mark.parametrize(
    "files, keeper, rule, reason",
    [
        ([("/p/small.jpg", dict(w=2000, h=1500, size=9000)), ("/p/big.jpg", dict(w=4000, h=3000))],
         "/p/big.jpg", "resolution", "more pixels (4000×3000 vs 2000×1500)"),
        ([("/c/dated.jpg", dict(captured="2019-05-01T10:00:00", mtime=9)), ("/c/undated.jpg", dict(mtime=1))],
         "/c/dated.jpg", "oldest", "the only one with a capture date"),
        ([("/d/new.jpg", dict(captured="2020-01-01T00:00:00", mtime=1)),
          ("/d/old.jpg", dict(captured="2019-01-01T00:00:00", mtime=9))],
         "/d/old.jpg", "oldest", "older capture date (2019-01-01 00:00:00 vs 2020-01-01 00:00:00)"),
        ([("/m/bare.jpg", dict()), ("/m/rich.jpg", dict(camera="Canon EOS R6", gps=True))],
         "/m/rich.jpg", "metadata", "richer metadata (camera, GPS vs none)"),
        ([("/q/b.jpg", dict()), ("/q/a.jpg", dict())], "/q/a.jpg", "path", "first by path (the other rules tied)"),
    ],
)
def test_each_rule_decides_and_says_why(cat, files, keeper, rule, reason):
    c, m = cat
    for path, kw in files:
        add(c, m, path, code(1), **kw)
    (group,) = find_groups(c, m, 0)
    assert (group.keeper.file.path, group.keeper_rule, group.decided_by) == (keeper, rule, reason)


def test_old_rule_names_still_work_and_metadata_is_new(cat):
    c, m = cat
    assert KEEPER_RULES == ("raw", "resolution", "size", "oldest", "metadata", "original", "path")
    add(c, m, "/o/rich.jpg", code(1), camera="Pixel 8", mtime=2)
    add(c, m, "/o/bare.jpg", code(1), mtime=1)
    (group,) = find_groups(c, m, 0, keeper_rules=["resolution", "size", "oldest", "path"])
    assert group.keeper.file.path == "/o/bare.jpg"  # older
    (group,) = find_groups(c, m, 0, keeper_rules=["metadata", "oldest"])
    assert group.keeper.file.path == "/o/rich.jpg" and group.keeper_rule == "metadata"


# -- end to end: the sample library, the shipped model, the CLI -----------------------------------------------------


def make_sample(dest: Path) -> Path:
    """The sample library of ``make run`` (a dozen shared photos, edited copies of every third, one exact copy)."""
    require(PHOTOS_ZIP)
    subprocess.run([sys.executable, str(REPO / "tools" / "make_sample_photos.py"), str(dest)], check=True,
                   capture_output=True, timeout=120)
    return dest


def family(path: str) -> str:
    """The original a sample file was made from (copy-of-first.jpg is a copy of the first photo)."""
    stem = Path(path).stem
    for suffix in ("-small", "-q40", "-crop", "-bright"):
        stem = stem.removesuffix(suffix)
    return stem


def cli(capsys, *args) -> tuple[int, str, str]:
    code_ = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code_, out, err


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> tuple[Path, Path]:
    root = make_sample(tmp_path_factory.mktemp("sample") / "photos")
    catalog = root.parent / "catalog.sqlite"
    assert main(["scan", "--catalog", str(catalog), "--workers", "2", str(root)]) == 0
    return root, catalog


def test_similar_groups_on_the_sample_library_mark_only_copies(sample, capsys):
    """The reported run: cave-opening.jpg kept 13 unrelated photos, 23 files marked. Now every member of a group is
    within the radius of every other, and only a copy of its keeper is marked for the trash."""
    root, catalog = sample
    code_, out, err = cli(capsys, "dupes", "--catalog", catalog, "--similar", "--json")
    assert code_ == 0, err
    result = json.loads(out)
    first = sorted(p.name for p in root.glob("*.jpg"))[0]
    marked = 0
    for g in result["groups"]:
        keeper = g["files"][0]
        assert keeper["keep"] and not keeper["exact"] and keeper["action"] == "keep" and g["decided_by"]
        for f in g["files"][1:]:
            assert f["action"] in ("trash", "similar")
            if f["action"] == "trash":  # precision: a marked file is a copy of the one kept
                marked += 1
                mine = Path(first).stem if Path(f["path"]).name == "copy-of-first.jpg" else family(f["path"])
                assert mine == family(keeper["path"]), f"{f['path']} marked as a copy of {keeper['path']}"
    assert marked > 0
    cave = [g for g in result["groups"] if Path(g["files"][0]["path"]).name == "cave-opening.jpg"]
    assert all(f["action"] == "similar" for g in cave for f in g["files"][1:])

    # no chaining: within each group every pair is within the radius (the codes in the catalog)
    with Catalog(catalog) as c:
        model = load_model(c, None)
        ids, packed = c.codes(c.model_by_key(model.model_key).id)
        code_of = {c.files([int(i)])[int(i)].path: packed[n] for n, i in enumerate(ids)}
        groups = model_groups(c, model, model.info.radius_similar)
    for g in groups:
        for a, b in itertools.combinations([x.file.path for x in g.members], 2):
            assert distance(code_of[a].tobytes(), code_of[b].tobytes()) <= model.info.radius_similar, (a, b)

    code_, out, _ = cli(capsys, "dupes", "--catalog", catalog, "--similar")
    assert code_ == 0 and "  similar d=" in out and "similar photos (never marked for the trash)" in out
    for block in out.split("Group ")[1:]:  # whatever group cave-opening.jpg is in, nothing unrelated is marked
        marked = [line for line in block.splitlines()[1:] if line.lstrip().startswith("trash ")]
        if "cave-opening.jpg" in block:
            assert not marked, block
        assert all("same bytes" in line for line in marked), block  # by the similarity code: exact copies only


def test_the_original_is_kept_over_its_brightened_copy(sample, capsys):
    root, catalog = sample
    code_, out, _ = cli(capsys, "dupes", "--catalog", catalog, "--json")
    (budgie,) = [g for g in json.loads(out)["groups"] if any("budgie-branch" in f["path"] for f in g["files"])]
    assert budgie["files"][0]["path"] == str(root / "budgie-branch.jpg")
    assert budgie["keeper_rule"] == "oldest" and budgie["decided_by"].startswith("older file")
    bright = next(f for f in budgie["files"] if f["path"].endswith("budgie-branch-bright.jpg"))
    assert bright["action"] == "trash" and bright["size"] > budgie["files"][0]["size"]  # larger, by under 3 %

    code_, out, _ = cli(capsys, "dupes", "--catalog", catalog, "--csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows and all(r["exact"] == "False" for r in rows if r["keep"] == "True")
    assert {r["path"] for r in rows if r["exact"] == "True"} == {str(root / "edited" / "copy-of-first.jpg")}
    assert all(r["decided_by"] for r in rows if r["keep"] == "True")
    code_, out, _ = cli(capsys, "dupes", "--catalog", catalog)
    assert "kept: older file" in out
    # the old rule names still parse
    code_, out, err = cli(capsys, "dupes", "--catalog", catalog, "--keep-rules", "resolution,size,oldest,path")
    assert code_ == 0, err


def test_trash_refuses_similar_unless_told_twice(sample, capsys):
    root, catalog = sample
    with Catalog(catalog) as c:
        info = load_model(c, None).info
    for wide in (["--similar"], ["--radius", info.radius_duplicate + 1]):
        code_, out, err = cli(capsys, "trash", "--catalog", catalog, *wide)
        assert code_ == 2 and "--trash-similar" in err and err.count("\n") == 1 and not out, err
    code_, out, err = cli(capsys, "trash", "--catalog", catalog, "--radius", info.radius_duplicate, "--json")
    assert code_ == 0, err
    code_, out, err = cli(capsys, "trash", "--catalog", catalog, "--similar", "--trash-similar", "--json")
    assert code_ == 0, err
    would = json.loads(out)["would_move"]
    assert str(root / "blue-periwinkle.jpg") in would or any("abstract-spiral" in p for p in would)
    assert all(Path(p).exists() for p in would)  # a dry run


def test_trash_hint_quotes_the_catalog_plurals_and_one_line_paths(tmp_path, capsys):
    """The undo hint lacked --catalog (undo then looked in the default catalog); "1 groups"; a newline in a name
    broke the table's line. The hint is run as printed."""
    (photo,) = extract_photos(tmp_path / "lib", limit=1)
    odd = photo.parent / "copy\nof it.jpg"
    shutil.copyfile(photo, odd)
    catalog = tmp_path / "my catalogs" / "it's here.sqlite"
    catalog.parent.mkdir()
    assert cli(capsys, "scan", "--catalog", catalog, photo.parent)[0] == 0
    code_, out, _ = cli(capsys, "dupes", "--catalog", catalog)
    assert code_ == 0
    lines = out.splitlines()
    assert lines[0].startswith("Group 1: 2 photos, exact,")
    assert len(lines) == 4 and lines[2].endswith("copy\\nof it.jpg")
    assert lines[3].startswith("1 group of verified copies (candidates within radius") and "1 extra copy," in lines[3]
    code_, out, _ = cli(capsys, "dupes", "--catalog", catalog, "--json")
    assert str(odd) in {f["path"] for g in json.loads(out)["groups"] for f in g["files"]}  # the real name

    code_, out, _ = cli(capsys, "trash", "--catalog", catalog)
    assert "would move to trash: " + str(odd.parent) + "/copy\\nof it.jpg" in out
    assert "1 file (" in out
    code_, out, err = cli(capsys, "trash", "--catalog", catalog, "--yes")
    assert code_ == 0, err
    assert "1 file moved to the trash, 0 refused" in out and not odd.exists()
    hint = out.splitlines()[-1]
    assert hint.startswith("undo with: photohash-cli undo --catalog ")
    args = shlex.split(hint.removeprefix("undo with: photohash-cli "))
    assert cli(capsys, *args)[0] == 0 and odd.exists()


# -- the app's Duplicates view --------------------------------------------------------------------------------------


@pytest.fixture
def window(request, tmp_path):
    """The real main window over a catalog in tmp_path (pytest-qt, offscreen), with its own settings file."""
    pytest.importorskip("pytestqt", reason="needs pytest-qt (the dev extra)")
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from desktop.app import build_window, create_app

    qtbot = request.getfixturevalue("qtbot")
    create_app()
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = build_window(str(tmp_path / "catalog.sqlite"), settings)
    qtbot.addWidget(win)
    win.show()
    win.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win)
    yield win
    if win.library.scanning():
        win.library.cancel_scan()
        win.library.worker.wait(30_000)
    win.context.close()


def scan_in_app(qtbot, win, folder: Path) -> None:
    with qtbot.waitSignal(win.library.scan_finished, timeout=180_000):
        win.library.add_folder(str(folder))
    qtbot.waitUntil(lambda: not win.library.scanning(), timeout=30_000)


def groups_at(qtbot, view, radius: int) -> None:
    """Move the slider as the keys do and wait for the groups found at that radius."""
    view.groups = None
    view.slider.setValue(radius)
    qtbot.waitUntil(lambda: view.groups is not None and view.shown_radius == radius, timeout=30_000)


def test_the_similar_end_marks_nothing_and_trash_all_moves_only_what_the_user_marked(window, qtbot, tmp_path):
    """At "Similar" the app marked 23 photos, originals among them, and "Trash extras in all groups…" would have
    moved them all. Now nothing is marked there; a photo marked by hand is the only one that moves."""
    from PySide6.QtCore import Qt

    from ..gui.test_desktop import trash_all_and_undo

    root = make_sample(tmp_path / "Pictures")
    scan_in_app(qtbot, window, root)
    view = window.duplicates
    window.tabs.setCurrentWidget(view)
    duplicate, similar = window.context.radius("duplicate"), window.context.radius("similar")
    groups_at(qtbot, view, duplicate - 1)
    groups_at(qtbot, view, duplicate)

    # at the duplicate radius: copies are marked, and the keeper's card says why it was kept
    assert sum(len(c.remove) for c in view.choices) > 0 and view.trash_all_button.isEnabled()
    row = next(i for i, c in enumerate(view.choices) if c.group.keeper.file.path == str(root / "budgie-branch.jpg"))
    view.list.setCurrentRow(row)
    qtbot.waitUntil(lambda: view.cards and view.cards[0].member.file.path == str(root / "budgie-branch.jpg")
                    and view.cards[0].reason.isVisible())
    assert view.cards[0].reason.text().startswith("Kept for: older file")
    assert not any(card.reason.text() for card in view.cards[1:])

    groups_at(qtbot, view, similar)
    assert view.groups and sum(len(c.remove) for c in view.choices) == 0
    assert not view.trash_all_button.isEnabled() and "Nothing is marked for you" in view.summary.text()
    row, choice = next((i, c) for i, c in enumerate(view.choices) if c.group.similar)
    view.list.setCurrentRow(row)
    qtbot.waitUntil(lambda: [card.member for card in view.cards] == choice.group.members
                    and all(card.isVisible() for card in view.cards))
    card = next(card for card in view.cards if card.member.similar)
    assert "only similar" in card.details.text()
    assert not card.remove.isChecked()
    from desktop.duplicates_view import Choice

    other = Choice.default(choice.group, premark=False)
    other.keep_this(card.member)  # keeping a similar photo marks none of the others: they are not its copies
    assert other.keep == card.member.file.id and other.remove == set()
    qtbot.mouseClick(card.remove, Qt.MouseButton.LeftButton)  # the user marks it by hand
    assert card.member.file.id in choice.remove and view.trash_all_button.isEnabled()

    asked = trash_all_and_undo(qtbot, window, view, root, card.member)
    assert "1 of them is only similar" in asked and "Move 1 photo from 1 group" in asked


def test_the_slider_comes_back_to_the_duplicate_radius(window, qtbot):
    """One pixel of the slider is a radius step, and there was no way back to the model's radius but to hit it.
    A drag let go near it snaps to it; a double-click on the slider and the Duplicates button go back to it."""
    view = window.duplicates
    duplicate = window.context.radius("duplicate")
    snap = max(1, round(0.03 * view.slider.maximum()))
    for near in (duplicate + snap, duplicate - 1):
        view.slider.setSliderDown(True)  # a drag: the value moves while the handle is held
        view.slider.setValue(near)
        view.slider.setSliderDown(False)  # let go
        assert view.radius() == duplicate, near
    view.slider.setSliderDown(True)
    view.slider.setValue(duplicate + snap + 5)
    view.slider.setSliderDown(False)
    assert view.radius() == duplicate + snap + 5  # far from it: stays where the user left it
    assert view.reset_button.isEnabled()
    qtbot.mouseClick(view.reset_button, Qt_left())
    assert view.radius() == duplicate and not view.reset_button.isEnabled()
    view.slider.setValue(view.slider.maximum())
    qtbot.mouseDClick(view.slider, Qt_left())
    assert view.radius() == duplicate
    assert view.radius_text.text() == "Copies, each checked pixel by pixel"
    qtbot.waitUntil(lambda: not view.settle.isActive() and "Scan the library first" in view.summary.text(),
                    timeout=30_000)  # the keys' and buttons' moves ask for the groups once they stop


def Qt_left():  # noqa: N802
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton
