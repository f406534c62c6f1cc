"""Library: the folders, their scan (progress, rate, ETA, cancel), a tree of the folders with their photo counts,
the files that could not be read, and the thumbnail grid of every photo, sorted and filtered (the grid itself is
in widgets, which the Search screen shares).

The catalog is read into a :class:`LibraryIndex` off the UI thread, with every sort order made there: sorting,
filtering or choosing a folder of 100,000 photos is then a few array operations on the UI thread, never a sort."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
from PySide6.QtCore import QAbstractItemModel, QCoreApplication, QItemSelectionModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QAction, QColor, QKeySequence
from PySide6.QtWidgets import (QAbstractItemView, QApplication, QComboBox, QFileDialog, QHBoxLayout, QHeaderView,
                               QLabel, QListWidget, QListWidgetItem, QMenu, QMessageBox, QProgressBar, QPushButton,
                               QSizePolicy, QStyle, QToolButton, QTreeView, QTreeWidget, QTreeWidgetItem, QVBoxLayout,
                               QWidget)

from engine.catalog import Catalog, FileRow
from engine.duplicates import model_groups
from engine.errors import ModelError, NoCodesError, printable
from engine.scan import ScanFailure, ScanProgress, ScanSummary
from engine.units import human_bytes

from .context import AppContext
from .widgets import (PathRole, Row, ThumbnailModel, box_height_for, fit_grid_to_photos, shown_path, side_by_side,
                      thumbnail_grid)
from .workers import Latest, ScanWorker, run_task

SORT_KEYS = ("date", "name", "size", "folder")
FILTERS = ("all", "unreadable", "grouped", "reference")
SORT_SETTING, DESCENDING_SETTING = "library/sort", "library/sort_descending"
ERROR_ROWS_SHOWN = 6  # the unreadable list grows to this many rows, then scrolls: the folder tree keeps the room
ERRORS_LISTED = 500  # rows made for it at most (each is a widget item, made on the UI thread); the grid has the rest


def describe_eta(progress: ScanProgress) -> str:
    # each literal in a translate() call of its own: lupdate reads only literal strings
    if progress.phase == "walking":
        return QCoreApplication.translate("LibraryView", "Looking for photos: {found} found").format(
            found=f"{progress.found:,}")
    parts = [QCoreApplication.translate("LibraryView", "{done} of {total} photos").format(
        done=f"{progress.done:,}", total=f"{progress.total:,}")]
    if progress.skipped:
        parts.append(QCoreApplication.translate("LibraryView", "{count} unchanged").format(count=f"{progress.skipped:,}"))
    if progress.rate:
        parts.append(QCoreApplication.translate("LibraryView", "{rate}/s").format(rate=f"{progress.rate:.0f}"))
    if progress.eta_s is not None and progress.done < progress.total:
        eta = progress.eta_s
        parts.append(QCoreApplication.translate("LibraryView", "about {seconds} s left").format(seconds=f"{eta:.0f}")
                     if eta < 90 else
                     QCoreApplication.translate("LibraryView", "about {minutes} min left").format(
                         minutes=f"{eta / 60:.0f}"))
    if progress.failed:
        parts.append(QCoreApplication.translate("LibraryView", "{count} unreadable").format(
            count=f"{progress.failed:,}"))
    return " · ".join(parts)


# -- the index: every file of the catalog, its sort orders and its folders -------------------------------------------

class FolderNode:
    """A folder of the tree, its photos counted with its subfolders'. ``kind`` is "folder", or "all" and "outside"
    for the two rows that are no folder (every photo; the photos outside the library folders)."""

    __slots__ = ("name", "path", "kind", "parent", "children", "row", "photos", "unreadable", "folder_id")

    def __init__(self, name: str, path: str | None, kind: str = "folder", parent: FolderNode | None = None):
        self.name, self.path, self.kind, self.parent = name, path, kind, parent
        self.children: list[FolderNode] = []
        self.row = 0
        self.photos = self.unreadable = 0
        self.folder_id = -1  # its index in LibraryIndex.folders when files lie directly in it

    def folder_ids(self) -> list[int]:
        """The folders of this subtree that hold files."""
        ids, stack = [], [self]
        while stack:
            node = stack.pop()
            if node.folder_id >= 0:
                ids.append(node.folder_id)
            stack.extend(node.children)
        return ids


@dataclass
class LibraryIndex:
    """The catalog's present files as the Library shows them: rows in path order, per-file flags and folder, the
    ascending order for each sort key, and the folder tree."""

    rows: list[Row]
    sizes: np.ndarray  # bytes per row
    readable: np.ndarray  # bool per row
    copies: np.ndarray  # bool per row: shares its content hash with another present file
    aspects: np.ndarray  # height / width per row (NaN where unknown)
    folder_of: np.ndarray  # per row: its index in ``folders``
    folders: list[str]  # the folders that hold files
    orders: dict[str, np.ndarray]  # sort key -> row numbers, ascending
    tree: list[FolderNode]  # top level: every photo, each library folder, the photos outside them
    errors: list[tuple[str, str]]  # (path, why) of the unreadable files
    position: dict[str, int] = field(default_factory=dict)  # path -> row
    nodes: dict[str, FolderNode] = field(default_factory=dict)  # folder path -> its node

    def in_folders(self, folders: Sequence[str]) -> np.ndarray:
        """Per row: is its file in one of ``folders`` or a folder inside one (whole path components, as the
        keeper rules decide it: /a/ref does not hold /a/reference2)."""
        if not folders:
            return np.zeros(len(self.rows), bool)
        folders = [os.path.normpath(f) for f in folders]
        prefixes, exact = tuple(f.rstrip(os.sep) + os.sep for f in folders), set(folders)
        inside = np.fromiter((d in exact or d.startswith(prefixes) for d in self.folders), bool, len(self.folders))
        return inside[self.folder_of]


def _date_key(f: FileRow) -> str:
    """Date taken, else the file's date (local time, ISO 8601, as the capture date is written): one scale for both."""
    if f.captured_at:
        return f.captured_at
    try:
        return datetime.fromtimestamp(f.mtime_ns / 1e9).isoformat()
    except (OverflowError, OSError, ValueError):
        return ""


def _top_folders(folders: Iterable[str]) -> list[str]:
    """The folders none of the others holds, sorted: a library folder inside another is shown inside it."""
    out: list[str] = []
    for folder in sorted({os.path.normpath(f) for f in folders}, key=lambda f: (f.casefold(), f)):
        if not any(folder == top or folder.startswith(top.rstrip(os.sep) + os.sep) for top in out):
            out.append(folder)
    return sorted(out, key=lambda f: shown_path(f).casefold())


def build_tree(folders: Sequence[str], photos: np.ndarray, unreadable: np.ndarray,
               library_folders: Sequence[str]) -> tuple[list[FolderNode], dict[str, FolderNode]]:
    """The folder tree: one root per library folder, the folders that hold files nested in it by their path, the
    folders outside every library folder under a row of their own; each counts the photos of its subtree.
    ``photos`` and ``unreadable``: per folder, the files directly in it. Returns the top rows and path -> node."""
    roots = _top_folders(library_folders)
    nodes: dict[str, FolderNode] = {}
    everything = FolderNode("", None, "all")
    top = [everything]
    for root in roots:
        nodes[root] = FolderNode(printable(shown_path(root)), root, parent=None)
        top.append(nodes[root])
    root_set = set(roots)

    def root_of(folder: str) -> str | None:
        path = folder
        while path not in root_set:
            up = os.path.dirname(path)
            if up == path:
                return None
            path = up
        return path

    outside = [f for f in folders if root_of(f) is None]
    if outside:
        elsewhere = FolderNode("", None, "outside")
        top.append(elsewhere)
        for folder in _top_folders(outside):
            nodes[folder] = FolderNode(printable(shown_path(folder)), folder, parent=elsewhere)
            elsewhere.children.append(nodes[folder])

    for folder_id, folder in enumerate(folders):
        node = nodes.get(folder)
        if node is None:  # create it and the missing folders between it and its root
            chain, path = [], folder
            while path not in nodes:  # every folder has a root: its library folder's, or its own outside them
                chain.append(path)
                path = os.path.dirname(path)
            parent = nodes[path]
            for path in reversed(chain):
                node = FolderNode(printable(os.path.basename(path) or path), path, parent=parent)
                parent.children.append(node)
                nodes[path] = parent = node
        node.folder_id = folder_id
        count, bad = int(photos[folder_id]), int(unreadable[folder_id])
        while node is not None:
            node.photos += count
            node.unreadable += bad
            node = node.parent
    everything.photos, everything.unreadable = int(photos.sum()), int(unreadable.sum())
    if outside:
        elsewhere.photos = sum(n.photos for n in elsewhere.children)
        elsewhere.unreadable = sum(n.unreadable for n in elsewhere.children)

    stack = list(top)
    for row, node in enumerate(top):
        node.row = row
    while stack:
        node = stack.pop()
        node.children.sort(key=lambda n: (n.name.casefold(), n.name))
        for row, child in enumerate(node.children):
            child.row = row
        stack.extend(node.children)
    return top, nodes


def build_index(files: Sequence[FileRow], library_folders: Sequence[str]) -> LibraryIndex:
    """Everything the Library shows of these catalog rows (run off the UI thread: a second for 100,000 files)."""
    n = len(files)
    if not n:
        nothing = np.zeros(0, np.int64)
        tree, nodes = build_tree([], nothing, nothing, library_folders)
        return LibraryIndex([], nothing, np.zeros(0, bool), np.zeros(0, bool), np.zeros(0), nothing, [],
                            {key: nothing for key in SORT_KEYS}, tree, [], {}, nodes)
    rows: list[Row] = []
    folder_ids: dict[str, int] = {}
    folder_of: list[int] = []
    names: list[str] = []
    for f in files:
        caption = printable(os.path.basename(f.path))
        rows.append((f.path, f.size, f.mtime_ns, caption, None))
        names.append(caption.casefold())
        folder = os.path.dirname(f.path)
        folder_id = folder_ids.get(folder)
        if folder_id is None:
            folder_id = folder_ids[folder] = len(folder_ids)
        folder_of.append(folder_id)
    folders = list(folder_ids)
    folder_array = np.array(folder_of, dtype=np.int64)
    readable = np.fromiter((f.error is None for f in files), bool, n)
    shared = {h for h, count in Counter(f.content_hash for f in files if f.content_hash).items() if count > 1}
    copies = np.fromiter((f.content_hash in shared for f in files), bool, n)
    aspects = np.fromiter(((f.height / f.width) if f.width and f.height else np.nan for f in files), np.float64, n)

    # every order ends in the path (case-insensitive), so equal keys always come out the same way
    path_rank = np.empty(n, np.int64)
    path_rank[np.lexsort((np.array([f.path for f in files], dtype=str),
                          np.array([f.path.casefold() for f in files], dtype=str)))] = np.arange(n)
    by_name = np.lexsort((path_rank, np.array(names, dtype=str)))
    name_rank = np.empty(n, np.int64)
    name_rank[by_name] = np.arange(n)
    folder_rank = np.empty(len(folders), np.int64)
    folder_rank[np.argsort(np.array([f.casefold() for f in folders], dtype=str), kind="stable")] = \
        np.arange(len(folders))
    sizes = np.fromiter((f.size for f in files), np.int64, n)
    orders = {
        "name": by_name,
        "date": np.lexsort((path_rank, np.array([_date_key(f) for f in files], dtype=str))),
        "size": np.lexsort((name_rank, sizes)),
        "folder": np.lexsort((name_rank, folder_rank[folder_array])),
    }

    photos = np.bincount(folder_array[readable], minlength=len(folders))
    bad = np.bincount(folder_array[~readable], minlength=len(folders))
    tree, nodes = build_tree(folders, photos, bad, library_folders)
    errors = [(f.path, f.error) for f in files if f.error is not None]
    return LibraryIndex(rows, sizes, readable, copies, aspects, folder_array, folders, orders, tree, errors,
                        {r[0]: i for i, r in enumerate(rows)}, nodes)


def read_index(catalog: Catalog, library_folders: Sequence[str]) -> LibraryIndex:
    return build_index(catalog.all_files(), library_folders)


def grouped_paths(catalog: Catalog, model, radius: int) -> set[str]:
    """The photos the engine groups as duplicates at ``radius`` by their codes, exact copies included (what
    Duplicates starts from, before it reads photos to verify each pair), with the RAWs stacked with them. Empty before
    the first scan."""
    try:
        groups = model_groups(catalog, model, radius, duplicate_radius=radius)
    except NoCodesError:
        return set()
    return {p for g in groups for m in g.members for p in (m.file.path, *(f.path for f in m.stack))}


class ShownRows(Sequence):
    """The grid's rows as a view of the index (the grid's row i is the index's row ``chosen[i]``): a list of 100,000
    rows built for each sort or filter would hold the UI thread longer than a frame."""

    def __init__(self, rows: list[Row], chosen: np.ndarray):
        self.rows, self.chosen = rows, chosen.tolist()

    def __len__(self) -> int:
        return len(self.chosen)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self.rows[j] for j in self.chosen[i]]
        return self.rows[self.chosen[i]]


class ShownPosition(Mapping):
    """Path -> the grid's row, through the index's path -> row and the inverse of the order shown (one array
    operation, where a new dict of 100,000 paths would take longer than a frame)."""

    def __init__(self, index: LibraryIndex, chosen: np.ndarray):
        self.index, self.chosen = index, chosen
        self.inverse = np.full(len(index.rows), -1, np.int64)
        self.inverse[chosen] = np.arange(len(chosen))

    def __getitem__(self, path: str) -> int:
        shown = int(self.inverse[self.index.position[path]])
        if shown < 0:
            raise KeyError(path)
        return shown

    def __iter__(self) -> Iterator[str]:
        return (self.index.rows[i][0] for i in self.chosen.tolist())

    def __len__(self) -> int:
        return len(self.chosen)


# -- the folder tree's model -----------------------------------------------------------------------------------------

class FolderTreeModel(QAbstractItemModel):
    """The folder tree as a QTreeView reads it (two columns: the folder, its photo count); built off the UI thread
    with the index, so that setting it is one reset."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.top: list[FolderNode] = []
        style = QApplication.style()
        self.icons = {"all": style.standardIcon(QStyle.StandardPixmap.SP_DirOpenIcon),
                      "folder": style.standardIcon(QStyle.StandardPixmap.SP_DirIcon),
                      "outside": style.standardIcon(QStyle.StandardPixmap.SP_DriveHDIcon)}

    def set_tree(self, top: list[FolderNode]) -> None:
        self.beginResetModel()
        self.top = top
        self.endResetModel()

    def node(self, index: QModelIndex) -> FolderNode | None:
        return index.internalPointer() if index.isValid() else None

    def index_of(self, node: FolderNode) -> QModelIndex:
        return self.createIndex(node.row, 0, node)

    def index(self, row: int, column: int, parent: QModelIndex = QModelIndex()) -> QModelIndex:
        siblings = parent.internalPointer().children if parent.isValid() else self.top
        if 0 <= row < len(siblings) and 0 <= column < 2:
            return self.createIndex(row, column, siblings[row])
        return QModelIndex()

    def parent(self, child: QModelIndex | None = None):  # noqa: D401 - Qt's two parents: the item's, and the QObject's
        if child is None:
            return super().parent()
        if not child.isValid():
            return QModelIndex()
        up = child.internalPointer().parent
        return QModelIndex() if up is None else self.createIndex(up.row, 0, up)

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802 (Qt's name)
        if parent.isValid():
            return len(parent.internalPointer().children) if parent.column() == 0 else 0
        return len(self.top)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 2

    def hasChildren(self, parent: QModelIndex = QModelIndex()) -> bool:  # noqa: N802
        return self.rowCount(parent) > 0

    def label(self, node: FolderNode) -> str:
        if node.kind == "all":
            return self.tr("All photos")
        if node.kind == "outside":
            return self.tr("Outside the library folders")
        return node.name

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        node = self.node(index)
        if node is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.label(node) if index.column() == 0 else f"{node.photos:,}"
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == 1:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.DecorationRole and index.column() == 0:
            return self.icons[node.kind]
        if role == Qt.ItemDataRole.ToolTipRole:
            where = printable(node.path) if node.path else self.label(node)
            text = self._photos(node.photos)
            if node.kind == "folder":
                text = self.tr("%1, here and in its subfolders").replace("%1", text)
            if node.unreadable:
                text += self.tr("; %1 unreadable").replace("%1", f"{node.unreadable:,}")
            return f"{where}\n{text}"
        if role == Qt.ItemDataRole.AccessibleTextRole and index.column() == 0:
            return self.tr("{folder}: {photos}").format(folder=self.label(node), photos=self._photos(node.photos))
        if role == PathRole:
            return printable(node.path) if node.path else None
        return None

    def _photos(self, count: int) -> str:
        return self.tr("1 photo") if count == 1 else self.tr("%1 photos").replace("%1", f"{count:,}")

    def headerData(self, section: int, orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.tr("Folder") if section == 0 else self.tr("Photos")
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.TextAlignmentRole and section == 1:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


# -- the screen ------------------------------------------------------------------------------------------------------

class LibraryView(QWidget):
    find_similar = Signal(object)  # a path: a Python str keeps the bytes of a name that is not UTF-8
    scan_finished = Signal(object)  # ScanSummary
    shown = Signal()  # the grid shows a new selection of photos (index loaded, sort, filter or folder changed)

    def __init__(self, context: AppContext, parent=None):
        super().__init__(parent)
        self.context = context
        self.worker: ScanWorker | None = None
        self.queued: str | None = None  # the model of a scan asked for while one ran: it follows
        self.failures: list[tuple[str, str]] = []
        self.failures_shown = -1  # how many the unreadable list shows
        self.index: LibraryIndex | None = None
        self.grouped: set[str] = set()  # the paths the engine groups as duplicates (grouped_paths)
        self.groups_stale = True  # ``grouped`` is not the answer for the catalog, model and radius of now
        self.references: list[str] = []  # the reference folders, read when they change (never in a worker's answer)
        self.chosen_folder: str | None = None  # the folder tree's choice: a folder's path, or a row's kind
        self.group_questions = Latest(context.catalog_path, self)
        self.masks: dict[str, np.ndarray] | None = None  # per filter, its rows of the index; made again on a change
        self.restoring = False  # the tree's choice is being set again after a reload

        # left: folders, scan, folder tree, unreadable files
        self.folders = QListWidget()
        self.folders.setAccessibleName(self.tr("Library folders"))
        self.folders.setToolTip(self.tr("Checked folders are reference folders: their photos are never proposed "
                                        "for removal. Space: check or uncheck · Del: remove from the library"))
        self.folders.setAccessibleDescription(self.tr("Checked folders are reference folders: their photos are never "
                                                      "proposed for removal"))
        self.folders.itemChanged.connect(self._reference_toggled)
        remove_key = QAction(self.tr("Remove folder"), self.folders)
        remove_key.setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
        remove_key.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        remove_key.triggered.connect(self.remove_selected_folder)
        self.folders.addAction(remove_key)
        add = QPushButton(self.tr("Add folder…"))
        add.setToolTip(self.tr("Add a folder of photos to the library and scan it (Ctrl+Shift+O)"))
        add.clicked.connect(self.add_folder_dialog)
        self.remove_button = QPushButton(self.tr("Remove"))
        self.remove_button.setToolTip(self.tr("Stop watching the chosen folder; no photo is touched (Del in the "
                                              "folder list)"))
        self.remove_button.clicked.connect(self.remove_selected_folder)
        self.scan_button = QPushButton(self.tr("Scan"))
        self.scan_button.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_BrowserReload))
        self.scan_button.setToolTip(self.tr("Hash new and changed photos (F5)"))
        self.scan_button.clicked.connect(self.toggle_scan)
        self.progress = QProgressBar()
        self.progress.setAccessibleName(self.tr("Scan progress"))
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setAccessibleName(self.tr("Scan status"))

        self.tree_model = FolderTreeModel(self)
        self.tree = QTreeView()
        self.tree.setModel(self.tree_model)
        self.tree.setAccessibleName(self.tr("Folder tree"))
        self.tree.setToolTip(self.tr("Choose a folder to show only its photos and its subfolders'"))
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(False)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.header().setStretchLastSection(False)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tree.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.selectionModel().currentChanged.connect(self._folder_chosen)
        tree_title = QLabel(self.tr("<b>&Browse</b>"))
        tree_title.setBuddy(self.tree)

        self.errors = QTreeWidget()
        self.errors.setAccessibleName(self.tr("Files that could not be read"))
        self.errors.setHeaderLabels([self.tr("File"), self.tr("Why it could not be read")])
        self.errors.setRootIsDecorated(False)
        self.errors.setAlternatingRowColors(True)
        self.errors.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.errors.header().setStretchLastSection(True)
        self.errors_toggle = QToolButton()  # a disclosure header: its arrow says open or closed
        self.errors_open = True
        self.errors_toggle.setAutoRaise(True)
        self.errors_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.errors_toggle.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        font = self.errors_toggle.font()
        font.setBold(True)
        self.errors_toggle.setFont(font)
        self.errors_toggle.setAccessibleName(self.tr("Show or hide the files that could not be read"))
        self.errors_toggle.clicked.connect(self.toggle_errors)

        buttons = QHBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(self.remove_button)
        left = QWidget()
        lay = QVBoxLayout(left)
        lay.setContentsMargins(0, 0, 0, 0)
        title = QLabel(self.tr("<b>Fol&ders</b> <span style='color:gray'>(✓ = reference, never trashed)</span>"))
        title.setBuddy(self.folders)
        lay.addWidget(title)
        lay.addWidget(self.folders)
        lay.addLayout(buttons)
        lay.addWidget(self.scan_button)
        lay.addWidget(self.progress)
        lay.addWidget(self.status)
        lay.addSpacing(6)
        lay.addWidget(tree_title)
        lay.addWidget(self.tree, 1)
        lay.addWidget(self.errors_toggle)
        lay.addWidget(self.errors)

        # right: what is shown and how it is sorted, then the grid
        self.model = ThumbnailModel(context)
        self.grid = thumbnail_grid(self.model)
        self.grid.setAccessibleName(self.tr("Photos"))
        self.grid.setToolTip(self.tr("Double-click or Enter: find similar photos · Menu key or Shift+F10: more"))
        self.grid.setAccessibleDescription(self.tr("Enter: find similar photos · Menu key or Shift+F10: more"))
        self.grid.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.grid.customContextMenuRequested.connect(self._grid_menu)
        self.grid.doubleClicked.connect(lambda index: self.find_similar.emit(self.model.path_at(index)))
        similar = QAction(self.tr("Find similar"), self.grid)
        similar.setShortcuts([QKeySequence(Qt.Key.Key_Return), QKeySequence(Qt.Key.Key_Enter)])
        similar.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        similar.triggered.connect(self._find_similar_current)
        self.grid.addAction(similar)
        menu_key = QAction(self.tr("More"), self.grid)  # the context menu from the keyboard where there is no Menu key
        menu_key.setShortcut(QKeySequence("Shift+F10"))
        menu_key.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        menu_key.triggered.connect(self._grid_menu_for_current)
        self.grid.addAction(menu_key)

        self.summary = QLabel("")
        self.summary.setWordWrap(True)  # two lines in a narrow window rather than a wider window
        self.summary.setAccessibleName(self.tr("Photos shown"))
        self.filter = QComboBox()
        self.filter.setAccessibleName(self.tr("Show"))
        self.filter.setToolTip(self.tr(
            "<p>Which photos the grid shows:</p><ul>"
            "<li><b>All photos</b>: every photo that could be read</li>"
            "<li><b>Unreadable</b>: the files that could not be read as photos</li>"
            "<li><b>Possible copies</b>: byte-identical copies, and the photos whose codes are close to another "
            "photo's; the Duplicates screen checks each pair by reading the photos and calls only true copies "
            "copies, so it may show fewer</li>"
            "<li><b>In reference folders</b>: the photos of the checked folders, never proposed for removal</li></ul>"))
        for key in FILTERS:
            self.filter.addItem("", key)
        self._label_filters()
        self.filter.currentIndexChanged.connect(self._filter_changed)
        show_label = QLabel(self.tr("Sho&w:"))
        show_label.setBuddy(self.filter)

        self.sort = QComboBox()
        self.sort.setAccessibleName(self.tr("Sort by"))
        self.sort.setToolTip(self.tr("Sort the photos by the date they were taken (else the file's date), their name, "
                                     "their size or their folder"))
        for key, text in zip(SORT_KEYS, (self.tr("Date taken"), self.tr("Name"), self.tr("Size"), self.tr("Folder"))):
            self.sort.addItem(text, key)
        qs = context.prefs.qs
        saved = str(qs.value(SORT_SETTING, "date"))
        self.sort.setCurrentIndex(max(0, self.sort.findData(saved)))
        self.sort.currentIndexChanged.connect(self._sort_changed)
        sort_label = QLabel(self.tr("S&ort:"))
        sort_label.setBuddy(self.sort)
        self.direction = QToolButton()
        self.direction.setCheckable(True)
        self.direction.setChecked(str(qs.value(DESCENDING_SETTING, "false")).lower() == "true")
        self.direction.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.direction.toggled.connect(self._sort_changed)
        self._label_direction()

        bar = QHBoxLayout()
        bar.addWidget(self.summary, 1)
        bar.addWidget(show_label)
        bar.addWidget(self.filter)
        bar.addSpacing(12)
        bar.addWidget(sort_label)
        bar.addWidget(self.sort)
        bar.addWidget(self.direction)
        right = QWidget()
        rlay = QVBoxLayout(right)
        rlay.setContentsMargins(0, 0, 0, 0)
        rlay.addLayout(bar)
        rlay.addWidget(self.grid)

        layout = QVBoxLayout(self)
        layout.addWidget(side_by_side(left, right, (300, 900)))
        # the keyboard's order is the layout's: the left column top to bottom, then the bar, then the grid
        order = [self.folders, add, self.remove_button, self.scan_button, self.tree, self.errors_toggle, self.errors,
                 self.filter, self.sort, self.direction, self.grid]
        for first, second in zip(order, order[1:]):
            self.setTabOrder(first, second)
        self.reload_folders()
        self._show_failures()
        self.reload()
        context.library_changed.connect(self.reload)  # trashed or restored photos leave or rejoin the grid
        context.references_changed.connect(self._references_changed)
        context.model_changed.connect(self.refresh_groups)

    # -- folders --------------------------------------------------------------------------------

    def reload_folders(self) -> None:
        self.folders.blockSignals(True)
        self.folders.clear()
        self.references = self.context.reference_folders()
        self.masks = None
        references = set(self.references)
        for folder in self.context.folders():
            item = QListWidgetItem(shown_path(folder))
            item.setData(PathRole, folder)
            item.setToolTip(folder)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if folder in references else Qt.CheckState.Unchecked)
            if not os.path.isdir(folder):
                item.setForeground(QColor("#c0392b"))
                item.setToolTip(self.tr("{folder}: not found (unplugged drive or moved folder); its photos stay in the "
                                        "catalog").format(folder=folder))
            self.folders.addItem(item)
        self.folders.blockSignals(False)
        self.remove_button.setEnabled(self.folders.count() > 0)
        rows = min(max(self.folders.count(), 2), 4)  # the room its folders need, a few at most: then it scrolls
        row_height = self.folders.sizeHintForRow(0) if self.folders.count() else self.fontMetrics().height() + 4
        self.folders.setFixedHeight(rows * row_height + 2 * self.folders.frameWidth() + 4)

    def _save_folders(self) -> None:
        items = [self.folders.item(i) for i in range(self.folders.count())]
        self.context.set_folders([i.data(PathRole) for i in items],
                                 [i.data(PathRole) for i in items if i.checkState() == Qt.CheckState.Checked])

    def _reference_toggled(self, _item) -> None:
        self._save_folders()
        self.context.references_changed.emit()  # the groups change, the grid does not: no reload

    def add_folder_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Add a folder of photos"), str(Path.home()))
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
        self._references_changed()
        self.reload()  # the tree roots at the library folders
        if scan:
            self.start_scan()

    def remove_selected_folder(self) -> None:
        item = self.folders.currentItem() or (self.folders.item(0) if self.folders.count() == 1 else None)
        if item is None:
            return
        folders = [f for f in self.context.folders() if f != item.data(PathRole)]
        self.context.set_folders(folders, [f for f in self.context.reference_folders() if f in folders])
        self.reload_folders()
        self.reload()

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
            self.status.setText(self.tr("Add a folder of photos first.") if not missing else
                                self.tr("No library folder can be reached (%1: not found).").replace("%1", missing[0]))
            return False
        self.failures = [(f, self.tr("folder not found (unplugged drive or moved folder)")) for f in missing]
        self._show_failures()
        self.worker = ScanWorker(self.context.catalog_path, folders, model_path or self.context.model_path(),
                                 include_hidden=self.context.prefs.include_hidden, parent=self)
        self.worker.progress.connect(self._progress)
        self.worker.failure.connect(self._failure)
        self.worker.finished_scan.connect(self._finished)
        self.worker.failed.connect(self._failed)
        self.worker.finished.connect(self._stopped)
        self.scan_button.setText(self.tr("Cancel scan"))
        self.scan_button.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_BrowserStop))
        self.scan_button.setToolTip(self.tr("Stop after the photos in hand; the next scan resumes (F5)"))
        self.progress.setRange(0, 0)
        self.progress.show()
        self.status.setText(self.tr("Looking for photos…"))
        self.worker.start()
        return True

    def cancel_scan(self) -> None:
        if self.scanning():
            self.status.setText(self.tr("Stopping after the photos in hand…"))
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
        text = (self.tr("Scan cancelled: {hashed} hashed, {skipped} unchanged") if summary.cancelled else
                self.tr("Scan finished: {hashed} hashed, {skipped} unchanged")).format(
            hashed=f"{summary.hashed:,}", skipped=f"{summary.skipped:,}")
        if summary.failed:
            text += self.tr(", {count} unreadable").format(count=f"{summary.failed:,}")
        if summary.missing:
            text += self.tr(", {count} gone from disk").format(count=f"{summary.missing:,}")
        self.status.setText(self.tr("{summary} ({seconds} s).").format(summary=text,
                                                                       seconds=f"{summary.seconds:.0f}"))
        self.context.message.emit(text)
        self.scan_finished.emit(summary)

    def _failed(self, line: str) -> None:
        self.status.setText(self.tr("The scan stopped: %1").replace("%1", line))
        QMessageBox.warning(self, self.tr("Scan stopped"), line)

    def _stopped(self) -> None:
        self.worker.deleteLater()
        self.worker = None
        if self.queued is not None:
            model_path, self.queued = self.queued, None
            if self.start_scan(model_path):
                return
        self.progress.hide()
        self.scan_button.setText(self.tr("Scan"))
        self.scan_button.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_BrowserReload))
        self.scan_button.setToolTip(self.tr("Hash new and changed photos (F5)"))
        self.context.library_changed.emit()  # this grid reloads on it too

    # -- the unreadable files -------------------------------------------------------------------

    def _show_failures(self) -> None:
        self.errors.clear()
        for path, reason in self.failures[:ERRORS_LISTED]:
            shown = printable(path)
            item = QTreeWidgetItem([os.path.basename(shown) or shown, reason])
            item.setData(0, PathRole, shown)
            item.setToolTip(0, shown)
            item.setToolTip(1, reason)
            self.errors.addTopLevelItem(item)
        count = self.failures_shown = len(self.failures)
        if count > ERRORS_LISTED:
            more = QTreeWidgetItem([self.tr("… and %1 more").replace("%1", f"{count - ERRORS_LISTED:,}"),
                                    self.tr("Show: Unreadable lists them all in the grid")])
            more.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.errors.addTopLevelItem(more)
        self.errors_toggle.setText(self.tr("Could not be read (%1)").replace("%1", f"{count:,}"))
        self.errors_toggle.setEnabled(bool(count))
        self.errors_toggle.setToolTip(self.tr("Show or hide the files the scan could not read, and why") if count
                                      else self.tr("Every file the scan found could be read"))
        self._fit_errors()

    def toggle_errors(self) -> None:
        self.errors_open = not self.errors_open
        self._fit_errors()

    def _fit_errors(self) -> None:
        """Collapsed to its one-line header when empty or closed; otherwise the room its rows need, a few at most."""
        count = len(self.failures)
        shown = bool(count) and self.errors_open
        self.errors_toggle.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)
        self.errors_toggle.setAccessibleDescription(self.tr("expanded") if shown else self.tr("collapsed"))
        self.errors.setVisible(shown)
        if shown:
            rows = min(count, ERROR_ROWS_SHOWN)
            self.errors.setFixedHeight(self.errors.header().sizeHint().height()
                                       + rows * max(self.errors.sizeHintForRow(0), 1) + 2 * self.errors.frameWidth())

    # -- the grid: the index, its sort, filter and folder -----------------------------------------

    def reload(self) -> None:
        """Reload the grid, the folder tree and the unreadable list from the catalog, and the duplicate groups, off
        the UI thread. Everything they need from the catalog is read here: their answers may come after it closed."""
        run_task(self.context.catalog_path, read_index, self.context.folders(), done=self._loaded,
                 failed=lambda line: self.summary.setText(self.tr("Cannot read the catalog: %1").replace("%1", line)))
        self.refresh_groups()

    def _loaded(self, index: LibraryIndex) -> None:
        self.index, self.masks = index, None
        fit_grid_to_photos(self.grid, box_height_for(index.aspects[index.readable], self.model.size))
        self.tree_model.set_tree(index.tree)
        for node in index.tree:
            if node.kind == "folder" or len(index.tree) <= 3:
                self.tree.expand(self.tree_model.index_of(node))
        chosen = next((n for n in index.tree if n.kind == self.chosen_folder), None) \
            or index.nodes.get(self.chosen_folder or "") or index.tree[0]
        self.restoring = True  # the same choice as before the reload: shown once, below
        self.tree.selectionModel().setCurrentIndex(self.tree_model.index_of(chosen),
                                                   QItemSelectionModel.SelectionFlag.ClearAndSelect
                                                   | QItemSelectionModel.SelectionFlag.Rows)
        self.restoring = False
        self.chosen_folder = chosen.path or chosen.kind
        self._label_filters()
        self._show()
        if not self.scanning():
            known = {p for p, _ in self.failures}
            self.failures += [(p, r) for p, r in index.errors if p not in known]
            if len(self.failures) != self.failures_shown:  # else the list stays as it is (hundreds of widget items)
                self._show_failures()

    def refresh_groups(self) -> None:
        """Ask the engine which photos it groups as duplicates, in a worker: on 100,000 photos it takes seconds, and
        the Duplicates screen asks its own question at the same time. So only while the Duplicates filter is shown;
        otherwise the answer is marked out of date, to be asked for when that filter is chosen."""
        self.groups_stale = True
        if self.filter.currentData() != "grouped":
            self._label_filters()
            return
        try:
            model = self.context.model()
            radius = self.context.radius("duplicate")
        except ModelError:  # Duplicates says so; here the filter keeps to byte-identical copies
            self._groups_arrived(set())
            return
        self.group_questions.run(grouped_paths, model, radius, done=self._groups_arrived,
                                 failed=lambda _line: self._groups_arrived(set()))

    def _groups_arrived(self, paths: set[str]) -> None:
        self.grouped, self.masks, self.groups_stale = paths, None, False
        self._label_filters()
        if self.filter.currentData() == "grouped":
            self._show()

    def _filter_changed(self, _row: int) -> None:
        if self.filter.currentData() == "grouped" and self.groups_stale:
            self.refresh_groups()  # meanwhile the grid shows the copies it knows of
        self._show()

    def _references_changed(self) -> None:
        self.references, self.masks = self.context.reference_folders(), None
        self._label_filters()
        if self.filter.currentData() == "reference":
            self._show()

    def _folder_chosen(self, current: QModelIndex, _previous=None) -> None:
        node = self.tree_model.node(current)
        if node is not None and not self.restoring:
            self.chosen_folder = node.path or node.kind
            self._show()

    def choose_folder(self, path: str | None) -> bool:
        """Show the photos of this folder and its subfolders (None: every photo). False if the tree lacks it."""
        if self.index is None:
            return False
        node = self.index.tree[0] if path is None else self.index.nodes.get(path)
        if node is None:
            return False
        self.tree.setCurrentIndex(self.tree_model.index_of(node))
        return True

    def _sort_changed(self, *_args) -> None:
        qs = self.context.prefs.qs
        qs.setValue(SORT_SETTING, self.sort.currentData())
        qs.setValue(DESCENDING_SETTING, "true" if self.direction.isChecked() else "false")
        self._label_direction()
        self._show()

    def _label_direction(self) -> None:
        descending = self.direction.isChecked()
        first = {"date": (self.tr("Oldest first"), self.tr("Newest first")),
                 "name": (self.tr("A to Z"), self.tr("Z to A")),
                 "size": (self.tr("Smallest first"), self.tr("Largest first")),
                 "folder": (self.tr("Folders A to Z"), self.tr("Folders Z to A"))}[self.sort.currentData()]
        self.direction.setArrowType(Qt.ArrowType.DownArrow if descending else Qt.ArrowType.UpArrow)
        self.direction.setAccessibleName(self.tr("Sort direction"))
        self.direction.setAccessibleDescription(first[descending])
        self.direction.setToolTip(self.tr("%1; click for %2").replace("%1", first[descending])
                                  .replace("%2", first[not descending].lower()))

    def _filter_masks(self) -> dict[str, np.ndarray]:
        """Per filter: which rows of the index it shows (photos that could be read, but for Unreadable)."""
        if self.masks is not None:
            return self.masks
        index = self.index
        readable = index.readable
        grouped = index.copies.copy()
        for path in self.grouped:
            row = index.position.get(path)
            if row is not None:
                grouped[row] = True
        reference = index.in_folders(self.references)
        self.masks = {"all": readable, "unreadable": ~readable, "grouped": readable & grouped,
                      "reference": readable & reference}
        return self.masks

    def _label_filters(self) -> None:
        counts = {key: int(mask.sum()) for key, mask in self._filter_masks().items()} if self.index else {}
        texts = {"all": self.tr("All photos"), "unreadable": self.tr("Unreadable"),
                 "grouped": self.tr("Possible copies"), "reference": self.tr("In reference folders")}
        for i in range(self.filter.count()):
            key = self.filter.itemData(i)
            count = None if key == "grouped" and self.groups_stale else counts.get(key)
            self.filter.setItemText(i, texts[key] if count is None else
                                    self.tr("{filter} ({count})").format(filter=texts[key], count=f"{count:,}"))

    def shown_rows(self) -> np.ndarray:
        """The index's rows the grid shows, in their order: the sort's order, kept to the filter and the folder."""
        index = self.index
        order = index.orders[self.sort.currentData()]
        if self.direction.isChecked():
            order = order[::-1]
        keep = self._filter_masks()[self.filter.currentData()]
        node = self.tree_model.node(self.tree.currentIndex())
        if node is not None and node.kind != "all":
            in_folder = np.zeros(len(index.folders), bool)
            in_folder[node.folder_ids()] = True
            keep = keep & in_folder[index.folder_of]
        return order[keep[order]]

    def _show(self) -> None:
        if self.index is None:
            return
        current = self.grid.currentIndex()
        current_path = self.model.path_at(current) if current.isValid() else None
        chosen = self.shown_rows()
        self.model.set_rows(ShownRows(self.index.rows, chosen), ShownPosition(self.index, chosen))
        if current_path in self.model.position:  # the photo in hand stays in hand through a sort or a filter
            self.grid.setCurrentIndex(self.model.index(self.model.position[current_path]))
            self.grid.scrollTo(self.grid.currentIndex())
        self._summarize(chosen)
        self.shown.emit()

    def _summarize(self, chosen: np.ndarray) -> None:
        index = self.index
        total = int(index.readable.sum())
        size = int(index.sizes[chosen].sum())
        if not index.rows:
            self.summary.setText(self.tr("No photos yet: add a folder and scan it."))
        elif self.filter.currentData() == "unreadable":
            self.summary.setText(self.tr("<b>%1 unreadable files</b>").replace("%1", f"{len(chosen):,}"))
        elif len(chosen) == total:
            self.summary.setText(self.tr("<b>%1 photos</b> · %2").replace("%1", f"{total:,}")
                                 .replace("%2", human_bytes(size)))
        else:
            self.summary.setText(self.tr("<b>%1 of %2 photos</b> · %3").replace("%1", f"{len(chosen):,}")
                                 .replace("%2", f"{total:,}").replace("%3", human_bytes(size)))

    def _find_similar_current(self) -> None:
        index = self.grid.currentIndex()
        if index.isValid():
            self.find_similar.emit(self.model.path_at(index))

    def _grid_menu(self, pos) -> None:
        """The menu of the photo at ``pos`` (the viewport's): a right-click's, or the Menu key's (Qt places that one on
        the current photo) or Shift+F10's (:meth:`_grid_menu_for_current`)."""
        index = self.grid.indexAt(pos)
        if not index.isValid():
            return
        path = self.model.path_at(index)
        menu = QMenu(self)
        similar = QAction(self.tr("&Find similar"), menu)
        similar.setShortcut(QKeySequence(Qt.Key.Key_Return))
        similar.triggered.connect(lambda: self.find_similar.emit(path))
        menu.addAction(similar)
        reveal = QAction(self.tr("&Open containing folder"), menu)
        reveal.triggered.connect(lambda: _open_folder(os.path.dirname(path)))
        menu.addAction(reveal)
        menu.exec(self.grid.viewport().mapToGlobal(pos))

    def _grid_menu_for_current(self) -> None:
        index = self.grid.currentIndex()
        if index.isValid():
            self._grid_menu(self.grid.visualRect(index).center())


def _open_folder(folder: str) -> None:
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QDesktopServices

    QDesktopServices.openUrl(QUrl.fromLocalFile(folder))
