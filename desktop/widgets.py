"""The pieces more than one screen is built from: paths as the screens show them, the placeholder
square, the side-by-side layout, the segmented control (Duplicates' sections, Compare's modes), and the
thumbnail grid that stays smooth on 50,000 photos (a
virtualised view over one list; only the thumbnails on screen are asked for, and they are made off
the UI thread). Here rather than in one of the views, so that no view imports another."""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping, Sequence

import numpy as np
from PySide6.QtCore import (QAbstractListModel, QCoreApplication, QModelIndex, QPointF, QRect, QRectF, QSize, Qt,
                            QTimer, Signal)
from PySide6.QtGui import QColor, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import (QAbstractItemView, QApplication, QButtonGroup, QHBoxLayout, QListView, QPushButton,
                               QSplitter, QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget)

from engine.errors import printable
from engine.units import human_bytes

from .context import AppContext

GRID_THUMB = 160
PathRole = Qt.ItemDataRole.UserRole + 1
BadgeRole = Qt.ItemDataRole.UserRole + 2  # a short text drawn on the thumbnail (the search's distance)
Row = tuple[str, int, int, str, str | None]  # path, size, mtime_ns, caption, badge


def shown_path(path: str | os.PathLike[str]) -> str:
    """A path as the screens show it: inside the home folder as ~/… (shorter, and how a user thinks of it)."""
    path = os.fspath(path)
    home = os.path.expanduser("~").rstrip(os.sep)
    if home and (path == home or path.startswith(home + os.sep)):
        return "~" + path[len(home):]
    return path


def placeholder(size: int, text: str = "") -> QPixmap:
    """The square shown while a thumbnail is made, or for a file that cannot be read (in the
    current palette; painted once per size, text and palette)."""
    return _placeholder(size, text, QApplication.palette().cacheKey())


@functools.lru_cache(maxsize=32)
def _placeholder(size: int, text: str, _palette_key: int) -> QPixmap:
    palette = QApplication.palette()
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    base = palette.color(QPalette.ColorRole.Mid)
    base.setAlpha(70)
    painter.setBrush(base)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawRoundedRect(4, 4, size - 8, size - 8, 8, 8)
    if text:
        painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
        painter.drawText(pixmap.rect(), Qt.AlignmentFlag.AlignCenter, text)
    painter.end()
    return pixmap


def side_by_side(left: QWidget, right: QWidget, sizes: tuple[int, int]) -> QSplitter:
    """The screens' layout: a narrow panel on the left, the photos on the right taking the extra width."""
    split = QSplitter()
    split.addWidget(left)
    split.addWidget(right)
    split.setStretchFactor(1, 3)
    split.setSizes(list(sizes))
    return split


class Segment(QPushButton):
    """One button of :class:`Segments`, painted from the app's palette each time: a style sheet would keep the
    colours of the theme it was set in (a widget with one is not told of a new palette)."""

    RADIUS = 5

    def __init__(self, text: str, first: bool, last: bool, parent=None):
        super().__init__(text, parent)
        self.first, self.last = first, last
        self.setCheckable(True)
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # a click leaves the focus where the screen's keys work

    def sizeHint(self):  # noqa: N802
        """As wide as its text: a push button's style asks for 80 pixels at least, and three segments of that would
        widen the smallest window (the segments share the room there is, whatever their hint)."""
        return QSize(self.fontMetrics().horizontalAdvance(self.text()) + 16, super().sizeHint().height())

    def paintEvent(self, _event):  # noqa: N802
        palette, role = QApplication.palette(), QPalette.ColorRole
        group = QPalette.ColorGroup.Active if self.isEnabled() else QPalette.ColorGroup.Disabled
        on = self.isChecked()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        # rounded only on the outside: the inner corners are drawn past the edge, and cut off there
        shape = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        shape.adjust(0 if self.first else -2 * self.RADIUS, 0, 0 if self.last else 2 * self.RADIUS, 0)
        painter.setClipRect(self.rect())
        painter.setPen(palette.color(group, role.Highlight if on else role.Mid))
        painter.setBrush(palette.color(group, role.Highlight if on else role.Button))
        painter.drawRoundedRect(shape, self.RADIUS, self.RADIUS)
        if not self.first and not on:  # the line between two segments
            painter.drawLine(QPointF(0.5, 0.5), QPointF(0.5, self.height() - 0.5))
        if self.hasFocus():
            painter.setPen(palette.color(group, role.HighlightedText if on else role.Highlight))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(QRectF(self.rect()).adjusted(2.5, 2.5, -2.5, -2.5), 3, 3)
        painter.setPen(palette.color(group, role.HighlightedText if on else role.ButtonText))
        painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextShowMnemonic, self.text())
        painter.end()


class Segments(QWidget):
    """Buttons joined side by side, exactly one of them on (a segmented control): which section or mode a screen
    shows. With the focus on one, the arrow keys move to the next and turn it on (Qt's exclusive button group)."""

    chosen = Signal(int)  # the index of the button turned on

    def __init__(self, labels: list[str], parent=None, *, name: str = ""):
        super().__init__(parent)
        self.group = QButtonGroup(self)
        self.buttons: list[Segment] = []
        if name:
            self.setAccessibleName(name)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        for i, label in enumerate(labels):
            button = Segment(label, i == 0, i == len(labels) - 1)
            self.group.addButton(button, i)
            self.buttons.append(button)
            layout.addWidget(button, 1)
        self.buttons[0].setChecked(True)
        self.group.idClicked.connect(self.chosen.emit)

    def current(self) -> int:
        return self.group.checkedId()

    def set_current(self, index: int) -> None:
        self.buttons[index].setChecked(True)


class ThumbnailModel(QAbstractListModel):
    """Photos as a flat list for a QListView in icon mode; thumbnails are asked for only when painted."""

    def __init__(self, context: AppContext, size: int = GRID_THUMB, parent=None):
        super().__init__(parent)
        self.context = context
        self.size = size
        self.rows: Sequence[Row] = []
        self.position: Mapping[str, int] = {}  # path -> row, for the thumbnails that arrive
        self._arrived: set[int] = set()  # rows whose thumbnail came in since the last repaint
        self._repaint = QTimer(self)
        self._repaint.setSingleShot(True)
        self._repaint.setInterval(30)  # one repaint for all the thumbnails of a frame, not one each
        self._repaint.timeout.connect(self._repaint_arrived)
        context.thumbnails.ready.connect(self._ready)

    def set_rows(self, rows: Sequence[Row], position: Mapping[str, int] | None = None) -> None:
        """Show ``rows``. A screen that keeps its photos in an index of its own passes a view of it as ``rows`` and
        its own ``position`` (path -> row): building both here takes longer than a frame on 100,000 photos."""
        self._arrived.clear()
        self.beginResetModel()
        self.rows = rows
        self.position = {r[0]: i for i, r in enumerate(rows)} if position is None else position
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 (Qt's name)
        return 0 if parent.isValid() else len(self.rows)

    def path_at(self, index: QModelIndex) -> str:
        """The photo's path at ``index``, as the engine knows it."""
        return self.rows[index.row()][0]

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        path, size, mtime_ns, caption, badge = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return caption
        if role == Qt.ItemDataRole.DecorationRole:
            pixmap = self.context.thumbnails.get(path, self.size, (size, mtime_ns))
            if pixmap is False:
                return placeholder(self.size)
            return placeholder(self.size, self.tr("cannot read")) if pixmap is None else pixmap
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{printable(path)}\n{human_bytes(size)}"
        if role == Qt.ItemDataRole.AccessibleTextRole:  # what a screen reader says of a cell: the name, and its badge
            return self.tr("{caption}, {badge}").format(caption=caption, badge=badge) if badge else caption
        if role == PathRole:
            return printable(path)  # for display; the path itself: path_at (a QString would drop non-UTF-8 bytes)
        if role == BadgeRole:
            return badge
        return None

    def _ready(self, path: str, size: int) -> None:
        row = self.position.get(path)
        if row is not None and size == self.size:
            self._arrived.add(row)
            if not self._repaint.isActive():
                self._repaint.start()

    def _repaint_arrived(self) -> None:
        rows = sorted(r for r in self._arrived if r < len(self.rows))
        self._arrived.clear()
        start = 0
        for i in range(1, len(rows) + 1):  # one signal per run of adjacent rows: never a range the view must walk
            if i == len(rows) or rows[i] != rows[i - 1] + 1:
                self.dataChanged.emit(self.index(rows[start]), self.index(rows[i - 1]), [Qt.ItemDataRole.DecorationRole])
                start = i


class ThumbnailDelegate(QStyledItemDelegate):
    """A cell: the thumbnail centred in its box whatever its shape, an optional badge, the caption below. The box is
    square unless the screen fits it to its photos (:func:`fit_grid_to_photos`): a square cell of landscape photos
    is mostly empty band above and below each one."""

    def __init__(self, size: int, parent=None):
        super().__init__(parent)
        self.size = size
        self.box_height = size  # the thumbnail box's height; its width is always ``size``

    def sizeHint(self, option, index) -> QSize:  # noqa: N802
        return QSize(self.size + 16, self.box_height + option.fontMetrics.height() + 20)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = option.palette
        cell = option.rect.adjusted(2, 2, -2, -2)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        if selected or option.state & QStyle.StateFlag.State_MouseOver:
            color = palette.color(QPalette.ColorRole.Highlight)
            color.setAlpha(90 if selected else 35)
            painter.setBrush(color)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.drawRoundedRect(QRectF(cell), 6, 6)
        area = QRect(cell.left() + (cell.width() - self.size) // 2, cell.top() + 6, self.size, self.box_height)
        pixmap = index.data(Qt.ItemDataRole.DecorationRole)
        if isinstance(pixmap, QPixmap) and not pixmap.isNull():
            shown = pixmap.deviceIndependentSize().toSize().scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
            target = QRect(0, 0, shown.width(), shown.height())
            target.moveCenter(area.center())
            painter.drawPixmap(target, pixmap)
            badge = index.data(BadgeRole)
            if badge:
                self._badge(painter, target, badge, palette)
        text_rect = QRect(cell.left() + 4, area.bottom() + 6, cell.width() - 8, option.fontMetrics.height())
        caption = option.fontMetrics.elidedText(index.data(Qt.ItemDataRole.DisplayRole) or "",
                                                Qt.TextElideMode.ElideMiddle, text_rect.width())
        painter.setPen(palette.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text))
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter, caption)
        painter.restore()

    @staticmethod
    def _badge(painter: QPainter, target: QRect, text: str, palette: QPalette) -> None:
        metrics = painter.fontMetrics()
        box = QRect(target.left() + 6, target.top() + 6, metrics.horizontalAdvance(text) + 12, metrics.height() + 4)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 170))
        painter.drawRoundedRect(QRectF(box), 5, 5)
        painter.setPen(QColor("white"))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)


def thumbnail_grid(model: ThumbnailModel, parent=None) -> QListView:
    view = QListView(parent)
    # named for screen readers (a screen names its own grid more closely); each photo is read by its file name
    view.setAccessibleName(QCoreApplication.translate("ThumbnailGrid", "Photos"))
    view.setItemDelegate(ThumbnailDelegate(model.size, view))
    view.setMouseTracking(True)
    view.setViewMode(QListView.ViewMode.IconMode)
    view.setMovement(QListView.Movement.Static)
    view.setResizeMode(QListView.ResizeMode.Adjust)
    view.setUniformItemSizes(True)  # the view lays out 50,000 items without asking each one its size
    view.setLayoutMode(QListView.LayoutMode.Batched)
    view.setBatchSize(2000)
    view.setIconSize(QSize(model.size, model.size))
    view.setGridSize(_grid_size(view, model.size, model.size))
    view.setSpacing(0)
    view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
    view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
    view.verticalScrollBar().setSingleStep(24)
    view.setModel(model)
    return view


def _grid_size(view: QListView, size: int, box_height: int) -> QSize:
    """The cell pitch of a grid: the delegate's cell (box and caption) plus a small gutter."""
    return QSize(size + 20, box_height + view.fontMetrics().height() + 24)


# Thumbnail boxes no flatter than 16:9 (a panorama is shrunk to fit) and no taller than square.
FLATTEST_BOX, TALLEST_BOX = 9 / 16, 1.0


def box_height_for(aspects, size: int = GRID_THUMB) -> int:
    """The box height that fits most of these photos (height / width each) with no band above and below: the
    median photo's, within 16:9 and square. Photos of another shape are shrunk into it; none is cropped."""
    aspects = np.asarray(aspects, dtype=np.float64)
    aspects = aspects[np.isfinite(aspects) & (aspects > 0)]
    if not len(aspects):
        return size
    median = float(np.median(aspects))
    return round(size * min(TALLEST_BOX, max(FLATTEST_BOX, median)))


def fit_grid_to_photos(view: QListView, box_height: int) -> None:
    """Size a thumbnail grid's cells to its photos' shape (see :func:`box_height_for`); a square box is the default."""
    delegate = view.itemDelegate()
    if not isinstance(delegate, ThumbnailDelegate) or delegate.box_height == box_height:
        return
    delegate.box_height = box_height
    view.setGridSize(_grid_size(view, delegate.size, box_height))  # lays the cells out again
