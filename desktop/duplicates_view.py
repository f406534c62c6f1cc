"""Duplicates: the engine's groups at a radius the user slides from "identical" to "similar", each
group side by side with what a person needs to choose (resolution, size, date, format, folder,
distance), the engine's suggested keeper (changeable) and why it was chosen, and trash with undo.
Nothing is deleted: files go to the system trash through :mod:`engine.trash`, which journals every move.

Precision before recall: only duplicates are marked for the trash by default. Above the duplicate
radius (towards "similar") nothing is pre-marked: the marks there are the user's own. Series (bursts and
re-takes: the same scene shot moments apart) are a section of their own, and nothing in them is ever marked
for the user: which shot is best is theirs to say. So are similar photos (the same subject, the same scene), grouped
by the model's similarity code where it has one, with the slider on that code: for browsing, nothing marked. Videos
are a section of their own too (engine.duplicates.video_duplicates: re-encoded, resized and trimmed copies, found by
their frames, never with a photo): each card shows a strip of frames across the clip, and the copies are marked as in
Copies."""

from __future__ import annotations

import gc
import os
import threading
from dataclasses import dataclass, field
from html import escape

from PySide6.QtCore import (QT_TRANSLATE_NOOP, QCoreApplication, QEvent, QModelIndex, QObject, QSize, Qt, QTimer,
                            Signal)
from PySide6.QtGui import QKeySequence, QPalette, QShortcut
from PySide6.QtWidgets import (QApplication, QCheckBox, QFrame, QHBoxLayout, QLabel, QMessageBox, QPushButton,
                               QRadioButton, QScrollArea, QSlider, QVBoxLayout, QWidget)

from engine.catalog import Catalog
from engine.catalog_models import model_row_id
from engine.errors import printable
from engine.units import alike_percent, human_bytes
from engine.verification import Verifier
from engine.bulk import carry_pair, group_id
from engine.duplicates import (Group, Member, keeper_distances, model_groups, similar_groups,
                               verified_groups, video_duplicates)
from engine.keeper_metadata import carry_preview
from engine.trash import TrashResult, last_batch, trash_files, undo

from .compare_view import CompareView
from .context import AppContext
from .flow_layout import FlowLayout
from .groups_table import GroupsTable, PositionRole, short_folder
from .log import log_line
from .preferences import STRICTNESS_TEXT
from .thumbnails import STRIP_FRAMES
from .widgets import Segments, placeholder, side_by_side
from .workers import MODEL_UNUSABLE, Latest, release_elsewhere, run_task

REVIEW_THUMB = 280  # three photos side by side in a 1280-pixel window
STRIP_WIDTH = 2 * REVIEW_THUMB  # a video card's strip of frames: as wide as two photo cards
STRIP_SIDE = (STRIP_WIDTH - 4 * (STRIP_FRAMES - 1)) // STRIP_FRAMES  # each frame of it fits in this square
SNAP = 0.03  # a slider released this close to the duplicate radius (share of its range, at least 1) lands on it
# Marked for translation where they are defined (QT_TRANSLATE_NOOP), translated where they are shown
SLIDER_TIP = QT_TRANSLATE_NOOP("DuplicatesView", "How alike photos must be to be grouped: left, only the closest; "
                               "right, look-alikes too (nothing marked there). Double-click: back to copies")
SIMILAR_TIP = QT_TRANSLATE_NOOP("DuplicatesView", "How alike photos must be to be grouped as similar. Double-click: "
                                "back to Copies")
SECTIONS = ("copies", "series", "similar", "videos")  # the screen's sections, in the order of their buttons
COPIES, SERIES, SIMILAR, VIDEOS = SECTIONS


@dataclass
class Choice:
    """The user's decision for one group: which photo stays and which go (defaults: the engine's)."""

    group: Group
    keep: int = 0  # file id
    remove: set[int] = field(default_factory=set)
    touched: bool = False  # the user changed the keeper or a mark: the marks are theirs, kept across refreshes

    @classmethod
    def default(cls, group: Group, premark: bool = True) -> "Choice":
        """The engine's keeper, and its duplicates marked (none when ``premark`` is off: above the duplicate
        radius nothing is marked for the user). A similar photo is never marked."""
        return cls(group, group.keeper.file.id, {m.file.id for m in group.removable} if premark else set())

    def keep_this(self, member: Member) -> None:
        """Keep ``member``. Kept a copy of the engine's keeper (or the keeper): the other copies are marked; a photo
        only similar to them never is (only by hand). Kept a similar photo, or a shot of a series: the others are
        not its copies, so no new marks (and the user's own stay)."""
        self.touched = True
        self.keep = member.file.id
        if member.similar or self.group.kind == "series":
            self.remove.discard(member.file.id)
            return
        self.remove = {m.file.id for m in self.group.members
                       if m.file.id != self.keep and not m.protected and not m.similar and not m.unchecked}

    def toggle(self, member: Member) -> None:
        if member.protected or member.file.id == self.keep:
            return
        self.touched = True
        self.remove ^= {member.file.id}

    @property
    def similar_marked(self) -> int:
        """How many of the marked photos are only similar to the engine's keeper (marked by hand)."""
        return sum(1 for m in self.group.members if m.similar and m.file.id in self.remove)

    @property
    def paths(self) -> list[str]:
        return [m.file.path for m in self.group.members if m.file.id in self.remove]

    @property
    def bytes(self) -> int:
        return sum(m.bytes for m in self.group.members if m.file.id in self.remove)


@dataclass(frozen=True)
class Answer:
    """What :func:`_groups` found, with the question it answers (it may come after the screen moved on)."""

    groups: list[Group]
    pending: int | None  # the trash batch an undo would restore (None: nothing to undo)
    radius: int  # on the duplicate code, or in Similar on the code it groups by
    duplicate: int
    section: str  # COPIES, SERIES, SIMILAR or VIDEOS
    stopped: bool  # reading was cancelled: some pairs were not checked (grouped by their hash, never marked)
    code: str = ""  # Similar: the code the groups are by, as the summary names it (Advanced)
    bits: int = 0  # the length of the code the members' distances are on
    alike: dict[int, int] = field(default_factory=dict)  # Similar: each member's likeness to its keeper, in per cent
    defaults: list[Choice] = field(default_factory=list)  # the engine's decision on each group (made in the worker)
    freed: list[int] = field(default_factory=list)  # the bytes each default decision frees
    marked: int = 0  # the photos the default decisions mark
    durations: dict[int, float] = field(default_factory=dict)  # Videos: each video's length in seconds, by file id


def _groups(catalog: Catalog, model, radius: int, references: list[str], rules, duplicate: int,
            progress=None, cancel: threading.Event | None = None, section: str = COPIES,
            strictness: str = "normal") -> Answer:
    """The groups at ``radius`` (``duplicate``: the duplicate radius, the user's where set), the series, or the
    similar photos (``radius`` on the code :func:`similar_groups` groups by). ``progress(done, total)``: photos read
    for verification; ``cancel``: stop reading them (the user, or a newer question). Series come from verification
    only: at another radius there are none to ask for. ``strictness``: what counts as a copy (engine.duplicates).
    Videos: copies of videos by their frames (engine.videos, at the model's own duplicate radius), with their lengths."""
    code, bits, alike, durations = "", model.info.bits, {}, {}
    if section == VIDEOS:  # no radius to choose: frames match in order or not
        groups = video_duplicates(catalog, model, reference_folders=references, keeper_rules=rules)
        if groups:
            stored = catalog.video_codes(model_row_id(catalog, model))
            durations = {m.file.id: stored[m.file.id].duration for g in groups for m in g.members
                         if m.file.id in stored}
        radius = duplicate
    elif section == SIMILAR:  # photos like each other: no verification, no copies but exact ones
        groups = similar_groups(catalog, model, radius, reference_folders=references, keeper_rules=rules)
        info = model.info
        # translated in the worker thread: Qt's translators are safe to read from any thread
        code = (QCoreApplication.translate("DuplicatesView", "the similarity code, {method} {bits} bits").format(
            method=info.similar_method.upper(), bits=info.similar_bits) if info.similar_bits
            else QCoreApplication.translate("DuplicatesView", "the model's one code, {bits} bits").format(
                bits=info.bits))
        bits = info.similar_bits or info.bits
        # how alike they look, on the model's own code: on the similarity code two trucks can be "100 %" alike
        alike = {f: alike_percent(d, info.bits) for f, d in keeper_distances(catalog, model, groups).items()}
    elif radius == duplicate:  # what the app calls duplicates: verified copies (engine.verify)
        groups = verified_groups(catalog, model, duplicate_radius=duplicate, reference_folders=references,
                                 keeper_rules=rules, verifier=Verifier(catalog, progress=progress, cancel=cancel),
                                 series=section == SERIES, strictness=strictness)
    else:
        section = COPIES
        groups = model_groups(catalog, model, radius, duplicate_radius=duplicate, reference_folders=references,
                              keeper_rules=rules)
    # a series or similar photos: never marked for the user; copies of videos are, as copies of photos
    premark = (radius <= duplicate and section == COPIES) or section == VIDEOS
    defaults = [Choice.default(g, premark) for g in groups]  # 10,000 of them would hold the UI thread ~30 ms
    return Answer(groups, last_batch(catalog), radius, duplicate, section, bool(cancel and cancel.is_set()), code,
                  bits, alike, defaults, [c.bytes for c in defaults],  # the table's order and the totals (~40 ms)
                  sum(len(c.remove) for c in defaults), durations)


def _trash(catalog: Catalog, choices: list[tuple[list[str], Group]], carry: list[tuple[str, list[str]]]
           ) -> TrashResult:
    """Several groups' marked files as one batch: one undo brings them all back (and the metadata carried to the
    photos kept: ``carry``, engine.bulk.carry_pair)."""
    return trash_files(catalog, [p for paths, _ in choices for p in paths], groups=[g for _, g in choices],
                       carry=carry)


def _carry_words(catalog: Catalog, keeper: str, copies: list[str]) -> tuple[str, str]:
    """What ``keeper`` would keep from ``copies``, in words ("" for nothing), read in a worker."""
    fields = carry_preview(keeper, copies)
    return keeper, fields.words() if fields else ""


class _Reading(QObject):
    """Carries a worker thread's progress in reading photos for verification to the screen (queued by Qt)."""

    read = Signal(int, int)


class PhotoCard(QFrame):
    """One photo of a group, large enough to judge, with its facts and the keep/remove controls. A video's card
    (``video``) shows a strip of frames across the clip instead, twice as wide, with its length (``duration``)."""

    chosen = Signal(object)  # Member: keep this
    toggled = Signal(object)  # Member: mark / unmark for removal

    def __init__(self, context: AppContext, member: Member, image_height: int = REVIEW_THUMB, reason: str = "",
                 series: bool = False, alike: int = 0, parent=None, *, video: bool = False,
                 duration: float | None = None):
        super().__init__(parent)
        self.context, self.member, self.video = context, member, video
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.role = ""
        f = member.file
        self.store = context.strips if video else context.thumbnails  # what the picture is made by, off this thread
        self.side = STRIP_SIDE if video else REVIEW_THUMB
        width = STRIP_WIDTH if video else REVIEW_THUMB
        self.image = QLabel()
        self.image.setFixedSize(width, image_height)
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._show_thumbnail()
        self.store.ready.connect(self._ready)
        name = QLabel(f"<b>{escape(printable(os.path.basename(f.path)))}</b>")
        name.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        name.setToolTip(printable(f.path))
        facts = [f"{f.width} × {f.height}" if f.width else self.tr("size unknown"), human_bytes(f.size),
                 f.format or "?"]
        if video:
            facts.insert(0, _clock(duration) if duration else self.tr("length unknown"))
        alike = self.tr("{percent} % alike").format(percent=alike)  # ``alike``: in per cent, from the screen
        if context.prefs.show_distances and member.distance >= 0:
            alike += self.tr(" (distance {distance})").format(distance=member.distance)
        distance = (self.tr("suggested keeper") if member.keep else
                    self.tr("exact copy (same bytes)") if member.exact else
                    escape(member.reason) if video else  # "resized copy: 320×240 and 160×120", "trimmed: …"
                    self.tr("series: {reason}").format(reason=escape(member.reason)) if series else
                    self.tr("<span style='color:#b9770e'>only similar</span>: {alike}").format(alike=alike)
                    if member.similar else
                    f"<span style='color:#b9770e'>{escape(member.reason)}</span>" if member.unchecked else
                    self.tr("copy: {reason}").format(reason=escape(member.reason)) if member.verdict is not None else
                    self.tr("copy by its hash, not checked: {alike}").format(alike=alike))
        stacked = [self.tr("with {name} ({format}, {size})").format(
            name=escape(printable(os.path.basename(other.path))), format=escape(other.format or "?"),
            size=human_bytes(other.size)) for other in member.stack]  # its RAW: shown, and moved with it
        details = QLabel("<br>".join([
            " · ".join(facts),
            *stacked,
            *([] if video else  # a scan reads no capture date from a video
              [escape(f.captured_at.replace("T", " ")[:19]) if f.captured_at else self.tr("no capture date")]),
            f"<span style='color:gray'>{escape(printable(short_folder(f.path, 48)))}</span>",
            distance,
        ]))
        details.setToolTip(printable(os.path.dirname(f.path)))
        details.setWordWrap(True)  # a copy's reason may be longer than the card is wide
        details.setMaximumWidth(width)
        self.details = details
        # why the engine suggests this photo (the keeper rules), beside it
        self.reason = QLabel(self.tr("Kept for: {reason}").format(reason=escape(reason)) if member.keep and reason
                             else "", self)
        self.reason.setWordWrap(True)
        self.reason.setMaximumWidth(width)
        self.reason.setHidden(not self.reason.text())
        self.carry = QLabel("", self)  # what it would keep from the copies marked (engine.keeper_metadata)
        self.carry.setWordWrap(True)
        self.carry.setMaximumWidth(width)
        self.carry.setToolTip(self.tr("Written to its .xmp sidecar when the copies go to the trash; the photo itself "
                                      "is not changed, and Undo takes it back"))
        self.carry.hide()
        if series:
            self.setToolTip(self.tr("Another shot of the same scene, not a copy: never marked for you"))
        elif member.similar:
            self.setToolTip(self.tr("Only similar to the suggested keeper, not a copy of it: never marked for you"))
        self.keep = QRadioButton(self.tr("Keep this"))
        self.keep.setToolTip(self.tr("Keep this shot; the others stay as they are (K or Enter)") if series else
                             self.tr("Keep this video; its copies in the group are marked for the trash (K or Enter)")
                             if video else
                             self.tr("Keep this photo; its copies in the group are marked for the trash (K or Enter)"))
        self.keep.clicked.connect(lambda: self.chosen.emit(self.member))
        self.remove = QCheckBox(self.tr("Move to trash"))
        self.remove.setToolTip(self.tr("Mark or unmark this video (Space)") if video else
                               self.tr("Mark or unmark this photo (Space)"))
        self.remove.clicked.connect(lambda: self.toggled.emit(self.member))
        self.badge = QLabel("")
        if member.protected:
            self.badge.setText(self.tr("🔒 reference folder"))
            self.remove.setEnabled(False)
        controls = QHBoxLayout()
        controls.addWidget(self.keep)
        controls.addWidget(self.remove)
        controls.addStretch()
        layout = QVBoxLayout(self)
        layout.addWidget(self.image)
        layout.addWidget(name)
        layout.addWidget(details)
        layout.addWidget(self.reason)
        layout.addWidget(self.carry)
        layout.addWidget(self.badge)
        layout.addLayout(controls)

    def _show_thumbnail(self) -> None:
        """The photo's thumbnail, or the video's strip of frames; a placeholder while it is made."""
        f = self.member.file
        pixmap = self.store.get(f.path, self.side, (f.size, f.mtime_ns))
        if pixmap is False:
            pixmap = placeholder(min(self.side, self.image.height()), self.tr("loading…"))
        elif pixmap is None:
            pixmap = placeholder(min(self.side, self.image.height()), self.tr("cannot read"))
        self.image.setPixmap(pixmap)

    def _ready(self, path: str, size: int) -> None:
        if path == self.member.file.path and size == self.side:
            self._show_thumbnail()

    def show_choice(self, choice: Choice) -> None:
        keep = choice.keep == self.member.file.id
        self.keep.setChecked(keep)
        self.remove.setChecked(self.member.file.id in choice.remove)
        self.remove.setEnabled(not keep and not self.member.protected)
        self.role = "keep" if keep else ("trash" if self.member.file.id in choice.remove else "")
        self._restyle()

    def _restyle(self) -> None:
        """Green frame: kept; red: goes to the trash; a tinted background: the photo the keys act on."""
        border = {"keep": "#2e8b57", "trash": "#c0392b"}.get(self.role, "palette(mid)")
        tint = self.palette().color(QPalette.ColorRole.Highlight)
        dark = self.palette().color(QPalette.ColorRole.Window).lightness() < 128
        alpha = 110 if dark else 45  # a faint tint vanishes on a dark window
        background = f"rgba({tint.red()}, {tint.green()}, {tint.blue()}, {alpha})" if self.hasFocus() else "transparent"
        width = 3 if self.role else 1
        self.setStyleSheet(f"PhotoCard {{ border: {width}px solid {border}; border-radius: 8px; "
                           f"background: {background}; }}")

    def focusInEvent(self, event):  # noqa: N802
        super().focusInEvent(event)
        self._restyle()

    def focusOutEvent(self, event):  # noqa: N802
        super().focusOutEvent(event)
        self._restyle()

    def mousePressEvent(self, event):  # noqa: N802
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        super().mousePressEvent(event)


def _shown_height(width: int | None, height: int | None, side: int = REVIEW_THUMB) -> int:
    """How tall a photo (or a video's frame) is once fitted in a ``side`` square: landscape ones need less."""
    if not width or not height:
        return side
    return min(side, max(side // 3, round(side * height / width)))


def _clock(seconds: float) -> str:
    """A video's length as players show it: 0:06, 12:40, 1:02:03."""
    minutes, second = divmod(max(1, round(seconds)), 60)
    hours, minute = divmod(minutes, 60)
    return f"{hours}:{minute:02d}:{second:02d}" if hours else f"{minute}:{second:02d}"


def _count(n: int, one: str, many: str) -> str:
    """``n`` things in words: ``one`` or ``many``, translated literals with a ``{count}`` placeholder (a language
    with other plural forms says them in its translation's words)."""
    return (one if n == 1 else many).format(count=f"{n:,}")


class _TableRows(QObject):
    """The groups table's current row as a position in the screen's own lists (``choices``), with the row-based
    API the screen, its tests and its screenshots use; moving up and down follows the table's sorted, filtered order."""

    currentRowChanged = Signal(int)  # noqa: N815 (Qt's naming)

    def __init__(self, table: GroupsTable):
        super().__init__(table)
        self.table = table
        table.view.selectionModel().currentRowChanged.connect(self._current_changed)

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.currentRowChanged.emit(current.data(PositionRole) if current.isValid() else -1)

    def currentRow(self) -> int:  # noqa: N802
        current = self.table.view.currentIndex()
        return current.data(PositionRole) if current.isValid() else -1

    def setCurrentRow(self, position: int) -> None:  # noqa: N802
        self.table.select_position(position)

    def step(self, delta: int) -> None:
        """The next (or previous) row as the table shows them."""
        rows = self.table.filter.rowCount()
        if rows:
            row = max(0, min(rows - 1, self.table.view.currentIndex().row() + delta))
            self.table.view.setCurrentIndex(self.table.filter.index(row, 0))


class DuplicatesView(QWidget):
    def __init__(self, context: AppContext, parent=None):
        super().__init__(parent)
        self.context = context
        self.groups: list[Group] = []
        self.choices: list[Choice] = []
        self.cards: list[PhotoCard] = []
        self.busy = False
        self.asked: set[str] = set()  # the photos of the move in hand (the files that go with them are not asked)
        self.asked_videos = False  # the move in hand is of videos
        self.shown_radius = self.shown_duplicate = 0  # the radius of the groups shown, and the duplicate radius then
        self.shown_section = COPIES  # the section the groups shown are for
        self.shown_code = ""  # Similar: the code its groups are by
        self.shown_bits = 0  # the length of the code the shown members' distances are on
        self.shown_alike: dict[int, int] = {}  # Similar: each member's likeness to its keeper, in per cent
        self.shown_durations: dict[int, float] = {}  # Videos: each video's length in seconds
        self.set_aside: dict[str, list[Choice]] = {}  # the other sections' choices: their user's marks come back
        self.slider_similar = False  # the slider is on Similar's code (else on the duplicate code)
        self.similar_key: tuple[str, int] = ("", 0)  # Similar's model and its similar radius, while it is chosen
        self.similar_radii: dict[tuple[str, int], int] = {}  # the user's last radius in Similar, by similar_key
        self.stopped = False  # the groups shown were found with some pairs left unread (the user cancelled)
        self.questions = Latest(context.catalog_path, self)
        self.carry_question = Latest(context.catalog_path, self)  # what the photo kept would keep from its copies
        self.reading = _Reading(self)
        self.reading.read.connect(self._read)
        self.reading_cancel: threading.Event | None = None
        self.destroyed.connect(lambda *_: self.reading_cancel and self.reading_cancel.set())  # closed: stop reading

        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.slider.setPageStep(2)
        self.slider.valueChanged.connect(self._slid)
        self.slider.sliderReleased.connect(self._released)
        self.slider.installEventFilter(self)  # a double-click goes back to the duplicate radius
        self.slider.setToolTip(QCoreApplication.translate("DuplicatesView", SLIDER_TIP))
        self.slider.setAccessibleName(self.tr("How alike photos must be to be grouped"))
        # a drag asks once, when released; the keys and clicks on the groove ask once they stop
        self.settle = QTimer(self)
        self.settle.setSingleShot(True)
        self.settle.setInterval(250)
        self.settle.timeout.connect(self.refresh)
        self.radius_text = QLabel("")
        self.radius_text.setMinimumWidth(260)
        self.reset_button = QPushButton(self.tr("Duplicates"))
        self.reset_button.setToolTip(self.tr("Back to the duplicate radius, where the copies to trash are marked for "
                                             "you"))
        self.reset_button.clicked.connect(self.back_to_duplicates)
        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("Identical")))
        top.addWidget(self.slider, 1)
        top.addWidget(QLabel(self.tr("Similar")))
        top.addSpacing(16)
        divider = QFrame()  # the slider's ends, then what its place means: two things, not "Similar Copies, …"
        divider.setFrameShape(QFrame.Shape.VLine)
        divider.setFrameShadow(QFrame.Shadow.Sunken)
        top.addWidget(divider)
        top.addSpacing(8)
        top.addWidget(self.radius_text)
        top.addWidget(self.reset_button)

        self.table = GroupsTable()
        thumb = self.table.view.verticalHeader().defaultSectionSize() - 4
        self.table.view.setIconSize(QSize(thumb, thumb))
        self.table.model.thumbnail = lambda f: (context.thumbnails.get(f.path, thumb, (f.size, f.mtime_ns))
                                                or placeholder(thumb))
        context.thumbnails.ready.connect(lambda _path, size: size == thumb and self.table.model.thumbnails_changed())
        self.table.plan_chosen.connect(self._apply_plan)
        self.list = _TableRows(self.table)
        self.setFocusProxy(self.table.view)  # the review keys work as soon as the tab is shown
        self.list.currentRowChanged.connect(self._show_group)
        self.sections = Segments([self.tr("Copies"), self.tr("Series"), self.tr("Similar"), self.tr("Videos")],
                                 name=self.tr("Section"))
        self.copies_button, self.series_button, self.similar_button, self.videos_button = self.sections.buttons
        self.copies_button.setToolTip(self.tr("The same photo more than once (re-saved, resized, edited): the extra "
                                              "copies are marked for the trash"))
        self.similar_button.setToolTip(self.tr("Photos like each other (same subject, same scene), for browsing: "
                                               "nothing in them is marked for the trash"))
        self.similar_button.setAccessibleName(self.tr("Similar photos"))
        self.videos_button.setToolTip(self.tr("The same video more than once (re-encoded, resized, trimmed), found by "
                                              "its frames: the extra copies are marked for the trash"))
        self.videos_button.setAccessibleName(self.tr("Copies of videos"))
        self.sections.chosen.connect(self._section_chosen)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.setToolTip(self.tr("Stop reading photos and show what is checked so far"))
        self.cancel_button.clicked.connect(self.stop_reading)
        self.cancel_button.hide()  # shown while photos are read for verification
        status = QHBoxLayout()
        status.addWidget(self.summary, 1)
        status.addWidget(self.cancel_button, 0, Qt.AlignmentFlag.AlignTop)
        left = QWidget()
        llay = QVBoxLayout(left)
        llay.setContentsMargins(0, 0, 0, 0)
        llay.addWidget(self.sections)
        llay.addLayout(status)
        llay.addWidget(self.table, 1)

        self.strip = QWidget()
        self.strip_layout = FlowLayout(self.strip)  # the cards wrap to the pane's width
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setWidget(self.strip)
        self.group_title = QLabel("")
        self.trash_group_button = QPushButton(self.tr("Move marked to trash"))
        self.trash_group_button.setToolTip(self.tr("Move this group's marked photos to the system trash (Del)"))
        self.trash_group_button.clicked.connect(self.trash_current)
        self.trash_all_button = QPushButton(self.tr("Trash extras in all groups…"))
        self.trash_all_button.setToolTip(self.tr("Move the marked photos of every group to the system trash: first "
                                                 "it asks, with how many photos and how much space"))
        self.trash_all_button.clicked.connect(self.trash_all)
        self.undo_button = QPushButton(self.tr("Undo"))
        self.undo_button.setToolTip(self.tr("Put back the photos last moved to the trash (Ctrl+Z)"))
        self.undo_button.clicked.connect(self.undo)
        actions = QHBoxLayout()
        actions.addWidget(self.group_title, 1)
        actions.addWidget(self.undo_button)
        actions.addWidget(self.trash_group_button)
        actions.addWidget(self.trash_all_button)
        self.hint = QLabel("")
        self.hint.setWordWrap(True)  # a narrow window wraps it rather than growing to fit it
        self._hint()
        right = QWidget()
        rlay = QVBoxLayout(right)
        rlay.setContentsMargins(0, 0, 0, 0)
        rlay.addLayout(actions)
        rlay.addWidget(self.scroll, 1)
        rlay.addWidget(self.hint)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(side_by_side(left, right, (660, 780)), 1)  # two cards a row beside a table that fits

        for keys, slot in ((("Down", "N", "PgDown"), lambda: self.step_group(1)),
                           (("Up", "P", "PgUp"), lambda: self.step_group(-1)),
                           (("Right",), lambda: self.step_card(1)), (("Left",), lambda: self.step_card(-1)),
                           (("K", "Return", "Enter"), self.keep_focused), (("Space",), self.toggle_focused),
                           (("C",), self.compare_focused),
                           (("Del",), self.trash_current)):
            for key in keys:
                shortcut = QShortcut(QKeySequence(key), self)
                shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
                shortcut.activated.connect(slot)
        context.library_changed.connect(self.refresh)
        context.references_changed.connect(self.refresh)
        context.model_changed.connect(self.reset_radius)
        self.undo_button.setEnabled(False)
        self.trash_all_button.setEnabled(False)  # until there are groups with marked photos
        self.reset_radius()

    def _hint(self) -> None:
        """The review's keys, under the cards (videos have no Compare: it shows photos)."""
        text = (self.tr("↑/↓ group · ←/→ video · K keep this · Space mark · Del trash marked · Ctrl+Z undo")
                if self.shown_section == VIDEOS else
                self.tr("↑/↓ group · ←/→ photo · K keep this · Space mark · C compare with the photo kept "
                        "· Del trash marked · Ctrl+Z undo"))
        self.hint.setText(f"<span style='color:gray'>{text}</span>")

    # -- radius and groups ----------------------------------------------------------------------

    def reset_radius(self) -> None:
        if self.context.usable_model() is None:  # a broken model file: say so, keep the window
            self._failed(MODEL_UNUSABLE)
            return
        self._range_slider()
        self.refresh()

    def _range_slider(self) -> None:
        """The slider onto the chosen section's code: in Similar the code :func:`similar_groups` groups by (the
        similarity code where the model has one), at the user's last radius there for this model, else its similar
        radius; elsewhere the duplicate code at the duplicate radius."""
        model = self.context.usable_model()
        if model is None:
            return
        self.slider_similar = self._chosen() == SIMILAR
        if self.slider_similar:
            top, similar = self._similar_scale(model)
            self.similar_key = (model.model_key, similar)
            value = self.similar_radii.get(self.similar_key, similar)
        else:
            duplicate, similar = self.context.radius("duplicate"), self.context.radius("similar")
            top, value = max(similar, duplicate + 1), duplicate
        self.slider.blockSignals(True)
        self.slider.setRange(0, top)
        self.slider.setValue(value)
        self.slider.blockSignals(False)
        self._radius_label()

    def _similar_scale(self, model) -> tuple[int, int]:
        """Similar's slider: its top and the similar radius, on the similarity code where the model has one, else on
        its one code as in Copies."""
        info = model.info
        if info.similar_bits:
            return info.similar_bits, info.similar_radius
        duplicate, similar = self.context.radius("duplicate"), self.context.radius("similar")
        return max(similar, duplicate + 1), similar

    def radius(self) -> int:
        return self.slider.value()

    def duplicate_radius(self) -> int | None:
        """The radius up to which groups are duplicates (the user's, else the model's); None: no usable model."""
        return self.context.radius("duplicate") if self.context.usable_model() is not None else None

    def _slid(self) -> None:
        if self.slider_similar:
            self.similar_radii[self.similar_key] = self.radius()
        self._radius_label()
        if not self.slider.isSliderDown():
            self.settle.start()

    def _released(self) -> None:
        """A drag let go near the duplicate radius lands on it: one pixel of a long slider is a radius step, and
        the radius the model was calibrated at is the one a user comes back to. Not in Similar: there the slider is
        on another code, where the duplicate radius means nothing."""
        duplicate = self.duplicate_radius()
        snap = max(1, round(SNAP * self.slider.maximum()))
        if (duplicate is not None and not self.slider_similar and self.radius() != duplicate
                and abs(self.radius() - duplicate) <= snap):
            self.slider.blockSignals(True)
            self.slider.setValue(duplicate)
            self.slider.blockSignals(False)
            self._radius_label()
        self.settle.start()

    def back_to_duplicates(self) -> None:
        """Copies at the duplicate radius, where the copies to trash are marked for the user."""
        duplicate = self.duplicate_radius()
        if duplicate is None:
            return
        if self._chosen() != COPIES:
            self.sections.set_current(SECTIONS.index(COPIES))
            self._section_chosen(SECTIONS.index(COPIES))  # the slider back on the duplicate code, and the groups
        elif self.radius() != duplicate:
            self.slider.setValue(duplicate)  # asks for the groups once the timer settles

    def eventFilter(self, watched, event):  # noqa: N802
        if watched is self.slider and event.type() == QEvent.Type.MouseButtonDblClick:
            self.back_to_duplicates()
            return True
        return super().eventFilter(watched, event)

    def _radius_label(self) -> None:
        """Where the slider is, in words ("copies, each checked pixel by pixel"; "80 % alike or more"); the radius in
        bits only when the user asked for it (Preferences, Advanced)."""
        r = self.radius()
        model = self.context.usable_model()
        self._series_allowed(model is not None and (self.slider_similar or r == self.context.radius("duplicate")))
        if model is None:
            self.radius_text.setText("")
            return
        info = model.info
        if self.slider_similar:
            # in words, not per cent: the slider is on the similarity code, the cards' per cent on the model's own
            bits, usual = info.similar_bits or info.bits, self._similar_scale(model)[1]
            text = (self.tr("Similar subjects (the usual)") if r == usual else
                    self.tr("Closer than usual: fewer photos") if r < usual else
                    self.tr("Looser than usual: more photos"))
            self.reset_button.setEnabled(True)  # back to Copies
        elif self._chosen() == VIDEOS:
            bits, text = info.bits, self.tr("Copies of videos, frame by frame")
            self.reset_button.setEnabled(True)  # back to Copies
        else:
            bits, duplicate = info.bits, self.context.radius("duplicate")
            if r == duplicate:
                level = self.context.prefs.strictness
                text = (self.tr("Copies, each checked pixel by pixel") if level == "normal" else
                        self.tr("Copies ({level}), each checked pixel by pixel").format(
                            level=QCoreApplication.translate("SettingsDialog", STRICTNESS_TEXT[level][0]).lower()))
            elif r < duplicate:
                text = self.tr("{percent} % alike or more, by the hash alone").format(
                    percent=alike_percent(r, bits))
            else:
                text = self.tr("{percent} % alike or more: look-alikes too, nothing marked").format(
                    percent=alike_percent(r, bits))
            self.reset_button.setEnabled(r != duplicate)
        if self.context.prefs.show_distances:
            text += self.tr(" · radius {radius} of {bits} bits").format(radius=r, bits=bits)
        self.radius_text.setText(text)

    def _series_allowed(self, allowed: bool) -> None:
        """Series come from reading the photos (verification), done at the duplicate radius only: elsewhere in Copies
        the groups are the hash's alone, and the Series button says so (from Similar it may be chosen: the slider
        goes back to the duplicate radius)."""
        self.series_button.setEnabled(allowed)
        if not allowed and self._chosen() == SERIES:  # (a model that cannot be loaded)
            self.sections.set_current(SECTIONS.index(COPIES))
            self.slider.setEnabled(True)
            self.slider.setToolTip(QCoreApplication.translate("DuplicatesView", SLIDER_TIP))
        self.series_button.setToolTip(
            self.tr("Bursts and re-takes: the same scene shot moments apart. Nothing in them is marked for the trash")
            if allowed else self.tr("Series come from checking the photos, which happens at the duplicate radius "
                                    "only: double-click the slider or press Duplicates to go back to it"))

    def _chosen(self) -> str:
        return SECTIONS[self.sections.current()]

    def section(self) -> str:
        """The section chosen, Series only where it can be (the slider is at the duplicate radius)."""
        chosen = self._chosen()
        return COPIES if chosen == SERIES and not self.series_button.isEnabled() else chosen

    def _section_chosen(self, _index: int) -> None:
        """Each section's slider: Copies slides the duplicate code, Series stays at the duplicate radius (where
        verification is), Similar slides the code it groups by. Into or out of Similar the slider changes code: it
        starts at that code's radius (in Similar, the user's last one there)."""
        if (self._chosen() == SIMILAR) != self.slider_similar:
            self._range_slider()
        section = self.section()
        duplicate = self.duplicate_radius()
        if section == VIDEOS and duplicate is not None and self.radius() != duplicate:
            self.slider.blockSignals(True)  # no radius to choose: the slider rests at the duplicate radius
            self.slider.setValue(duplicate)
            self.slider.blockSignals(False)
        self._radius_label()
        self.slider.setEnabled(section not in (SERIES, VIDEOS))
        self.slider.setToolTip(
            self.tr("Series are found by checking the photos, not by a radius: choose Copies to slide")
            if section == SERIES else
            self.tr("Copies of videos are found by matching their frames in order, not by a radius: choose Copies to "
                    "slide") if section == VIDEOS else
            QCoreApplication.translate("DuplicatesView", SIMILAR_TIP if section == SIMILAR else SLIDER_TIP))
        self.refresh()

    @property
    def shown_series(self) -> bool:
        """The groups shown are series."""
        return self.shown_section == SERIES

    def refresh(self) -> None:
        """Ask the engine for the groups at the slider's radius (in a worker thread)."""
        if self.context.closed:
            return
        model = self.context.usable_model()
        if model is None:
            self._failed(MODEL_UNUSABLE)
            return
        self.settle.stop()
        section = self.section()
        self.summary.setText({COPIES: self.tr("Finding duplicates…"), SERIES: self.tr("Finding series…"),
                              SIMILAR: self.tr("Finding similar photos…"),
                              VIDEOS: self.tr("Finding copies of videos…")}[section])
        self.cancel_button.hide()  # until this question reads photos
        if self.reading_cancel is not None:
            self.reading_cancel.set()  # an older question still reading photos: its answer would not be shown
        self.reading_cancel = threading.Event()
        asked = self.questions.asked + 1

        def reading(done: int, total: int) -> None:  # in the worker thread
            if asked == self.questions.asked:  # still the newest question, and the screen is still open
                try:
                    self.reading.read.emit(done, total)
                except RuntimeError:  # the screen closed in between
                    pass

        self.questions.run(_groups, model, self.radius(), self.context.reference_folders(),
                           self.context.prefs.keeper_rules, self.context.radius("duplicate"), reading,
                           self.reading_cancel, section, self.context.prefs.strictness, done=self._show_groups,
                           failed=self._failed)

    def _read(self, done: int, total: int) -> None:
        """Photos read so far to verify copies (the first look at a library; then the catalog has them), with
        Cancel beside the count while there are more to read."""
        reading = done < total and not (self.reading_cancel and self.reading_cancel.is_set())
        if reading:
            self.summary.setText(self.tr("Checking which photos are copies: reading {done} of {total} photos…")
                                 .format(done=f"{done:,}", total=f"{total:,}"))
        self.cancel_button.setVisible(reading)

    def stop_reading(self) -> None:
        """The user's Cancel: stop reading photos; the pairs left unread come back grouped by their hash, not
        marked, and are said to be."""
        if self.reading_cancel is not None:
            self.reading_cancel.set()
        self.cancel_button.hide()
        self.summary.setText(self.tr("Stopping: showing what is checked so far…"))

    def _failed(self, line: str) -> None:
        self.cancel_button.hide()
        self.stopped = False
        self.summary.setText(line)
        self.trash_all_button.setEnabled(False)
        self.groups, self.choices = [], []
        self.table.set_groups([], [])
        self._show_group(-1)

    def _show_groups(self, answer: Answer) -> None:
        groups, radius, duplicate, section = answer.groups, answer.radius, answer.duplicate, answer.section
        self.cancel_button.hide()
        self.undo_button.setEnabled(answer.pending is not None)
        current = self.list.currentRow()
        if section != self.shown_section:  # another section: its own marks come back, these are set aside
            self.set_aside[self.shown_section] = self.choices
            self.choices = self.set_aside.pop(section, [])
            current = 0
        keepers_before = {c.group.keeper.file.path: c for c in self.choices if c.touched}
        self.shown_radius, self.shown_duplicate, self.shown_section = radius, duplicate, section
        self.shown_code, self.shown_bits, self.shown_alike = answer.code, answer.bits, answer.alike
        self.shown_durations = answer.durations
        self.stopped = answer.stopped
        self.trash_all_button.setText({COPIES: self.tr("Trash extras in all groups…"),
                                       SERIES: self.tr("Trash marked in all series…"),
                                       SIMILAR: self.tr("Trash marked in all groups…"),
                                       VIDEOS: self.tr("Trash extra videos in all groups…")}[section])
        self.trash_group_button.setToolTip(self.tr("Move this group's marked videos to the system trash (Del)")
                                           if section == VIDEOS else
                                           self.tr("Move this group's marked photos to the system trash (Del)"))
        self._hint()
        release_elsewhere(self.groups or (), self.choices)  # what the screen showed: freed off the UI thread
        self.groups = groups
        self.choices, freed = list(answer.defaults), list(answer.freed)  # the engine's decisions, made in the worker
        for i, g in enumerate(groups if keepers_before else ()):
            # the user's own decisions on the same photos stay; the engine's marks are made afresh at this radius
            previous = keepers_before.get(g.keeper.file.path)
            if previous is not None and {m.file.id for m in previous.group.members} == {m.file.id for m in g.members}:
                removable = {m.file.id for m in g.members if not m.protected}
                self.choices[i] = Choice(g, previous.keep, previous.remove & removable, touched=True)
                freed[i] = self.choices[i].bytes
        self.list.blockSignals(True)
        self.table.model.name_videos(section == VIDEOS)
        self.table.set_groups(self.groups, self.choices, freed)
        self.list.blockSignals(False)
        # 10,000 groups are some 300,000 objects that live until the next answer (freed by their counts, no cycles):
        # out of the collector's full passes, which would scan them all and stall the window 100-300 ms each time
        gc.freeze()
        self._summarize((answer.marked if not keepers_before else sum(len(c.remove) for c in self.choices),
                         sum(freed)))
        if groups:
            self.list.setCurrentRow(min(max(current, 0), len(groups) - 1))
        self._show_group(self.list.currentRow())

    def _summarize(self, totals: tuple[int, int] | None = None) -> None:
        """The line above the table: groups, marks and the space they free (``totals``: photos marked and bytes, where
        the caller has them; else a pass over every choice's marked files, ~40 ms at 10,000 groups)."""
        groups = self.groups or []
        extra, freed = totals or (sum(len(c.remove) for c in self.choices), sum(c.bytes for c in self.choices))
        verified = self.tr(" of copies, each checked") if self.shown_radius == self.shown_duplicate else ""
        by_hand = self.tr(" · {marked} marked by you · {size} to free").format(
            marked=f"{extra:,}", size=human_bytes(freed)) if extra else ""
        groups_text = _count(len(groups), self.tr("{count} group"), self.tr("{count} groups"))
        if self.shown_section == SERIES:
            text = (self.tr("<b>{series}</b> of photos taken moments apart{marks}").format(
                series=_count(len(groups), self.tr("{count} series", "one"), self.tr("{count} series", "several")),
                marks=by_hand or self.tr(" — nothing is marked; keep the best shot"))
                if groups else self.tr("No series: no bursts or re-takes of the same scene."))
        elif self.shown_section == VIDEOS:
            text = (self.tr("<b>{groups}</b> of copies of videos, by their frames · {marked} marked · {size} to free")
                    .format(groups=groups_text, marked=f"{extra:,}", size=human_bytes(freed))
                    if groups else self.tr("No copies of videos found."))
        elif self.shown_section == SIMILAR:
            by = (self.tr(" (by {code})").format(code=escape(self.shown_code, quote=False))
                  if self.context.prefs.show_distances else "")
            text = (self.tr("<b>{groups}</b> of similar photos{by}{marks}").format(
                groups=groups_text, by=by,
                marks=by_hand or self.tr(" — nothing is marked; browse them, mark by hand"))
                if groups else self.tr("No photos this alike: slide towards Similar to see more."))
        else:
            text = (self.tr("<b>{groups}</b>{checked} · {marked} marked · {size} to free").format(
                groups=groups_text, checked=verified, marked=f"{extra:,}", size=human_bytes(freed))
                if groups else self.tr("No copies found.") if self.shown_radius == self.shown_duplicate else
                self.tr("No photos this alike."))
        if groups and self.shown_section == COPIES and self.shown_radius > self.shown_duplicate:
            similar = sum(len(g.similar) for g in groups)  # a pass over every group: only where said
            looser = self.tr("Looser than copies: {photos} only similar. Nothing is marked for you here; mark photos "
                             "by hand.").format(photos=_count(similar, self.tr("{count} photo"),
                                                              self.tr("{count} photos")))
            text += f"<br><span style='color:#b9770e'>{looser}</span>"
        if self.stopped:
            stopped = self.tr("Stopped: some pairs were not checked; they are shown by their hash and not marked.")
            text += f"<br><span style='color:#b9770e'>{stopped}</span>"
        self.summary.setText(text)
        self.trash_all_button.setEnabled(extra > 0)

    # -- one group ------------------------------------------------------------------------------

    def current(self) -> Choice | None:
        row = self.list.currentRow()
        return self.choices[row] if 0 <= row < len(self.choices) else None

    def _show_group(self, row: int) -> None:
        choice = self.current()
        shown = [c.member.file.id for c in self.cards]
        if choice is not None and shown == [m.file.id for m in choice.group.members]:
            for card, member in zip(self.cards, choice.group.members):
                card.member = member  # the same photos after a refresh: keep the cards and the focus
            self._update_choice(changed=False)
            return
        for card in self.cards:  # out of sight now: deleteLater waits for the event loop, which a nested one may not be
            self.strip_layout.removeWidget(card)
            card.hide()
            card.deleteLater()
        self.cards = []
        self.trash_group_button.setEnabled(bool(choice and choice.remove))
        if choice is None:
            self.group_title.setText("")
            return
        video = choice.group.kind == "video"
        side = STRIP_SIDE if video else REVIEW_THUMB
        height = max(_shown_height(m.file.width, m.file.height, side) for m in choice.group.members)
        for member in choice.group.members:
            alike = self.shown_alike.get(member.file.id, alike_percent(member.distance, self.shown_bits))
            card = PhotoCard(self.context, member, height, choice.group.decided_by, choice.group.kind == "series",
                             alike, video=video, duration=self.shown_durations.get(member.file.id))
            card.chosen.connect(self._keep)
            card.toggled.connect(self._toggle)
            self.strip_layout.addWidget(card)
            self.cards.append(card)
        self._update_choice(changed=False)

    def _update_choice(self, changed: bool = True) -> None:
        """The current group's cards, title and buttons; ``changed``: its decision changed (the table's row and the
        totals follow; moving to another group changes neither, and the totals are a pass over every group)."""
        choice = self.current()
        if choice is None:
            return
        for card in self.cards:
            card.show_choice(choice)
        marked = (self.tr("{count} marked, {size}").format(count=len(choice.remove), size=human_bytes(choice.bytes))
                  if choice.remove or self.shown_section in (COPIES, VIDEOS) else self.tr("nothing marked"))
        title = self.tr("Series {number} of {total}: {marked}") if self.shown_series else self.tr(
            "Group {number} of {total}: {marked}")
        self.group_title.setText(title.format(number=self.list.currentRow() + 1, total=len(self.choices),
                                              marked=marked))
        self.trash_group_button.setEnabled(bool(choice.remove))
        self._ask_carry(choice)
        if changed:
            self.table.changed(self.list.currentRow())
            self._summarize()

    def _ask_carry(self, choice: Choice) -> None:
        """Say on the kept photo's card what it would keep from the copies marked, read in a worker (it reads the
        photos' metadata): shown before the move, as the move will write it."""
        for card in self.cards:
            card.carry.hide()
        pair = self._carry_pair(choice)
        if pair is None:
            self.carry_question.drop()
            return
        self.carry_question.run(_carry_words, *pair, done=self._show_carry, failed=lambda line: None)

    def _carry_pair(self, choice: Choice) -> tuple[str, list[str]] | None:
        """What the photo kept would keep from the copies marked (engine.bulk.carry_pair), where Preferences say so."""
        if not self.context.prefs.carry_metadata:
            return None
        return carry_pair(choice.group, choice.keep, choice.remove)

    def _show_carry(self, answer: tuple[str, str]) -> None:
        keeper, words = answer
        for card in self.cards:
            if card.member.file.path == keeper and words:
                card.carry.setText(self.tr("Keeps from the copies marked: {what}").format(what=escape(words)))
                card.carry.show()

    def _keep(self, member: Member) -> None:
        self.current().keep_this(member)
        self._update_choice()

    def _toggle(self, member: Member) -> None:
        self.current().toggle(member)
        self._update_choice()

    def step_group(self, delta: int) -> None:
        if self.choices:
            self.list.step(delta)

    def _focused(self) -> int:
        for i, card in enumerate(self.cards):
            if card.hasFocus() or card.isAncestorOf(QApplication.focusWidget()):
                return i
        return -1

    def step_card(self, delta: int) -> None:
        if self.cards:
            i = max(0, min(len(self.cards) - 1, self._focused() + delta))
            self.cards[i].setFocus()
            self.scroll.ensureWidgetVisible(self.cards[i])

    def keep_focused(self) -> None:
        i = self._focused()
        if i >= 0:
            self._keep(self.cards[i].member)

    def toggle_focused(self) -> None:
        i = self._focused()
        if i >= 0:
            self._toggle(self.cards[i].member)

    def compare_focused(self) -> CompareView | None:
        """The focused photo (else the group's second) beside the photo kept, in the Compare view."""
        choice = self.current()
        if choice is None or len(choice.group.members) < 2:
            return None
        if choice.group.kind == "video":
            self.context.message.emit(self.tr("Compare shows photos: the cards show each video's frames"))
            return None
        kept = next(m for m in choice.group.members if m.file.id == choice.keep)
        i = self._focused()
        other = self.cards[i].member if i >= 0 and self.cards[i].member is not kept else next(
            m for m in choice.group.members if m is not kept)
        marked = self.tr("Marked for the trash") if other.file.id in choice.remove else self.tr("Not marked")
        view = CompareView(kept.file, other.file, self, left_label=self.tr("Kept"),
                           right_label=self.tr("{marked}: {reason}").format(marked=marked, reason=other.reason)
                           if other.reason else marked)
        view.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # its decoded photos go with it
        view.show()
        return view

    def _apply_plan(self, plan, trash_now: bool) -> None:
        """A bulk rule the user accepted: its decisions become the groups' (theirs now), then, where asked, one
        trash batch (one undo) moves what it marked."""
        decided = plan.decisions
        for position, choice in enumerate(self.choices):
            decision = decided.get(group_id(choice.group))
            if decision is not None:
                choice.keep, choice.remove, choice.touched = decision.keep, set(decision.remove), True
                self.table.changed(position)
        self._show_group(self.list.currentRow())
        self._summarize()
        if trash_now and plan.selects and not self.busy:
            self._run_trash([c for c in self.choices if group_id(c.group) in decided and c.remove])

    # -- trash and undo -------------------------------------------------------------------------

    def trash_current(self) -> None:
        choice = self.current()
        if choice and choice.remove and not self.busy:
            self._run_trash([choice])

    def trash_all(self) -> None:
        todo = [c for c in self.choices if c.remove]
        count = sum(len(c.remove) for c in todo)
        if not count or self.busy:
            return
        freed = sum(c.bytes for c in todo)
        similar = sum(c.similar_marked for c in todo)
        series = sum(len(c.remove) for c in todo if c.group.kind == "series")
        note = ("\n\n" + _count(series, self.tr("{count} of them is a shot of a series, marked by you."),
                                 self.tr("{count} of them are shots of a series, marked by you.")) if series else
                "\n\n" + _count(similar, self.tr("{count} of them is only similar to the photo kept, marked by you."),
                                 self.tr("{count} of them are only similar to the photo kept, marked by you."))
                if similar else "")
        if all(c.group.kind == "video" for c in todo):
            answer = QMessageBox.question(
                self, self.tr("Move copies of videos to the trash"),
                self.tr("Move {videos} from {groups} to the trash?\n\nThis frees {size}. The video kept in each "
                        "group stays where it is. You can undo this (Ctrl+Z) or restore the files from the system "
                        "trash.").format(
                    videos=_count(count, self.tr("{count} video"), self.tr("{count} videos")),
                    groups=_count(len(todo), self.tr("{count} group"), self.tr("{count} groups")),
                    size=human_bytes(freed)),
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Cancel)
            if answer == QMessageBox.StandardButton.Yes:
                self._run_trash(todo)
            return
        answer = QMessageBox.question(
            self, self.tr("Move duplicates to the trash") if self.shown_section == COPIES else
            self.tr("Move photos to the trash"),
            self.tr("Move {photos} from {groups} to the trash?{note}\n\nThis frees {size}. The photo kept in each "
                    "group stays where it is. A photo's RAW, its sidecars (.xmp) and a Live Photo's video go with "
                    "it.{carry} You can undo this (Ctrl+Z) or restore the files from the system trash.").format(
                carry=self.tr(" What a copy knows that the photo kept lacks (capture date, place, keywords, rating) "
                              "is kept in the kept photo's .xmp sidecar.") if self.context.prefs.carry_metadata else "",
                photos=_count(count, self.tr("{count} photo"), self.tr("{count} photos")),
                groups=_count(len(todo), self.tr("{count} group"), self.tr("{count} groups")), note=note,
                size=human_bytes(freed)),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Cancel)
        if answer == QMessageBox.StandardButton.Yes:
            self._run_trash(todo)

    def _run_trash(self, choices: list[Choice]) -> None:
        self.busy = True
        work = [(c.paths, c.group) for c in choices]
        pairs = [self._carry_pair(c) for c in choices]
        self.asked = {p for c in choices for p in c.paths}
        self.asked_videos = all(c.group.kind == "video" for c in choices)  # the message counts videos, not photos
        run_task(self.context.catalog_path, _trash, work, [p for p in pairs if p], done=self._trashed,
                 failed=self._trash_failed)

    def _trashed(self, result: TrashResult) -> None:
        for path in result.moved:
            self.context.thumbnails.forget(path)
            self.context.strips.forget(path)
        photos = len(set(result.moved) & self.asked)  # the others went with them: RAWs, sidecars, videos
        for made in result.carried:  # the app's log says what went where; the message counts them
            log_line(f"kept in {made.sidecar}: {made.words()}")
        more = len(result.moved) - photos
        done = (self.tr("Moved {photos} to the trash. Ctrl+Z puts them back.") if not more else
                self.tr("Moved {photos} to the trash, with {more} that go with them. Ctrl+Z puts them back.")).format(
            photos=_count(photos, self.tr("{count} video"), self.tr("{count} videos")) if self.asked_videos else
            _count(photos, self.tr("{count} photo"), self.tr("{count} photos")),
            more=_count(more, self.tr("{count} file"), self.tr("{count} files")))
        if result.carried:
            done += " " + _count(len(result.carried), self.tr("What the copies knew is kept in {count} sidecar (.xmp)."),
                                 self.tr("What the copies knew is kept in {count} sidecars (.xmp)."))
        self._report(result, done, self.tr("Some videos were not moved") if self.asked_videos else
                     self.tr("Some photos were not moved"))

    def _report(self, result: TrashResult, done: str, refused_title: str) -> None:
        self.busy = False
        self.context.message.emit(done)
        if result.failed:
            QMessageBox.warning(self, refused_title,
                                "\n".join(f"{printable(os.path.basename(p))}: {r}" for p, r in result.failed[:20]))
        self.context.library_changed.emit()

    def _trash_failed(self, line: str) -> None:
        self.busy = False
        QMessageBox.warning(self, self.tr("Nothing was moved"), line)

    def undo(self) -> None:
        if self.busy:
            return
        self.busy = True
        run_task(self.context.catalog_path, undo, done=self._undone, failed=self._undo_failed)

    def _undone(self, result: TrashResult) -> None:
        self._report(result, self.tr("Put back {count} files.").format(count=f"{len(result.moved):,}"),
                     self.tr("Some photos could not be put back"))

    def _undo_failed(self, line: str) -> None:
        self.busy = False
        QMessageBox.information(self, self.tr("Nothing to undo"), line)
