"""The review screen for many groups (issue 24), through the real window over a real scanned catalog: the groups
table beside the cards (its order is the keys' order), cards that wrap to the pane, a bulk rule landing in the review
as the user's own marks and leaving as one trash batch that one undo restores, and the Compare view opened on the
focused card with one key."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

pytest.importorskip("pytestqt", reason="needs pytest-qt (the dev extra)")

from PySide6.QtCore import Qt  # noqa: E402

from ..conftest import build_library  # noqa: E402
from .test_desktop import scan, wait_for_groups  # noqa: E402


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def open_review(make_window, qtbot, tmp_path):
    lib = build_library(tmp_path / "library", count=8, edited=3)
    window = make_window()
    scan(qtbot, window, lib.root)
    dupes = window.duplicates
    window.tabs.setCurrentWidget(dupes)
    wait_for_groups(qtbot, dupes)
    assert len(dupes.groups) >= 4
    return lib, window, dupes


def test_the_table_orders_the_review_and_the_cards_wrap(make_window, qtbot, tmp_path):
    from desktop.groups_table import SPACE, PositionRole, SortRole

    _, window, dupes = open_review(make_window, qtbot, tmp_path)
    table = dupes.table
    assert table.model.rowCount() == len(dupes.groups)
    # sorted by space to free, largest first: ↓ walks the groups in that order, whatever the engine's order
    spaces = [table.filter.index(r, SPACE).data(SortRole) for r in range(table.filter.rowCount())]
    assert spaces == sorted(spaces, reverse=True)
    dupes.list.step(-len(dupes.groups))  # the first row
    seen = [dupes.list.currentRow()]
    for _ in range(len(dupes.groups) - 1):
        dupes.step_group(1)
        seen.append(dupes.list.currentRow())
    assert [table.filter.index(r, 0).data(PositionRole) for r in range(table.filter.rowCount())] == seen
    assert sorted(seen) == list(range(len(dupes.groups)))
    assert dupes.group_title.text().startswith(f"Group {seen[-1] + 1} of")

    # a group of four photos in a pane two cards wide: the cards wrap onto a second row, none is out of sight
    row = next(i for i, c in enumerate(dupes.choices) if len(c.group.members) == 4)
    dupes.list.setCurrentRow(row)
    qtbot.waitUntil(lambda: len(dupes.cards) == 4 and all(card.isVisible() for card in dupes.cards))
    window.resize(2 * dupes.cards[0].width() + table.width() + 160, 900)
    qtbot.waitUntil(lambda: len({card.y() for card in dupes.cards}) == 2)
    assert all(card.geometry().right() <= dupes.strip.width() for card in dupes.cards)


def test_a_bulk_rule_lands_as_the_users_marks_and_one_undo_restores_it(make_window, qtbot, tmp_path):
    from engine.bulk import mark_in_folder, preview
    from engine.keepers import in_folders

    lib, window, dupes = open_review(make_window, qtbot, tmp_path)
    before = {p: digest(p) for p in lib.root.rglob("*") if p.is_file()}
    edits = str(lib.root / "edits")
    plan = preview(dupes.groups, mark_in_folder(edits), current={c.group.members[0].file.id: c for c in dupes.choices})
    assert plan.photos and all(in_folders(p, [edits]) for p in plan.paths)
    dupes._apply_plan(plan, False)  # as the Bulk dialog's "Mark in the review" hands it over
    decided = [c for c in dupes.choices if c.group.members[0].file.id in plan.decisions]
    assert decided and all(c.touched for c in decided)  # the user's marks now: a refresh keeps them
    assert {m.file.path for c in decided for m in c.group.members if m.file.id in c.remove} == set(plan.paths)
    assert dupes.table.model.index(0, 0).isValid()

    dupes._apply_plan(plan, True)  # "Move to trash": one batch
    qtbot.waitUntil(lambda: not dupes.busy and not any(Path(p).exists() for p in plan.paths), timeout=60_000)
    dupes.undo()
    qtbot.waitUntil(lambda: all(Path(p).exists() for p in plan.paths), timeout=30_000)
    assert {p: digest(p) for p in before} == before  # one undo, byte-identical


def test_compare_opens_on_the_focused_card_with_one_key(make_window, qtbot, tmp_path):
    from desktop.compare_view import CompareView

    _, window, dupes = open_review(make_window, qtbot, tmp_path)
    row = next(i for i, c in enumerate(dupes.choices) if len(c.group.members) == 4)
    dupes.list.setCurrentRow(row)
    qtbot.waitUntil(lambda: len(dupes.cards) == 4 and all(card.isVisible() for card in dupes.cards))
    dupes.setFocus()
    qtbot.keyClick(dupes, Qt.Key.Key_Right)
    qtbot.keyClick(dupes, Qt.Key.Key_Right)
    qtbot.keyClick(dupes, Qt.Key.Key_Right)  # the third card
    qtbot.keyClick(dupes.cards[2], Qt.Key.Key_C)
    views = [w for w in dupes.findChildren(CompareView) if w.isVisible()]
    assert len(views) == 1
    view = views[0]
    choice = dupes.current()
    kept = next(m.file for m in choice.group.members if m.file.id == choice.keep)
    assert [f.path for f in view.files] == [kept.path, dupes.cards[2].member.file.path]
    qtbot.waitUntil(lambda: view.previews_loaded, timeout=30_000)
    assert view.errors == [None, None]
    view.close()


def test_a_stack_shows_its_raw_and_moves_to_the_trash_and_back_whole(make_window, qtbot, tmp_path):
    """A RAW+JPEG shot copied to a backup folder: one group of two stacks, each card naming its RAW; moving the copy
    moves its RAW and sidecars too, and one undo puts them all back byte-identical."""
    from ..conftest import extract_photos
    from ..integration.test_raw import _shoot

    jpeg = extract_photos(tmp_path / "source", limit=1)[0]
    _shoot(tmp_path / "library" / "card", jpeg, "IMG_0042")
    backup = _shoot(tmp_path / "library" / "backup", jpeg, "IMG_0042")
    window = make_window()
    scan(qtbot, window, tmp_path / "library")
    dupes = window.duplicates
    window.tabs.setCurrentWidget(dupes)
    wait_for_groups(qtbot, dupes)
    assert len(dupes.groups) == 1  # not the RAW against its JPEG: the two shots
    dupes.list.setCurrentRow(0)
    qtbot.waitUntil(lambda: len(dupes.cards) == 2)
    texts = [card.details.text() for card in dupes.cards]
    assert all("with IMG_0042.dng (DNG, " in text for text in texts), texts
    choice = dupes.current()
    assert choice.paths == [str(tmp_path / "library/backup/IMG_0042.JPG")]
    messages = []
    window.context.message.connect(messages.append)
    dupes.trash_current()
    qtbot.waitUntil(lambda: not dupes.busy, timeout=60_000)
    assert not any(Path(p).exists() for p in backup)
    assert messages[-1] == "Moved 1 photo to the trash, with 3 files that go with them. Ctrl+Z puts them back."
    dupes.undo()
    qtbot.waitUntil(lambda: not dupes.busy, timeout=60_000)
    assert {p: Path(p).read_bytes() for p in backup} == backup


def test_the_kept_card_says_what_it_keeps_from_its_copies_and_the_move_keeps_it(make_window, qtbot, tmp_path):
    """A copy that knows the capture date and the camera, beside a kept photo that does not: the kept card says so
    before the move, and the move writes it to the kept photo's sidecar (undone with the batch)."""
    from PIL import Image

    from engine.keeper_metadata import read_metadata, sidecar_for

    from ..conftest import extract_photos
    from ..integration.test_keeper_metadata import save_stripped, save_tagged

    photo = extract_photos(tmp_path / "source", limit=1)[0]
    library = tmp_path / "library"
    library.mkdir()
    kept = save_stripped(photo, library / "IMG_0001.jpg")
    Image.open(kept).reduce(2).save(tmp_path / "small.jpg")
    save_tagged(tmp_path / "small.jpg", library / "IMG_0001 (1).jpg", when="2019:06:01 10:00:00", make="Canon",
                model="Canon EOS R6")
    window = make_window()
    scan(qtbot, window, library)
    dupes = window.duplicates
    window.tabs.setCurrentWidget(dupes)
    wait_for_groups(qtbot, dupes)
    dupes.list.setCurrentRow(0)
    qtbot.waitUntil(lambda: len(dupes.cards) == 2 and dupes.cards[0].carry.isVisibleTo(dupes.cards[0]))
    assert dupes.cards[0].member.file.path == str(kept)
    assert dupes.cards[0].carry.text() == ("Keeps from the copies marked: capture date 2019-06-01 10:00, camera "
                                           "Canon EOS R6 from IMG_0001 (1).jpg")
    dupes.trash_current()
    qtbot.waitUntil(lambda: not dupes.busy, timeout=60_000)
    assert read_metadata(kept).captured_at == "2019-06-01T10:00:00"
    dupes.undo()
    qtbot.waitUntil(lambda: not dupes.busy, timeout=60_000)
    assert not Path(sidecar_for(kept)).exists() and (library / "IMG_0001 (1).jpg").exists()
