"""The desktop app, driven through its real widgets (pytest-qt, offscreen) over a real catalog of
real photos: scan, review and trash duplicates, undo, search by a dropped photo, settings, and the
retrain dialog running the real trainer in a child process. Cancel paths too."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pytestqt", reason="needs pytest-qt (the dev extra)")

from PIL import Image  # noqa: E402
from PySide6.QtCore import QMimeData, QPointF, QSettings, Qt, QTimer, QUrl  # noqa: E402
from PySide6.QtGui import QDragEnterEvent, QDropEvent  # noqa: E402
from PySide6.QtWidgets import QApplication, QMessageBox  # noqa: E402

from engine.catalog import Catalog  # noqa: E402
from engine.catalog_models import model_row_id  # noqa: E402
from engine.model import HashModel  # noqa: E402
from engine.units import alike_percent  # noqa: E402

from ..conftest import WEIGHTS, build_library, require, user_trash  # noqa: E402

SCAN_TIMEOUT_MS = 180_000


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def scan(qtbot, window, folder: Path | None = None) -> None:
    """Add ``folder`` (or rescan) and wait until the scan is over and the grid reloaded."""
    with qtbot.waitSignal(window.library.scan_finished, timeout=SCAN_TIMEOUT_MS):
        if folder is None:
            assert window.library.start_scan()
        else:
            window.library.add_folder(str(folder))
    qtbot.waitUntil(lambda: not window.library.scanning(), timeout=30_000)


def wait_for_groups(qtbot, view) -> None:
    view.groups = None
    view.refresh()
    qtbot.waitUntil(lambda: view.groups is not None, timeout=30_000)


def answer_next_box(button: QMessageBox.StandardButton, seen: list[str]) -> None:
    """Answer the next modal message box (its text is recorded) as a user would click it."""
    def answer():
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(50, answer)
            return
        seen.append(box.text())
        box.button(button).click()

    QTimer.singleShot(50, answer)


def trash_all_and_undo(qtbot, window, view, root: Path, member) -> str:
    """Trash all marked in ``view`` as a user who says yes (only ``member``'s file may move), then undo it. The
    question asked."""
    before = {p for p in root.rglob("*") if p.is_file()}
    seen: list[str] = []
    answer_next_box(QMessageBox.StandardButton.Yes, seen)
    view.trash_all()
    target = Path(member.file.path)
    qtbot.waitUntil(lambda: not target.exists(), timeout=30_000)
    assert {p for p in root.rglob("*") if p.is_file()} == before - {target}  # nothing else moved
    qtbot.waitUntil(lambda: view.undo_button.isEnabled(), timeout=30_000)
    with qtbot.waitSignal(window.context.library_changed, timeout=30_000):
        view.undo()
    qtbot.waitUntil(target.exists, timeout=30_000)
    return seen[0]


def drop(widget, path: Path) -> None:
    """A real drag-enter + drop of a local file onto ``widget``."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    centre = QPointF(widget.rect().center())
    enter = QDragEnterEvent(centre.toPoint(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted(), "the window refused the drag"
    event = QDropEvent(centre, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)


def test_scan_review_trash_undo_and_search(make_window, qtbot, tmp_path):
    lib = build_library(tmp_path / "library")
    window = make_window()
    scan(qtbot, window, lib.root)

    # Library: every readable photo in the grid, the broken one listed with its reason
    qtbot.waitUntil(lambda: window.library.model.rowCount() == len(lib.photos), timeout=30_000)
    from desktop.widgets import PathRole

    items = [window.library.errors.topLevelItem(i) for i in range(window.library.errors.topLevelItemCount())]
    errors = [(item.data(0, PathRole), item.text(1)) for item in items]
    assert items[0].text(0) == lib.broken.name
    assert [e[0] for e in errors] == [str(lib.broken)]
    assert errors[0][1], "an unreadable file must say why"
    assert "Scan finished" in window.library.status.text()

    # Duplicates at the model's duplicate radius: the exact copy and each edited original form groups
    dupes = window.duplicates
    window.tabs.setCurrentWidget(dupes)
    wait_for_groups(qtbot, dupes)
    groups = {frozenset(m.file.path for m in g.members) for g in dupes.groups}
    assert frozenset({str(lib.originals[-1]), str(lib.exact_copy)}) in groups
    for original in lib.originals[:3]:
        family = {str(original)} | {str(e) for e, o in lib.edits.items() if o == original}
        assert any(family <= g for g in groups), f"{original.name} and its edits are not one group"
    assert dupes.slider.value() == window.context.radius("duplicate")
    # there they are verified copies, and each card says what kind of copy it is
    assert "of copies, each checked" in dupes.summary.text()
    row = next(i for i, c in enumerate(dupes.choices) if len(c.group.members) == 4)
    dupes.list.setCurrentRow(row)
    qtbot.waitUntil(lambda: len(dupes.cards) == 4)
    said = {os.path.basename(card.member.file.path): card.details.text() for card in dupes.cards}
    half = next(name for name in said if name.endswith("-half.jpg"))
    if not dupes.cards[0].member.file.path.endswith("-half.jpg"):  # the keeper says nothing of itself
        assert "copy: downscaled to 50%" in said[half], said

    # Review one group with the keyboard: pick another keeper, then trash the marked ones (Del)
    row = next(i for i, c in enumerate(dupes.choices) if len(c.group.members) == 4)
    dupes.list.setCurrentRow(row)
    qtbot.waitUntil(lambda: len(dupes.cards) == 4 and all(card.isVisible() for card in dupes.cards))
    dupes.setFocus()
    qtbot.keyClick(dupes, Qt.Key.Key_Right)  # focus the first card
    qtbot.keyClick(dupes, Qt.Key.Key_Right)  # the second
    qtbot.keyClick(dupes, Qt.Key.Key_K)  # keep it
    choice = dupes.current()
    keeper = dupes.cards[1].member.file
    assert choice.keep == keeper.id and keeper.id not in choice.remove and len(choice.remove) == 3
    qtbot.keyClick(dupes, Qt.Key.Key_Right)  # the third photo: Space unmarks it, Space marks it again
    third = dupes.cards[2].member.file.id
    qtbot.keyClick(dupes, Qt.Key.Key_Space)
    assert third not in choice.remove and not dupes.cards[2].remove.isChecked()
    qtbot.keyClick(dupes, Qt.Key.Key_Space)
    assert third in choice.remove and dupes.cards[2].remove.isChecked()
    marked = [Path(p) for p in choice.paths]
    before = {p: digest(p) for p in marked}
    qtbot.keyClick(dupes, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: not any(p.exists() for p in marked), timeout=30_000)
    assert Path(keeper.path).exists()
    qtbot.waitUntil(lambda: window.library.model.rowCount() == len(lib.photos) - 3, timeout=30_000)  # grid follows
    assert len(list((user_trash() / "files").iterdir())) >= 3  # in the system trash, not deleted
    qtbot.waitUntil(lambda: dupes.undo_button.isEnabled(), timeout=30_000)

    # Undo (Ctrl+Z, the Edit menu's standard shortcut) puts them back byte-identical
    qtbot.keyClick(dupes, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: all(p.exists() for p in marked), timeout=30_000)
    assert {p: digest(p) for p in marked} == before
    qtbot.waitUntil(lambda: window.library.model.rowCount() == len(lib.photos), timeout=30_000)

    # Trash extras in all groups: the confirmation states the count and the space; Cancel moves nothing
    wait_for_groups(qtbot, dupes)
    count = sum(len(c.remove) for c in dupes.choices)
    everything = [Path(p) for c in dupes.choices for p in c.paths]
    seen: list[str] = []
    answer_next_box(QMessageBox.StandardButton.Cancel, seen)
    dupes.trash_all()
    assert f"Move {count:,} photos" in seen[0] and "frees" in seen[0]
    assert all(p.exists() for p in everything)
    answer_next_box(QMessageBox.StandardButton.Yes, seen)
    dupes.trash_all()
    qtbot.waitUntil(lambda: not any(p.exists() for p in everything), timeout=30_000)
    wait_for_groups(qtbot, dupes)
    # the trash's rescan may ask again after this answer: what the screen settles on says there are none
    qtbot.waitUntil(lambda: dupes.groups == [] and "No copies found" in dupes.summary.text(), timeout=30_000)
    with qtbot.waitSignal(window.context.library_changed, timeout=30_000):
        dupes.undo()  # one undo brings back every group's photos
    qtbot.waitUntil(lambda: all(p.exists() for p in everything), timeout=30_000)

    # Search: a photo dropped on the window, from outside the library, finds its edited copies first
    original = lib.originals[1]
    outside = tmp_path / "from-a-phone" / "IMG_0001.jpg"
    outside.parent.mkdir()
    with Image.open(original) as img:
        img.convert("RGB").resize((img.width * 3 // 4, img.height * 3 // 4)).save(outside, quality=80)
    window.tabs.setCurrentWidget(window.library)
    drop(window, outside)
    search = window.search
    assert window.tabs.currentWidget() is search
    qtbot.waitUntil(lambda: search.model.rowCount() > 0, timeout=30_000)
    family = {str(original)} | {str(e) for e, o in lib.edits.items() if o == original}
    first = [search.model.rows[i][0] for i in range(len(family))]
    assert set(first) == family, f"the nearest photos are not {original.name} and its edits: {first}"
    assert all(row[4].endswith("% alike") for row in search.model.rows)  # the query is not in the library
    assert search.alike.text() == "all, most alike first" and not search.radius_box.isVisible()

    # The slider narrows the results, in words: only the most alike
    search.radius.setValue(0)
    assert search.alike.text() == "at least 100 % alike"
    search.run()
    qtbot.waitUntil(lambda: "most alike first" in search.status.text() and all(
        row[4] in ("this photo", "100 % alike") for row in search.model.rows), timeout=30_000)
    # Advanced shows the Hamming distance beside the words
    window.context.prefs.show_distances = True
    search.reset_radius()
    search.radius.setValue(0)
    search.run()
    qtbot.waitUntil(lambda: any(row[4] == "100 % alike · distance 0" for row in search.model.rows), timeout=30_000)
    assert search.radius_box.isVisibleTo(search)
    window.context.prefs.show_distances = False

    # Double-clicking a photo in the library is "Find similar": the photo itself comes first
    window.tabs.setCurrentWidget(window.library)
    grid = window.library.grid
    index = window.library.model.index(window.library.model.position[str(lib.originals[0])])
    grid.scrollTo(index)
    centre = grid.visualRect(index).center()
    qtbot.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=centre)  # a double-click's first press
    qtbot.mouseDClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    qtbot.waitUntil(lambda: search.query == str(lib.originals[0]) and search.model.rowCount() > 0
                    and search.status.text().endswith("most alike first."), timeout=30_000)
    assert search.model.rows[0][0] == str(lib.originals[0]) and search.model.rows[0][4] == "this photo"


def test_the_first_verification_shows_its_reading_and_a_newer_question_stops_it(make_window, qtbot, tmp_path):
    """Reading photos for verification can take minutes on a first look at a library: the summary counts them, and a
    question asked since (another radius) stops the older one's reading."""
    lib = build_library(tmp_path / "library")
    window = make_window()
    scan(qtbot, window, lib.root)
    dupes = window.duplicates
    window.tabs.setCurrentWidget(dupes)
    wait_for_groups(qtbot, dupes)
    with Catalog(window.context.catalog_path) as catalog, catalog.transaction() as conn:
        conn.execute("DELETE FROM features")  # as on a first look: nothing kept yet
        conn.execute("DELETE FROM verdicts")
    read, shown = [], []
    dupes.reading.read.connect(lambda done, total: (read.append((done, total)), shown.append(dupes.summary.text())))
    dupes.refresh()
    first = dupes.reading_cancel
    dupes.refresh()  # a newer question: the first stops reading
    assert first.is_set() and not dupes.reading_cancel.is_set()
    qtbot.waitUntil(lambda: dupes.groups is not None and "of copies, each checked" in dupes.summary.text(),
                    timeout=60_000)
    assert read and read[-1][0] == read[-1][1] > 0, read
    assert any(text.startswith("Checking which photos are copies: reading") for text in shown[:-1]) or len(read) == 1


def write_burst(folder: Path, photo: Path) -> list[Path]:
    """Two shots of one scene two seconds apart, as a camera's burst writes them: the same frame, its own capture
    time in each file's EXIF."""
    folder.mkdir(parents=True)
    shots = []
    with Image.open(photo) as img:
        image = img.convert("RGB")
    for n, when in enumerate(("2024:06:01 10:00:01", "2024:06:01 10:00:03")):
        exif = Image.Exif()
        exif[0x8769] = {0x9003: when}  # ExifIFD: DateTimeOriginal
        shots.append(folder / f"IMG_{n}.jpg")
        image.save(shots[-1], quality=92 - n, exif=exif.tobytes())
    return shots


def test_series_are_a_section_of_their_own_and_nothing_in_them_is_marked(make_window, qtbot, tmp_path):
    """Shots taken moments apart are not copies: they are shown in Series, never marked for the trash; a shot the user
    marks by hand is the only one that moves. Away from the duplicate radius there are no series to show."""
    lib = build_library(tmp_path / "library", count=4, edited=1)
    other = build_library(tmp_path / "elsewhere", count=6, edited=0).originals[-1]  # a scene not in the library
    burst = write_burst(lib.root / "burst", other)
    window = make_window()
    scan(qtbot, window, lib.root)
    dupes = window.duplicates
    window.tabs.setCurrentWidget(dupes)
    wait_for_groups(qtbot, dupes)
    assert dupes.copies_button.isChecked() and dupes.series_button.isEnabled()
    assert not any(str(shot) == m.file.path for g in dupes.groups for m in g.members for shot in burst)
    copies_marked = sum(len(c.remove) for c in dupes.choices)
    assert copies_marked > 0

    dupes.groups = None
    qtbot.mouseClick(dupes.series_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dupes.groups is not None and dupes.shown_series, timeout=60_000)
    assert [{m.file.path for m in g.members} for g in dupes.groups] == [{str(shot) for shot in burst}]
    assert dupes.groups[0].kind == "series" and dupes.series_button.isChecked()
    assert all(not c.remove for c in dupes.choices) and not dupes.trash_all_button.isEnabled()
    assert "1 series</b> of photos taken moments apart — nothing is marked" in dupes.summary.text()
    assert not dupes.slider.isEnabled()  # the radius is for copies
    dupes.list.setCurrentRow(0)
    qtbot.waitUntil(lambda: len(dupes.cards) == 2 and all(card.isVisible() for card in dupes.cards))
    assert not any(card.remove.isChecked() for card in dupes.cards)
    said = dupes.cards[1].details.text()
    assert "series: " in said and "only similar" not in said and "copy: " not in said, said

    # marked by hand, the mark stays when the user picks the keeper; trash all moves that shot alone
    shot = dupes.cards[1]
    qtbot.mouseClick(shot.remove, Qt.MouseButton.LeftButton)
    dupes.cards[0].keep.click()
    choice = dupes.current()
    assert choice.remove == {shot.member.file.id} and dupes.trash_all_button.isEnabled()
    assert "1 marked by you" in dupes.summary.text()
    asked = trash_all_and_undo(qtbot, window, dupes, lib.root, shot.member)
    assert "Move 1 photo from 1 group" in asked and "1 of them is a shot of a series, marked by you" in asked

    # back to Copies: the copies are marked again; at another radius the groups are the hash's, and Series says why
    dupes.groups = None
    qtbot.mouseClick(dupes.copies_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dupes.groups is not None and not dupes.shown_series, timeout=60_000)
    assert sum(len(c.remove) for c in dupes.choices) == copies_marked and dupes.slider.isEnabled()
    dupes.slider.setValue(window.context.radius("duplicate") + 1)
    assert not dupes.series_button.isEnabled() and "duplicate radius only" in dupes.series_button.toolTip()
    dupes.back_to_duplicates()
    assert dupes.series_button.isEnabled()


def test_similar_is_a_section_of_its_own_on_the_similarity_code(make_window, qtbot, tmp_path):
    """Similar groups photos as engine.duplicates.similar_groups does: by the model's similarity code (format version
    4) with the slider on that code, else by its one code. Nothing in it is marked, Series stays a click away, the
    radius slid there comes back there, and Duplicates goes back to Copies at the duplicate radius."""
    from engine.duplicates import similar_groups
    from engine.model import resolve_model_name

    from ..integration.test_model import with_similar_output

    def members(groups) -> list[list[str]]:
        return sorted(sorted(m.file.path for m in g.members) for g in groups)

    def choose(button, section: str) -> None:
        dupes.groups = None
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dupes.groups is not None and dupes.shown_section == section, timeout=60_000)

    lib = build_library(tmp_path / "library", count=6, edited=2)
    window = make_window()
    window.context.set_model(str(resolve_model_name("phash64")))  # a model with one code: Similar groups by it
    scan(qtbot, window, lib.root)
    dupes = window.duplicates
    window.tabs.setCurrentWidget(dupes)
    wait_for_groups(qtbot, dupes)
    choose(dupes.similar_button, "similar")
    with Catalog(window.context.catalog_path) as catalog:
        assert members(dupes.groups) == members(similar_groups(catalog, window.context.model()))
    assert dupes.radius_text.text() == "Similar subjects (the usual)"  # radius 20 of 64 bits
    assert dupes.radius() == window.context.radius("similar")

    path = with_similar_output(tmp_path / "both.onnx")  # a version 4 model: WCH, 32 bits, similar radius 6
    with qtbot.waitSignal(window.library.scan_finished, timeout=SCAN_TIMEOUT_MS):
        window.activate_model(str(path))
    qtbot.waitUntil(lambda: not window.library.scanning(), timeout=30_000)
    wait_for_groups(qtbot, dupes)
    model = HashModel.load(path)
    with Catalog(window.context.catalog_path) as catalog:
        expected = similar_groups(catalog, model)
    assert expected and dupes.shown_section == "similar" and members(dupes.groups) == members(expected)
    assert all(m.keep or m.similar or m.exact for g in dupes.groups for m in g.members)  # no code says "copy" there
    assert (dupes.slider.maximum(), dupes.radius()) == (32, 6) and dupes.slider.isEnabled()
    assert dupes.radius_text.text() == "Similar subjects (the usual)"  # radius 6 of 32 bits
    assert all(not c.remove for c in dupes.choices) and not dupes.trash_all_button.isEnabled()
    said = dupes.summary.text()
    assert "of similar photos — nothing is marked" in said, said
    assert "Looser than copies" not in said
    assert dupes.trash_all_button.text() == "Trash marked in all groups…"
    assert dupes.group_title.text().startswith(f"Group 1 of {len(dupes.groups)}")
    assert dupes.series_button.isEnabled() and dupes.reset_button.isEnabled()
    # a card says how alike the photos look, by the model's own code, not by the subject code the group is made by
    dupes.list.setCurrentRow(0)
    with Catalog(window.context.catalog_path) as catalog:
        ids, codes = catalog.codes(model_row_id(catalog, model))
    code_of = dict(zip(ids.tolist(), codes))
    keeper = dupes.groups[0].keeper.file.id
    similar = [card for card in dupes.cards[1:] if card.member.similar]
    assert similar
    for card in similar:
        looks = int(np.bitwise_count(np.bitwise_xor(code_of[keeper], code_of[card.member.file.id])).sum())
        assert f"only similar</span>: {alike_percent(looks, model.info.bits)} % alike" in card.details.text()

    # slid in Similar: no snapping to the duplicate radius, and the radius comes back after a visit to Copies
    dupes.slider.setValue(3)
    dupes._released()
    assert dupes.radius() == 3 and dupes.radius_text.text() == "Closer than usual: fewer photos"
    duplicate = window.context.radius("duplicate")
    choose(dupes.copies_button, "copies")
    assert (dupes.radius(), dupes.slider.maximum()) == (duplicate, max(window.context.radius("similar"), duplicate + 1))
    choose(dupes.similar_button, "similar")
    assert dupes.radius() == 3 and dupes.shown_radius == 3
    choose(dupes.series_button, "series")
    assert dupes.radius() == duplicate and not dupes.slider.isEnabled()

    choose(dupes.similar_button, "similar")
    dupes.groups = None
    qtbot.mouseClick(dupes.reset_button, Qt.MouseButton.LeftButton)  # Duplicates: Copies, at the duplicate radius
    qtbot.waitUntil(lambda: dupes.groups is not None and dupes.shown_section == "copies", timeout=60_000)
    assert dupes.copies_button.isChecked() and dupes.radius() == duplicate and not dupes.reset_button.isEnabled()


def test_cancel_stops_reading_photos_and_shows_what_is_checked(make_window, qtbot, tmp_path):
    """Reading photos for verification can take minutes: Cancel beside the count stops it, the groups found so far
    are shown with a note that some pairs were not checked, and the button goes away."""
    lib = build_library(tmp_path / "library", count=6, edited=2)
    window = make_window()
    scan(qtbot, window, lib.root)
    dupes = window.duplicates
    window.tabs.setCurrentWidget(dupes)
    wait_for_groups(qtbot, dupes)
    assert not dupes.cancel_button.isVisible()  # the catalog had every photo: nothing was read
    with Catalog(window.context.catalog_path) as catalog, catalog.transaction() as conn:
        conn.execute("DELETE FROM features")  # as on a first look: nothing kept yet
        conn.execute("DELETE FROM verdicts")
    read: list[tuple[int, int]] = []
    reached, release = threading.Event(), threading.Event()

    def hold(done: int, total: int) -> None:  # in the worker thread: the first photo read waits for the user
        read.append((done, total))
        if not reached.is_set():
            reached.set()
            release.wait(30)

    dupes.reading.read.connect(hold, Qt.ConnectionType.DirectConnection)
    try:
        dupes.groups = None
        dupes.refresh()
        qtbot.waitUntil(lambda: dupes.cancel_button.isVisible(), timeout=60_000)
        assert dupes.summary.text().startswith("Checking which photos are copies: reading 1 of")
        qtbot.mouseClick(dupes.cancel_button, Qt.MouseButton.LeftButton)
        assert dupes.reading_cancel.is_set() and not dupes.cancel_button.isVisible()
    finally:
        release.set()
    qtbot.waitUntil(lambda: dupes.groups is not None, timeout=60_000)
    assert "Stopped: some pairs were not checked; they are shown by their hash and not marked." in dupes.summary.text()
    assert not dupes.cancel_button.isVisible()
    assert read and read[-1][0] < read[-1][1], read  # it stopped before the last photo
    unchecked = [m for g in dupes.groups for m in g.members if m.unchecked]
    assert unchecked, "nothing was left unread"
    marked = {i for c in dupes.choices for i in c.remove}
    assert not marked & {m.file.id for m in unchecked}, "a photo that was not checked is marked for the trash"
    dupes.reading.read.disconnect(hold)
    wait_for_groups(qtbot, dupes)  # the next look reads the rest: nothing unread was kept as a verdict
    assert "Stopped" not in dupes.summary.text() and "of copies, each checked" in dupes.summary.text()


def test_reference_folder_is_never_marked(make_window, qtbot, tmp_path):
    lib = build_library(tmp_path / "library", count=4, edited=1)
    window = make_window()
    scan(qtbot, window, lib.root)
    # the originals become a reference folder: their copies elsewhere are proposed, never they
    window.library.add_folder(str(lib.root / "originals"), reference=True, scan=False)
    dupes = window.duplicates
    wait_for_groups(qtbot, dupes)
    marked = [p for c in dupes.choices for p in c.paths]
    assert marked and not any(p.startswith(str(lib.root / "originals")) for p in marked)
    dupes.list.setCurrentRow(0)
    protected = [card for card in dupes.cards if card.member.protected]
    assert protected and all(not card.remove.isEnabled() for card in protected)


def test_strictness_decides_what_the_screen_calls_a_copy(make_window, qtbot, tmp_path):
    """Strict: the whole photo, at most resized or re-saved; the 5 % crop is not a copy there, and the screen says
    which strictness its copies are at."""
    lib = build_library(tmp_path / "library", count=4, edited=1)
    window = make_window()
    scan(qtbot, window, lib.root)
    dupes = window.duplicates
    wait_for_groups(qtbot, dupes)
    original = lib.originals[0]
    normal = {m.file.path for g in dupes.groups for m in g.members}
    assert {str(lib.root / "edits" / f"{original.stem}-{e}.jpg") for e in ("half", "q30", "crop")} \
        <= normal
    window.context.prefs.strictness = "strict"
    wait_for_groups(qtbot, dupes)
    strict = {m.file.path for g in dupes.groups for m in g.members}
    crop = str(lib.root / "edits" / f"{original.stem}-crop.jpg")
    assert crop not in strict and str(lib.root / "edits" / f"{original.stem}-half.jpg") in strict
    dupes.reset_radius()
    assert dupes.radius_text.text() == "Copies (strict), each checked pixel by pixel"


def test_scan_cancel_then_resume(make_window, qtbot, tmp_path):
    folder = tmp_path / "many"
    originals = build_library(tmp_path / "library", count=24, edited=0).originals
    for i in range(6):  # 144 real photos: several batches, so there is a scan to cancel
        for photo in originals:
            target = folder / f"set{i}" / photo.name
            target.parent.mkdir(parents=True, exist_ok=True)
            with Image.open(photo) as img:
                img.rotate(90 * (i % 4), expand=True).save(target, quality=90 - i)
    window = make_window()
    library = window.library
    library.add_folder(str(folder), scan=False)
    summaries = []
    library.scan_finished.connect(summaries.append)
    started = threading.Event()
    assert library.start_scan()
    library.worker.progress.connect(lambda p: p.phase == "hashing" and p.done and started.set())
    qtbot.waitUntil(started.is_set, timeout=SCAN_TIMEOUT_MS)
    qtbot.mouseClick(library.scan_button, Qt.MouseButton.LeftButton)  # the Scan button reads "Cancel scan" now
    qtbot.waitUntil(lambda: bool(summaries) and not library.scanning(), timeout=SCAN_TIMEOUT_MS)
    assert summaries[0].cancelled and "Scan cancelled" in library.status.text()
    assert library.scan_button.text() == "Scan"
    with Catalog(window.context.catalog_path) as catalog:
        assert catalog.integrity_check() == "ok"
        hashed_before = catalog.stats()["present"]
    assert 0 < hashed_before < 144
    scan(qtbot, window)  # F5's action: the next scan resumes and only hashes what is left
    assert summaries[-1].skipped == hashed_before and summaries[-1].hashed == 144 - hashed_before


def test_unreachable_folder_and_broken_model(make_window, qtbot, tmp_path):
    window = make_window()
    qtbot.waitUntil(lambda: "Scan the library first" in window.duplicates.summary.text(), timeout=30_000)
    assert not window.duplicates.trash_all_button.isEnabled()  # a new, empty library offers nothing to trash
    gone = tmp_path / "unplugged-drive"
    window.library.add_folder(str(gone), scan=False)
    assert not window.library.start_scan()
    assert "not found" in window.library.status.text()
    assert window.library.folders.item(0).toolTip().endswith("its photos stay in the catalog")

    bad = tmp_path / "bad-model.onnx"
    bad.write_bytes(b"not an onnx file")
    window.context.set_model(str(bad))
    assert window.model_label.text() == "Model: not usable"
    assert "bad-model.onnx" in window.statusBar().currentMessage()
    assert "cannot be loaded" in window.duplicates.summary.text()


def test_settings_change_radius_rules_and_model(make_window, qtbot, tmp_path):
    from desktop.settings_dialog import SettingsDialog

    window = make_window()
    prefs = window.context.prefs
    dialog = SettingsDialog(window.context, window)
    qtbot.addWidget(dialog)
    assert dialog.duplicate_own.isChecked() and not dialog.duplicate.isEnabled()
    info = window.context.usable_model().info  # the spin boxes start at the model's radii, not clamped (73 of 192)
    assert (dialog.duplicate.value(), dialog.similar.value()) == (info.radius_duplicate, info.radius_similar)
    dialog.duplicate_own.setChecked(False)
    dialog.duplicate.setValue(3)
    rules = dialog.rules
    oldest = next(i for i in range(rules.count()) if rules.item(i).data(Qt.ItemDataRole.UserRole) == "oldest")
    rules.insertItem(0, rules.takeItem(oldest))  # drag "oldest" to the top
    dialog.theme.setCurrentIndex(dialog.theme.findData("dark"))
    assert dialog.chosen_strictness() == "normal" and not dialog.advanced.isVisibleTo(dialog)  # radii fold away
    strict = next(b for b in dialog.strictness.buttons() if b.property("strictness") == "strict")
    strict.setChecked(True)
    dialog.advanced_toggle.setChecked(True)
    assert dialog.advanced.isVisibleTo(dialog)
    dialog.accept()
    assert prefs.radius_duplicate == 3 and prefs.keeper_rules[0] == "oldest" and prefs.theme == "dark"
    assert prefs.strictness == "strict"
    assert window.context.radius("duplicate") == 3
    # an order saved before the RAW and original rules came: each new rule takes its default place
    prefs.keeper_rules = ("size", "resolution", "oldest", "metadata", "path")
    assert prefs.keeper_rules == ("raw", "size", "resolution", "oldest", "metadata", "original", "path")
    # stored in the settings file: a new window reads them back
    prefs.qs.sync()
    again = QSettings(prefs.qs.fileName(), QSettings.Format.IniFormat)
    assert again.value("radius/duplicate") in (3, "3") and str(again.value("appearance/theme")) == "dark"

    shipped = [dialog.model.itemData(i) for i in range(dialog.model.count())]
    other = next(p for p in shipped if p != window.context.model_path())
    dialog = SettingsDialog(window.context, window)
    qtbot.addWidget(dialog)
    dialog.model.setCurrentIndex(dialog.model.findData(other))
    with qtbot.waitSignal(window.context.model_changed):
        dialog.accept()
    assert Path(window.context.model_path()) == Path(other)
    assert prefs.radius_duplicate is None  # the override was chosen for the other model's codes
    assert window.model_label.text() == f"Model: {json.loads(Path(other).with_suffix('.json').read_text())['title']}"
    assert window.model_label.toolTip().startswith(f"{Path(other).name}: ")


def test_geometry_and_tab_restored(make_window, qtbot):
    window = make_window()
    window.resize(700, 555)  # within the offscreen screen (800 × 800): restoring never puts a window off-screen
    window.tabs.setCurrentWidget(window.search)
    window.close()
    again = make_window()
    assert again.tabs.currentWidget() is again.search
    assert (again.size().width(), again.size().height()) == (700, 555)


def test_crash_handler_writes_the_log(make_window, capfd):
    from desktop.log import log_path

    make_window()

    def fail():
        raise RuntimeError("the disk went away")

    thread = threading.Thread(target=fail)
    thread.start()
    thread.join()
    assert "RuntimeError: the disk went away" in log_path().read_text(encoding="utf-8")
    err = capfd.readouterr().err
    assert "photohash: the disk went away (details in" in err and "Traceback" not in err


def test_retrain_explains_when_trainer_missing(make_window, qtbot, monkeypatch):
    import desktop.main_window as main_window

    window = make_window()
    monkeypatch.setattr(main_window, "trainer_available", lambda: False)
    seen: list[str] = []
    answer_next_box(QMessageBox.StandardButton.Ok, seen)
    window.retrain()
    assert "pip install 'photohash[train]'" in seen[0]


@pytest.mark.slow
def test_retrain_runs_the_trainer_cancels_resumes_and_activates(make_window, qtbot, tmp_path):
    pytest.importorskip("torch", reason="retraining needs the [train] extra")
    require(WEIGHTS)
    from desktop.retrain_dialog import RetrainDialog
    from engine.retrain import RECIPE_BITS

    lib = build_library(tmp_path / "library", count=12, edited=2)
    window = make_window()
    scan(qtbot, window, lib.root)
    before = window.context.model_path()
    with Catalog(window.context.catalog_path) as catalog:
        photos = catalog.stats()["present"] - catalog.stats()["errors"]
    dialog = RetrainDialog(window.context, photos, window, weights=str(WEIGHTS))
    qtbot.addWidget(dialog)
    dialog.activated.connect(window.activate_model)
    qtbot.waitUntil(lambda: "should take about" in dialog.eta.text(), timeout=120_000)  # the child's device probe
    assert "the processor" in dialog.eta.text() or "GPU" in dialog.eta.text()
    assert dialog.method.currentData() == "photohash" and not dialog.bits.isEnabled()  # the default model's recipe
    dialog.epochs.setValue(3)
    events: list[dict] = []
    stages: list[str] = []

    # First run: cancel once training has started; the child saves a checkpoint and exits
    def on_event(e):
        events.append(e)
        stages.append(dialog.stage.text())
        if e.get("event") == "step" and not dialog.process.cancelled:
            dialog.cancel_or_close()

    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    dialog.process.event.connect(on_event)
    with qtbot.waitSignal(dialog.process.finished, timeout=300_000) as finished:
        pass
    assert finished.args == [0, True], dialog.log.toPlainText()
    assert any(s.startswith("Training the duplicate code: epoch 1 of 3") and "loss" in s for s in stages), stages
    assert dialog.start_button.text() == "Resume training" and "Cancelled" in dialog.stage.text()
    out = dialog.out
    assert not out.exists() and window.context.model_path() == before

    # Resume: the same output, picked up from the checkpoint, runs to the end and is activated
    with qtbot.waitSignal(dialog.activated, timeout=300_000) as activated:
        qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
        dialog.process.event.connect(events.append)
    assert activated.args == [str(out)] and dialog.out == out
    assert any(e.get("event") == "resumed" for e in events)
    info = HashModel.load(out).info
    assert info.bits == RECIPE_BITS and info.method == "phash + baseline x2" and info.gates
    assert (info.similar_method, info.similar_bits) == ("wch", 64)  # both codes from one run
    assert any(e.get("event") == "step" and e.get("code") == "similar" for e in events)
    assert "similarity code: WCH, 64 bits" in dialog.log.toPlainText()
    assert out.stem.startswith(f"photohash{RECIPE_BITS}-")
    assert window.context.model_path() == str(out) and "is now the active model" in dialog.stage.text()
    assert dialog.progress.value() == 100

    # The library is re-hashed with the new model in the background; the old model stays selectable
    qtbot.waitUntil(lambda: not window.library.scanning(), timeout=SCAN_TIMEOUT_MS)
    dupes = window.duplicates
    wait_for_groups(qtbot, dupes)
    assert "no codes" not in dupes.summary.text()
    from desktop.settings_dialog import model_choices

    assert before in model_choices(window.context) and str(out) in model_choices(window.context)
    shutil.rmtree(out.parent, ignore_errors=True)


def test_retrain_offers_the_recipe_first_and_the_methods_with_their_lengths(make_window, qtbot, tmp_path):
    from desktop.retrain_dialog import RetrainDialog
    from engine.retrain import LIBRARY_AUGMENT, METHOD_DEFAULTS, RECIPE, RECIPE_BITS, RECIPE_SETTINGS, RetrainRequest

    window = make_window()
    dialog = RetrainDialog(window.context, 500, window, weights=str(tmp_path / "w.pth"))
    qtbot.addWidget(dialog)
    assert dialog.method.currentData() == RECIPE and dialog.epochs.value() == RECIPE_SETTINGS["epochs"]
    wanted = dialog.request()
    assert (wanted.method, wanted.bits, wanted.augment, wanted.catalog) == (RECIPE, None, None,
                                                                          window.context.catalog_path)
    assert wanted.settings() == RECIPE_SETTINGS  # what the trainer will run: the recipe, whole
    assert wanted.similar() == "wch" and dialog.similar.isEnabled()
    dialog.similar.setCurrentIndex(dialog.similar.findData("nsh"))
    wanted = dialog.request()
    assert wanted.similar() == "nsh"
    assert RetrainRequest.from_json(wanted.to_json()) == wanted  # as the child process reads it
    assert dialog.out.stem.startswith(f"{RECIPE}{RECIPE_BITS}-") and wanted.out == str(dialog.out)
    dialog.method.setCurrentIndex(dialog.method.findData("wch"))
    assert dialog.bits.isEnabled() and dialog.epochs.value() == METHOD_DEFAULTS["epochs"]
    assert not dialog.similar.isEnabled() and dialog.request().similar() is None  # one code for both questions
    dialog.bits.setCurrentIndex(dialog.bits.findData(32))
    wanted = dialog.request()
    assert (wanted.bits, wanted.augment) == (32, LIBRARY_AUGMENT) and wanted.settings()["bits"] == 32
    assert dialog.out.stem.startswith("wch32-")
    # a run cancelled before is offered again with its own method and length, and the epochs saved before the
    # recipe came (one count for every method) still count for the methods
    window.context.prefs.qs.setValue("retrain/pending", str(tmp_path / "nsh16-20261130-101010.onnx"))
    window.context.prefs.qs.setValue("retrain/epochs", 12)
    again = RetrainDialog(window.context, 500, window, weights=str(tmp_path / "w.pth"))
    qtbot.addWidget(again)
    assert (again.method.currentData(), again.bits.currentData(), again.epochs.value()) == ("nsh", 16, 12)
    assert again.start_button.text() == "Resume training"


def test_retrain_refuses_to_start_without_weights(make_window, qtbot, tmp_path):
    from desktop.retrain_dialog import RetrainDialog

    window = make_window()
    dialog = RetrainDialog(window.context, 500, window, weights=str(tmp_path / "nowhere.pth"))
    qtbot.addWidget(dialog)
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    assert dialog.process is None and dialog.stage.text().endswith("nowhere.pth: not found.")
    dialog.weights.setText("")
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    assert dialog.process is None and "Choose the backbone's weights first" in dialog.stage.text()


def test_retrain_progress_stages_move_forward(make_window, qtbot, tmp_path):
    """The trainer's JSON events, in the order a run of a 5,000-photo library sends them (which way up is learned
    from 250 photos on, so the real-trainer test above, on 12 photos, never reaches that stage)."""
    from desktop.retrain_dialog import RetrainDialog

    window = make_window()
    dialog = RetrainDialog(window.context, 5000, window, weights=str(tmp_path / "w.pth"))
    qtbot.addWidget(dialog)
    events = [{"event": "cache", "done": 2500, "total": 5000, "eta_s": 60},
              {"event": "step", "epoch": 60, "epochs": 60, "step": 9, "steps": 9, "loss": 1.5, "eta_s": 1},
              {"event": "step", "epoch": 1, "epochs": 30, "step": 1, "steps": 73, "loss": 2.1, "eta_s": 200,
               "code": "similar"},
              {"event": "step", "epoch": 30, "epochs": 30, "step": 73, "steps": 73, "loss": 1.2, "eta_s": 0,
               "code": "similar"},
              {"event": "upright", "done": 1200, "total": 5000, "eta_s": 40},
              {"event": "upright", "done": 5000, "total": 5000, "eta_s": 0},
              {"event": "calibrate", "done": 300, "total": 2350},
              {"event": "calibrate", "done": 2350, "total": 2350}]
    values = []
    for e in events:
        dialog._event(e)
        values.append(dialog.progress.value())
    assert values == sorted(values) and values[-1] < 100, values
    assert values[0] == 27  # the recipe's reading is 55 % of the bar: its duplicate head trains in seconds
    assert values[2] - values[1] < values[3] - values[2]  # its similarity code's head takes a quarter of the bar
    assert dialog.stage.text() == ("Setting the duplicate radius on photos kept out of training, and edited copies "
                                   "of them: 2,350 of 2,350")
    dialog._event(events[2])
    assert dialog.stage.text() == "Training the similarity code: epoch 1 of 30 · loss 2.1000 · about 3 minutes left"
    # the photos are read once a pass (two views each): the count is of photos, not of reads
    dialog._event({"event": "cache", "done": 7000, "total": 20000, "eta_s": 60, "pass": 2, "passes": 4, "photos": 5000})
    assert dialog.stage.text() == "Reading your photos, pass 2 of 4: 2,000 of 5,000 · about 60 seconds left"
    dialog._event(events[4])
    assert dialog.stage.text() == "Learning which way up your photos are: 1,200 of 5,000 · about 40 seconds left"
    dialog._event({"event": "done", "model": "/m.onnx", "bits": 192, "parity_bit_agreement": 1.0,
                   "radius": {"duplicate": 33, "similar": 73},
                   "calibration": {"photos": 299, "copies": 2050, "radius": 33, "allowed": 33, "precision": 0.993,
                                   "recall": 0.81}})
    assert dialog.log.toPlainText().splitlines()[-1] == (
        "duplicate radius 33 of 192 bits, set on 299 photos kept out of training and 2,050 edited copies of them: "
        "it finds 81% of the copies at precision 0.993")


def test_signal_emit_keeps_references(qapp):
    """PySide6 6.12.0 dropped a reference to True on every Signal.emit: after a few thousand
    thumbnails the interpreter aborted. The installed PySide6 must not."""
    import sys

    from PySide6.QtCore import QObject, Signal

    class Emitter(QObject):
        ping = Signal(str, int)

    emitter = Emitter()
    emitter.ping.connect(lambda *_: None)
    before = sys.getrefcount(True)
    for _ in range(200):
        emitter.ping.emit("x", 1)
    assert sys.getrefcount(True) >= before - 5, "this PySide6 release corrupts reference counts: pin another"


def test_thumbnail_store_caches_on_disk_skips_stale_requests_and_prunes(qapp, qtbot, tmp_path, photos_dir):
    from desktop.thumbnails import STALE_AFTER, ThumbnailStore, prune

    photos = sorted(photos_dir.glob("*.jpg"))[:3]
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(photos[0].read_bytes()[:1000])

    def stamp(p: Path) -> tuple[int, int]:
        return p.stat().st_size, p.stat().st_mtime_ns

    store = ThumbnailStore(tmp_path / "cache", scale=1.0)
    assert store.get(str(photos[0]), 160, stamp(photos[0])) is False  # being made
    assert store.get(str(broken), 160, stamp(broken)) is False
    qtbot.waitUntil(lambda: not store.pending, timeout=30_000)
    pixmap = store.get(str(photos[0]), 160, stamp(photos[0]))
    assert max(pixmap.width(), pixmap.height()) == 160
    assert store.get(str(broken), 160, stamp(broken)) is None  # cannot be read: says so, never retried in a loop
    size, mtime_ns = stamp(photos[0])
    assert store.get(str(photos[0]), 160, (size, mtime_ns + 1)) is False  # the photo was edited: made again
    qtbot.waitUntil(lambda: not store.pending, timeout=30_000)
    for made in (tmp_path / "cache").glob("*/*.jpg"):
        made.unlink()  # (the edited photo's thumbnail: not part of what follows)
    store.get(str(photos[0]), 160, stamp(photos[0]))
    qtbot.waitUntil(lambda: not store.pending, timeout=30_000)
    cached = list((tmp_path / "cache").glob("*/*.jpg"))
    assert len(cached) == 1

    # a new store (the next start) reads the disk cache instead of decoding the photo again
    again = ThumbnailStore(tmp_path / "cache", scale=1.0)
    before = cached[0].stat().st_mtime_ns
    again.get(str(photos[0]), 160, stamp(photos[0]))
    qtbot.waitUntil(lambda: not again.pending, timeout=30_000)
    assert list((tmp_path / "cache").glob("*/*.jpg")) == cached and cached[0].stat().st_mtime_ns >= before

    # requests left far behind by scrolling are skipped, and made when asked again
    from PySide6.QtCore import QRunnable

    class Hold(QRunnable):  # keeps the store's only thread busy until every request is queued
        def __init__(self, release: threading.Event):
            super().__init__()
            self.release = release

        def run(self):
            self.release.wait(30)

    busy = ThumbnailStore(tmp_path / "cache2", threads=1, scale=1.0)
    release = threading.Event()
    busy.pool.start(Hold(release), 2**30)
    first = str(photos[1])
    busy.get(first, 160, stamp(photos[1]))
    for i in range(STALE_AFTER + 1):
        busy.get(f"{first}?{i}", 160, stamp(photos[1]))  # unreadable names: quick to fail
    release.set()
    qtbot.waitUntil(lambda: not busy.pending, timeout=60_000)
    assert (first, 160) not in busy.memory  # skipped, not made
    busy.get(first, 160, stamp(photos[1]))
    qtbot.waitUntil(lambda: (first, 160) in busy.memory, timeout=30_000)

    # prune keeps the cache under its limit, the least recently used first
    busy.get(str(photos[2]), 160, stamp(photos[2]))
    qtbot.waitUntil(lambda: not busy.pending, timeout=30_000)
    old, recent = sorted((tmp_path / "cache2").glob("*/*.jpg"))
    os.utime(old, (1_000_000, 1_000_000))
    old_size = old.stat().st_size
    assert prune(tmp_path / "cache2", recent.stat().st_size) == old_size
    assert not old.exists() and recent.exists()


def test_a_model_activated_during_a_scan_rehashes_after_it(make_window, qtbot, tmp_path):
    from engine.model import resolve_model_name
    from engine.catalog_models import model_row_id

    lib = build_library(tmp_path / "library", count=6, edited=1)
    window = make_window()
    summaries = []
    window.library.scan_finished.connect(summaries.append)
    window.library.add_folder(str(lib.root))  # a scan with the default model starts
    other = str(resolve_model_name("phash64"))  # the other shipped model
    window.activate_model(other)  # activated while it runs: queued, not lost
    qtbot.waitUntil(lambda: len(summaries) == 2 and not window.library.scanning(), timeout=SCAN_TIMEOUT_MS)
    with Catalog(window.context.catalog_path) as catalog:
        for model in (HashModel.load(resolve_model_name("default")), HashModel.load(other)):
            ids, _ = catalog.codes(model_row_id(catalog, model))
            assert len(ids) == len(lib.photos)


def test_engine_tasks_are_freed_once_answered(qapp, qtbot, tmp_path):
    """Each refresh and search is a task holding the model; answered tasks must not pile up."""
    import gc

    from desktop import workers

    def echo(_catalog, n):
        return n

    answers = []
    catalog = str(tmp_path / "c.sqlite")
    for i in range(20):
        workers.run_task(catalog, echo, bytearray(1_000_000), done=answers.append)
    qtbot.waitUntil(lambda: len(answers) == 20, timeout=30_000)
    qtbot.waitUntil(lambda: not workers._in_flight, timeout=5_000)
    qapp.processEvents()
    gc.collect()
    # only this test's tasks: an earlier test's refresh may still be finishing on the pool (it made this flaky)
    alive = [o for o in gc.get_objects() if isinstance(o, workers.Task) and o.fn is echo]
    assert len(alive) <= 1, f"{len(alive)} answered tasks still alive"
