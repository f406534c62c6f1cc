"""Compare two photos: side by side, blinking, with a swipe divider or as their difference, zoomed and panned
together down to the photos' own pixels, with their facts in two columns and the ones that differ marked.

Why it is built this way: a person deciding which copy to keep looks for what a copy lost (detail, a corner,
colour, the camera's metadata), and that shows only when the same spot of both photos is seen at once, at the
same size. So both panes share one zoom and one centre, in the left photo's pixels; the right photo follows by
relative position, so a downscaled copy lines up with its original.

The dialog never waits for a decode: it opens with placeholders, decodes each photo in the thread pool at the
size of the largest pane the screen allows (a JPEG's DCT scaling makes a 24 MP preview cheap), and decodes the full
resolution only when the user zooms past the preview's pixels. Everything decoded stays in memory while the dialog
is open (a caller that keeps the dialog object after closing it keeps that memory: delete it on close).

Keys (also in each control's tooltip): 1 side by side, 2 blink, 3 swipe, 4 difference; B or Space shows the
other photo while blinking, A blinks by itself; F or 0 fits, Z or Ctrl+1 shows the left photo's pixels 1:1
(Z again: back to Fit), + and - (or Ctrl+wheel) zoom, arrows (or a drag, or the wheel) pan, Shift+←/→ moves the
swipe divider; Esc closes."""

from __future__ import annotations

import math
import os
import threading
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageChops
from PySide6.QtCore import QCoreApplication, QObject, QPointF, QRectF, QRunnable, QSize, Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QGuiApplication, QImage, QKeySequence, QPainter, QPalette, QPen, QShortcut
from PySide6.QtWidgets import (QAbstractItemView, QApplication, QDialog, QHBoxLayout, QHeaderView,
                               QLabel, QPushButton, QSizePolicy, QSplitter, QTableWidget, QTableWidgetItem,
                               QToolButton, QVBoxLayout, QWidget)

from engine.catalog import FileRow
from engine.errors import FileError, printable
from engine.images import read_image
from engine.units import human_bytes

from .log import log_error
from .widgets import Segments, shown_path

MODES = ("side", "blink", "swipe", "difference")
SIDE_BY_SIDE, BLINK, SWIPE, DIFFERENCE = MODES
LEFT, RIGHT = 0, 1
PREVIEW, FULL = "preview", "full"
ZOOM_STEP = 1.25  # one key press or one wheel notch
MAX_ZOOM = 16.0  # device pixels per pixel of the left photo: 1600 %
PAN_STEP = 0.1  # an arrow key pans by this share of the pane
ENOUGH = 1.05  # a preview drawn up to this much larger than its pixels still looks sharp: no full decode yet
CRISP_FROM = 2.0  # magnified this much or more, pixels are drawn as squares (what "1:1 pixels" is for)
DIFF_GAIN = 4  # the difference image is amplified so that a re-encode's few levels show
DIFF_THRESHOLD = 16  # a pixel "differs" when a channel is off by more than this (of 255): above re-encoding noise
BLINK_MS = 600
TITLE_BAR = 30  # a window manager's title bar, about: not part of the screen's available height for a pane
BAND_ROWS = 128  # rows copied at a time off the UI thread (a 24 MP photo: 3 MB a band)
DIVIDER_GRAB = 8  # pixels either side of the swipe divider that grab it rather than pan
ROW_KEYS = ("resolution", "size", "format", "captured", "camera", "gps", "folder", "name")


@dataclass(eq=False)
class Picture:
    """One decode of one photo: the pixels to draw, the photo's own size (the pixels may be a reduction of it)
    and its facts as read from the file now."""

    image: QImage  # RGBX8888; the difference reads these pixels too (no second copy of a 24 MP photo)
    width: int  # the photo's full size, oriented
    height: int
    format: str
    size: int  # bytes
    captured_at: str | None
    camera: str | None
    has_gps: bool

    @property
    def scale(self) -> float:
        """Pixels here per pixel of the photo: 1.0 at full resolution."""
        return self.image.width() / self.width


@dataclass(eq=False)
class Difference:
    """The per-pixel difference of the two photos at one resolution, and how much of it there is."""

    image: QImage  # amplified |left - right|, RGBX8888, the size of the left photo's pixels compared
    share: float  # of pixels with a channel off by more than DIFF_THRESHOLD
    largest: int  # the largest difference of any channel, 0..255
    level: str  # PREVIEW or FULL


def _bands(height: int):
    """Rows in bands: a worker holds Python's lock for one band's copy at a time, never for a whole 24 MP photo's
    (the UI thread waits for that lock between its own steps)."""
    for top in range(0, height, BAND_ROWS):
        yield top, min(height, top + BAND_ROWS)


def _qimage(pixels: Image.Image) -> QImage:
    """An RGB image as a QImage of its own, made off the UI thread, band by band. RGBX: Pillow writes the fourth
    byte as 255, what Qt's opaque 32-bit format needs; the QImage is drawn as it is, without a conversion."""
    width, height = pixels.size
    image = QImage(width, height, QImage.Format.Format_RGBX8888)
    if image.isNull():
        raise MemoryError(f"no memory for a {width} × {height} picture")
    stride, bits = image.bytesPerLine(), image.bits()
    for top, bottom in _bands(height):
        band = pixels.crop((0, top, width, bottom)).tobytes("raw", "RGBX")
        bits[top * stride:top * stride + len(band)] = band
    return image


def decode_picture(path: str, min_side: int | None) -> Picture:
    """The photo decoded (at ``min_side`` or a little more, None: full resolution), ready to draw. Raises
    :class:`FileError` with a one-line reason."""
    decoded = read_image(path, min_side=min_side)
    try:
        image = _qimage(decoded.image)
    except MemoryError:
        raise FileError(path, QCoreApplication.translate("CompareView",
                                                         "not enough memory to show this image")) from None
    return Picture(image, decoded.width, decoded.height, decoded.format, decoded.size, decoded.captured_at,
                   decoded.camera, decoded.has_gps)


def _pixels(image: QImage) -> Image.Image:
    """A Pillow view of a QImage's RGBX pixels, sharing its memory (the QImage must outlive it)."""
    return Image.frombuffer("RGBX", (image.width(), image.height()), image.constBits(), "raw", "RGBX",
                            image.bytesPerLine(), 1)


def compute_difference(left: QImage, right: QImage, level: str) -> Difference:
    """|left - right| per channel after scaling ``right`` to ``left``'s size (by relative position, like the
    panes), amplified by DIFF_GAIN so that small differences show; band by band (see :func:`_bands`)."""
    left_pixels, right_pixels = _pixels(left), _pixels(right)
    if right_pixels.size != left_pixels.size:
        right_pixels = right_pixels.resize(left_pixels.size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    width, height = left_pixels.size
    image = QImage(width, height, QImage.Format.Format_RGBX8888)
    if image.isNull():
        raise MemoryError(f"no memory for a {width} × {height} picture")
    stride, bits = image.bytesPerLine(), image.bits()
    gain = [min(255, v * DIFF_GAIN) for v in range(256)] * 3 + [255] * 256  # X stays opaque
    over = largest = 0
    for top, bottom in _bands(height):
        box = (0, top, width, bottom)
        difference = ImageChops.difference(left_pixels.crop(box), right_pixels.crop(box))
        per_pixel = np.asarray(difference)[..., :3].max(axis=2)
        over += int(np.count_nonzero(per_pixel > DIFF_THRESHOLD))
        largest = max(largest, int(per_pixel.max(initial=0)))
        band = difference.point(gain).tobytes()
        bits[top * stride:top * stride + len(band)] = band
    return Difference(image, over / max(1, width * height), largest, level)


class _Relay(QObject):
    """Carries the workers' results to the dialog on the UI thread (queued by Qt)."""

    decoded = Signal(int, str, object)  # side, level, Picture or the error line
    compared = Signal(str, object)  # level, Difference or None (could not be compared)


def _deliver(closed: threading.Event, signal, *values) -> None:
    """Answer unless the dialog closed meanwhile (its relay may be gone with it)."""
    if closed.is_set():
        return
    try:
        signal.emit(*values)
    except RuntimeError:  # deleted between the check and the answer: nobody is left to answer
        pass


class _Decode(QRunnable):
    """Decode one side at one level; an unreadable file answers with its one-line reason, never a traceback."""

    def __init__(self, relay: _Relay, closed: threading.Event, side: int, level: str, path: str,
                 min_side: int | None):
        super().__init__()
        self.relay, self.closed = relay, closed
        self.side, self.level, self.path, self.min_side = side, level, path, min_side

    def run(self) -> None:
        if self.closed.is_set():
            return
        try:
            result: Picture | str = decode_picture(self.path, self.min_side)
        except FileError as exc:
            result = exc.reason
        except Exception as exc:  # noqa: BLE001 - a bug: its traceback to the log, one line on screen
            log_error(exc)
            result = QCoreApplication.translate("CompareView", "cannot decode ({error})").format(
                error=type(exc).__name__)
        _deliver(self.closed, self.relay.decoded, self.side, self.level, result)


class _Compare(QRunnable):
    def __init__(self, relay: _Relay, closed: threading.Event, level: str, left: QImage, right: QImage):
        super().__init__()
        self.relay, self.closed, self.level, self.left, self.right = relay, closed, level, left, right

    def run(self) -> None:
        if self.closed.is_set():
            return
        try:
            result = compute_difference(self.left, self.right, self.level)
        except Exception as exc:  # noqa: BLE001 - e.g. out of memory at full resolution: the preview's stays
            log_error(exc)
            result = None
        _deliver(self.closed, self.relay.compared, self.level, result)


class PhotoPane(QWidget):
    """Where photos are drawn. It holds no state of its own: the dialog says what to draw and where, so that
    every pane shows the same spot; the pane turns the mouse and keys into the dialog's zoom and pan."""

    def __init__(self, view: CompareView, index: int):
        super().__init__(view)
        self.view, self.index = view, index
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(160, 120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.OpenHandCursor)
        self.setMouseTracking(True)  # the cursor over the swipe divider says it can be dragged
        self._drag: QPointF | None = None  # where a pan drag is now
        self._dragging_divider = False

    def paintEvent(self, _event):  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        self.view.paint_pane(self, painter)
        if self.hasFocus():  # where the arrow keys act
            painter.setPen(QPen(self.palette().color(QPalette.ColorRole.Highlight), 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(QRectF(self.rect()).adjusted(1, 1, -1, -1))
        painter.end()

    def resizeEvent(self, event):  # noqa: N802
        super().resizeEvent(event)
        self.view.geometry_changed()

    def focusInEvent(self, event):  # noqa: N802
        super().focusInEvent(event)
        self.update()

    def focusOutEvent(self, event):  # noqa: N802
        super().focusOutEvent(event)
        self.update()

    def _near_divider(self, x: float) -> bool:
        return self.view.mode == SWIPE and abs(x - self.view.swipe_at * self.width()) <= DIVIDER_GRAB

    def mousePressEvent(self, event):  # noqa: N802
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        if event.button() == Qt.MouseButton.LeftButton:
            self._dragging_divider = self._near_divider(event.position().x())
            self._drag = event.position()
            if not self._dragging_divider:
                self.setCursor(Qt.CursorShape.ClosedHandCursor)
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event):  # noqa: N802
        position = event.position()
        if self._drag is not None and event.buttons() & Qt.MouseButton.LeftButton:
            if self._dragging_divider:
                self.view.set_swipe(position.x() / max(1, self.width()))
            else:
                self.view.pan_by(self, position.x() - self._drag.x(), position.y() - self._drag.y())
            self._drag = position
        elif self._drag is None:
            self.setCursor(Qt.CursorShape.SplitHCursor if self._near_divider(position.x())
                           else Qt.CursorShape.OpenHandCursor)
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event):  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self._drag = None
            self._dragging_divider = False
            self.setCursor(Qt.CursorShape.OpenHandCursor)
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event):  # noqa: N802
        """Fit ↔ 1:1 at the point double-clicked, as in most photo viewers."""
        if event.button() == Qt.MouseButton.LeftButton and not self._near_divider(event.position().x()):
            self.view.toggle_actual_pixels(self, event.position())

    def wheelEvent(self, event):  # noqa: N802
        """Ctrl+wheel zooms around the cursor; the wheel alone pans (Shift: sideways), as in an image editor."""
        delta = event.angleDelta()
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            if delta.y():
                self.view.zoom_by(ZOOM_STEP ** (delta.y() / 120), self, event.position())
        else:
            dx, dy = delta.x(), delta.y()
            if event.modifiers() & Qt.KeyboardModifier.ShiftModifier and not dx:
                dx, dy = dy, 0
            self.view.pan_by(self, dx / 2, dy / 2)
        event.accept()

    def keyPressEvent(self, event):  # noqa: N802
        if not self.view.handle_key(event, self):
            super().keyPressEvent(event)


class CompareView(QDialog):
    """Two photos compared (see the module's docstring for why and for the keys).

    ``previews_ready`` is emitted once both photos have a preview on screen or an error in their pane;
    ``full_resolution_ready(side)`` when a side's full resolution arrives; ``difference_ready(level)`` when the
    difference at PREVIEW or FULL resolution is known; ``view_changed`` after every zoom, pan or mode change."""

    previews_ready = Signal()
    full_resolution_ready = Signal(int)
    difference_ready = Signal(str)
    view_changed = Signal()

    def __init__(self, left: FileRow, right: FileRow, parent: QWidget | None = None, *, left_label: str = "",
                 right_label: str = ""):
        super().__init__(parent)
        self.files = (left, right)
        self.labels = (left_label or self.tr("Left"), right_label or self.tr("Right"))
        self.pictures: tuple[dict[str, Picture], dict[str, Picture]] = ({}, {})
        self.errors: list[str | None] = [None, None]  # a side's one line saying it cannot be shown, and why
        self._reasons: list[str] = ["", ""]  # the reason alone
        self.full_errors: list[str | None] = [None, None]  # its full resolution could not be read (its preview stays)
        self.differences: dict[str, Difference] = {}
        self.difference_failed: set[str] = set()
        self._requested: set[tuple[int, str]] = set()  # decodes asked for (each once: the dialog keeps the results)
        self._comparing: set[str] = set()
        self._mode = SIDE_BY_SIDE
        self._fit = True
        self._zoom = 1.0  # dip per pixel of the left photo, when not fitted
        self._centre = QPointF()  # in the left photo's pixels, when not fitted
        self.blink_side = LEFT
        self.swipe_at = 0.5  # the divider, as a share of the pane's width
        self._ready_sent = False
        self._closed = threading.Event()  # workers still queued skip their work, running ones do not answer
        closed = self._closed
        self.destroyed.connect(lambda *_: closed.set())  # deleted with its parent, never closed
        self._relay = _Relay(self)
        self._relay.decoded.connect(self._decoded)
        self._relay.compared.connect(self._compared)
        self.blink_timer = QTimer(self)
        self.blink_timer.setInterval(BLINK_MS)
        self.blink_timer.timeout.connect(self.toggle_blink)

        names = [printable(os.path.basename(f.path)) for f in self.files]
        self.setWindowTitle(self.tr("Compare {left} and {right}").format(left=names[0], right=names[1]))
        self.setAccessibleName(self.tr("Compare two photos"))
        self._build(names)
        self._fill_table()
        self._show_mode()
        available = (self.screen() or QGuiApplication.primaryScreen()).availableGeometry()
        self.resize(min(1500, round(available.width() * 0.9)), min(1000, round(available.height() * 0.9)))
        for side in (LEFT, RIGHT):
            self._request(side, PREVIEW)

    # -- building -------------------------------------------------------------------------------

    def _build(self, names: list[str]) -> None:
        modes = (
            (SIDE_BY_SIDE, self.tr("Side by side"), self.tr("Show the two photos next to each other (1)")),
            (BLINK, self.tr("Blink"), self.tr("Show one photo at a time in the same place; B or Space shows the "
                                              "other (2)")),
            (SWIPE, self.tr("Swipe"), self.tr("One photo left of a divider, the other right of it; drag the "
                                              "divider or press Shift+←/→ (3)")),
            (DIFFERENCE, self.tr("Difference"), self.tr("Show where the photos differ: black is the same, "
                                                        "bright is different, amplified ×{gain} (4)"
                                                        ).format(gain=DIFF_GAIN)))
        # the same segmented control as the Duplicates screen's sections: one look for "exactly one of these"
        self.mode_segments = Segments([text for _mode, text, _tip in modes], name=self.tr("View mode"))
        self.mode_group = self.mode_segments.group
        self.mode_buttons: dict[str, QPushButton] = {}
        for i, (mode, _text, tip) in enumerate(modes):
            button = self.mode_segments.buttons[i]
            self._explain(button, tip, str(i + 1))
            self.mode_buttons[mode] = button
        self.mode_segments.chosen.connect(lambda i: self.set_mode(MODES[i]))

        self.fit_button = self._tool_button(self.tr("Fit"), self.tr("Fit the photos in their panes (F or 0)"),
                                            "F", "0", "Ctrl+0")
        self.fit_button.clicked.connect(self.set_fit)
        self.actual_button = self._tool_button(self.tr("1:1"), self.tr(
            "Show the left photo's pixels one to one, the right photo at the same scale; again: back to Fit "
            "(Z or Ctrl+1)"), "Z", "Ctrl+1")
        self.actual_button.clicked.connect(lambda: self.toggle_actual_pixels())
        self.zoom_out_button = self._tool_button("−", self.tr("Zoom out (- or Ctrl+wheel)"), Qt.Key.Key_Minus,
                                                 QKeySequence.StandardKey.ZoomOut)
        self.zoom_out_button.setAccessibleName(self.tr("Zoom out"))
        self.zoom_out_button.clicked.connect(lambda: self.zoom_by(1 / ZOOM_STEP))
        self.zoom_in_button = self._tool_button("+", self.tr("Zoom in (+ or Ctrl+wheel)"), Qt.Key.Key_Plus,
                                                Qt.Key.Key_Equal, QKeySequence.StandardKey.ZoomIn)
        self.zoom_in_button.setAccessibleName(self.tr("Zoom in"))
        self.zoom_in_button.clicked.connect(lambda: self.zoom_by(ZOOM_STEP))
        self.zoom_label = QLabel()
        self.zoom_label.setMinimumWidth(self.fontMetrics().horizontalAdvance(
            self.tr("Fit ({percent} %)").format(percent=round(MAX_ZOOM * 100))) + 12)
        self.zoom_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.zoom_label.setToolTip(self.tr("The zoom: how large the left photo's pixels are shown"))
        self.zoom_label.setAccessibleName(self.tr("Zoom level"))

        self.other_button = self._tool_button(self.tr("Show other"), self.tr(
            "Show the other photo in the same place (B or Space)"), "B")
        self.other_button.clicked.connect(self.toggle_blink)
        self.auto_button = self._tool_button(self.tr("Auto blink"), self.tr(
            "Switch between the two photos by itself every {ms} ms (A)").format(ms=BLINK_MS), "A")
        self.auto_button.setCheckable(True)
        self.auto_button.toggled.connect(self.set_auto_blink)

        top = QHBoxLayout()
        top.addWidget(self.mode_segments)
        top.addSpacing(16)
        top.addWidget(self.other_button)
        top.addWidget(self.auto_button)
        top.addStretch()
        for widget in (self.fit_button, self.actual_button, self.zoom_out_button, self.zoom_label,
                       self.zoom_in_button):
            top.addWidget(widget)

        self.panes = [PhotoPane(self, LEFT), PhotoPane(self, RIGHT)]
        self.captions = [QLabel(), QLabel()]
        self.columns: list[QWidget] = []  # a pane with its caption: the right one is hidden in one-pane modes
        photos = QWidget()
        columns = QHBoxLayout(photos)
        columns.setContentsMargins(0, 0, 0, 0)
        for pane, caption in zip(self.panes, self.captions):
            caption.setTextFormat(Qt.TextFormat.PlainText)
            caption.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            column = QWidget()
            column_layout = QVBoxLayout(column)
            column_layout.setContentsMargins(0, 0, 0, 0)
            column_layout.addWidget(caption)
            column_layout.addWidget(pane, 1)
            columns.addWidget(column, 1)
            self.columns.append(column)
            pane.setToolTip(self.tr("Drag or use the arrow keys to pan, Ctrl+wheel to zoom, double-click for 1:1"))

        self.table = QTableWidget(len(ROW_KEYS), 2)
        self.table.setAccessibleName(self.tr("The two photos' facts; rows that differ are in bold"))
        self.table.setToolTip(self.tr("Rows in bold differ between the two photos"))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # read cell by cell with the keys (screen readers)
        self.table.setHorizontalHeaderLabels(list(self.labels))
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        rows_height = (self.table.horizontalHeader().sizeHint().height()
                       + len(ROW_KEYS) * self.table.verticalHeader().defaultSectionSize() + 4)
        self.table.setMinimumHeight(min(rows_height, 160))

        self.status = QLabel()
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)
        self.status.setAccessibleName(self.tr("What the view shows"))

        self.close_button = QPushButton(self.tr("Close"))
        self.close_button.setToolTip(self.tr("Close the comparison (Esc)"))
        self.close_button.setAccessibleName(self.tr("Close"))
        self.close_button.setAutoDefault(False)
        self.close_button.clicked.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.close_button)

        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(photos)
        split.addWidget(self.table)
        split.setStretchFactor(0, 1)
        split.setCollapsible(0, False)
        split.setSizes([700, rows_height])
        self.split = split

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(split, 1)
        layout.addLayout(bottom)

        for pane, name, label in zip(self.panes, names, self.labels):
            pane.setAccessibleName(self.tr("{label}: {name}").format(label=label, name=name))
        order = [*self.mode_buttons.values(), self.other_button, self.auto_button, self.fit_button,
                 self.actual_button, self.zoom_out_button, self.zoom_in_button, *self.panes, self.table,
                 self.close_button]
        for first, second in zip(order, order[1:]):
            QWidget.setTabOrder(first, second)
        self.panes[LEFT].setFocus(Qt.FocusReason.OtherFocusReason)

    def _tool_button(self, text: str, tip: str, *keys) -> QToolButton:
        """A button whose keys work from anywhere in the dialog (see :meth:`_explain`)."""
        button = QToolButton()
        button.setText(text)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._explain(button, tip, *keys)
        return button

    def _explain(self, button, tip: str, *keys) -> None:
        """Name and explain ``button`` (its tooltip says its keys) and make each key click it from anywhere in the
        dialog: a QShortcut each, as a button has one shortcut only."""
        button.setToolTip(tip)
        button.setAccessibleName(button.text())
        button.setAccessibleDescription(tip)
        for key in keys:  # "F", a Qt.Key or a standard key
            shortcut = QShortcut(key if isinstance(key, QKeySequence.StandardKey) else QKeySequence(key), self)
            shortcut.activated.connect(button.click)

    # -- decoding -------------------------------------------------------------------------------

    def _preview_side(self, side: int) -> int | None:
        """The shorter side a preview needs to fill the largest pane this dialog can have (maximised, one pane)
        with the photo fitted; None: decode it whole. A pane taller still (the facts' table dragged away) is no
        error: the zoom then asks for the full resolution, as it does when zoomed in."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is None:
            return None
        available = screen.availableGeometry()
        ratio = screen.devicePixelRatio()
        pane_width = available.width() * ratio
        pane_height = max(1, available.height() - self._chrome_height()) * ratio
        f = self.files[side]
        if not f.width or not f.height:
            return math.ceil(min(pane_width, pane_height))
        fitted = min(pane_width / f.width, pane_height / f.height, 1.0)
        return max(1, math.ceil(min(f.width, f.height) * fitted))

    def _chrome_height(self) -> int:
        """How much of the dialog's height is not photo, at least: the bars above and below, a caption, the
        facts' table at its smallest, the layout's gaps and a window title bar."""
        layout = self.layout()
        margins = layout.contentsMargins()
        bars = sum(layout.itemAt(i).sizeHint().height() for i in (0, 2))  # the mode and zoom row; the status row
        return (bars + self.captions[LEFT].sizeHint().height() + self.table.minimumHeight()
                + margins.top() + margins.bottom() + 3 * layout.spacing() + TITLE_BAR)

    def _request(self, side: int, level: str) -> None:
        if (side, level) in self._requested or self._closed.is_set():
            return
        self._requested.add((side, level))
        min_side = self._preview_side(side) if level == PREVIEW else None
        job = _Decode(self._relay, self._closed, side, level, self.files[side].path, min_side)
        QThreadPool.globalInstance().start(job, 2 if level == PREVIEW else 1)  # previews first

    def _decoded(self, side: int, level: str, result) -> None:
        if isinstance(result, Picture):
            self.pictures[side][level] = result
            if level == PREVIEW and result.scale >= 1:  # already whole: nothing more to decode
                self.pictures[side][FULL] = result
                self._requested.add((side, FULL))
        elif level == PREVIEW:
            self._reasons[side] = result
            self.errors[side] = self.tr("Cannot show {name}: {reason}").format(
                name=printable(os.path.basename(self.files[side].path)), reason=result)
            self.panes[side].setAccessibleDescription(self.errors[side])
        else:
            self.full_errors[side] = self.tr("{name}: full resolution not shown: {reason}").format(
                name=printable(os.path.basename(self.files[side].path)), reason=result)
        if level == FULL and isinstance(result, Picture):
            self.full_resolution_ready.emit(side)
        self._fill_table()
        self._compare_when_ready()
        self.geometry_changed()
        if not self._ready_sent and self.previews_loaded:
            self._ready_sent = True
            self.previews_ready.emit()

    def _compare_when_ready(self) -> None:
        """The difference at each level both photos have (the preview's at once, the full one once zoomed in)."""
        for level in (PREVIEW, FULL):
            left, right = self.pictures[LEFT].get(level), self.pictures[RIGHT].get(level)
            if (left is None or right is None or level in self.differences or level in self._comparing
                    or level in self.difference_failed or self._closed.is_set()):
                continue
            if level == FULL and left is self.pictures[LEFT].get(PREVIEW) and right is self.pictures[RIGHT].get(PREVIEW):
                continue  # both previews are whole: the preview's difference is the full one
            self._comparing.add(level)
            QThreadPool.globalInstance().start(_Compare(self._relay, self._closed, level, left.image, right.image), 0)

    def _compared(self, level: str, result: Difference | None) -> None:
        self._comparing.discard(level)
        if result is None:
            self.difference_failed.add(level)
        else:
            self.differences[level] = result
            self.difference_ready.emit(level)
        self._update_status()
        self._repaint()

    @property
    def previews_loaded(self) -> bool:
        """Both sides have a preview on screen or their error in the pane."""
        return all(PREVIEW in self.pictures[s] or self.errors[s] for s in (LEFT, RIGHT))

    def done(self, result: int) -> None:  # noqa: D401 - Qt's name
        """Closed: the workers still queued skip their work."""
        self._closed.set()
        self.blink_timer.stop()
        super().done(result)

    def showEvent(self, event):  # noqa: N802
        """Shown again after a close: ask again for what the close cut short (the rest is still in memory)."""
        super().showEvent(event)
        if self._closed.is_set():
            self._closed.clear()
            self._requested = {(side, level) for side, level in self._requested
                               if level in self.pictures[side] or (level == PREVIEW and self.errors[side])}
            self._comparing.clear()
            for side in (LEFT, RIGHT):
                self._request(side, PREVIEW)
            self._compare_when_ready()
            self.geometry_changed()

    # -- geometry -------------------------------------------------------------------------------

    def photo_size(self, side: int) -> tuple[int, int] | None:
        """The photo's full size, oriented: as decoded, else as the catalog knows it."""
        for level in (PREVIEW, FULL):
            picture = self.pictures[side].get(level)
            if picture is not None:
                return picture.width, picture.height
        f = self.files[side]
        if self.errors[side] is None and f.width and f.height:
            return f.width, f.height
        return None

    def _reference(self) -> tuple[int, int] | None:
        """The size the shared centre and zoom are in: the left photo's, or the right's when the left cannot be
        read."""
        return self.photo_size(LEFT) or self.photo_size(RIGHT)

    def _fit_zoom(self, pane: QWidget) -> float:
        """The zoom at which every photo shown fits in ``pane`` (a taller right photo counts at its height)."""
        ref = self._reference()
        if ref is None:
            return 1.0
        rw, rh = ref
        tallest = rh
        for side in (LEFT, RIGHT):
            size = self.photo_size(side)
            if size:
                tallest = max(tallest, size[1] * rw / size[0])
        return max(1e-4, min(pane.width() / rw, pane.height() / tallest))

    @property
    def fit(self) -> bool:
        return self._fit

    @property
    def zoom(self) -> float:
        """Device-independent pixels per pixel of the left photo, as shown now."""
        return self._fit_zoom(self.panes[0]) if self._fit else self._zoom

    @property
    def centre(self) -> QPointF:
        """The point of the left photo (its pixels) at the centre of every pane."""
        ref = self._reference()
        if self._fit or ref is None:
            return QPointF(ref[0] / 2, ref[1] / 2) if ref else QPointF()
        return QPointF(self._centre)

    @property
    def mode(self) -> str:
        return self._mode

    def _device_ratio(self) -> float:
        return self.panes[0].devicePixelRatioF() or 1.0

    def _placement(self, side: int, pane: QWidget) -> QRectF | None:
        """Where the whole of ``side``'s photo lands in ``pane``: the shared centre by relative position, and the
        shared zoom scaled by the widths, so that the same content lines up however large each photo is."""
        ref, size = self._reference(), self.photo_size(side)
        if ref is None or size is None:
            return None
        (rw, rh), (sw, sh) = ref, size
        scale = self.zoom * rw / sw  # dip per pixel of this photo
        centre = self.centre
        x = pane.width() / 2 - centre.x() / rw * sw * scale
        y = pane.height() / 2 - centre.y() / rh * sh * scale
        return QRectF(x, y, sw * scale, sh * scale)

    def visible_centre(self, side: int) -> QPointF | None:
        """The point of ``side``'s photo (its own pixels) drawn at the centre of the pane it is shown in."""
        pane = self.panes[side if self._mode == SIDE_BY_SIDE else 0]
        target, size = self._placement(side, pane), self.photo_size(side)
        if target is None or size is None:
            return None
        return QPointF((pane.width() / 2 - target.x()) / target.width() * size[0],
                       (pane.height() / 2 - target.y()) / target.height() * size[1])

    def _clamp(self, centre: QPointF, zoom: float) -> QPointF:
        """Keep the photo on screen: along an axis that fits in the pane it stays centred, along one that does not
        its edges stop at the pane's."""
        ref = self._reference()
        if ref is None:
            return centre
        pane = self.panes[0]

        def axis(value: float, length: float, half: float) -> float:
            return length / 2 if 2 * half >= length else min(max(value, half), length - half)

        return QPointF(axis(centre.x(), ref[0], pane.width() / (2 * zoom)),
                       axis(centre.y(), ref[1], pane.height() / (2 * zoom)))

    def _set_view(self, zoom: float, centre: QPointF, snap: bool = True) -> None:
        """Zoom out to Fit or below comes back to Fit (a smaller photo shows nothing more); only 1:1 of a photo
        smaller than its pane goes below it (``snap`` off)."""
        fit, one = self._fit_zoom(self.panes[0]), 1 / self._device_ratio()
        zoom = min(max(zoom, min(fit, one)), MAX_ZOOM * one)
        if snap and zoom <= fit * 1.0001:
            self._fit = True
        else:
            self._fit, self._zoom, self._centre = False, zoom, self._clamp(centre, zoom)
        self.geometry_changed()

    def _point_at(self, pane: QWidget, point: QPointF) -> QPointF:
        """The left photo's point (its pixels) under ``point`` of ``pane``."""
        z, c = self.zoom, self.centre
        return QPointF(c.x() + (point.x() - pane.width() / 2) / z, c.y() + (point.y() - pane.height() / 2) / z)

    def zoom_by(self, factor: float, pane: QWidget | None = None, anchor: QPointF | None = None,
                snap: bool = True) -> None:
        """Zoom keeping the point under ``anchor`` (the cursor) where it is; without one, about the centre."""
        if self._reference() is None:
            return
        pane = pane or self.panes[0]
        anchor = anchor if anchor is not None else QPointF(pane.width() / 2, pane.height() / 2)
        fixed = self._point_at(pane, anchor)
        zoom = self.zoom * factor
        self._set_view(zoom, QPointF(fixed.x() - (anchor.x() - pane.width() / 2) / zoom,
                                     fixed.y() - (anchor.y() - pane.height() / 2) / zoom), snap)

    def set_fit(self) -> None:
        self._fit = True
        self.geometry_changed()

    def set_actual_pixels(self, pane: QWidget | None = None, anchor: QPointF | None = None) -> None:
        """One pixel of the left photo on one pixel of the screen, around ``anchor`` (else the centre)."""
        self.zoom_by(1 / self._device_ratio() / self.zoom, pane, anchor, snap=False)

    @property
    def actual_pixels(self) -> bool:
        """The left photo is shown 1:1."""
        return not self._fit and abs(self._zoom * self._device_ratio() - 1) < 1e-6

    def toggle_actual_pixels(self, pane: QWidget | None = None, anchor: QPointF | None = None) -> None:
        """1:1, or back to Fit when already there (Z and a double-click)."""
        if self.actual_pixels:
            self.set_fit()
        else:
            self.set_actual_pixels(pane, anchor)

    def pan_by(self, pane: QWidget, dx: float, dy: float) -> None:
        """Move the photos by (dx, dy) screen pixels, as a drag would (Fit: nothing to pan)."""
        if self._reference() is None or self._fit:
            return
        c = self._centre
        self._centre = self._clamp(QPointF(c.x() - dx / self._zoom, c.y() - dy / self._zoom), self._zoom)
        self.geometry_changed()

    def set_swipe(self, share: float) -> None:
        self.swipe_at = min(1.0, max(0.0, share))
        self._repaint()
        self.view_changed.emit()

    def geometry_changed(self) -> None:
        """After a zoom, pan or resize: decode what the new zoom needs, redraw, say so."""
        self._ensure_resolution()
        self.zoom_label.setText(self._zoom_text())
        self._repaint()
        self._update_status()
        self.view_changed.emit()

    def _zoom_text(self) -> str:
        percent = round(self.zoom * self._device_ratio() * 100)
        return self.tr("Fit ({percent} %)").format(percent=percent) if self._fit else \
            self.tr("{percent} %").format(percent=percent)

    def _needs_full(self, side: int) -> bool:
        """The preview would be drawn larger than its pixels at the present zoom."""
        preview = self.pictures[side].get(PREVIEW)
        target = self._placement(side, self.panes[0])
        if preview is None or target is None:
            return False
        shown = target.width() * self._device_ratio() / preview.width  # device pixels per pixel of the photo
        return shown > preview.scale * ENOUGH

    def _ensure_resolution(self) -> None:
        """Decode a side's full resolution once the zoom shows its preview larger than its pixels (both sides,
        whatever the mode: in blink and swipe the other photo is one key or one drag away)."""
        for side in (LEFT, RIGHT):
            if self._needs_full(side):
                self._request(side, FULL)

    def shown_picture(self, side: int) -> Picture | None:
        """The full resolution where the zoom needs it and it is there, else the preview (cheaper to draw)."""
        pictures = self.pictures[side]
        if FULL in pictures and (self._needs_full(side) or PREVIEW not in pictures):
            return pictures[FULL]
        return pictures.get(PREVIEW)

    # -- modes ----------------------------------------------------------------------------------

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown compare mode {mode!r}")
        self._mode = mode
        if mode != BLINK:
            self.auto_button.setChecked(False)
        self._show_mode()
        self.geometry_changed()

    def _show_mode(self) -> None:
        self.mode_buttons[self._mode].setChecked(True)
        two = self._mode == SIDE_BY_SIDE
        self.columns[RIGHT].setVisible(two)
        self.other_button.setVisible(self._mode == BLINK)
        self.auto_button.setVisible(self._mode == BLINK)
        if not two and self.panes[RIGHT].hasFocus():
            self.panes[LEFT].setFocus(Qt.FocusReason.OtherFocusReason)
        self.panes[LEFT].setAccessibleName(self._pane_name())
        self._update_status()

    def _pane_name(self) -> str:
        names = [printable(os.path.basename(f.path)) for f in self.files]
        if self._mode == SIDE_BY_SIDE:
            return self.tr("{label}: {name}").format(label=self.labels[LEFT], name=names[LEFT])
        if self._mode == BLINK:
            side = self.blink_side
            return self.tr("Blinking, showing {label}: {name}").format(label=self.labels[side], name=names[side])
        if self._mode == SWIPE:
            return self.tr("Swipe: {left} on the left of the divider, {right} on the right").format(
                left=self.labels[LEFT], right=self.labels[RIGHT])
        return self.tr("Difference of {left} and {right}").format(left=names[LEFT], right=names[RIGHT])

    def toggle_blink(self) -> None:
        """Show the other photo in the blinking pane (from another mode: start blinking)."""
        if self._mode != BLINK:
            self.set_mode(BLINK)
            return
        self.blink_side = 1 - self.blink_side
        self.panes[LEFT].setAccessibleName(self._pane_name())
        self._update_status()
        self._ensure_resolution()
        self._repaint()
        self.view_changed.emit()

    def set_auto_blink(self, on: bool) -> None:
        if on and self._mode != BLINK:
            self.set_mode(BLINK)
        if self.auto_button.isChecked() != on:
            self.auto_button.setChecked(on)
        if on:
            self.blink_timer.start()
        else:
            self.blink_timer.stop()

    # -- keys -----------------------------------------------------------------------------------

    def handle_key(self, event, pane: QWidget | None = None) -> bool:
        """Space, the arrows and Shift+arrows: keys that a focused button or the table keeps for itself, so they
        are not shortcuts; they act when the photo (or nothing that uses them) has the focus."""
        key, modifiers = event.key(), event.modifiers()
        pane = pane or self.panes[0]
        arrows = {Qt.Key.Key_Left: (1, 0), Qt.Key.Key_Right: (-1, 0), Qt.Key.Key_Up: (0, 1), Qt.Key.Key_Down: (0, -1)}
        if key == Qt.Key.Key_Space and not modifiers:
            self.toggle_blink()
            return True
        if key in arrows:
            dx, dy = arrows[key]
            if modifiers & Qt.KeyboardModifier.ShiftModifier and self._mode == SWIPE and dx:
                self.set_swipe(self.swipe_at - dx * 0.05)
            else:
                self.pan_by(pane, dx * pane.width() * PAN_STEP, dy * pane.height() * PAN_STEP)
            return True
        return False

    def keyPressEvent(self, event):  # noqa: N802
        if not self.handle_key(event):
            super().keyPressEvent(event)

    # -- painting -------------------------------------------------------------------------------

    def _repaint(self) -> None:
        for pane in self.panes:
            pane.update()

    def paint_pane(self, pane: PhotoPane, painter: QPainter) -> None:
        palette = pane.palette()
        painter.fillRect(pane.rect(), palette.color(QPalette.ColorRole.Window).darker(115))  # neutral, not white
        full = QRectF(pane.rect())
        if self._mode == SIDE_BY_SIDE:
            self._draw_photo(painter, pane, pane.index, full)
        elif self._mode == BLINK:
            self._draw_photo(painter, pane, self.blink_side, full)
            self._badge(painter, pane, self.labels[self.blink_side], Qt.AlignmentFlag.AlignLeft)
        elif self._mode == SWIPE:
            x = round(self.swipe_at * pane.width())
            self._draw_photo(painter, pane, LEFT, QRectF(0, 0, x, pane.height()))
            self._draw_photo(painter, pane, RIGHT, QRectF(x, 0, pane.width() - x, pane.height()))
            self._divider(painter, pane, x)
            self._badge(painter, pane, "◀ " + self.labels[LEFT], Qt.AlignmentFlag.AlignLeft)
            self._badge(painter, pane, self.labels[RIGHT] + " ▶", Qt.AlignmentFlag.AlignRight)
        else:
            self._draw_difference(painter, pane)

    def _draw_photo(self, painter: QPainter, pane: PhotoPane, side: int, clip: QRectF) -> None:
        if clip.width() <= 0:
            return
        if self.errors[side]:
            self._message(painter, clip, self.errors[side], error=True)
            return
        picture, target = self.shown_picture(side), self._placement(side, pane)
        if picture is None or target is None:
            self._message(painter, clip, self.tr("Loading {name}…").format(
                name=printable(os.path.basename(self.files[side].path))))
            return
        self._draw_image(painter, picture.image, target, clip)

    def _draw_image(self, painter: QPainter, image: QImage, target: QRectF, clip: QRectF) -> None:
        """Only the part of ``image`` that shows: a 24 MP photo at 1:1 costs what the pane's pixels cost."""
        visible = target.intersected(clip)
        if visible.isEmpty():
            return
        sx, sy = image.width() / target.width(), image.height() / target.height()
        source = QRectF((visible.x() - target.x()) * sx, (visible.y() - target.y()) * sy,
                        visible.width() * sx, visible.height() * sy)
        device_per_pixel = target.width() * self._device_ratio() / image.width()
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, device_per_pixel < CRISP_FROM)
        painter.drawImage(visible, image, source)

    def _draw_difference(self, painter: QPainter, pane: PhotoPane) -> None:
        full = QRectF(pane.rect())
        broken = [s for s in (LEFT, RIGHT) if self.errors[s]]
        if broken:
            side = broken[0]
            self._message(painter, full, self.tr("Cannot compare: {name} cannot be read ({reason})").format(
                name=printable(os.path.basename(self.files[side].path)), reason=self._reasons[side]), error=True)
            return
        difference = self.difference()
        target = self._placement(LEFT, pane)
        if difference is None or target is None:
            self._message(painter, full, self.tr("Comparing…"))
            return
        self._draw_image(painter, difference.image, target, full)

    def difference(self) -> Difference | None:
        """The difference shown: at full resolution where the zoom needs it and it is known, else the preview's."""
        if FULL in self.differences and (self._needs_full(LEFT) or self._needs_full(RIGHT)
                                         or PREVIEW not in self.differences):
            return self.differences[FULL]
        return self.differences.get(PREVIEW)

    def _message(self, painter: QPainter, area: QRectF, text: str, error: bool = False) -> None:
        palette = QApplication.palette()
        painter.save()
        painter.setPen(palette.color(QPalette.ColorRole.Text if error else QPalette.ColorRole.PlaceholderText))
        if error:
            font = QFont(painter.font())
            font.setBold(True)
            painter.setFont(font)
        painter.drawText(area.adjusted(12, 12, -12, -12),
                         Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, text)
        painter.restore()

    def _divider(self, painter: QPainter, pane: PhotoPane, x: int) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(0, 0, 0, 140), 3))
        painter.drawLine(QPointF(x, 0), QPointF(x, pane.height()))
        painter.setPen(QPen(QColor("white"), 1))
        painter.drawLine(QPointF(x, 0), QPointF(x, pane.height()))
        handle = QRectF(x - 11, pane.height() / 2 - 11, 22, 22)
        painter.setBrush(QColor("white"))
        painter.setPen(QPen(QColor(0, 0, 0, 160), 1))
        painter.drawEllipse(handle)
        painter.setPen(QColor("black"))
        painter.drawText(handle, Qt.AlignmentFlag.AlignCenter, "⇔")
        painter.restore()

    def _badge(self, painter: QPainter, pane: PhotoPane, text: str, side: Qt.AlignmentFlag) -> None:
        """Which photo is where, on the photo itself: in blink and swipe the eye stays there."""
        painter.save()
        metrics = painter.fontMetrics()
        text = metrics.elidedText(text, Qt.TextElideMode.ElideMiddle, max(40, pane.width() // 2 - 24))
        box = QRectF(0, 8, metrics.horizontalAdvance(text) + 14, metrics.height() + 6)
        box.moveLeft(8 if side == Qt.AlignmentFlag.AlignLeft else pane.width() - box.width() - 8)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 170))
        painter.drawRoundedRect(box, 5, 5)
        painter.setPen(QColor("white"))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()

    # -- words ----------------------------------------------------------------------------------

    def _update_status(self) -> None:
        names = [printable(os.path.basename(f.path)) for f in self.files]
        for side, caption in enumerate(self.captions):
            caption.setText(self.tr("{label}: {name}").format(label=self.labels[side], name=names[side]))
            caption.setToolTip(printable(self.files[side].path))
        if self._mode == BLINK:
            self.captions[LEFT].setText(self.tr("Showing {label}: {name} (B or Space: the other)").format(
                label=self.labels[self.blink_side], name=names[self.blink_side]))
            self.captions[LEFT].setToolTip(printable(self.files[self.blink_side].path))
        elif self._mode == SWIPE:
            self.captions[LEFT].setText(self.tr("Left of the divider: {left} · right of it: {right}").format(
                left=f"{self.labels[LEFT]} ({names[LEFT]})", right=f"{self.labels[RIGHT]} ({names[RIGHT]})"))
        elif self._mode == DIFFERENCE:
            self.captions[LEFT].setText(self.tr("Difference of {left} and {right}, amplified ×{gain}").format(
                left=names[LEFT], right=names[RIGHT], gain=DIFF_GAIN))
        lines = [error for error in self.errors if error]
        lines += [error for error in self.full_errors if error]
        if self._mode == DIFFERENCE and not any(self.errors):
            lines.insert(0, self.difference_line())
        self.status.setText("\n".join(lines))

    def difference_line(self) -> str:
        """How much differs, in one line: what the Difference mode says under the photos."""
        difference = self.difference()
        if difference is None:
            return self.tr("Comparing the photos…")
        size = f"{difference.image.width()} × {difference.image.height()}"
        if difference.largest == 0:
            return self.tr("The pixels are identical (compared at {size}).").format(size=size)
        return self.tr("{share} of the pixels differ by more than {threshold} levels of 255; the largest "
                       "difference is {largest} (compared at {size}).").format(
            share=_percent(difference.share), threshold=DIFF_THRESHOLD, largest=difference.largest, size=size)

    def _facts(self, side: int) -> dict[str, tuple[object, str]]:
        """Each row's value (what is compared) and its text. From the file as decoded now where it has been,
        else from the catalog's row; None where neither knows."""
        f = self.files[side]
        decoded = self.pictures[side].get(PREVIEW) or self.pictures[side].get(FULL)
        unknown = self.tr("unknown")
        width, height = (decoded.width, decoded.height) if decoded else (f.width, f.height)
        size = decoded.size if decoded else f.size
        fmt = decoded.format if decoded else f.format
        # None from a catalog row that was read means "none recorded"; from one never read (or not yet), unknown
        read = decoded is not None or (not self.errors[side] and bool(f.width))
        captured = decoded.captured_at if decoded else f.captured_at
        camera = decoded.camera if decoded else f.camera  # the catalog's None may also be a scan from before cameras
        gps = decoded.has_gps if decoded else f.has_gps
        folder = printable(shown_path(os.path.dirname(f.path)))
        name = printable(os.path.basename(f.path))
        return {
            "resolution": ((width, height) if width and height else None, self.tr("{w} × {h} ({mp} MP)").format(
                w=width, h=height, mp=f"{width * height / 1e6:.1f}") if width and height else unknown),
            "size": (size, human_bytes(size) if size is not None else unknown),
            "format": (fmt, fmt or unknown),
            "captured": (captured or ("" if read else None),
                         captured.replace("T", " ") if captured else self.tr("none recorded") if read else unknown),
            "camera": (camera or ("" if decoded else None),
                       camera or (self.tr("none recorded") if decoded else unknown)),
            "gps": (gps, unknown if gps is None else self.tr("yes") if gps else self.tr("no")),
            "folder": (folder, folder),
            "name": (name, name),
        }

    def _row_titles(self) -> dict[str, str]:
        return {"resolution": self.tr("Resolution"), "size": self.tr("File size"), "format": self.tr("Format"),
                "captured": self.tr("Capture date"), "camera": self.tr("Camera"), "gps": self.tr("GPS position"),
                "folder": self.tr("Folder"), "name": self.tr("File name")}

    def differing_rows(self) -> list[str]:
        """The rows whose values differ, by key (ROW_KEYS): both sides known and unequal."""
        left, right = self._facts(LEFT), self._facts(RIGHT)
        return [key for key in ROW_KEYS
                if left[key][0] is not None and right[key][0] is not None and left[key][0] != right[key][0]]

    def _fill_table(self) -> None:
        facts = (self._facts(LEFT), self._facts(RIGHT))
        differing = set(self.differing_rows())
        titles = self._row_titles()
        tint = QApplication.palette().color(QPalette.ColorRole.Highlight)
        tint.setAlpha(70)  # over the table's base colour: readable in light and dark themes alike
        for row, key in enumerate(ROW_KEYS):
            differs = key in differing
            texts = [facts[LEFT][key][1], facts[RIGHT][key][1]]
            if key == "size" and differs and texts[0] == texts[1]:  # rounded alike: show the bytes that differ
                texts = [self.tr("{n} bytes").format(n=f"{facts[s][key][0]:,}") for s in (LEFT, RIGHT)]
            header = QTableWidgetItem(("≠ " if differs else "") + titles[key])
            header.setToolTip(self.tr("Differs between the two photos") if differs else
                              self.tr("The same for both photos"))
            self.table.setVerticalHeaderItem(row, header)
            for column, text in enumerate(texts):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                item.setData(Qt.ItemDataRole.AccessibleTextRole,
                             self.tr("{title}, {label}: {value}, differs").format(
                                 title=titles[key], label=self.labels[column], value=text) if differs else
                             self.tr("{title}, {label}: {value}").format(
                                 title=titles[key], label=self.labels[column], value=text))
                if differs:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                    item.setBackground(tint)
                self.table.setItem(row, column, item)

    def changeEvent(self, event):  # noqa: N802
        """A new theme: the highlight of the differing rows is made again from the new palette."""
        super().changeEvent(event)
        if event.type() in (event.Type.PaletteChange, event.Type.ApplicationPaletteChange) and hasattr(self, "table"):
            self._fill_table()

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(1200, 850)


def _percent(share: float) -> str:
    """A share as people read it: small shares keep a digit that says they are not zero."""
    if share == 0:
        number = "0"
    elif share < 0.001:
        return QCoreApplication.translate("CompareView", "< 0.1 %")
    else:
        number = f"{share * 100:.1f}" if share < 0.1 else f"{share * 100:.0f}"
    return QCoreApplication.translate("CompareView", "{percent} %").format(percent=number)
