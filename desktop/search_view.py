"""Search by example: drop a photo on the window, open one, or "Find similar" from the library; the
library's nearest photos in a grid ordered by Hamming distance, within a radius the user sets."""

from __future__ import annotations

import html
import os
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QFileDialog, QHBoxLayout, QLabel, QPushButton, QSlider, QSpinBox, QVBoxLayout,
                               QWidget)

from engine.catalog import Catalog
from engine.errors import printable
from engine.search import LibraryIndex

from .context import AppContext
from .widgets import Row, ThumbnailModel, placeholder, shown_path, thumbnail_grid
from .workers import MODEL_UNUSABLE, Latest

RESULTS = 200
PREVIEW = 128  # the query photo's thumbnail
IMAGE_FILTER = "Photos (*.jpg *.jpeg *.png *.webp *.heic *.heif *.tif *.tiff *.bmp *.gif);;All files (*)"


def _search(catalog: Catalog, model, path: str, radius: int, k: int) -> list[Row]:
    hits = LibraryIndex(catalog, model).search(path, k=k, radius=radius)
    query = os.path.normcase(os.path.abspath(path))
    hits.sort(key=lambda h: (h.distance, os.path.normcase(h.file.path) != query))  # the photo itself first
    return [(h.file.path, h.file.size, h.file.mtime_ns, printable(os.path.basename(h.file.path)),
             "this photo" if os.path.normcase(h.file.path) == query else f"distance {h.distance}") for h in hits]


class SearchView(QWidget):
    def __init__(self, context: AppContext, parent=None):
        super().__init__(parent)
        self.context = context
        self.query: str | None = None
        self.questions = Latest(context.catalog_path, self)  # drops reach the main window, on every screen

        open_button = QPushButton("Open photo…")
        open_button.setToolTip("Choose a photo to look for (Ctrl+O); you can also drop one on the window")
        open_button.clicked.connect(self.open_dialog)
        self.preview = QLabel()
        self.preview.setFixedSize(PREVIEW, PREVIEW)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setPixmap(placeholder(PREVIEW, "drop a photo"))
        self.query_label = QLabel("Drop a photo here, open one, or right-click a photo in the library → Find similar.")
        self.query_label.setWordWrap(True)
        self.radius = QSlider(Qt.Orientation.Horizontal)
        self.radius.setToolTip("Show photos up to this Hamming distance from the query")
        self.radius_box = QSpinBox()
        self.radius.valueChanged.connect(self.radius_box.setValue)
        self.radius_box.valueChanged.connect(self.radius.setValue)
        self.radius.sliderReleased.connect(self.run)
        self.radius_box.editingFinished.connect(self.run)
        self.status = QLabel("")
        self.status.setWordWrap(True)

        head = QVBoxLayout()
        head.addWidget(self.query_label)
        row = QHBoxLayout()
        row.addWidget(QLabel("Within distance"))
        row.addWidget(self.radius, 1)
        row.addWidget(self.radius_box)
        head.addLayout(row)
        head.addWidget(self.status)
        top = QHBoxLayout()
        top.addWidget(self.preview)
        top.addLayout(head, 1)
        top.addWidget(open_button, 0, Qt.AlignmentFlag.AlignTop)

        self.model = ThumbnailModel(context)
        self.grid = thumbnail_grid(self.model)
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
        bits = info.similar_bits or info.bits
        self.radius.setRange(0, bits // 2)
        self.radius_box.setRange(0, bits // 2)
        self.radius.setValue(bits // 2 if info.similar_bits else self.context.radius("similar"))
        if self.query:
            self.run()

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Find photos like…", str(Path.home()), IMAGE_FILTER)
        if path:
            self.search(path)

    def search(self, path: str) -> None:
        self.query = os.path.abspath(path)
        self.query_label.setText(f"<b>Photos like</b> {html.escape(printable(os.path.basename(self.query)))}<br><span "
                                 f"style='color:gray'>{html.escape(shown_path(os.path.dirname(self.query)))}</span>")
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
            self.preview.setPixmap(placeholder(PREVIEW, "cannot read"))

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
        self.status.setText("Searching…")
        self.questions.run(_search, model, self.query, self.radius.value(), RESULTS, done=self._results,
                           failed=self._failed)

    def _results(self, rows) -> None:
        self.model.set_rows(rows)
        if rows:
            more = " (the nearest 200)" if len(rows) == RESULTS else ""
            self.status.setText(f"{len(rows):,} photos within distance {self.radius.value()}{more}, nearest first.")
        else:
            self.status.setText(f"No photo within distance {self.radius.value()}: widen the distance to see more.")

    def _failed(self, line: str) -> None:
        self.model.set_rows([])
        if self.query and not os.path.exists(self.query):  # e.g. moved to the trash from the Duplicates screen
            line = (f"{printable(os.path.basename(self.query))} is no longer there (moved to the trash or deleted): "
                    f"open another photo, or put it back with Edit → Undo move to trash.")
            self.preview.setPixmap(placeholder(PREVIEW, "gone"))
        self.status.setText(line)


def dropped_file(mime) -> str | None:
    """The first local file of a drop, if any."""
    for url in mime.urls() if mime.hasUrls() else ():
        if url.isLocalFile() and os.path.isfile(url.toLocalFile()):
            return url.toLocalFile()
    return None
