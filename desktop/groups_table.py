"""The duplicate groups as a table beside the cards: one row per group (space to free, photos, kind, folder, date),
sortable and filterable, and bulk rules with a preview ("keep the largest" across all or the filtered groups) that
say what they would move before anything moves.

10,000 groups open at once: the model holds the engine's groups and the review's decisions and makes a row's
text only when the row is painted; a column's sort keys are made once, when it is first sorted by, and the model
sorts itself in Python (a QSortFilterProxyModel sorting would ask Python for two values per comparison). A bulk
preview over 10,000 groups runs a slice at a time between events, so the window never waits on it."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt, QTimer, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (QAbstractItemView, QButtonGroup, QComboBox, QDialog, QDialogButtonBox, QFileDialog,
                               QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPushButton, QRadioButton, QTableView,
                               QVBoxLayout, QWidget)

from engine.bulk import (Decision, Plan, Rule, engine_decision, group_id, joined, keep_in_folder, keep_largest,
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
KINDS = ("exact", "copy", "near", "series", "similar")  # Group.kind, in the order the Kind column sorts
FOLDER_WIDTH = 40  # characters of a folder shown before it is shortened from the left
PREVIEW_SLICE_S = 0.015  # a bulk preview works this long between events


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
        self._keys: dict[int, list] = {}  # column -> sort key per position, made when first sorted by
        self._sorted: tuple[int, Qt.SortOrder] | None = None
        self.thumbnail: Callable[[FileRow], QPixmap | None] | None = None  # the kept photo's, in the Photo column
        self.headers = (self.tr("Photo kept"), self.tr("Space to free"), self.tr("Photos"), self.tr("Kind"), self.tr("Folder"), self.tr("Date"))
        self.header_tips = (
            self.tr("The name of the photo kept"),
            self.tr("Space the photos marked in the group would free"),
            self.tr("How many photos the group holds"),
            self.tr("Exact copies (same bytes), verified copies, near copies not verified, series (bursts and "
                    "re-takes, never marked) or similar photos (never marked)"),
            self.tr("The folder of the photo kept"),
            self.tr("When the photo kept was taken (else when its file was last changed)"))
        self.kind_words = {"exact": self.tr("Exact copies"), "copy": self.tr("Copies"), "series": self.tr("Series"),
                           "similar": self.tr("Similar"), "near": self.tr("Near (not verified)")}

    # -- the caller's side ---------------------------------------------------------------------------------------

    def set_groups(self, groups: Sequence[Group], decisions: Sequence | None = None) -> None:
        """Show ``groups`` with their ``decisions`` (same order; None: the engine's), sorted as before."""
        if decisions is not None and len(decisions) != len(groups):
            raise ValueError("one decision per group")
        self.beginResetModel()
        self.groups, self._decisions, self._engine, self._keys = list(groups), decisions, {}, {}
        self.order = list(range(len(self.groups)))
        if self._sorted is not None:
            self._order_by(*self._sorted)
        self._row_of = self._inverse(self.order)
        self.endResetModel()

    def changed(self, position: int, decision=None) -> None:
        """A group's decision changed (``decision``: its new one, where the model was not given the caller's own
        mutable Choice): its row shows it. Rows do not move until the next sort: a row jumping away as the user
        decides would lose their place."""
        if decision is not None:
            if self._decisions is None:
                self._engine[position] = decision
            else:
                self._decisions = list(self._decisions)
                self._decisions[position] = decision
        for column, keys in self._keys.items():
            keys[position] = self._key(column, position)
        row = self._row_of[position]
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.headers) - 1))

    def decision(self, position: int):
        if self._decisions is not None:
            return self._decisions[position]
        known = self._engine.get(position)
        if known is None:
            known = self._engine[position] = engine_decision(self.groups[position])
        return known

    def thumbnails_changed(self) -> None:
        """A thumbnail came: the photo column is painted again. The view repaints only the rows in sight, so one
        signal costs less than finding the rows of ``path`` among thousands of groups for every thumbnail."""
        if self.groups:
            self.dataChanged.emit(self.index(0, NAME), self.index(len(self.groups) - 1, NAME),
                                  [Qt.ItemDataRole.DecorationRole])

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
        position, column = self.order[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(column, position)
        if role == SortRole:
            return self._key(column, position)
        if role == PositionRole:
            return position
        if role == Qt.ItemDataRole.DecorationRole and column == NAME and self.thumbnail is not None:
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
        keys = self._keys.get(column)
        if keys is None:
            keys = self._keys[column] = [self._key(column, p) for p in range(len(self.groups))]
        self.order = sorted(range(len(self.groups)), key=keys.__getitem__,
                            reverse=order == Qt.SortOrder.DescendingOrder)  # stable: ties in the engine's order

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
            return sum(m.file.size for m in self.groups[position].members if m.file.id in remove)
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
        return self._date(self._kept(position))[0][:16].replace("T", " ")

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



class GroupsFilter(QSortFilterProxyModel):
    """The groups a user asks to see: by kind, by text in a photo's name or folder, inside a folder. Sorting is
    the source model's own (see the module's note)."""

    filtered = Signal()  # the filter changed: the rows shown are others

    def __init__(self, parent=None):
        super().__init__(parent)
        self.kind = ""
        self.text = ""
        self.folder = ""
        self._haystacks: dict[int, str] = {}  # position -> its photos' paths, casefolded (made when text is asked)
        self._inside: dict[str, bool] = {}  # parent folder -> inside self.folder
        self._shown: bytearray | None = None  # position -> passes the filter: made in one pass when first asked

    def setSourceModel(self, model: GroupsTableModel) -> None:  # noqa: N802
        super().setSourceModel(model)
        model.modelAboutToBeReset.connect(self._forget)  # before the proxy asks of the new groups

    def _forget(self) -> None:
        self._haystacks.clear()
        self._shown = None

    def source(self) -> GroupsTableModel:
        return self.sourceModel()

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
        if hasattr(self, "endFilterChange"):  # Qt 6.10 and later
            self.beginFilterChange()
            change()
            self._shown = None
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            change()
            self._shown = None
            self.invalidateRowsFilter()
        self.filtered.emit()

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex) -> bool:  # noqa: N802
        if not self.active:
            return True
        return bool(self.shown()[self.source().position_at(source_row)])

    def shown(self) -> bytearray:
        """Which positions pass the filter, made in one pass (the proxy asks row by row, 10,000 times)."""
        if self._shown is None:
            self._shown = bytearray(map(self.accepts, range(len(self.source().groups))))
        return self._shown

    def accepts(self, position: int) -> bool:
        group = self.source().groups[position]
        if self.kind and group.kind != self.kind:
            return False
        if self.text:
            haystack = self._haystacks.get(position)
            if haystack is None:
                haystack = self._haystacks[position] = "\n".join(m.file.path for m in group.members).casefold()
            if self.text not in haystack:
                return False
        return not self.folder or any(self._holds(m.file.path) for m in group.members)

    def _holds(self, path: str) -> bool:
        parent = os.path.dirname(path)
        inside = self._inside.get(parent)
        if inside is None:
            inside = self._inside[parent] = in_folders(parent, [self.folder])
        return inside

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.source().sort(column, order)

    def filtered_positions(self) -> list[int]:
        """The groups shown, as positions in the source's list, in the order shown."""
        order = self.source().order
        if not self.active:
            return list(order)
        shown = self.shown()
        return [p for p in order if shown[p]]

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
        self._slice(self._asked, rule, rules, self.groups(), 0, [])

    def _slice(self, asked: int, rule: Rule, rules: list[Rule], groups: list[Group], start: int,
               parts: list[Plan]) -> None:
        if asked != self._asked:
            return  # the user chose something else meanwhile
        began, step = time.perf_counter(), 200
        while start < len(groups) and time.perf_counter() - began < PREVIEW_SLICE_S:
            parts.append(preview(groups[start:start + step], *rules, current=self.current))
            start += step
        if start < len(groups):
            self.preview_label.setText(self.tr("Counting… {done:,} of {total:,} groups").format(
                done=start, total=len(groups)))
            QTimer.singleShot(0, self, lambda: self._slice(asked, rule, rules, groups, start, parts))
            return
        plan = joined(parts) if parts else preview([], *rules)
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
        header.setSectionResizeMode(FOLDER, QHeaderView.ResizeMode.Stretch)
        widest = {NAME: "a-photo-name-of-some-length.jpg", SPACE: "999.9 MB", PHOTOS: "9,999", KIND: max(self.model.kind_words.values(), key=len),
                  DATE: "2024-12-31 23:59"}  # by the widest text, not by measuring every row
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

    def set_groups(self, groups: Sequence[Group], decisions: Sequence | None = None) -> None:
        """Show ``groups`` and their decisions (the review's Choices: the table reads them as they change)."""
        self.model.set_groups(groups, decisions)
        self._count()

    def changed(self, position: int) -> None:
        self.model.changed(position)

    def select_position(self, position: int) -> None:
        """Make the group at ``position`` the table's current row (where the filter shows it)."""
        row = self.filter.mapFromSource(self.model.index(self.model.row_of(position), 0))
        if row.isValid():
            self.view.setCurrentIndex(row)
            self.view.scrollTo(row)

    def _search(self) -> None:
        self.filter.set_text(self.search.text())

    def _count(self) -> None:
        shown, total = self.filter.rowCount(), self.model.rowCount()
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
