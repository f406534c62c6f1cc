"""The duplicate groups as a table beside the cards: one row per group (space to free, photos, kind, folder, date),
sortable and filterable, and bulk rules with a preview ("keep the largest" across all or the filtered groups) that
say what they would move before anything moves.

10,000 groups open at once (tests/bench/bench_ui.py --only groups): the model holds the engine's groups and the
review's decisions and makes a row's text only when the row is painted; each column's sort keys are made a slice at a
time between events once the groups are shown (and made again only for the groups whose decision changed), and the
model sorts itself in Python (a QSortFilterProxyModel sorting would ask Python for two values per comparison). The
filter is a model over one list of the rows shown, not a proxy asking Python about each of 10,000 rows. A decision
changed, or a thumbnail come, is told to the view once per event-loop turn, for those rows only. A bulk preview over
10,000 groups runs a slice at a time between events, so the window never waits on it."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (QAbstractItemView, QButtonGroup, QComboBox, QDialog, QDialogButtonBox, QFileDialog,
                               QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPushButton, QRadioButton, QTableView,
                               QVBoxLayout, QWidget)

from engine.bulk import (TOTALS, Decision, Plan, Rule, engine_decision, group_id, joined, keep_in_folder, keep_largest,
                         keep_oldest, mark_in_folder, never_touch, preview)
from engine.catalog import FileRow
from engine.duplicates import Group
from engine.errors import printable
from engine.keepers import in_folders
from engine.units import human_bytes

from .widgets import shown_path

NAME, SPACE, PHOTOS, KIND, FOLDER, DATE = range(6)
SortRole = Qt.ItemDataRole.UserRole + 11  # the value a column sorts by: bytes, a count, an ISO date
PositionRole = Qt.ItemDataRole.UserRole + 12  # the group's place in the list given to set_groups
KINDS = ("exact", "copy", "near", "series", "similar", "video")  # Group.kind, in the order the Kind column sorts
FOLDER_WIDTH = 40  # characters of a folder shown before it is shortened from the left
PREVIEW_SLICE_S = 0.015  # a bulk preview works this long between events
WARM_SLICE_S = 0.008  # the sort keys are made this long at a time between events


def short_folder(path: str, width: int = FOLDER_WIDTH) -> str:
    """A file's folder as the screens show it, cut from the left to ``width`` characters."""
    folder = shown_path(os.path.dirname(path))
    return folder if len(folder) <= width else "…" + folder[-(width - 1):]


class GroupsTableModel(QAbstractTableModel):
    """The groups and their decisions (the review's Choices, or Decisions: anything with ``keep`` and ``remove``),
    one row each. Rows are in the model's own sorted order; a group's *position* is its place in the list given to
    :meth:`set_groups`, which the caller's own lists share."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.groups: list[Group] = []
        self._decisions: Sequence | None = None
        self._engine: dict[int, Decision] = {}  # positions with no decision given: the engine's, made when asked
        self.order: list[int] = []  # row -> position
        self._row_of: list[int] = []  # position -> row
        self._keys: dict[int, list] = {}  # column -> sort key per position, made a slice at a time once shown
        self._stale: set[int] = set()  # positions whose decision changed since their keys were made
        self._made: set[int] = set()  # columns whose keys are all made
        self._partial: dict[int, list] = {}  # the column being made a slice at a time
        self._warm_at = 0  # the next position of that column
        self._sorted: tuple[int, Qt.SortOrder] | None = None
        self._own_decisions = False  # self._decisions is the model's own copy (the caller's list is never changed)
        self._changed: set[int] = set()  # positions to repaint, told to the view once the caller's loop is done
        self._decorated: set[int] = set()  # positions whose photo was asked for since the last thumbnail (in sight)
        self._flush = QTimer(self)
        self._flush.setSingleShot(True)
        self._flush.setInterval(0)
        self._flush.timeout.connect(self._repaint)
        self._warming = QTimer(self)  # the sort keys, made a slice at a time between events
        self._warming.setSingleShot(True)
        self._warming.setInterval(0)
        self._warming.timeout.connect(self._warm)
        # the kept photo's (a video's poster frame), in the Photo column
        self.thumbnail: Callable[[FileRow], QPixmap | None] | None = None
        kinds = self.tr("Exact copies (same bytes), copies checked pixel by pixel, copies by the hash only (not "
                        "checked), series (bursts and re-takes, never marked), similar photos (never marked) or "
                        "copies of videos (by their frames)")
        self.photo_headers = (
            (self.tr("Photo kept"), self.tr("The name of the photo kept")),
            (self.tr("Space to free"), self.tr("Space the photos marked in the group would free")),
            (self.tr("Photos"), self.tr("How many photos the group holds")),
            (self.tr("Kind"), kinds),
            (self.tr("Folder"), self.tr("The folder of the photo kept")),
            (self.tr("Date"), self.tr("When the photo kept was taken (else when its file was last changed)")))
        self.video_headers = (
            (self.tr("Video kept"), self.tr("The name of the video kept")),
            (self.tr("Space to free"), self.tr("Space the videos marked in the group would free")),
            (self.tr("Videos"), self.tr("How many videos the group holds")),
            (self.tr("Kind"), kinds),
            (self.tr("Folder"), self.tr("The folder of the video kept")),
            (self.tr("Date"), self.tr("When the video kept was last changed")))
        self.headers, self.header_tips = zip(*self.photo_headers)
        self.kind_words = {"exact": self.tr("Exact copies"), "copy": self.tr("Copies"), "series": self.tr("Series"),
                           "similar": self.tr("Similar"), "near": self.tr("By hash only"), "video": self.tr("Videos")}

    # -- the caller's side ---------------------------------------------------------------------------------------

    def name_videos(self, videos: bool) -> None:
        """The headers say "videos" (the Duplicates screen's Videos section) or "photos"."""
        headers, tips = zip(*(self.video_headers if videos else self.photo_headers))
        if headers != self.headers or tips != self.header_tips:
            self.headers, self.header_tips = headers, tips
            self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(headers) - 1)

    def set_groups(self, groups: Sequence[Group], decisions: Sequence | None = None,
                   space: Sequence[int] | None = None) -> None:
        """Show ``groups`` with their ``decisions`` (same order; None: the engine's), sorted as before. ``space``: the
        bytes each decision frees, where the caller has them (made with the groups in a worker): the default order
        sorts by them, and making them here holds the UI thread ~40 ms for 10,000 groups."""
        if decisions is not None and len(decisions) != len(groups):
            raise ValueError("one decision per group")
        if space is not None and len(space) != len(groups):
            raise ValueError("one space per group")
        self.beginResetModel()
        self.groups, self._decisions, self._engine, self._partial = list(groups), decisions, {}, {}
        self._keys = {} if space is None else {SPACE: list(space)}
        self._own_decisions = False
        self._stale, self._changed, self._decorated = set(), set(), set()
        self._flush.stop()
        self.order = list(range(len(self.groups)))
        if self._sorted is not None:
            self._order_by(*self._sorted)
        self._row_of = self._inverse(self.order)
        self.endResetModel()
        self._made, self._warm_at = set(self._keys), 0
        if self.groups:
            self._warming.start()

    def changed(self, position: int, decision=None) -> None:
        """A group's decision changed (``decision``: its new one, where the model was not given the caller's own
        mutable Choice): its row shows it. Rows do not move until the next sort: a row jumping away as the user
        decides would lose their place."""
        if decision is not None:
            if self._decisions is None:
                self._engine[position] = decision
            else:
                if not self._own_decisions:
                    self._decisions, self._own_decisions = list(self._decisions), True
                self._decisions[position] = decision
        self._stale.add(position)  # its sort keys are made again at the next sort
        self._changed.add(position)
        if len(self._changed) == 1:
            self._flush.start()  # a bulk rule changes thousands of groups: the view hears of them once

    def _repaint(self) -> None:
        """The rows changed since the last time, as one range (the view repaints only what is in sight)."""
        changed, self._changed = self._changed, set()
        rows = [self._row_of[p] for p in changed if p < len(self._row_of)]
        if rows:
            self.dataChanged.emit(self.index(min(rows), 0), self.index(max(rows), len(self.headers) - 1))

    def _warm(self) -> None:
        """Make the columns' sort keys a slice at a time, so that the first click on a header only sorts (a
        position whose decision changes meanwhile is made again at the next sort, as every stale one is)."""
        began, n = time.perf_counter(), len(self.groups)
        while time.perf_counter() - began < WARM_SLICE_S:
            column = next((c for c in range(len(self.headers)) if c not in self._made), None)
            if column is None:
                return
            keys = self._partial.setdefault(column, [None] * n)
            end = min(n, self._warm_at + 250)
            keys[self._warm_at:end] = self._keys_of(column, self._warm_at, end)
            self._warm_at = end
            if end >= n:
                self._keys[column] = self._partial.pop(column)
                self._made.add(column)
                self._warm_at = 0
        self._warming.start()

    def decision(self, position: int):
        if self._decisions is not None:
            return self._decisions[position]
        known = self._engine.get(position)
        if known is None:
            known = self._engine[position] = engine_decision(self.groups[position])
        return known

    def thumbnails_changed(self) -> None:
        """A thumbnail came: the photo column of the rows painted since the last one (those in sight) is painted
        again, once for a burst of thumbnails. Told of all 10,000 rows, the filter would look at each of them."""
        self._changed |= self._decorated
        self._decorated = set()
        if self._changed:
            self._flush.start()

    def decisions_by_group(self) -> Mapping[int, object]:
        """Every group's decision by :func:`engine.bulk.group_id`: what a bulk preview starts from."""
        return {group_id(g): self.decision(p) for p, g in enumerate(self.groups)}

    def position_at(self, row: int) -> int:
        return self.order[row]

    def row_of(self, position: int) -> int:
        return self._row_of[position]

    # -- Qt's side -----------------------------------------------------------------------------------------------

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 (Qt's name)
        return 0 if parent.isValid() else len(self.groups)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.headers)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.headers):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.headers[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.header_tips[section] + self.tr(" (click to sort)")
        return None

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        return self.value(self.order[index.row()], index.column(), role)

    def value(self, position: int, column: int, role: int = Qt.ItemDataRole.DisplayRole):
        """What a group's cell shows in ``role`` (the filter's rows ask the same)."""
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(column, position)
        if role == SortRole:
            return self._key(column, position)
        if role == PositionRole:
            return position
        if role == Qt.ItemDataRole.DecorationRole and column == NAME and self.thumbnail is not None:
            self._decorated.add(position)
            return self.thumbnail(self._kept(position))
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (SPACE, PHOTOS):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tip(column, position)
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort the rows by a column's value (bytes, a count, a date: never its text), ties in the engine's order."""
        if not 0 <= column < len(self.headers):
            return
        self.layoutAboutToBeChanged.emit()
        before = self.persistentIndexList()
        positions = [self.order[i.row()] for i in before]
        self._sorted = (column, order)
        self._order_by(column, order)
        self._row_of = self._inverse(self.order)
        self.changePersistentIndexList(before, [self.index(self._row_of[p], i.column()) for p, i in zip(positions, before)])
        self.layoutChanged.emit()

    # -- rows ----------------------------------------------------------------------------------------------------

    def _order_by(self, column: int, order: Qt.SortOrder) -> None:
        for position in self._stale:  # decisions changed since the keys were made
            for known, keys in self._keys.items():
                keys[position] = self._key(known, position)
        self._stale.clear()
        keys = self._keys.get(column)
        if keys is None:  # not made yet (the slices are still on another column)
            keys = self._keys[column] = self._keys_of(column, 0, len(self.groups))
            self._made.add(column)
            if self._partial.pop(column, None) is not None:
                self._warm_at = 0
        self.order = sorted(range(len(self.groups)), key=keys.__getitem__,
                            reverse=order == Qt.SortOrder.DescendingOrder)  # stable: ties in the engine's order

    def _keys_of(self, column: int, start: int, end: int) -> list:
        """The sort keys of the positions start to end: the key of each, the two a fill sorts by without a call per
        group (10,000 groups are filled and sorted at once)."""
        groups = self.groups[start:end]
        if column == PHOTOS:
            return [len(g.members) for g in groups]
        if column == SPACE:
            decisions = (self._decisions[start:end] if self._decisions is not None else
                         [self.decision(p) for p in range(start, end)])
            out = []
            for g, d in zip(groups, decisions):
                remove = d.remove
                out.append(sum([m.bytes for m in g.members if m.file.id in remove]) if remove else 0)
            return out
        return [self._key(column, p) for p in range(start, end)]

    @staticmethod
    def _inverse(order: list[int]) -> list[int]:
        rows = [0] * len(order)
        for row, position in enumerate(order):
            rows[position] = row
        return rows

    def _kept(self, position: int):
        """The file kept now (the decision's), which the Folder and Date columns describe."""
        keep = self.decision(position).keep
        members = self.groups[position].members
        if members[0].file.id == keep:  # the engine's keeper: most groups
            return members[0].file
        return next((m.file for m in members if m.file.id == keep), members[0].file)

    def _key(self, column: int, position: int):
        if column == NAME:
            return os.path.basename(self._kept(position).path).casefold()
        if column == SPACE:
            remove = self.decision(position).remove
            return sum(m.bytes for m in self.groups[position].members if m.file.id in remove)
        if column == PHOTOS:
            return len(self.groups[position].members)
        if column == KIND:
            kind = self.groups[position].kind
            return KINDS.index(kind) if kind in KINDS else len(KINDS)
        if column == FOLDER:
            return os.path.dirname(self._kept(position).path).casefold()
        return self._date(self._kept(position))[0]

    @staticmethod
    def _date(f) -> tuple[str, bool]:
        """An ISO date to sort and show by, and whether it is the capture date (else the file's)."""
        if f.captured_at:
            return f.captured_at, True
        return datetime.fromtimestamp(f.mtime_ns / 1e9).isoformat(timespec="seconds"), False

    def _text(self, column: int, position: int) -> str:
        if column == NAME:
            return printable(os.path.basename(self._kept(position).path))
        if column == SPACE:
            space = self._key(SPACE, position)
            return human_bytes(space) if space else "—"
        if column == PHOTOS:
            return f"{len(self.groups[position].members):,}"
        if column == KIND:
            kind = self.groups[position].kind
            return self.kind_words.get(kind, kind)
        if column == FOLDER:
            return printable(short_folder(self._kept(position).path))
        return self._date(self._kept(position))[0][:10]  # the day; the time is in the tooltip

    def _tip(self, column: int, position: int) -> str | None:
        if column == NAME:
            return printable(self._kept(position).path)
        if column == SPACE:
            marked = len(self.decision(position).remove)
            return self.tr("1 photo marked") if marked == 1 else self.tr("{n:,} photos marked").format(n=marked)
        if column == FOLDER:
            return printable(os.path.dirname(self._kept(position).path))
        if column == DATE:
            when, taken = self._date(self._kept(position))
            return (self.tr("Taken {when}") if taken else self.tr("File last changed {when} (no capture date)")).format(
                when=when.replace("T", " "))
        return None



class GroupsFilter(QAbstractTableModel):
    """The groups a user asks to see, the view's model: by kind, by text in a photo's name or folder, inside a
    folder, in the source model's sorted order (see the module's note). Not a QSortFilterProxyModel: that one asks
    Python whether each of 10,000 rows passes at every sort and every change of filter; here the rows shown are one
    list, made in one pass, and a sort or a filter is one layout change."""

    filtered = Signal()  # the filter changed: the rows shown are others

    def __init__(self, parent=None):
        super().__init__(parent)
        self.kind = ""
        self.text = ""
        self.folder = ""
        self._source: GroupsTableModel | None = None
        self.rows: list[int] = []  # row -> position, in the source's order (the source's own list when unfiltered)
        self._row_at: list[int] | None = None  # position -> row (-1: not shown), made when asked
        self._haystacks: list[str] = []  # position -> its photos' paths, casefolded (made a slice at a time)
        self._parents: list[tuple[str, ...]] = []  # position -> its photos' folders
        self._all_parents: set[str] = set()
        self._inside: dict[str, bool] = {}  # folder -> inside self.folder
        self._warming = QTimer(self)
        self._warming.setSingleShot(True)
        self._warming.setInterval(0)
        self._warming.timeout.connect(self._warm)
        self._shown: bytearray | None = None  # position -> passes the filter: made in one pass when first asked
        self._moving: list[tuple[QPersistentModelIndex, int]] = []  # a layout change's indexes and their positions

    def setSourceModel(self, model: GroupsTableModel) -> None:  # noqa: N802
        self._source = model
        model.modelAboutToBeReset.connect(self._source_resetting)
        model.modelReset.connect(self._source_reset)
        model.layoutAboutToBeChanged.connect(self._before_layout)
        model.layoutChanged.connect(self._after_layout)
        model.dataChanged.connect(self._source_data_changed)
        model.headerDataChanged.connect(self.headerDataChanged)  # "Photos" or "Videos"
        self.beginResetModel()
        self._update_rows()
        self.endResetModel()

    def sourceModel(self) -> GroupsTableModel:  # noqa: N802
        return self._source

    def source(self) -> GroupsTableModel:
        return self._source

    def _forget(self) -> None:
        self._haystacks, self._parents, self._all_parents = [], [], set()
        self._shown = None

    # -- the source's changes ------------------------------------------------------------------------------------

    def _source_resetting(self) -> None:
        self.beginResetModel()
        self._forget()

    def _source_reset(self) -> None:
        self._update_rows()
        self.endResetModel()
        self._warming.start()

    def _before_layout(self) -> None:
        self.layoutAboutToBeChanged.emit()
        self._moving = [(index, self.rows[index.row()]) for index in self.persistentIndexList()
                        if 0 <= index.row() < len(self.rows)]

    def _after_layout(self) -> None:
        self._update_rows()
        before = [index for index, _ in self._moving]
        after = []
        for index, position in self._moving:
            row = self.row_of(position)
            after.append(self.index(row, index.column()) if row >= 0 else QModelIndex())
        self._moving = []
        self.changePersistentIndexList(before, after)
        self.layoutChanged.emit()

    def _source_data_changed(self, top_left: QModelIndex, bottom_right: QModelIndex, roles=()) -> None:
        source = self._source
        if not self.active:
            first, last = top_left.row(), bottom_right.row()
        else:
            rows = [r for r in (self.row_of(source.order[r]) for r in range(top_left.row(), bottom_right.row() + 1))
                    if r >= 0]
            if not rows:
                return
            first, last = min(rows), max(rows)
        self.dataChanged.emit(self.index(first, top_left.column()), self.index(last, bottom_right.column()), roles)

    def _update_rows(self) -> None:
        order = self._source.order if self._source is not None else []
        if self.active:
            shown = self.shown()
            self.rows = [p for p in order if shown[p]]
        else:
            self.rows = order
        self._row_at = None

    # -- rows ----------------------------------------------------------------------------------------------------

    def row_of(self, position: int) -> int:
        """The row showing the group at ``position``, -1 where the filter hides it."""
        if not self.active:
            return self._source.row_of(position)
        if self._row_at is None:
            self._row_at = [-1] * len(self._source.groups)
            for row, p in enumerate(self.rows):
                self._row_at[p] = row
        return self._row_at[position]

    def mapFromSource(self, index: QModelIndex) -> QModelIndex:  # noqa: N802
        if not index.isValid():
            return QModelIndex()
        row = self.row_of(self._source.position_at(index.row()))
        return self.index(row, index.column()) if row >= 0 else QModelIndex()

    def mapToSource(self, index: QModelIndex) -> QModelIndex:  # noqa: N802
        if not index.isValid():
            return QModelIndex()
        return self._source.index(self._source.row_of(self.rows[index.row()]), index.column())

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() or self._source is None else self._source.columnCount()

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        return self._source.headerData(section, orientation, role)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        return self._source.value(self.rows[index.row()], index.column(), role)

    def set_kind(self, kind: str) -> None:
        """Only groups of this Group.kind ("" for all)."""
        self._refilter(lambda: setattr(self, "kind", kind))

    def set_text(self, text: str) -> None:
        """Only groups with a photo whose name or folder holds ``text`` (any case)."""
        self._refilter(lambda: setattr(self, "text", text.strip().casefold()))

    def set_folder(self, folder: str) -> None:
        """Only groups with a photo inside ``folder`` ("" for all): the groups a folder rule would reach."""
        def change():
            self.folder = os.fspath(folder)
            self._inside = {}
        self._refilter(change)

    @property
    def active(self) -> bool:
        return bool(self.kind or self.text or self.folder)

    def _refilter(self, change: Callable[[], None]) -> None:
        """One layout change: the rows shown are made again in one pass; the current row stays where it is shown."""
        self._before_layout()
        change()
        self._shown = None
        self._after_layout()
        self.filtered.emit()

    def shown(self) -> bytearray:
        """Which positions pass the filter, made in one pass over lists made once per set of groups (each group's
        paths as one casefolded text, its folders), not group by group."""
        if self._shown is None:
            groups = self._source.groups
            passing = range(len(groups))
            if self.kind:
                kind = self.kind
                passing = [p for p in passing if groups[p].kind == kind]
            if self.text:
                haystacks, text = self._facts()[0], self.text
                passing = [p for p in passing if text in haystacks[p]]
            if self.folder:
                parents, inside = self._facts()[1], self._inside
                for parent in self._all_parents:
                    if parent not in inside:
                        inside[parent] = in_folders(parent, [self.folder])
                passing = [p for p in passing if any(map(inside.__getitem__, parents[p]))]
            shown = bytearray(len(groups))
            for p in passing:
                shown[p] = 1
            self._shown = shown
        return self._shown

    def accepts(self, position: int) -> bool:
        return bool(self.shown()[position])

    def _facts(self) -> tuple[list[str], list[tuple[str, ...]]]:
        """Per position: its photos' paths as one casefolded text, and its photos' folders (the rest made now if the
        slices between events have not made them yet)."""
        self._make_facts(len(self._source.groups))
        return self._haystacks, self._parents

    def _make_facts(self, end: int) -> None:
        groups, dirname = self._source.groups, os.path.dirname
        for group in groups[len(self._haystacks):end]:
            paths = [m.file.path for m in group.members]
            self._haystacks.append("\n".join(paths).casefold())
            parents = tuple({dirname(path) for path in paths})
            self._parents.append(parents)
            self._all_parents.update(parents)

    def _warm(self) -> None:
        """The filter's lists, a slice at a time between events, so that the first filter only filters."""
        began, total = time.perf_counter(), len(self._source.groups)
        while len(self._haystacks) < total and time.perf_counter() - began < WARM_SLICE_S:
            self._make_facts(len(self._haystacks) + 250)
        if len(self._haystacks) < total:
            self._warming.start()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.source().sort(column, order)

    def filtered_positions(self) -> list[int]:
        """The groups shown, as positions in the source's list, in the order shown."""
        return list(self.rows)

    def filtered_groups(self) -> list[Group]:
        groups = self.source().groups
        return [groups[p] for p in self.filtered_positions()]


class BulkDialog(QDialog):
    """Choose a rule (and its folder), across all groups or the filtered ones; the preview says how many photos in
    how many groups and how many bytes before anything moves. Accepted, ``plan`` is the plan and ``trash_now`` says
    whether the user asked to move it to the trash at once (else it only sets the marks in the review)."""

    def __init__(self, all_groups: Sequence[Group], filtered_groups: Sequence[Group] | None = None,
                 current: Mapping[int, object] | None = None, guards: Sequence[Rule] = (), parent=None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Bulk decisions"))
        self.setAccessibleName(self.tr("Bulk decisions"))
        self.all_groups = list(all_groups)
        self.filtered_groups = list(all_groups if filtered_groups is None else filtered_groups)
        self.current = current or {}
        self.guards = list(guards)
        self.plan: Plan | None = None
        self.rule: Rule | None = None
        self.trash_now = False
        self._asked = 0  # the newest preview asked for: a slice of an older one stops
        layout = QVBoxLayout(self)

        layout.addWidget(QLabel(self.tr("Apply to:")))
        self.scope = QButtonGroup(self)
        self.all_button = QRadioButton(self.tr("All groups ({n:,})").format(n=len(self.all_groups)))
        self.all_button.setToolTip(self.tr("Apply the rule to every group"))
        self.filtered_button = QRadioButton(self.tr("The filtered groups ({n:,})").format(n=len(self.filtered_groups)))
        self.filtered_button.setToolTip(self.tr("Apply the rule only to the groups the table shows now"))
        for i, button in enumerate((self.all_button, self.filtered_button)):
            self.scope.addButton(button, i)
            layout.addWidget(button)
        narrowed = len(self.filtered_groups) != len(self.all_groups)
        self.filtered_button.setEnabled(narrowed)
        (self.filtered_button if narrowed else self.all_button).setChecked(True)

        layout.addWidget(QLabel(self.tr("Rule:")))
        self.rules = QButtonGroup(self)
        self.rule_makers: list[tuple[QRadioButton, Callable[[str], Rule], bool]] = []
        for text, tip, make, needs_folder in (
            (self.tr("Keep the &largest"), self.tr("In each group keep the photo with the most pixels (then the "
                                                   "larger file) and mark its copies"), lambda _: keep_largest(), False),
            (self.tr("Keep the &oldest"), self.tr("In each group keep the photo taken first (then the file made "
                                                  "first) and mark its copies"), lambda _: keep_oldest(), False),
            (self.tr("Keep the one in a &folder"), self.tr("Where a group has a copy in the folder, keep it and mark "
                                                           "its other copies"), keep_in_folder, True),
            (self.tr("&Mark everything in a folder"), self.tr("Mark every copy inside the folder, keeping a copy "
                                                              "outside it; nothing else is marked"), mark_in_folder, True),
            (self.tr("&Never touch a folder"), self.tr("Un-mark everything inside the folder, now and in every later "
                                                       "bulk rule"), never_touch, True),
        ):
            button = QRadioButton(text)
            button.setToolTip(tip)
            self.rules.addButton(button, len(self.rule_makers))
            self.rule_makers.append((button, make, needs_folder))
            layout.addWidget(button)
        self.rule_makers[0][0].setChecked(True)

        folder_row = QHBoxLayout()
        self.folder_label = QLabel(self.tr("Fol&der:"))
        self.folder_field = QLineEdit()
        self.folder_field.setPlaceholderText(self.tr("the folder the rule is about"))
        self.folder_field.setToolTip(self.tr("The folder the rule is about: type its path or choose it"))
        self.folder_field.setAccessibleName(self.tr("Folder"))
        self.folder_label.setBuddy(self.folder_field)
        self.choose_button = QPushButton(self.tr("&Choose…"))
        self.choose_button.setToolTip(self.tr("Pick the folder in a file dialog"))
        self.choose_button.setAccessibleName(self.tr("Choose the folder"))
        self.choose_button.clicked.connect(self.choose_folder)
        folder_row.addWidget(self.folder_label)
        folder_row.addWidget(self.folder_field, 1)
        folder_row.addWidget(self.choose_button)
        layout.addLayout(folder_row)

        self.guards_label = QLabel()
        self.guards_label.setWordWrap(True)
        layout.addWidget(self.guards_label)
        if self.guards:
            self.guards_label.setText(self.tr("Never touched: {folders}").format(
                folders=", ".join(printable(shown_path(g.folder)) for g in self.guards)))
        self.guards_label.setHidden(not self.guards)

        self.preview_label = QLabel()
        self.preview_label.setWordWrap(True)
        self.preview_label.setAccessibleName(self.tr("What the rule would do"))
        self.preview_label.setToolTip(self.tr("What the rule would do: nothing moves until you say so"))
        self.left_label = QLabel()
        self.left_label.setWordWrap(True)
        self.left_label.setAccessibleName(self.tr("Groups left as they are"))
        layout.addWidget(self.preview_label)
        layout.addWidget(self.left_label)

        self.buttons = QDialogButtonBox()
        self.mark_button = self.buttons.addButton(self.tr("Mark in the re&view"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.mark_button.setToolTip(self.tr("Set these keepers and marks in the review; nothing moves yet"))
        self.trash_button = self.buttons.addButton(self.tr("Move to &trash"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.trash_button.setToolTip(self.tr("Move the marked photos to the system trash as one batch: one Undo "
                                             "(Ctrl+Z) puts them all back"))
        cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setToolTip(self.tr("Close without changing anything"))
        self.mark_button.clicked.connect(lambda: self._finish(False))
        self.trash_button.clicked.connect(lambda: self._finish(True))
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

        self.pending = QTimer(self)  # typing a folder: preview once the typing pauses
        self.pending.setSingleShot(True)
        self.pending.setInterval(250)
        self.pending.timeout.connect(self.refresh)
        self.folder_field.textChanged.connect(self.pending.start)
        self.rules.idClicked.connect(lambda _: self.refresh())
        self.scope.idClicked.connect(lambda _: self.refresh())
        self.refresh()

    # -- choices -------------------------------------------------------------------------------------------------

    def set_rule(self, index: int) -> None:
        """Choose the rule by its place in the list (as a click on it would)."""
        self.rule_makers[index][0].setChecked(True)
        self.refresh()

    def set_scope(self, filtered: bool) -> None:
        (self.filtered_button if filtered else self.all_button).setChecked(True)
        self.refresh()

    def set_folder(self, folder: str) -> None:
        """Set the rule's folder (as choosing it would)."""
        self.folder_field.blockSignals(True)
        self.folder_field.setText(os.fspath(folder))
        self.folder_field.blockSignals(False)
        self.refresh()

    def choose_folder(self) -> None:
        start = self.folder_field.text() or os.path.expanduser("~")
        folder = QFileDialog.getExistingDirectory(self, self.tr("Choose the folder"), start)
        if folder:
            self.set_folder(folder)

    def folder(self) -> str:
        text = self.folder_field.text().strip()
        return os.path.abspath(os.path.expanduser(text)) if text else ""

    def groups(self) -> list[Group]:
        return self.filtered_groups if self.filtered_button.isChecked() else self.all_groups

    # -- the preview ---------------------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Preview the rule chosen (a slice at a time: the dialog answers keys meanwhile)."""
        self.pending.stop()
        self._asked += 1
        self.plan, self.rule = None, None
        self._enable(None)
        _, make, needs_folder = self.rule_makers[self.rules.checkedId()]
        for widget in (self.folder_label, self.folder_field, self.choose_button):
            widget.setEnabled(needs_folder)
        folder = self.folder()
        if needs_folder and not folder:
            self.preview_label.setText(self.tr("Choose a folder for this rule."))
            self.left_label.setText("")
            return
        rule = make(folder)
        rules = [rule] if rule.guard else [rule, *self.guards]
        self.preview_label.setText(self.tr("Counting…"))
        self.left_label.setText("")
        asked, groups = self._asked, self.groups()
        # the first slice in an event of its own: the click (or the dialog's opening) is already a frame's work
        QTimer.singleShot(0, self, lambda: self._slice(asked, rule, rules, groups, 0, []))

    def _slice(self, asked: int, rule: Rule, rules: list[Rule], groups: list[Group], start: int,
               parts: list[Plan], plan: Plan | None = None) -> None:
        """A slice of the preview: groups 50 at a time (a rule may be slow on a large group), then the plan's totals
        one at a time (each a pass over 10,000 steps), then the words, each part within PREVIEW_SLICE_S."""
        if asked != self._asked:
            return  # the user chose something else meanwhile
        began, step = time.perf_counter(), 50
        while start < len(groups) and time.perf_counter() - began < PREVIEW_SLICE_S:
            part = preview(groups[start:start + step], *rules, current=self.current)
            for total in TOTALS:  # each part's totals now: the joined plan's are their sums (engine.bulk.joined)
                getattr(part, total)
            parts.append(part)
            start += step
        if start < len(groups):
            self.preview_label.setText(self.tr("Counting… {done:,} of {total:,} groups").format(
                done=start, total=len(groups)))
            QTimer.singleShot(0, self, lambda: self._slice(asked, rule, rules, groups, start, parts))
            return
        if plan is None:
            plan = joined(parts) if parts else preview([], *rules)
        for total in TOTALS:  # cached on the plan: each made once (summed from the parts), the words only read them
            if total not in plan.__dict__:
                if time.perf_counter() - began >= PREVIEW_SLICE_S:
                    QTimer.singleShot(0, self, lambda: self._slice(asked, rule, rules, groups, start, parts, plan))
                    return
                getattr(plan, total)
        self.plan, self.rule = plan, rule
        self.preview_label.setText(self.tr("This would {what}.").format(what=plan.words))
        reasons = plan.reasons_left().most_common(3)
        self.left_label.setText(self.tr("Left as is: {why}").format(
            why="; ".join(f"{n:,} × {reason}" for reason, n in reasons)) if reasons else "")
        self._enable(plan)

    def _enable(self, plan: Plan | None) -> None:
        self.mark_button.setEnabled(bool(plan and plan.steps))
        self.trash_button.setEnabled(bool(plan and plan.selects and plan.photos))

    def _finish(self, trash_now: bool) -> None:
        if self.plan is None:
            return
        self.trash_now = trash_now
        self.accept()


class GroupsTable(QWidget):
    """The table of groups with its filters (kind, text) and the Bulk… button. ``activated``: the position of the
    group the user opened (Enter or a double-click), to show as cards; ``plan_chosen``: the plan of a bulk rule the
    user accepted, and whether to move it to the trash now. A "never touch" rule accepted stays in ``guards`` and
    filters every later bulk rule."""

    activated = Signal(int)
    plan_chosen = Signal(object, bool)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.model = GroupsTableModel(self)
        self.filter = GroupsFilter(self)
        self.filter.setSourceModel(self.model)
        self.guards: list[Rule] = []

        self.kind_box = QComboBox()
        self.kind_box.addItem(self.tr("All kinds"), "")
        for kind in KINDS:
            self.kind_box.addItem(self.model.kind_words[kind], kind)
        self.kind_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.kind_box.setMinimumContentsLength(9)  # a narrow window elides the kind rather than growing for it
        self.kind_box.setToolTip(self.tr("Show only the groups of one kind"))
        self.kind_box.setAccessibleName(self.tr("Kind of group"))
        self.kind_box.currentIndexChanged.connect(lambda _: self.filter.set_kind(self.kind_box.currentData()))
        self.filter.filtered.connect(self._count)
        self.filter.filtered.connect(self._keep_current)

        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("Filter by name or folder"))
        self.search.setToolTip(self.tr("Show only the groups with a photo whose name or folder holds this text"))
        self.search.setAccessibleName(self.tr("Filter by name or folder"))
        self.search.setClearButtonEnabled(True)
        self.typing = QTimer(self)  # filter once the typing pauses, not on every key
        self.typing.setSingleShot(True)
        self.typing.setInterval(150)
        self.typing.timeout.connect(self._search)
        self.search.textChanged.connect(self.typing.start)

        self.bulk_button = QPushButton(self.tr("&Bulk…"))
        self.bulk_button.setToolTip(self.tr("Keep or mark by a rule across all groups or the filtered ones; shows "
                                            "what it would move first"))
        self.bulk_button.setAccessibleName(self.tr("Bulk decisions"))
        self.bulk_button.clicked.connect(self.open_bulk)

        self.count = QLabel()
        self.count.setAccessibleName(self.tr("Groups shown"))

        self.view = QTableView()
        self.view.setModel(self.filter)
        self.view.setAccessibleName(self.tr("Duplicate groups"))
        self.view.setToolTip(self.tr("One row per group: Enter or a double-click shows its photos"))
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setTabKeyNavigation(False)  # Tab leaves the table for the next control
        self.view.setWordWrap(False)
        rows = self.view.verticalHeader()
        rows.hide()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # no per-row measuring: 10,000 rows open at once
        rows.setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(NAME, QHeaderView.ResizeMode.Stretch)  # the rest of the pane: names are long
        self.view.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # a name's end and a folder's last part stay
        widest = {SPACE: "999.9 MB", PHOTOS: "9,999", KIND: max(self.model.kind_words.values(), key=len),
                  FOLDER: "…/WhatsApp Images", DATE: "2024-12-31"}  # by a wide text, not by measuring every row
        for column, text in widest.items():
            width = max(self.fontMetrics().horizontalAdvance(text), header.fontMetrics().horizontalAdvance(
                self.model.headers[column]) + 16)
            header.resizeSection(column, width + 16)
        header.setSortIndicator(SPACE, Qt.SortOrder.DescendingOrder)
        self.view.setSortingEnabled(True)
        self.view.activated.connect(self._activated)

        filters = QHBoxLayout()
        filters.addWidget(self.kind_box)
        filters.addWidget(self.search, 1)
        filters.addWidget(self.bulk_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(filters)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.count)
        self.setTabOrder(self.kind_box, self.search)
        self.setTabOrder(self.search, self.bulk_button)
        self.setTabOrder(self.bulk_button, self.view)
        self._count()

    def set_groups(self, groups: Sequence[Group], decisions: Sequence | None = None,
                   space: Sequence[int] | None = None) -> None:
        """Show ``groups`` and their decisions (the review's Choices: the table reads them as they change), with the
        bytes each frees where known (:meth:`GroupsTableModel.set_groups`)."""
        self.model.set_groups(groups, decisions, space)
        self._count()

    def changed(self, position: int) -> None:
        self.model.changed(position)

    def select_position(self, position: int) -> None:
        """Make the group at ``position`` the table's current row (where the filter shows it)."""
        row = self.filter.mapFromSource(self.model.index(self.model.row_of(position), 0))
        if row.isValid():
            self.view.setCurrentIndex(row)
            self.view.scrollTo(row)

    def _keep_current(self) -> None:
        """The filter hid the current group: the first group shown becomes current (as the review follows it)."""
        if not self.view.currentIndex().isValid() and self.filter.rowCount():
            self.view.setCurrentIndex(self.filter.index(0, 0))

    def _search(self) -> None:
        self.filter.set_text(self.search.text())

    def _count(self) -> None:
        shown, total = self.filter.rowCount(), self.model.rowCount()
        if self.model.groups and all(g.kind == "series" for g in self.model.groups):  # as the summary counts them
            self.count.setText((self.tr("1 series") if total == 1 else self.tr("{n:,} series").format(n=total))
                               if shown == total else
                               self.tr("Showing {shown:,} of {total:,} series").format(shown=shown, total=total))
            return
        self.count.setText((self.tr("1 group") if total == 1 else self.tr("{n:,} groups").format(n=total))
                           if shown == total else
                           self.tr("Showing {shown:,} of {total:,} groups").format(shown=shown, total=total))

    def _activated(self, index: QModelIndex) -> None:
        self.activated.emit(self.filter.data(index, PositionRole))

    def bulk_dialog(self) -> BulkDialog:
        """The bulk dialog over these groups (all, or the filtered ones) and their decisions now."""
        filtered = self.filter.filtered_groups() if self.filter.active else None
        return BulkDialog(self.model.groups, filtered, self.model.decisions_by_group(), self.guards, self)

    def open_bulk(self) -> None:
        dialog = self.bulk_dialog()
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.accept_plan(dialog)
        dialog.deleteLater()

    def accept_plan(self, dialog: BulkDialog) -> None:
        """What an accepted dialog leads to: a guard is kept for later rules, and the plan goes to the screen."""
        if dialog.rule is not None and dialog.rule.guard:
            self.guards.append(dialog.rule)
        self.plan_chosen.emit(dialog.plan, dialog.trash_now)
