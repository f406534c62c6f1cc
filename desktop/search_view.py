"""Search by example: drop a photo on the window, open one, or "Find similar" from the library; the
library's nearest photos in a grid, most alike first, as far as the user slides ("at least 60 % alike": the
Hamming radius behind it is shown only under Preferences → Advanced)."""

from __future__ import annotations

import html
import os
from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt, QTimer
from PySide6.QtWidgets import (QFileDialog, QHBoxLayout, QLabel, QPushButton, QSlider, QSpinBox, QVBoxLayout,
                               QWidget)

from engine.catalog import Catalog
from engine.errors import printable
from engine.search import LibraryIndex
from engine.units import alike_percent

from .context import AppContext
from .widgets import Row, ThumbnailModel, placeholder, shown_path, thumbnail_grid
from .workers import MODEL_UNUSABLE, Latest

RESULTS = 200
PREVIEW = 128  # the query photo's thumbnail
# the open dialog's file types: marked for translation here, translated where shown
IMAGE_FILTER = QT_TRANSLATE_NOOP("SearchView", "Photos (*.jpg *.jpeg *.png *.webp *.heic *.heif *.tif *.tiff *.bmp "
                                               "*.gif);;All files (*)")


def _search(catalog: Catalog, model, path: str, radius: int, k: int, show_distances: bool = False) -> list[Row]:
    hits = LibraryIndex(catalog, model).search(path, k=k, radius=radius)
    query = os.path.normcase(os.path.abspath(path))
    hits.sort(key=lambda h: (h.distance, os.path.normcase(h.file.path) != query))  # the photo itself first
    bits = model.info.similar_bits or model.info.bits  # the code engine.search searches by

    def caption(distance: int) -> str:  # in the worker thread: Qt's translators are safe to read from any thread
        text = QCoreApplication.translate("SearchView", "{percent} % alike").format(
            percent=alike_percent(distance, bits))
        return text + QCoreApplication.translate("SearchView", " · distance {distance}").format(
            distance=distance) if show_distances else text

    itself = QCoreApplication.translate("SearchView", "this photo")
    return [(h.file.path, h.file.size, h.file.mtime_ns, printable(os.path.basename(h.file.path)),
             itself if os.path.normcase(h.file.path) == query else caption(h.distance)) for h in hits]


class SearchView(QWidget):
    def __init__(self, context: AppContext, parent=None):
        super().__init__(parent)
        self.context = context
        self.query: str | None = None
        self.questions = Latest(context.catalog_path, self)  # drops reach the main window, on every screen

        open_button = QPushButton(self.tr("Open photo…"))
        open_button.setToolTip(self.tr("Choose a photo to look for (Ctrl+O); you can also drop one on the window"))
        open_button.clicked.connect(self.open_dialog)
        self.preview = QLabel()
        self.preview.setFixedSize(PREVIEW, PREVIEW)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setPixmap(placeholder(PREVIEW, self.tr("drop a photo")))
        self.preview.setAccessibleName(self.tr("The photo searched for"))
        self.query_label = QLabel(self.tr("Drop a photo here, open one, or right-click a photo in the library → Find "
                                          "similar."))
        self.query_label.setWordWrap(True)
        self.radius = QSlider(Qt.Orientation.Horizontal)  # a Hamming radius: left, the most alike only
        self.radius.setAccessibleName(self.tr("How alike the photos shown must be"))
        self.radius.setToolTip(self.tr("Slide right to see photos less like this one"))
        self.radius.setPageStep(4)
        self.alike = QLabel("")
        self.alike.setMinimumWidth(max(self.alike.fontMetrics().horizontalAdvance(text) for text in (
            self.tr("at least {percent} % alike").format(percent=100), self.tr("all, most alike first"))) + 8)
        self.radius_box = QSpinBox()  # the radius itself, under Preferences → Advanced
        self.radius_box.setAccessibleName(self.tr("Hamming radius"))
        self.radius_box.setToolTip(self.tr("The largest Hamming distance between the codes of the photos shown"))
        self.radius.valueChanged.connect(self.radius_box.setValue)
        self.radius.valueChanged.connect(self._alike_label)
        self.radius_box.valueChanged.connect(self.radius.setValue)
        self.radius.sliderReleased.connect(self.run)
        self.radius_box.editingFinished.connect(self.run)
        self.settle = QTimer(self)  # the keys and clicks on the groove search once they stop, as a drag does
        self.settle.setSingleShot(True)
        self.settle.setInterval(250)
        self.settle.timeout.connect(self.run)
        self.radius.actionTriggered.connect(lambda _action: self.radius.isSliderDown() or self.settle.start())
        self.status = QLabel("")
        self.status.setWordWrap(True)

        head = QVBoxLayout()
        head.addWidget(self.query_label)
        row = QHBoxLayout()
        row.addWidget(self.alike)  # what the slider's place means, before the slider: it reads as a sentence
        row.addSpacing(12)
        row.addWidget(QLabel(self.tr("Most alike")))
        row.addWidget(self.radius, 1)
        row.addWidget(QLabel(self.tr("Less alike")))
        row.addWidget(self.radius_box)
        head.addLayout(row)
        head.addWidget(self.status)
        top = QHBoxLayout()
        top.addWidget(self.preview)
        top.addLayout(head, 1)
        top.addWidget(open_button, 0, Qt.AlignmentFlag.AlignTop)

        self.model = ThumbnailModel(context)
        self.grid = thumbnail_grid(self.model)
        self.grid.setAccessibleName(self.tr("Photos like this one"))
        self.grid.doubleClicked.connect(lambda index: self.search(self.model.path_at(index)))
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.grid, 1)
        context.model_changed.connect(self.reset_radius)
        context.library_changed.connect(self.run)  # trashed, restored or re-hashed photos: results follow
        context.thumbnails.ready.connect(self._preview_ready)
        self.reset_radius()

    def reset_radius(self) -> None:
        model = self.context.usable_model()
        if model is None:
            self.status.setText(MODEL_UNUSABLE)
            return
        # searched by its similarity code where it has one (engine.search): nearest first, as far as the control goes,
        # as the CLI's search is (its radius keeps groups tight, not a list ordered by likeness); a one-code model's
        # far distances say little, so its similar radius bounds the list
        info = model.info
        self.bits = bits = info.similar_bits or info.bits
        self.radius.setRange(0, bits // 2)
        self.radius_box.setRange(0, bits // 2)
        self.radius.setValue(bits // 2 if info.similar_bits else self.context.radius("similar"))
        self.radius_box.setVisible(self.context.prefs.show_distances)
        self._alike_label()
        if self.query:
            self.run()

    def _alike_label(self) -> None:
        percent = alike_percent(self.radius.value(), getattr(self, "bits", 0))
        self.alike.setText(self.tr("at least {percent} % alike").format(percent=percent) if percent else
                           self.tr("all, most alike first"))

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Find photos like…"), str(Path.home()),
                                              QCoreApplication.translate("SearchView", IMAGE_FILTER))
        if path:
            self.search(path)

    def search(self, path: str) -> None:
        self.query = os.path.abspath(path)
        self.query_label.setText(self.tr("<b>Photos like</b> {name}").format(
            name=html.escape(printable(os.path.basename(self.query))))
            + f"<br><span style='color:gray'>{html.escape(shown_path(os.path.dirname(self.query)))}</span>")
        self._preview_ready(self.query, PREVIEW)
        self.run()

    def _preview_ready(self, path: str, size: int) -> None:
        if path != self.query or size != PREVIEW:
            return
        try:
            st = os.stat(self.query)
        except OSError:
            return
        pixmap = self.context.thumbnails.get(self.query, PREVIEW, (st.st_size, st.st_mtime_ns))
        if pixmap:
            self.preview.setPixmap(pixmap)
        elif pixmap is None:
            self.preview.setPixmap(placeholder(PREVIEW, self.tr("cannot read")))

    def run(self) -> None:
        if not self.query:
            return
        if not os.path.exists(self.query):  # trashed since (the library changed): say so, no need to ask the engine
            self.questions.drop()
            self._failed("")
            return
        model = self.context.usable_model()
        if model is None:
            self._failed(MODEL_UNUSABLE)
            return
        self.status.setText(self.tr("Searching…"))
        self.questions.run(_search, model, self.query, self.radius.value(), RESULTS,
                           self.context.prefs.show_distances, done=self._results, failed=self._failed)

    def _results(self, rows) -> None:
        self.model.set_rows(rows)
        if rows:
            more = self.tr(" (the {count} most alike)").format(count=RESULTS) if len(rows) == RESULTS else ""
            self.status.setText(self.tr("{count} photos{more}, most alike first.").format(count=f"{len(rows):,}",
                                                                                         more=more))
        else:
            self.status.setText(self.tr("No photo this alike: slide towards Less alike to see more."))

    def _failed(self, line: str) -> None:
        self.model.set_rows([])
        if self.query and not os.path.exists(self.query):  # e.g. moved to the trash from the Duplicates screen
            line = self.tr("{name} is no longer there (moved to the trash or deleted): open another photo, or put it "
                           "back with Edit → Undo move to trash.").format(name=printable(os.path.basename(self.query)))
            self.preview.setPixmap(placeholder(PREVIEW, self.tr("gone")))
        self.status.setText(line)


def dropped_file(mime) -> str | None:
    """The first local file of a drop, if any."""
    for url in mime.urls() if mime.hasUrls() else ():
        if url.isLocalFile() and os.path.isfile(url.toLocalFile()):
            return url.toLocalFile()
    return None
