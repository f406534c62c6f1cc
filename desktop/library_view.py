"""Library: the folders, their scan (progress, rate, ETA, cancel), the files that could not be read,
and the thumbnail grid of every photo (the grid itself is in widgets, which the Search screen shares)."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QColor
from PySide6.QtWidgets import (QFileDialog, QHBoxLayout, QHeaderView, QLabel, QListWidget, QListWidgetItem, QMenu,
                               QMessageBox, QProgressBar, QPushButton, QStyle, QTreeWidget, QTreeWidgetItem,
                               QVBoxLayout, QWidget)

from engine.catalog import Catalog
from engine.units import human_bytes
from engine.errors import printable
from engine.scan import ScanFailure, ScanProgress, ScanSummary

from .context import AppContext
from .widgets import PathRole, Row, ThumbnailModel, shown_path, side_by_side, thumbnail_grid
from .workers import ScanWorker, run_task


def describe_eta(progress: ScanProgress) -> str:
    if progress.phase == "walking":
        return f"Looking for photos: {progress.found:,} found"
    parts = [f"{progress.done:,} of {progress.total:,} photos"]
    if progress.skipped:
        parts.append(f"{progress.skipped:,} unchanged")
    if progress.rate:
        parts.append(f"{progress.rate:.0f}/s")
    if progress.eta_s is not None and progress.done < progress.total:
        eta = progress.eta_s
        parts.append(f"about {eta:.0f} s left" if eta < 90 else f"about {eta / 60:.0f} min left")
    if progress.failed:
        parts.append(f"{progress.failed:,} unreadable")
    return " · ".join(parts)


def _library_rows(catalog: Catalog) -> list[Row]:
    rows = [(f.path, f.size, f.mtime_ns, printable(os.path.basename(f.path)), None)
            for f in catalog.all_files() if f.error is None]
    rows.sort(key=lambda r: r[0].casefold())
    return rows


class LibraryView(QWidget):
    find_similar = Signal(object)  # a path: a Python str keeps the bytes of a name that is not UTF-8
    scan_finished = Signal(object)  # ScanSummary

    def __init__(self, context: AppContext, parent=None):
        super().__init__(parent)
        self.context = context
        self.worker: ScanWorker | None = None
        self.queued: str | None = None  # the model of a scan asked for while one ran: it follows
        self.failures: list[tuple[str, str]] = []

        # left: folders, scan, unreadable files
        self.folders = QListWidget()
        self.folders.setToolTip("Checked folders are reference folders: their photos are never proposed for removal.")
        self.folders.itemChanged.connect(self._reference_toggled)
        add = QPushButton("Add folder…")
        add.clicked.connect(self.add_folder_dialog)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Stop watching this folder (no photo is touched)")
        self.remove_button.clicked.connect(self.remove_selected_folder)
        self.scan_button = QPushButton("Scan")
        self.scan_button.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_BrowserReload))
        self.scan_button.setToolTip("Hash new and changed photos (F5)")
        self.scan_button.clicked.connect(self.toggle_scan)
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.errors = QTreeWidget()
        self.errors.setHeaderLabels(["File", "Why it could not be read"])
        self.errors.setRootIsDecorated(False)
        self.errors.setAlternatingRowColors(True)
        self.errors.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.errors.header().setStretchLastSection(True)
        self.errors_title = QLabel("")

        buttons = QHBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(self.remove_button)
        left = QWidget()
        lay = QVBoxLayout(left)
        lay.setContentsMargins(0, 0, 0, 0)
        title = QLabel("<b>Folders</b> <span style='color:gray'>(✓ = reference, never trashed)</span>")
        lay.addWidget(title)
        lay.addWidget(self.folders, 1)
        lay.addLayout(buttons)
        lay.addWidget(self.scan_button)
        lay.addWidget(self.progress)
        lay.addWidget(self.status)
        lay.addWidget(self.errors_title)
        lay.addWidget(self.errors, 3)

        # right: the grid
        self.model = ThumbnailModel(context)
        self.grid = thumbnail_grid(self.model)
        self.grid.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.grid.customContextMenuRequested.connect(self._grid_menu)
        self.grid.doubleClicked.connect(lambda index: self.find_similar.emit(self.model.path_at(index)))
        self.summary = QLabel("")
        right = QWidget()
        rlay = QVBoxLayout(right)
        rlay.setContentsMargins(0, 0, 0, 0)
        rlay.addWidget(self.summary)
        rlay.addWidget(self.grid)

        layout = QVBoxLayout(self)
        layout.addWidget(side_by_side(left, right, (300, 900)))
        self.reload_folders()
        self.reload()
        context.library_changed.connect(self.reload)  # trashed or restored photos leave or rejoin the grid

    # -- folders --------------------------------------------------------------------------------

    def reload_folders(self) -> None:
        self.folders.blockSignals(True)
        self.folders.clear()
        references = set(self.context.reference_folders())
        for folder in self.context.folders():
            item = QListWidgetItem(shown_path(folder))
            item.setData(PathRole, folder)
            item.setToolTip(folder)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if folder in references else Qt.CheckState.Unchecked)
            if not os.path.isdir(folder):
                item.setForeground(QColor("#c0392b"))
                item.setToolTip(f"{folder}: not found (unplugged drive or moved folder); its photos stay in the catalog")
            self.folders.addItem(item)
        self.folders.blockSignals(False)
        self.remove_button.setEnabled(self.folders.count() > 0)

    def _save_folders(self) -> None:
        items = [self.folders.item(i) for i in range(self.folders.count())]
        self.context.set_folders([i.data(PathRole) for i in items],
                                 [i.data(PathRole) for i in items if i.checkState() == Qt.CheckState.Checked])

    def _reference_toggled(self, _item) -> None:
        self._save_folders()
        self.context.references_changed.emit()  # the groups change, the grid does not: no reload

    def add_folder_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a folder of photos", str(Path.home()))
        if folder:
            self.add_folder(folder)

    def add_folder(self, folder: str, *, reference: bool = False, scan: bool = True) -> None:
        folder = os.path.normpath(os.path.abspath(folder))
        folders, references = self.context.folders(), self.context.reference_folders()
        if folder not in folders:
            folders.append(folder)
        if reference and folder not in references:
            references.append(folder)
        self.context.set_folders(folders, references)
        self.reload_folders()
        if scan:
            self.start_scan()

    def remove_selected_folder(self) -> None:
        item = self.folders.currentItem() or (self.folders.item(0) if self.folders.count() == 1 else None)
        if item is None:
            return
        folders = [f for f in self.context.folders() if f != item.data(PathRole)]
        self.context.set_folders(folders, [f for f in self.context.reference_folders() if f in folders])
        self.reload_folders()

    # -- scanning -------------------------------------------------------------------------------

    def scanning(self) -> bool:
        """From Scan until the UI has taken in the scan's end (the worker thread stops a little earlier)."""
        return self.worker is not None

    def toggle_scan(self) -> None:
        if self.scanning():
            self.cancel_scan()
        else:
            self.start_scan()

    def start_scan(self, model_path: str | None = None) -> bool:
        """Scan every library folder with the active model (or ``model_path``). While a scan runs, a
        scan (a folder added, a model activated meanwhile) is queued to follow it; returns False then."""
        if self.scanning():  # queued to follow: a folder added or a model activated meanwhile is not lost
            self.queued = model_path or self.context.model_path()
            return False
        folders = [f for f in self.context.folders() if os.path.isdir(f)]
        missing = [f for f in self.context.folders() if not os.path.isdir(f)]
        if not folders:
            self.status.setText("Add a folder of photos first." if not missing else
                                f"No library folder can be reached ({missing[0]}: not found).")
            return False
        self.failures = [(f, "folder not found (unplugged drive or moved folder)") for f in missing]
        self._show_failures()
        self.worker = ScanWorker(self.context.catalog_path, folders, model_path or self.context.model_path(),
                                 include_hidden=self.context.prefs.include_hidden, parent=self)
        self.worker.progress.connect(self._progress)
        self.worker.failure.connect(self._failure)
        self.worker.finished_scan.connect(self._finished)
        self.worker.failed.connect(self._failed)
        self.worker.finished.connect(self._stopped)
        self.scan_button.setText("Cancel scan")
        self.scan_button.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_BrowserStop))
        self.progress.setRange(0, 0)
        self.progress.show()
        self.status.setText("Looking for photos…")
        self.worker.start()
        return True

    def cancel_scan(self) -> None:
        if self.scanning():
            self.status.setText("Stopping after the photos in hand…")
            self.worker.cancel()

    def _progress(self, p: ScanProgress) -> None:
        if p.phase == "hashing" and p.total:
            self.progress.setRange(0, p.total)
            self.progress.setValue(p.done)
        self.status.setText(describe_eta(p))

    def _failure(self, failure: ScanFailure) -> None:
        self.failures.append((failure.path, failure.reason))
        if len(self.failures) <= 500 or len(self.failures) % 100 == 0:
            self._show_failures()

    def _finished(self, summary: ScanSummary) -> None:
        words = "Scan cancelled" if summary.cancelled else "Scan finished"
        text = f"{words}: {summary.hashed:,} hashed, {summary.skipped:,} unchanged"
        if summary.failed:
            text += f", {summary.failed:,} unreadable"
        if summary.missing:
            text += f", {summary.missing:,} gone from disk"
        self.status.setText(text + f" ({summary.seconds:.0f} s).")
        self.context.message.emit(text)
        self.scan_finished.emit(summary)

    def _failed(self, line: str) -> None:
        self.status.setText(f"The scan stopped: {line}")
        QMessageBox.warning(self, "Scan stopped", line)

    def _stopped(self) -> None:
        self.worker.deleteLater()
        self.worker = None
        if self.queued is not None:
            model_path, self.queued = self.queued, None
            if self.start_scan(model_path):
                return
        self.progress.hide()
        self.scan_button.setText("Scan")
        self.scan_button.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_BrowserReload))
        self.context.library_changed.emit()  # this grid reloads on it too

    # -- the unreadable files and the grid ------------------------------------------------------

    def _show_failures(self) -> None:
        self.errors.clear()
        for path, reason in self.failures[:5000]:
            item = QTreeWidgetItem([printable(os.path.basename(path) or path), reason])
            item.setData(0, PathRole, printable(path))
            item.setToolTip(0, printable(path))
            item.setToolTip(1, reason)
            self.errors.addTopLevelItem(item)
        self.errors_title.setText(f"<b>Could not be read</b> ({len(self.failures):,})" if self.failures
                                  else "<b>Could not be read</b>: none")

    def reload(self) -> None:
        """Reload the grid and the unreadable list from the catalog, off the UI thread."""
        def read(catalog: Catalog):
            return _library_rows(catalog), catalog.errors()

        run_task(self.context.catalog_path, read, done=self._loaded,
                 failed=lambda line: self.summary.setText(f"Cannot read the catalog: {line}"))

    def _loaded(self, result) -> None:
        rows, errors = result
        self.model.set_rows(rows)
        total = sum(r[1] for r in rows)
        self.summary.setText(f"<b>{len(rows):,} photos</b> · {human_bytes(total)}" if rows else
                             "No photos yet: add a folder and scan it.")
        if not self.scanning():
            known = {p for p, _ in self.failures}
            self.failures += [(p, r) for p, r in errors if p not in known]
            self._show_failures()

    def _grid_menu(self, pos) -> None:
        index = self.grid.indexAt(pos)
        if not index.isValid():
            return
        path = self.model.path_at(index)
        menu = QMenu(self)
        similar = QAction("Find similar", menu)
        similar.triggered.connect(lambda: self.find_similar.emit(path))
        menu.addAction(similar)
        reveal = QAction("Open containing folder", menu)
        reveal.triggered.connect(lambda: _open_folder(os.path.dirname(path)))
        menu.addAction(reveal)
        menu.exec(self.grid.viewport().mapToGlobal(pos))


def _open_folder(folder: str) -> None:
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QDesktopServices

    QDesktopServices.openUrl(QUrl.fromLocalFile(folder))
