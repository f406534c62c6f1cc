"""The main window: Library, Duplicates and Search tabs, the menus and shortcuts, drops from anywhere,
and the window state restored on start."""

from __future__ import annotations

import os

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QTabWidget

from engine.catalog import Catalog
from engine.model_card import model_title

from .context import AppContext
from .duplicates_view import DuplicatesView
from .library_view import LibraryView
from .log import log_path
from .retrain_dialog import RetrainDialog, explain_missing_trainer
from .search_view import SearchView, dropped_file
from .settings_dialog import SettingsDialog, about_text
from .theme import apply_theme
from .workers import run_task, trainer_available


def preferences_shortcuts() -> list[QKeySequence]:
    """The platform's shortcut for Preferences (Cmd+, on macOS, Ctrl+Shift+, on KDE); Ctrl+, where it has none
    (GNOME, Windows), as most apps there use."""
    return QKeySequence.keyBindings(QKeySequence.StandardKey.Preferences) or [QKeySequence("Ctrl+,")]


class MainWindow(QMainWindow):
    def __init__(self, context: AppContext):
        super().__init__()
        self.context = context
        self.setWindowTitle("PhotoHash")
        self.setAcceptDrops(True)
        self.library = LibraryView(context)
        self.duplicates = DuplicatesView(context)
        self.search = SearchView(context)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.library, self.tr("Library"))
        self.tabs.addTab(self.duplicates, self.tr("Duplicates"))
        self.tabs.addTab(self.search, self.tr("Search"))
        self.setCentralWidget(self.tabs)
        self.library.find_similar.connect(self.find_similar)
        self.model_label = QLabel("")
        self.statusBar().addPermanentWidget(self.model_label)
        context.message.connect(lambda text: self.statusBar().showMessage(text, 10000))
        context.model_changed.connect(self._show_model)
        self.retrain_dialog: RetrainDialog | None = None
        self._menus()
        self._show_model()
        self._restore()
        context.thumbnails.prune_later(context.prefs.thumbnail_cache_mb * 1_000_000)

    def _menus(self) -> None:
        def action(menu, text, slot, shortcut=None, tip=None):
            act = QAction(text, self)
            if isinstance(shortcut, list):
                act.setShortcuts(shortcut)
            elif shortcut is not None:
                act.setShortcut(shortcut)
            if tip:
                act.setStatusTip(tip)
                act.setToolTip(tip)
            act.triggered.connect(slot)
            menu.addAction(act)
            return act

        bar = self.menuBar()
        file = bar.addMenu(self.tr("&File"))
        action(file, self.tr("&Add folder…"), self.library.add_folder_dialog, QKeySequence("Ctrl+Shift+O"),
               self.tr("Add a folder of photos to the library and scan it"))
        action(file, self.tr("&Open photo to search…"), self.open_photo, QKeySequence.StandardKey.Open,
               self.tr("Find the photos of the library like a photo of your choice"))
        self.rescan_action = action(file, self.tr("&Rescan library"), self.rescan, QKeySequence("F5"),
                                    self.tr("Hash new and changed photos"))
        file.addSeparator()
        action(file, self.tr("&Quit"), self.close, QKeySequence.StandardKey.Quit)
        edit = bar.addMenu(self.tr("&Edit"))
        action(edit, self.tr("&Undo move to trash"), self.duplicates.undo, QKeySequence.StandardKey.Undo,
               self.tr("Put the photos last moved to the trash back where they were"))
        edit.addSeparator()
        # Where each platform puts it: Edit on Linux and Windows; macOS moves it to the application menu by its role
        self.preferences_action = action(edit, self.tr("&Preferences…"), self.settings, preferences_shortcuts(),
                                         self.tr("Hash model, radii, which copy to keep, thumbnails, appearance"))
        self.preferences_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        tools = bar.addMenu(self.tr("&Tools"))
        action(tools, self.tr("&Find duplicates"), lambda: self.tabs.setCurrentWidget(self.duplicates),
               QKeySequence("Ctrl+D"), self.tr("Show the Duplicates screen"))
        action(tools, self.tr("&Retrain on my library…"), self.retrain,
               tip=self.tr("Train a hash model on your own photos"))
        help_menu = bar.addMenu(self.tr("&Help"))
        action(help_menu, self.tr("Open the &log folder"), self.open_logs)
        action(help_menu, self.tr("&About PhotoHash"), self.about)

    def _show_model(self) -> None:
        """The status bar names the model by its card's title; its numbers are in the tooltip."""
        path = self.context.model_path()
        try:
            info = self.context.model().info
            self.model_label.setText(self.tr("Model: {title}").format(title=model_title(path, info.trained_on)))
            self.model_label.setToolTip(self.tr("{file}: {method}, {bits} bits. Change it in Preferences").format(
                file=os.path.basename(path), method=info.method, bits=info.bits))
        except Exception as exc:  # noqa: BLE001 - a vanished or broken model file: say so, keep going
            self.model_label.setText(self.tr("Model: not usable"))
            self.model_label.setToolTip(str(exc))
            self.statusBar().showMessage(str(exc))

    # -- actions --------------------------------------------------------------------------------

    def rescan(self) -> None:
        self.tabs.setCurrentWidget(self.library)
        self.library.start_scan()

    def open_photo(self) -> None:
        self.tabs.setCurrentWidget(self.search)
        self.search.open_dialog()

    def find_similar(self, path: str) -> None:
        self.tabs.setCurrentWidget(self.search)
        self.search.search(path)

    def settings(self) -> None:
        dialog = SettingsDialog(self.context, self)
        prefs = self.context.prefs

        def grouping():  # what decides the groups shown
            return (prefs.radius_duplicate, prefs.radius_similar, prefs.keeper_rules, prefs.strictness)

        before, theme_before, distances_before = grouping(), prefs.theme, prefs.show_distances
        model_before = self.context.model_path()
        if dialog.exec():
            if self.context.model_path() != model_before:
                self.library.start_scan()  # codes for the newly chosen model, in the background
            if prefs.theme != theme_before:
                apply_theme(prefs.theme)
            if grouping() != before:
                self.duplicates.reset_radius()
                self.search.reset_radius()
                self.library.refresh_groups()  # the Library's "in a duplicate group" is at the duplicate radius
            elif prefs.show_distances != distances_before:
                self.duplicates.reset_radius()  # the same groups, their distances shown or not
                self.search.reset_radius()
            self.context.thumbnails.prune_later(prefs.thumbnail_cache_mb * 1_000_000)

    def retrain(self) -> None:
        if not trainer_available():
            explain_missing_trainer(self)
            return
        if self.retrain_dialog is not None and self.retrain_dialog.isVisible():
            self.retrain_dialog.raise_()
            return

        def opened(stats):
            self.retrain_dialog = RetrainDialog(self.context, stats["present"] - stats["errors"], self)
            self.retrain_dialog.activated.connect(self.activate_model)
            self.retrain_dialog.show()

        run_task(self.context.catalog_path, Catalog.stats, done=opened,
                 failed=lambda line: QMessageBox.warning(self, self.tr("Retrain"), line))

    def activate_model(self, path: str) -> None:
        """A new model passed its checks: make it active and re-hash the library in the background."""
        self.context.set_model(path)
        self.library.start_scan(path)
        self.statusBar().showMessage(self.tr("Now using {file}; re-hashing the library…").format(
            file=os.path.basename(path)), 10000)

    def about(self) -> None:
        text, details = about_text(self.context)
        box = QMessageBox(self)
        box.setWindowTitle(self.tr("About PhotoHash"))
        box.setIconPixmap(self.windowIcon().pixmap(64, 64))
        box.setTextFormat(Qt.TextFormat.RichText)
        box.setText(text)
        box.setDetailedText(details)  # the numbers, behind "Show Details..."
        box.exec()

    def open_logs(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(log_path().parent)))

    # -- drops, window state, closing -------------------------------------------------------------

    def dragEnterEvent(self, event):  # noqa: N802
        if dropped_file(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event):  # noqa: N802
        path = dropped_file(event.mimeData())
        if path:
            event.acceptProposedAction()
            self.find_similar(path)

    def _restore(self) -> None:
        qs = self.context.prefs.qs
        geometry = qs.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 820)
        state = qs.value("window/state")
        if isinstance(state, QByteArray):
            self.restoreState(state)
        tab = qs.value("window/tab", 0)
        self.tabs.setCurrentIndex(int(tab) if str(tab).isdigit() else 0)

    def closeEvent(self, event):  # noqa: N802
        if self.retrain_dialog is not None and self.retrain_dialog.process is not None \
                and self.retrain_dialog.process.is_running():
            QMessageBox.information(self, self.tr("Training is running"),
                                    self.tr("Cancel the training first (it saves its progress), then quit."))
            event.ignore()
            return
        qs = self.context.prefs.qs
        qs.setValue("window/geometry", self.saveGeometry())
        qs.setValue("window/state", self.saveState())
        qs.setValue("window/tab", self.tabs.currentIndex())
        if self.library.scanning():
            self.library.cancel_scan()  # commits the batch in hand; the next scan resumes
            self.library.worker.wait(30000)
        super().closeEvent(event)
