"""The groups table (desktop.groups_table) driven through its real widgets, offscreen: sorting by space to free and
by date, filtering by kind and text, the bulk dialog's preview counts, and a bulk rule on a real catalog of real
photos and their edited copies, moved to the (test session's) trash as one batch that one undo puts back."""

from __future__ import annotations

import hashlib
import itertools
from pathlib import Path

import pytest

pytest.importorskip("pytestqt", reason="needs pytest-qt (the dev extra)")

from PySide6.QtCore import QPoint, Qt, QTimer  # noqa: E402
from PySide6.QtWidgets import (QApplication, QComboBox, QLineEdit, QPushButton, QRadioButton,  # noqa: E402
                               QTableView)

from desktop.duplicates_view import Choice  # noqa: E402
from desktop.groups_table import (DATE, FOLDER, KIND, NAME, PHOTOS, SPACE, BulkDialog, GroupsTable,  # noqa: E402
                                  PositionRole, SortRole)
from engine.bulk import Decision, group_id, keep_largest, mark_in_folder, preview, trash_plan  # noqa: E402
from engine.catalog import Catalog, FileRow  # noqa: E402
from engine.duplicates import Group, Member, verified_groups  # noqa: E402
from engine.model import HashModel, default_model_path  # noqa: E402
from engine.scan import scan  # noqa: E402
from engine.trash import undo  # noqa: E402
from engine.verify import Verdict  # noqa: E402

from ..conftest import build_library, user_trash  # noqa: E402

_ids = itertools.count(1)


def row(path: str, size: int = 1000, w: int = 100, h: int = 100, captured: str | None = None,
        mtime_ns: int = 1_600_000_000 * 10**9) -> FileRow:
    return FileRow(next(_ids), path, size, mtime_ns, path, w, h, "JPEG", captured, None, None)


def group(keeper: FileRow, *copies: FileRow, kind: str = "copy") -> Group:
    similar = kind in ("series", "similar")
    return Group([Member(keeper, 0, True, False, False)] +
                 [Member(f, 2, False, False, kind == "exact", similar, Verdict("copy")) for f in copies], kind)


def shown(table: GroupsTable, column: int, role=Qt.ItemDataRole.DisplayRole) -> list:
    proxy = table.view.model()
    return [proxy.data(proxy.index(r, column), role) for r in range(proxy.rowCount())]


def click_header(qtbot, table: GroupsTable, column: int) -> None:
    """A click on a column's header, as the user sorts."""
    header = table.view.horizontalHeader()
    x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))


@pytest.fixture
def table(qtbot) -> GroupsTable:
    widget = GroupsTable()
    qtbot.addWidget(widget)
    widget.resize(900, 500)
    widget.show()
    return widget


def sample_groups() -> list[Group]:
    """Sizes whose text sorts otherwise than their bytes ("900 B" > "2.0 MB" > "10.0 KB"), dates from EXIF and from
    the file."""
    return [
        group(row("/lib/a/big.jpg", captured="2019-06-01T10:00:00"), row("/lib/b/big-copy.jpg", size=2_000_000)),
        group(row("/lib/a/tiny.jpg", captured="2021-01-01T08:00:00"), row("/lib/c/tiny-copy.jpg", size=900)),
        group(row("/lib/d/mid.jpg", mtime_ns=1_262_304_000 * 10**9),  # a file dated 2010, no capture date
              row("/lib/d/mid-1.jpg", size=10_000), row("/lib/e/mid-2.jpg", size=10_000)),
        group(row("/lib/s/shot1.jpg", captured="2015-03-03T12:00:00"), row("/lib/s/shot2.jpg"), kind="series"),
        group(row("/lib/x/same.jpg", captured="2012-02-02T02:00:00"), row("/lib/y/same.jpg", size=5000),
              kind="exact"),
    ]


def test_sorting_by_space_to_free_and_by_date_is_by_value(qtbot, table):
    groups = sample_groups()
    table.set_groups(groups)
    # opened by space to free, largest first (the header's indicator says so)
    assert shown(table, SPACE) == ["2.0 MB", "20.0 KB", "5.0 KB", "900 B", "—"]
    assert table.view.horizontalHeader().sortIndicatorSection() == SPACE
    click_header(qtbot, table, SPACE)
    assert shown(table, SPACE, SortRole) == [0, 900, 5000, 20_000, 2_000_000]
    click_header(qtbot, table, DATE)
    dates = shown(table, DATE)
    assert dates[0][:4] in ("2009", "2010")  # the file's date (local time): it has no capture date
    assert "no capture date" in shown(table, DATE, Qt.ItemDataRole.ToolTipRole)[0]
    assert dates[1:] == ["2012-02-02", "2015-03-03", "2019-06-01", "2021-01-01"]  # the day; the time in the tip
    assert shown(table, DATE, Qt.ItemDataRole.ToolTipRole)[1] == "Taken 2012-02-02 02:00:00"
    click_header(qtbot, table, DATE)
    assert shown(table, DATE)[:4] == dates[1:][::-1]
    click_header(qtbot, table, PHOTOS)
    assert shown(table, PHOTOS) == ["2", "2", "2", "2", "3"]
    click_header(qtbot, table, KIND)
    assert shown(table, KIND) == ["Exact copies", "Copies", "Copies", "Copies", "Series"]
    click_header(qtbot, table, FOLDER)
    assert shown(table, FOLDER) == ["/lib/a", "/lib/a", "/lib/d", "/lib/s", "/lib/x"]

    # a decision changes: its row says so at once, without moving; the next sort puts it in its place
    choices = [Choice.default(g) for g in groups]
    table.set_groups(groups, choices)
    table.view.sortByColumn(SPACE, Qt.SortOrder.DescendingOrder)
    first = table.model.position_at(0)
    choices[first].remove = set()
    table.changed(first)
    assert shown(table, SPACE)[0] == "—"
    table.view.sortByColumn(SPACE, Qt.SortOrder.DescendingOrder)
    assert shown(table, SPACE) == ["20.0 KB", "5.0 KB", "900 B", "—", "—"]
    assert first == 0 and shown(table, 0, PositionRole)[-2:] == [0, 3]  # ties in the engine's order


def test_the_space_each_group_frees_given_with_the_groups_orders_them(qtbot, table):
    """The review hands the table what each decision frees, made in its worker: the table sorts by it as by its own."""
    groups = sample_groups()
    table.set_groups(groups)
    own = shown(table, NAME)
    freed = [table.model.data(table.model.index(table.model.row_of(i), SPACE), SortRole) for i in range(len(groups))]
    table.set_groups(groups, None, freed)
    assert shown(table, NAME) == own and shown(table, SPACE, SortRole) == sorted(freed, reverse=True)
    # and it is what the order follows, not made again here (given in the opposite order, the rows turn round)
    table.set_groups(groups, None, [-f for f in freed])
    assert shown(table, NAME) == own[::-1]
    with pytest.raises(ValueError, match="one space per group"):
        table.set_groups(groups, None, freed[1:])


def test_filter_by_kind_text_and_folder(qtbot, table):
    groups = sample_groups()
    table.set_groups(groups)
    table.kind_box.setCurrentIndex(table.kind_box.findData("series"))
    assert shown(table, KIND) == ["Series"] and table.count.text() == "Showing 1 of 5 groups"
    assert table.filter.filtered_groups() == [groups[3]]
    table.kind_box.setCurrentIndex(0)
    assert table.filter.rowCount() == 5 and table.count.text() == "5 groups"
    table.set_groups([groups[3]])  # the Series section: counted as the summary counts them
    assert table.count.text() == "1 series"
    table.set_groups(groups)

    table.search.setFocus()
    qtbot.keyClicks(table.search, "COPY")  # any case; a copy's name counts, not only the keeper's
    qtbot.waitUntil(lambda: table.filter.rowCount() == 2)
    assert table.filter.filtered_groups() == [groups[0], groups[1]]
    assert table.count.text() == "Showing 2 of 5 groups"
    table.search.clear()
    qtbot.waitUntil(lambda: table.filter.rowCount() == 5)
    qtbot.keyClicks(table.search, "/lib/e")
    qtbot.waitUntil(lambda: table.filter.rowCount() == 1)
    assert table.filter.filtered_groups() == [groups[2]]
    table.search.clear()
    qtbot.waitUntil(lambda: table.filter.rowCount() == 5)

    # inside a folder: whole folder names (/lib/a does not hold /lib/ab), in the order the table shows
    table.filter.set_folder("/lib/a")
    assert table.filter.filtered_groups() == [groups[0], groups[1]]
    table.view.sortByColumn(SPACE, Qt.SortOrder.AscendingOrder)
    assert table.filter.filtered_groups() == [groups[1], groups[0]]
    table.filter.set_kind("exact")
    assert table.filter.rowCount() == 0 and table.filter.filtered_groups() == []


def test_every_control_is_named_explained_and_reachable_by_keyboard(qtbot, table):
    dialog = table.bulk_dialog()
    qtbot.addWidget(dialog)
    controls = [c for widget in (table, dialog) for kind in (QComboBox, QLineEdit, QPushButton, QRadioButton, QTableView)
                for c in widget.findChildren(kind)]
    assert len(controls) >= 15
    for control in controls:
        assert control.focusPolicy() & Qt.FocusPolicy.TabFocus, control
        assert control.accessibleName() or control.text(), control
        assert control.toolTip(), control


def wait_for_plan(qtbot, dialog: BulkDialog):
    qtbot.waitUntil(lambda: dialog.plan is not None, timeout=10_000)
    return dialog.plan


def test_bulk_dialog_previews_exact_counts(qtbot, table):
    groups = sample_groups()
    groups.append(group(row("/lib/keep/k.jpg", w=900, h=900), row("/lib/down/k1.jpg", size=3000),
                        row("/lib/down/k2.jpg", size=4000)))
    table.set_groups(groups)
    dialog = table.bulk_dialog()
    qtbot.addWidget(dialog)
    plan = wait_for_plan(qtbot, dialog)  # the first rule, "keep the largest", over all groups
    # same pixels, so the larger file is kept: the 2 MB copy, a 10 KB copy (the first by path of two) and the 5 KB
    # exact copy become keepers, and the engine's keepers (1 KB each) go; tiny's 900 B copy and k's two copies go
    assert (plan.photos, plan.groups, plan.bytes) == (7, 5, 1000 + 900 + 1000 + 10_000 + 1000 + 3000 + 4000)
    assert (plan.unmarked_photos, plan.unmarked_bytes) == (3, 2_000_000 + 10_000 + 5000)
    assert plan.decisions[group_id(groups[2])].keep == groups[2].members[1].file.id
    assert dialog.preview_label.text() == ("This would mark 7 photos in 5 groups, 20.9 KB; un-mark 3 photos, 2.0 MB; "
                                           "1 group left as is.")
    assert "a series" in dialog.left_label.text()
    assert dialog.mark_button.isEnabled() and dialog.trash_button.isEnabled()

    dialog.set_rule(3)  # mark everything in a folder: none chosen yet
    assert dialog.preview_label.text() == "Choose a folder for this rule." and not dialog.mark_button.isEnabled()
    assert dialog.folder_field.isEnabled() and dialog.choose_button.isEnabled()
    dialog.set_folder("/lib/down")
    plan = wait_for_plan(qtbot, dialog)
    assert plan.paths == ["/lib/down/k1.jpg", "/lib/down/k2.jpg"]
    assert dialog.preview_label.text() == "This would mark 2 photos in 1 group, 7.0 KB."
    # the folder may be typed, too; the preview follows once the typing pauses
    dialog.folder_field.setText("/lib/c")
    qtbot.waitUntil(lambda: dialog.plan is not None and dialog.plan.paths == ["/lib/c/tiny-copy.jpg"], timeout=5000)

    # the filtered groups only
    dialog.close()
    table.filter.set_kind("exact")
    dialog = table.bulk_dialog()
    qtbot.addWidget(dialog)
    assert dialog.filtered_button.isChecked() and dialog.filtered_button.text() == "The filtered groups (1)"
    assert wait_for_plan(qtbot, dialog).words == "mark 1 photo in 1 group, 1.0 KB; un-mark 1 photo, 5.0 KB"
    dialog.set_scope(False)
    assert wait_for_plan(qtbot, dialog).photos == 7

    # never touch a folder: accepted, it un-marks there now and stays for every later rule
    dialog.set_rule(4)
    dialog.set_folder("/lib/down")
    plan = wait_for_plan(qtbot, dialog)
    assert plan.words == "un-mark 2 photos in 1 group, 7.0 KB" and not dialog.trash_button.isEnabled()
    chosen = []
    table.plan_chosen.connect(lambda p, trash: chosen.append((p, trash)))
    dialog.mark_button.click()
    table.accept_plan(dialog)
    assert chosen == [(plan, False)] and [g.folder for g in table.guards] == ["/lib/down"]
    later = table.bulk_dialog()
    qtbot.addWidget(later)
    later.set_scope(False)
    assert "Never touched: /lib/down" in later.guards_label.text()
    assert wait_for_plan(qtbot, later).photos == 5  # keep the largest, never in /lib/down


def test_a_bulk_preview_of_many_groups_lets_events_through(qtbot, table, monkeypatch):
    """Thousands of groups are previewed a slice at a time: the dialog counts while the event loop runs. (Slices of
    1 ms, so that a fast machine too needs several: this is about the slicing, not about a machine's speed.)"""
    import desktop.groups_table

    monkeypatch.setattr(desktop.groups_table, "PREVIEW_SLICE_S", 0.001)
    groups = [group(row(f"/many/{n}.jpg", size=5000, w=200, h=200), row(f"/many/{n}-copy.jpg", size=1000))
              for n in range(4000)]
    table.set_groups(groups)
    dialog = table.bulk_dialog()
    qtbot.addWidget(dialog)
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(0)
    plan = wait_for_plan(qtbot, dialog)
    timer.stop()
    assert plan.photos == 4000 and plan.bytes == 4_000_000 and len(ticks) > 1
    assert plan.decisions == preview(groups, keep_largest()).decisions


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_bulk_rule_on_a_scanned_library_lands_as_one_batch_and_one_undo_restores_it(qtbot, table, tmp_path):
    """Real photos and their edited copies, scanned and verified as the app does: "mark everything in a folder" on
    the edits, chosen in the real dialog, moved to the trash as one journaled batch; one undo puts every file back
    byte-identical."""
    lib = build_library(tmp_path / "library")
    model = HashModel.load(default_model_path())
    with Catalog(tmp_path / "catalog.sqlite") as catalog:
        list(scan(catalog, [lib.root], model, workers=0))
        groups = verified_groups(catalog, model)
        choices = [Choice.default(g) for g in groups]
        table.set_groups(groups, choices)
        edits = lib.root / "edits"
        grouped_edits = {m.file.path for g in groups for m in g.removable if Path(m.file.path).parent == edits}
        assert grouped_edits, "the edited copies must be found as copies"

        chosen = []
        table.plan_chosen.connect(lambda plan, trash: chosen.append((plan, trash)))

        def drive_the_dialog():
            dialog = QApplication.activeModalWidget()
            if not isinstance(dialog, BulkDialog):
                QTimer.singleShot(50, drive_the_dialog)
                return
            dialog.set_rule(3)
            dialog.set_folder(str(edits))

            def when_counted():
                if dialog.plan is None:
                    QTimer.singleShot(20, when_counted)
                    return
                dialog.trash_button.click()

            when_counted()

        QTimer.singleShot(0, drive_the_dialog)
        table.bulk_button.click()  # the real dialog, modal, as the user opens it
        ((plan, trash_now),) = chosen
        assert trash_now and set(plan.paths) == grouped_edits
        assert all(Path(p).parent == edits for p in plan.paths)
        for choice in choices:  # the review follows the plan: the integration the screen does
            decided = plan.decisions.get(group_id(choice.group))
            if decided is not None:
                choice.keep, choice.remove, choice.touched = decided.keep, set(decided.remove), True
                table.changed(choices.index(choice))
        assert {p for c in choices for p in c.paths if Path(p).parent == edits} == grouped_edits

        everything = {p: sha(p) for p in lib.root.rglob("*") if p.is_file()}
        moving = [Path(p) for p in plan.paths]
        result = trash_plan(catalog, plan)
        assert result.failed == [] and sorted(result.moved) == sorted(plan.paths)
        assert not any(p.exists() for p in moving)
        assert {e.batch for e in catalog.journal(result.batch)} == {result.batch}  # one batch
        assert len(list((user_trash() / "files").iterdir())) >= len(moving)  # in the system trash, not deleted
        for step in plan.steps:  # every group keeps its photo
            assert Path(next(m.file.path for m in step.group.members if m.file.id == step.after.keep)).exists()

        back = undo(catalog)
        assert back.failed == [] and back.batch == result.batch and sorted(back.moved) == sorted(plan.paths)
        assert {p: sha(p) for p in lib.root.rglob("*") if p.is_file()} == everything


def test_plan_decisions_update_the_reviews_choices():
    """Choice and Decision carry the same two fields: a plan starts from Choices and its decisions set them back."""
    keeper, copy, other = row("/c/k.jpg", w=900, h=900), row("/c/c.jpg"), row("/c/d/c2.jpg")
    g = group(keeper, copy, other)
    choice = Choice.default(g)
    choice.keep_this(g.members[1])  # the user kept the copy: the others are marked
    plan = preview([g], mark_in_folder("/c/d"), current={group_id(g): choice})
    assert plan.steps[0].before == Decision(copy.id, frozenset({keeper.id, other.id}))
    assert plan.decisions[group_id(g)] == Decision(copy.id, frozenset({other.id}))


def test_ten_thousand_groups_sort_and_filter_by_value_and_keep_the_current_group(qtbot, table):
    """10,000 groups (the size the table is made for): each column sorts by its value, both ways, ties in the engine's
    order; a filter shows exactly the groups it should, in the sorted order; the current group stays current through
    a sort and a filter that shows it, and a filter that hides it makes the first group shown current."""
    groups = [group(row(f"/lib/{i % 7}/p{i:05d}.jpg", size=1000, captured=f"20{10 + i % 13}-01-01T00:00:00"),
                    *[row(f"/lib/x{i % 3}/c{i:05d}-{k}.jpg", size=(i * 7919) % 100_000) for k in range(1 + i % 3)],
                    kind=("copy", "exact", "series")[i % 3]) for i in range(10_000)]
    table.set_groups(groups)
    proxy = table.view.model()
    for column in (SPACE, PHOTOS, KIND, FOLDER, DATE):
        for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
            table.view.sortByColumn(column, order)
            keys = [proxy.index(r, column).data(SortRole) for r in range(proxy.rowCount())]
            assert len(keys) == 10_000 and keys == sorted(keys, reverse=order == Qt.SortOrder.DescendingOrder)
            positions = [proxy.index(r, column).data(PositionRole) for r in range(proxy.rowCount())]
            for a, b in zip(range(9_999), range(1, 10_000)):  # ties keep the engine's order
                if keys[a] == keys[b]:
                    assert positions[a] < positions[b]
                    break
    table.view.sortByColumn(SPACE, Qt.SortOrder.DescendingOrder)
    table.select_position(4321)
    table.view.sortByColumn(DATE, Qt.SortOrder.AscendingOrder)
    assert table.view.currentIndex().data(PositionRole) == 4321

    table.filter.set_kind("series")
    wanted = [p for p in table.model.order if groups[p].kind == "series"]
    assert [proxy.index(r, 0).data(PositionRole) for r in range(proxy.rowCount())] == wanted
    assert table.count.text() == f"Showing {len(wanted):,} of 10,000 groups"
    assert table.view.currentIndex().data(PositionRole) == wanted[0]  # 4321 is exact copies: hidden
    table.select_position(wanted[10])
    table.filter.set_text("/LIB/X2/")  # any case, in any photo's path
    table.filter.set_folder("/lib/3")
    shown = [proxy.index(r, 0).data(PositionRole) for r in range(proxy.rowCount())]
    assert shown == [p for p in wanted if p % 7 == 3 and p % 3 == 2 and any(
        "/lib/x2/" in m.file.path for m in groups[p].members)]
    table.filter.set_kind("")
    table.filter.set_text("")
    table.filter.set_folder("")
    assert proxy.rowCount() == 10_000 and table.filter.filtered_positions() == table.model.order
