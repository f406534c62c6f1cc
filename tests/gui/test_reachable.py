"""Every screen reachable (issue 24, part 7), through the real window over a real scanned catalog: each control a user
can act on is named for a screen reader (its text, an accessible name or a label that is its buddy), each button and
check box says what it does in a tooltip, each menu command has a key or an Alt+letter, the keyboard reaches the
Library's and the Compare view's actions in the layout's order, and every string is Qt's to translate: lupdate finds
them, and a translation installed the way the app installs one changes what the window says."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

pytest.importorskip("pytestqt", reason="needs pytest-qt (the dev extra)")

from PySide6.QtCore import QLocale, Qt, QTimer  # noqa: E402
from PySide6.QtWidgets import (QAbstractButton, QAbstractItemView, QAbstractSpinBox, QApplication,  # noqa: E402
                               QComboBox, QDialogButtonBox, QHeaderView, QLabel, QLineEdit, QMenu,
                               QMessageBox, QPushButton, QSlider, QTabBar, QWidget)

from ..conftest import REPO, build_library  # noqa: E402
from .test_desktop import scan, wait_for_groups  # noqa: E402

INPUTS = (QSlider, QAbstractSpinBox, QComboBox, QLineEdit, QAbstractItemView)


# -- what is checked ---------------------------------------------------------------------------------------------------

def describe(widget: QWidget) -> str:
    """A widget as the report names it: the screen that holds it as an attribute (else its window) and the
    attribute's name, its class, its text."""
    owner, name = widget.parentWidget(), ""
    while owner is not None:
        name = next((key for key, value in vars(owner).items() if value is widget), "")
        if name:
            break
        owner = owner.parentWidget()
    screen = type(owner if owner is not None else widget.window()).__name__
    text = widget.text() if isinstance(widget, (QAbstractButton, QLineEdit)) else ""
    return f"{screen}{'.' + name if name else ''} ({type(widget).__name__}{f' {text!r}' if text else ''})"


def _internal(widget: QWidget) -> bool:
    """A part of a Qt control rather than a control of the app's: a spin box's or combo box's line edit, a tab bar's
    scroll arrows, a table's corner button, a header, a combo box's popup list, the menu bar's overflow button."""
    if isinstance(widget, QHeaderView) or widget.objectName().startswith("qt_"):
        return True
    if widget.metaObject().className() == "QTableCornerButton":
        return True
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, (QAbstractSpinBox, QComboBox, QTabBar)):
            return True
        if isinstance(parent, QAbstractItemView) and widget is not parent:  # an editor or index widget's own parts
            return widget.parentWidget() is not parent.viewport()
        parent = parent.parentWidget()
    return False


def _standard_button(button: QAbstractButton) -> bool:
    """One of Qt's own dialog buttons (OK, Cancel…, a message box's Show Details…): Qt names them, and their
    meaning is the platform's."""
    box = button.parentWidget()
    return isinstance(box, QDialogButtonBox) and (box.standardButton(button) != QDialogButtonBox.StandardButton.NoButton
                                                  or isinstance(box.window(), QMessageBox))


def _buddies(top: QWidget) -> set[int]:
    return {id(label.buddy()) for label in top.findChildren(QLabel) if label.buddy() is not None and label.text()}


def _has_key(widget: QWidget) -> bool:
    """Reached by a key of its own: a shortcut, an Alt+letter in its text or its buddy's, or a QAction it carries."""
    if isinstance(widget, QAbstractButton) and not widget.shortcut().isEmpty():
        return True
    return any(not a.shortcut().isEmpty() for a in widget.actions())


def problems(top: QWidget) -> list[str]:
    """What keeps the shown controls of ``top`` (a window or dialog, already shown) from being used by a screen
    reader or the keyboard, one line each."""
    found: list[str] = []
    buddies = _buddies(top)
    for widget in [top, *top.findChildren(QWidget)]:
        if not widget.isVisible() or _internal(widget):
            continue
        if isinstance(widget, QAbstractButton):
            if not widget.text().replace("&", "").strip() and not widget.accessibleName():
                found.append(f"{describe(widget)}: no text and no accessible name")
            if not widget.toolTip() and not _standard_button(widget):
                found.append(f"{describe(widget)}: no tooltip saying what it does")
        elif isinstance(widget, INPUTS):
            if not widget.accessibleName() and id(widget) not in buddies:
                found.append(f"{describe(widget)}: no accessible name and no label that is its buddy")
        else:
            continue
        if widget.isEnabled() and not widget.focusPolicy().value & Qt.FocusPolicy.TabFocus.value \
                and not _has_key(widget) and not _standard_button(widget):
            found.append(f"{describe(widget)}: the keyboard cannot reach it (no Tab focus, no key)")
    return found


def assert_reachable(*tops: QWidget) -> None:
    lines = [line for top in tops for line in problems(top)]
    assert not lines, f"{len(lines)} control(s) not reachable:\n" + "\n".join(lines)


def menu_problems(menu: QMenu, path: str = "") -> list[str]:
    found = []
    for action in menu.actions():
        if action.isSeparator() or not action.isVisible():
            continue
        where = f"{path} > {action.text()}" if path else action.text()
        if action.menu() is not None:
            if "&" not in action.text():
                found.append(f"menu {where}: no Alt+letter")
            found += menu_problems(action.menu(), where)
        elif action.shortcut().isEmpty() and not re.search(r"&[^&]", action.text()):
            found.append(f"menu command {where}: no shortcut and no Alt+letter")
    return found


# -- the screens -------------------------------------------------------------------------------------------------------

@pytest.fixture
def scanned(make_window, qtbot, tmp_path):
    """A window over a scanned library with duplicates and an unreadable file (the Library lists it)."""
    lib = build_library(tmp_path / "library", count=6, edited=2)
    window = make_window()
    scan(qtbot, window, lib.root)
    qtbot.waitUntil(lambda: window.library.model.rowCount() == len(lib.photos), timeout=30_000)
    return window


def test_the_library_screen_is_named_explained_and_reached_by_keys(scanned, qtbot):
    window = scanned
    library = window.library
    window.tabs.setCurrentWidget(library)
    qtbot.waitUntil(lambda: library.errors.isVisible())  # the broken file is listed: its list is checked too
    assert_reachable(library)

    # Tab follows the layout: the left column top to bottom, then the bar above the grid, then the grid
    add = next(b for b in library.findChildren(QPushButton) if b.text() == "Add folder…")
    expected = [library.folders, add, library.remove_button, library.scan_button, library.tree, library.errors_toggle,
                library.errors, library.filter, library.sort, library.direction, library.grid]
    chain, widget = [], library.folders
    for _ in range(200):
        if widget in expected and widget not in chain:
            chain.append(widget)
        widget = widget.nextInFocusChain()
        if widget is library.folders:
            break
    assert chain == expected

    # Del in the folder list removes the chosen folder from the library (no photo touched)
    folders = window.context.folders()
    library.folders.setFocus()
    library.folders.setCurrentRow(0)
    qtbot.keyClick(library.folders, Qt.Key.Key_Delete)
    assert window.context.folders() == folders[1:]


def test_the_library_grid_menu_opens_from_the_keyboard(scanned, qtbot):
    library = scanned.library
    grid = library.grid
    grid.setFocus()
    grid.setCurrentIndex(library.model.index(0))
    opened = []

    def close_the_menu():
        menu = QApplication.activePopupWidget()
        if not isinstance(menu, QMenu):
            QTimer.singleShot(20, close_the_menu)
            return
        opened.append([a.text() for a in menu.actions()])
        menu.close()

    QTimer.singleShot(20, close_the_menu)
    qtbot.keyClick(grid, Qt.Key.Key_F10, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: bool(opened), timeout=5_000)
    assert opened[0] == ["&Find similar", "&Open containing folder"]


def test_the_duplicates_screen_is_named_and_explained(scanned, qtbot):
    window = scanned
    dupes = window.duplicates
    window.tabs.setCurrentWidget(dupes)
    wait_for_groups(qtbot, dupes)
    assert dupes.groups, "the library has duplicates: the screen shows its cards"
    qtbot.waitUntil(lambda: bool(dupes.cards) and dupes.cards[0].isVisible())
    assert_reachable(dupes)


def assert_dialog_reachable(qtbot, dialog) -> None:
    """``dialog`` shown, each of its controls named, explained and reached (:func:`assert_reachable`), then closed."""
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(dialog.isVisible)
    try:
        assert_reachable(dialog)
    finally:
        dialog.reject()


def test_the_bulk_dialog_is_named_and_explained(scanned, qtbot):
    window = scanned
    dupes = window.duplicates
    window.tabs.setCurrentWidget(dupes)
    wait_for_groups(qtbot, dupes)
    assert_dialog_reachable(qtbot, dupes.table.bulk_dialog())


def test_the_compare_view_opened_from_duplicates_works_from_the_keyboard(scanned, qtbot):
    from desktop.compare_view import BLINK, DIFFERENCE, LEFT, SIDE_BY_SIDE, SWIPE

    window = scanned
    dupes = window.duplicates
    window.tabs.setCurrentWidget(dupes)
    wait_for_groups(qtbot, dupes)
    view = dupes.compare_focused()
    assert view is not None
    with qtbot.waitSignal(view.previews_ready, timeout=30_000):
        view.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is view)
    assert_reachable(view)
    assert view.mode_segments.accessibleName()

    pane = view.panes[LEFT]
    pane.setFocus()
    qtbot.keyClick(pane, Qt.Key.Key_Z)  # 1:1, then the arrows pan
    assert view.actual_pixels
    centre = view.centre
    qtbot.keyClick(pane, Qt.Key.Key_Right)
    qtbot.keyClick(pane, Qt.Key.Key_Down)
    assert view.centre != centre
    qtbot.keyClick(pane, Qt.Key.Key_Plus)
    assert not view.actual_pixels and not view.fit
    qtbot.keyClick(pane, Qt.Key.Key_F)
    assert view.fit

    # the modes are one segmented control: Tab reaches it, the arrows walk it and turn each mode on
    segment = view.mode_buttons[SIDE_BY_SIDE]
    segment.setFocus(Qt.FocusReason.TabFocusReason)
    for mode in (BLINK, SWIPE, DIFFERENCE):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Right)
        assert view.mode == mode and view.mode_buttons[mode].hasFocus()
    for key, mode in ((Qt.Key.Key_2, BLINK), (Qt.Key.Key_3, SWIPE), (Qt.Key.Key_1, SIDE_BY_SIDE)):
        qtbot.keyClick(pane, key)
        assert view.mode == mode
    qtbot.keyClick(pane, Qt.Key.Key_Escape)
    assert not view.isVisible()


def test_the_search_screen_is_named_and_explained(make_window, qtbot):
    window = make_window()
    window.tabs.setCurrentWidget(window.search)
    qtbot.waitUntil(window.search.isVisible)
    assert_reachable(window.search)


def test_preferences_is_named_and_explained(make_window, qtbot):
    from desktop.settings_dialog import SettingsDialog

    window = make_window()
    assert_dialog_reachable(qtbot, SettingsDialog(window.context, window))


def test_the_retrain_dialog_is_named_and_explained(make_window, qtbot):
    from desktop.retrain_dialog import RetrainDialog

    window = make_window()
    dialog = RetrainDialog(window.context, 0, window)  # too few photos: no trainer is started to probe the device
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(dialog.isVisible)
    try:
        assert_reachable(dialog)
        # each field's label is its buddy: its Alt+letter moves there
        labels = {label.buddy(): label.text() for label in dialog.findChildren(QLabel) if label.buddy() is not None}
        for field in (dialog.method, dialog.similar, dialog.bits, dialog.epochs, dialog.weights):
            assert re.search(r"&[^&]", labels.get(field, "")), field
        # Tab walks the form top to bottom, then the trainer's messages, then the buttons (the disabled ones skipped)
        expected = [dialog.method, dialog.similar, dialog.bits, dialog.epochs, dialog.weights, dialog.browse,
                    dialog.download_button, dialog.log, dialog.start_button, dialog.cancel_button]
        expected = [w for w in expected if w.isVisible() and w.isEnabled()]
        chain, widget = [], dialog.method
        for _ in range(100):
            if widget in expected and widget not in chain:
                chain.append(widget)
            widget = widget.nextInFocusChain()
        assert chain == expected
    finally:
        dialog.reject()


def test_the_about_box_is_reachable(make_window, qtbot):
    window = make_window()
    seen: list[list[str]] = []

    def inspect():
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(50, inspect)
            return
        seen.append(problems(box))
        box.accept()

    QTimer.singleShot(50, inspect)
    window.about()
    assert seen and not seen[0], "\n".join(seen[0])


def test_every_menu_command_has_a_key_or_an_alt_letter(make_window):
    window = make_window()
    found = []
    for action in window.menuBar().actions():
        if action.menu() is None:
            continue
        if not re.search(r"&[^&]", action.text()):
            found.append(f"menu {action.text()}: no Alt+letter")
        found += menu_problems(action.menu(), action.text())
    assert not found, "\n".join(found)


# -- translation -------------------------------------------------------------------------------------------------------

def _qt_tool(name: str) -> str:
    beside = Path(sys.executable).parent / f"pyside6-{name}"
    found = str(beside) if beside.exists() else shutil.which(f"pyside6-{name}")
    if not found:
        pytest.skip(f"needs pyside6-{name} (it comes with PySide6)")
    return found


def test_lupdate_finds_the_strings_of_every_screen(tmp_path):
    _qt_tool("lupdate")
    ts = tmp_path / "photohash_en.ts"
    sys.path.insert(0, str(REPO / "tools"))
    try:
        import update_translations
    finally:
        sys.path.remove(str(REPO / "tools"))
    update_translations.extract(ts, language="en")
    found = update_translations.messages(ts)
    expected = {
        ("MainWindow", "Library"),
        ("LibraryView", "Hash new and changed photos (F5)"),
        ("LibraryView", "Looking for photos: {found} found"),  # QCoreApplication.translate in a module function
        ("FolderTreeModel", "Outside the library folders"),
        ("ThumbnailModel", "cannot read"),
        ("CompareView", "Side by side"),
        ("CompareView", "< 0.1 %"),
        ("RetrainDialog", "Start training"),
        ("RetrainDialog", "{n} minutes"),
        # a constant marked with QT_TRANSLATE_NOOP, translated where it is shown; concatenated literals are one string
        ("RetrainDialog", "Starting the trainer (loading PyTorch, which can take half a minute) to find out whether "
                          "a GPU can do the work…"),
        ("PhotoHash", "PhotoHash cannot start"),
    }
    assert expected <= found, sorted(expected - found)
    template = REPO / "resources" / "translations" / "photohash_en.ts"
    assert template.is_file(), "the translators' template"
    missing = sorted(found - update_translations.messages(template))
    assert not missing, f"the template misses {len(missing)} strings (run make translations): {missing[:5]}"


def _translation(tmp_path: Path, language: str, entries: dict[tuple[str, str], str]) -> Path:
    """A compiled translation of ``entries`` ((context, source) -> translation) as photohash_<language>.qm."""
    root = ET.Element("TS", version="2.1", language=language, sourcelanguage="en")
    for context in sorted({c for c, _ in entries}):
        element = ET.SubElement(root, "context")
        ET.SubElement(element, "name").text = context
        for (c, source), text in entries.items():
            if c == context:
                message = ET.SubElement(element, "message")
                ET.SubElement(message, "source").text = source
                ET.SubElement(message, "translation").text = text
    ts = tmp_path / f"photohash_{language}.ts"
    ET.ElementTree(root).write(ts, encoding="utf-8", xml_declaration=True)
    qm = ts.with_suffix(".qm")
    subprocess.run([_qt_tool("lrelease"), "-silent", str(ts), "-qm", str(qm)], check=True)
    return qm


def test_a_translation_for_the_users_language_changes_what_the_window_says(make_window, qtbot, tmp_path):
    from desktop.app import install_translations
    from desktop.library_view import describe_eta
    from engine.scan import ScanProgress

    folder = tmp_path / "translations"
    folder.mkdir()
    _translation(folder, "fr", {
        ("MainWindow", "Library"): "Bibliothèque",
        ("MainWindow", "&File"): "&Fichier",
        ("LibraryView", "Hash new and changed photos (F5)"): "Analyser les photos nouvelles et modifiées (F5)",
        ("LibraryView", "Looking for photos: {found} found"): "Recherche des photos : {found} trouvées",
        ("CompareView", "Side by side"): "Côte à côte",
    })
    app = QApplication.instance()
    translators = install_translations(app, QLocale("fr_FR"), folder)
    try:
        assert len(translators) == 2  # PhotoHash's (fr, from fr_FR) and Qt's own qtbase_fr
        window = make_window()
        assert window.tabs.tabText(0) == "Bibliothèque"
        assert [a.text() for a in window.menuBar().actions()][0] == "&Fichier"
        assert window.library.scan_button.toolTip() == "Analyser les photos nouvelles et modifiées (F5)"
        walking = ScanProgress("walking", 3, 0, 0, 0, 0, 0.0, None, None)
        assert describe_eta(walking) == "Recherche des photos : 3 trouvées"
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)  # Qt's own strings, from qtbase_fr
        assert box.button(QDialogButtonBox.StandardButton.Cancel).text().replace("&", "") == "Annuler"
    finally:
        for translator in translators:
            app.removeTranslator(translator)
    assert describe_eta(walking) == "Looking for photos: 3 found"


def test_no_translation_leaves_the_app_in_english(make_window, tmp_path):
    from desktop.app import install_translations

    app = QApplication.instance()
    translators = install_translations(app, QLocale("fr_FR"), tmp_path / "none")  # no photohash_fr.qm there
    try:
        assert [Path(t.filePath()).name for t in translators] == ["qtbase_fr.qm"]  # Qt's own still come
    finally:
        for translator in translators:
            app.removeTranslator(translator)
    window = make_window()
    assert window.tabs.tabText(0) == "Library"
