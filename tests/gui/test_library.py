"""The Library screen over a real scan of real photos (pytest-qt, offscreen): the grid's sort orders and their memory,
the folder tree's counts and its choice of folder, the filters, the unreadable list that collapses when empty, and
Preferences under Edit with the platform's shortcut."""

from __future__ import annotations

import os
import shutil
from datetime import datetime
from pathlib import Path

import pytest

pytest.importorskip("pytestqt", reason="needs pytest-qt (the dev extra)")

from PIL import Image  # noqa: E402
from PySide6.QtCore import QSettings, Qt, QTimer  # noqa: E402
from PySide6.QtGui import QAction, QKeySequence  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from engine.catalog import FileRow  # noqa: E402

from ..conftest import build_library, extract_photos  # noqa: E402

SCAN_TIMEOUT_MS = 180_000
EXIF_IFD, DATE_TAKEN, DATE_CHANGED = 0x8769, 0x9003, 0x0132


def scan(qtbot, window, folder: Path) -> None:
    """Add ``folder`` to the library as a user does (its scan starts), and wait until the Library shows the catalog
    the scan left."""
    library = window.library
    with qtbot.waitSignal(library.scan_finished, timeout=SCAN_TIMEOUT_MS):
        library.add_folder(str(folder))
    qtbot.waitUntil(lambda: not library.scanning(), timeout=30_000)
    present = window.context.catalog.stats()["present"]
    qtbot.waitUntil(lambda: library.index is not None and len(library.index.rows) == present, timeout=30_000)


def shown(library) -> list[str]:
    return [library.model.rows[i][0] for i in range(library.model.rowCount())]


def choose(combo, key: str) -> None:
    index = combo.findData(key)
    assert index >= 0, key
    combo.setCurrentIndex(index)


def date_taken(path: str) -> str | None:
    """EXIF DateTimeOriginal (else DateTime) as ISO 8601 to the second, read here with Pillow (not by the engine)."""
    try:
        with Image.open(path) as img:
            exif = img.getexif()
            value = exif.get_ifd(EXIF_IFD).get(DATE_TAKEN) or exif.get(DATE_CHANGED)
    except OSError:
        return None
    if not isinstance(value, str) or len(value) < 19 or value.startswith("0000"):
        return None
    date, _, time = value[:19].partition(" ")
    return f"{date.replace(':', '-')}T{time}"


def plant_dated(folder: Path, source: Path) -> list[Path]:
    """Four photos whose date order differs from their name, size and file-date orders: three carry a date taken
    (EXIF), one only its file date, which falls between theirs. Returned oldest first."""
    folder.mkdir(parents=True)
    with Image.open(source) as img:
        img = img.convert("RGB")
        plan = [("d-zebra.jpg", "2019:05:01 10:00:00", None, 60), ("c-yak.jpg", None, datetime(2020, 7, 1), 90),
                ("b-xerus.jpg", "2021:03:01 09:00:00", None, 40), ("a-wolf.jpg", "2023:01:01 08:00:00", None, 75)]
        out = []
        for i, (name, taken, file_date, quality) in enumerate(plan):
            target = folder / name
            small = img.resize((img.width // (2 + i), img.height // (2 + i)))
            if taken:
                exif = Image.Exif()
                exif[EXIF_IFD] = {DATE_TAKEN: taken}
                small.save(target, quality=quality, exif=exif.tobytes())
                stamp = datetime(2024, 12, 31 - i).timestamp()  # file dates in the opposite order
            else:
                small.save(target, quality=quality)
                stamp = file_date.timestamp()
            os.utime(target, (stamp, stamp))
            out.append(target)
    return out


def tree_rows(model, parent=None) -> list:
    from PySide6.QtCore import QModelIndex

    parent = parent or QModelIndex()
    return [model.index(r, 0, parent) for r in range(model.rowCount(parent))]


def tree_index(library, path: Path):
    node = library.index.nodes[str(path)]
    return library.tree_model.index_of(node)


def count_of(library, index) -> int:
    return int(library.tree_model.index(index.row(), 1, index.parent()).data().replace(",", ""))


# -- sorting ---------------------------------------------------------------------------------------------------------

def test_each_sort_key_orders_the_grid_both_ways_and_is_remembered(make_window, qtbot, tmp_path):
    lib = build_library(tmp_path / "library", count=5, edited=1)
    dated = plant_dated(lib.root / "dated", lib.originals[1])
    window = make_window()
    scan(qtbot, window, lib.root)
    library = window.library
    photos = [str(p) for p in lib.photos + dated]
    assert sorted(shown(library)) == sorted(photos)

    def name(p):
        return (os.path.basename(p).casefold(), p.casefold())

    expected = {
        "name": sorted(photos, key=name),
        "size": sorted(photos, key=lambda p: (os.path.getsize(p), name(p))),
        "folder": sorted(photos, key=lambda p: (os.path.dirname(p).casefold(), name(p))),
    }
    for key, order in expected.items():
        choose(library.sort, key)
        assert shown(library) == order, key

    choose(library.sort, "date")
    by_date = shown(library)
    assert [p for p in by_date if p in map(str, dated)] == [str(p) for p in dated]  # taken, else the file's date
    keys = [date_taken(p) or datetime.fromtimestamp(os.path.getmtime(p)).isoformat()[:19] for p in by_date]
    assert keys == sorted(keys)

    library.direction.click()  # descending: the same order, reversed
    assert shown(library) == by_date[::-1]
    assert "Newest first" in library.direction.toolTip()
    choose(library.sort, "size")
    assert shown(library) == expected["size"][::-1]

    window.context.prefs.qs.sync()
    saved = QSettings(window.context.prefs.qs.fileName(), QSettings.Format.IniFormat)
    assert (saved.value("library/sort"), str(saved.value("library/sort_descending"))) == ("size", "true")
    window.close()
    again = make_window()  # a new window over the same settings opens sorted as it was left
    assert again.library.sort.currentData() == "size" and again.library.direction.isChecked()
    qtbot.waitUntil(lambda: len(shown(again.library)) == len(photos), timeout=30_000)
    assert shown(again.library) == expected["size"][::-1]


# -- the folder tree -------------------------------------------------------------------------------------------------

def test_folder_tree_counts_the_photos_and_choosing_a_folder_filters_the_grid(make_window, qtbot, tmp_path):
    lib = build_library(tmp_path / "library", count=6, edited=1)
    trips = lib.root / "trips"
    for year, photos in (("2023", lib.originals[:2]), ("2024", lib.originals[2:3])):
        (trips / year).mkdir(parents=True)
        for photo in photos:
            with Image.open(photo) as img:
                img.convert("RGB").rotate(90, expand=True).save(trips / year / photo.name, quality=85)
    window = make_window()
    scan(qtbot, window, lib.root)
    library = window.library
    readable = [p for p in lib.root.rglob("*.jpg") if p != lib.broken]

    # the tree: every photo, then the library folder, its folders nested by their path, each counting its subtree
    top = tree_rows(library.tree_model)
    assert [i.data() for i in top] == ["All photos", str(lib.root)]
    assert count_of(library, top[0]) == len(readable)
    root = top[1]
    assert count_of(library, root) == len(readable)
    children = {i.data(): i for i in tree_rows(library.tree_model, root)}
    assert set(children) == {"copies", "edits", "originals", "trips"}
    for name, index in children.items():
        assert count_of(library, index) == len(list((lib.root / name).rglob("*.jpg"))), name
    years = {i.data(): count_of(library, i) for i in tree_rows(library.tree_model, children["trips"])}
    assert years == {"2023": 2, "2024": 1}
    assert "1 unreadable" in root.data(Qt.ItemDataRole.ToolTipRole)  # the truncated JPEG lies in the root itself

    # choosing a folder shows its photos and its subfolders' in the grid
    library.tree.setCurrentIndex(children["trips"])
    assert sorted(shown(library)) == sorted(str(p) for p in trips.rglob("*.jpg"))
    assert "3 of" in library.summary.text()
    library.tree.setCurrentIndex(tree_index(library, trips / "2024"))
    assert shown(library) == [str(trips / "2024" / lib.originals[2].name)]

    # by keyboard: Enter on the grid finds similar photos; Home in the tree goes back to every photo
    library.grid.setFocus()
    library.grid.setCurrentIndex(library.model.index(0))
    with qtbot.waitSignal(library.find_similar, timeout=5_000) as asked:
        qtbot.keyClick(library.grid, Qt.Key.Key_Return)
    assert asked.args == [str(trips / "2024" / lib.originals[2].name)]
    window.tabs.setCurrentWidget(library)
    library.tree.setFocus()
    qtbot.keyClick(library.tree, Qt.Key.Key_Home)
    assert sorted(shown(library)) == sorted(map(str, readable))

    # the choice survives a reload (a rescan, a trash): the same folder stays chosen
    library.tree.setCurrentIndex(children["edits"])
    with qtbot.waitSignal(library.shown, timeout=30_000):
        library.reload()
    assert sorted(shown(library)) == sorted(str(p) for p in lib.edits)


def test_build_index_nests_synthetic_paths_and_counts_them():
    """The index a worker builds, on paths no scan needs: nested library folders, a folder outside them, an
    unreadable file. Each node counts the readable files of its subtree, whatever the depth."""
    from desktop.library_view import build_index

    paths = ["/lib/a/1.jpg", "/lib/a/b/2.jpg", "/lib/a/b/c/3.jpg", "/lib/a/b/c/4.jpg", "/lib/d/5.jpg",
             "/lib/inner/6.jpg", "/elsewhere/x/7.jpg", "/lib/a/bad.jpg"]
    files = [FileRow(i, p, 100 + i, 0, f"h{i}", 4, 3, "JPEG", None, "truncated" if "bad" in p else None, None)
             for i, p in enumerate(paths)]
    index = build_index(files, ["/lib", "/lib/inner"])  # a library folder inside another is shown inside it
    readable = [p for p in paths if "bad" not in p]
    for folder, node in index.nodes.items():
        assert node.photos == sum(p.startswith(folder + "/") for p in readable), folder
    assert [n.kind for n in index.tree] == ["all", "folder", "outside"]
    assert index.tree[0].photos == 7 and index.tree[1].path == "/lib" and index.tree[1].unreadable == 1
    assert [n.path for n in index.tree[2].children] == ["/elsewhere/x"]
    rows = sorted(index.nodes["/lib/a/b"].folder_ids())
    assert sorted(index.folders[i] for i in rows) == ["/lib/a/b", "/lib/a/b/c"]


# -- filters ---------------------------------------------------------------------------------------------------------

def test_filters_show_unreadable_grouped_and_reference_photos(make_window, qtbot, tmp_path):
    lib = build_library(tmp_path / "library", count=6, edited=2)
    window = make_window()
    scan(qtbot, window, lib.root)
    library = window.library
    assert sorted(shown(library)) == sorted(map(str, lib.photos))  # All: every photo that could be read

    choose(library.filter, "unreadable")  # the truncated JPEG, and nothing else
    assert shown(library) == [str(lib.broken)]
    assert library.filter.currentText() == "Unreadable (1)"

    from desktop.widgets import PathRole

    choose(library.filter, "grouped")  # asks the engine for its groups, in a worker
    qtbot.waitUntil(lambda: not library.groups_stale, timeout=60_000)
    grouped = set(shown(library))
    assert library.filter.currentText() == f"Possible copies ({len(grouped)})"
    families = {str(lib.originals[-1]), str(lib.exact_copy)}
    for original in lib.originals[:2]:
        families |= {str(original)} | {str(e) for e, o in lib.edits.items() if o == original}
    assert {str(lib.originals[-1]), str(lib.exact_copy)} <= grouped  # byte-identical copies are always grouped
    assert grouped <= families  # no photo without a copy is
    assert any(str(e) in grouped for e in lib.edits)  # and copies made by an editor are found by their codes

    window.library.add_folder(str(lib.root / "originals"), reference=True, scan=False)
    choose(library.filter, "reference")
    qtbot.waitUntil(lambda: sorted(shown(library)) == sorted(map(str, lib.originals)), timeout=30_000)
    item = library.folders.item([library.folders.item(i).data(PathRole)
                                 for i in range(library.folders.count())].index(str(lib.root / "originals")))
    item.setCheckState(Qt.CheckState.Unchecked)  # the user unticks it: no reference folder is left
    assert shown(library) == []
    choose(library.filter, "all")
    assert sorted(shown(library)) == sorted(map(str, lib.photos))


# -- the unreadable list ---------------------------------------------------------------------------------------------

def test_unreadable_list_is_one_line_when_empty_and_only_as_tall_as_its_rows(make_window, qtbot, tmp_path, photos_dir):
    folder = tmp_path / "clean"
    extract_photos(folder, limit=3)
    window = make_window()
    scan(qtbot, window, folder)
    library = window.library
    toggle, errors = library.errors_toggle, library.errors
    assert toggle.text() == "Could not be read (0)" and not toggle.isEnabled()
    assert not errors.isVisible() and toggle.height() < 3 * toggle.fontMetrics().height()

    broken = tmp_path / "card"
    broken.mkdir()
    (broken / "IMG_0001.jpg").write_bytes((photos_dir / sorted(os.listdir(photos_dir))[0]).read_bytes()[:3000])
    scan(qtbot, window, broken)
    qtbot.waitUntil(lambda: toggle.text() == "Could not be read (1)", timeout=30_000)
    assert toggle.isEnabled() and errors.isVisible() and errors.topLevelItemCount() == 1
    one_row = errors.header().height() + errors.sizeHintForRow(0) + 2 * errors.frameWidth()
    assert errors.height() <= one_row + 2  # the room its one row needs, not half the panel
    assert library.tree.height() > errors.height()
    qtbot.mouseClick(toggle, Qt.MouseButton.LeftButton)  # collapsed by its header
    assert not errors.isVisible()
    qtbot.keyClick(toggle, Qt.Key.Key_Space)  # and opened again by keyboard
    assert errors.isVisible()


# -- the grid's cells, the controls, Preferences ---------------------------------------------------------------------

def test_grid_cells_fit_landscape_photos_and_search_keeps_square_cells(make_window, qtbot, tmp_path):
    folder = tmp_path / "photos"
    landscape = []
    for photo in extract_photos(tmp_path / "shared", limit=6):
        with Image.open(photo) as img:
            if img.width > img.height * 1.2:
                landscape.append(photo)
    for photo in landscape:
        folder.mkdir(exist_ok=True)
        shutil.copy(photo, folder / photo.name)
    if not landscape:
        pytest.skip("the first shared photos are not landscape")
    window = make_window()
    scan(qtbot, window, folder)
    grid = window.library.grid
    delegate = grid.itemDelegate()
    assert delegate.box_height < window.library.model.size  # no band above and below each landscape photo
    assert grid.gridSize().height() == delegate.box_height + grid.fontMetrics().height() + 24
    search_delegate = window.search.grid.itemDelegate()
    assert search_delegate.box_height == window.search.model.size  # the Search screen's cells are unchanged


def test_new_controls_have_names_tooltips_and_keyboard_focus(make_window):
    library = make_window().library
    for control in (library.tree, library.filter, library.sort, library.direction, library.errors_toggle,
                    library.grid, library.folders):
        assert control.accessibleName(), control
        assert control.toolTip(), control
        assert control.focusPolicy().value & Qt.FocusPolicy.TabFocus.value, control


def test_preferences_is_under_edit_with_the_standard_shortcut(make_window, qtbot):
    from desktop.settings_dialog import SettingsDialog

    window = make_window()
    menus = {menu.title(): menu for menu in (a.menu() for a in window.menuBar().actions()) if menu is not None}
    texts = {title: [a.text() for a in menu.actions()] for title, menu in menus.items()}
    assert "&Preferences…" in texts["&Edit"]
    assert not any("Settings" in t or "Preferences" in t for t in texts["&File"])
    action = next(a for a in menus["&Edit"].actions() if a.text() == "&Preferences…")
    assert action is window.preferences_action
    assert action.menuRole() == QAction.MenuRole.PreferencesRole  # macOS moves it into the application menu
    standard = QKeySequence.keyBindings(QKeySequence.StandardKey.Preferences)
    assert action.shortcut() == (standard[0] if standard else QKeySequence("Ctrl+,"))

    opened = []

    def close_the_dialog():
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, SettingsDialog):
            QTimer.singleShot(50, close_the_dialog)
            return
        opened.append(dialog)
        dialog.reject()

    QTimer.singleShot(50, close_the_dialog)
    QTest.keySequence(window, action.shortcut())  # the shortcut opens the same Settings dialog as before
    qtbot.waitUntil(lambda: bool(opened), timeout=10_000)
