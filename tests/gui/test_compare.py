"""The Compare view, driven through its real widgets and keys (pytest-qt, offscreen) on real shared photos and
copies of them made with Pillow: previews off the UI thread, the facts that differ, zoom and pan kept in step
across photos of different sizes, the modes, the difference image and a broken file."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pytestqt", reason="needs pytest-qt (the dev extra)")

from PIL import Image, ImageDraw  # noqa: E402
from PySide6.QtCore import QPoint, QPointF, Qt  # noqa: E402
from PySide6.QtGui import QPalette, QWheelEvent  # noqa: E402
from PySide6.QtWidgets import QApplication, QPushButton, QToolButton  # noqa: E402

from engine.catalog import FileRow  # noqa: E402
from engine.images import read_image  # noqa: E402

from desktop.compare_view import (BLINK, DIFF_THRESHOLD, DIFFERENCE, FULL, LEFT, PREVIEW, RIGHT,  # noqa: E402
                                  SIDE_BY_SIDE, SWIPE, CompareView)

WAIT_MS = 30_000


def file_row(path: Path, file_id: int = 1) -> FileRow:
    """The catalog's row for ``path`` as a scan writes it (read with the engine's own reader)."""
    decoded = read_image(path)
    st = path.stat()
    return FileRow(file_id, str(path), st.st_size, st.st_mtime_ns, decoded.content_hash, decoded.width,
                   decoded.height, decoded.format, decoded.captured_at, None, None, decoded.camera, decoded.has_gps)


def unread_row(path: Path, file_id: int = 2) -> FileRow:
    """The catalog's row for a file it could not read: only what the file system says."""
    st = path.stat()
    return FileRow(file_id, str(path), st.st_size, st.st_mtime_ns, None, None, None, None, None,
                   "truncated or corrupt image data", None)


def photo(photos_dir: Path, tmp_path: Path, index: int = 3) -> Path:
    """A copy of one shared photo in ``tmp_path`` (the session's folder is read-only by convention)."""
    source = sorted(photos_dir.glob("*.jpg"))[index]
    target = tmp_path / source.name
    shutil.copy(source, target)
    return target


def half_size(original: Path) -> Path:
    """A downscaled copy, saved as a JPEG beside the original (a user's "resize for email")."""
    target = original.with_name(f"{original.stem}-half.jpg")
    with Image.open(original) as img:
        img.convert("RGB").resize((img.width // 2, img.height // 2), Image.Resampling.LANCZOS).save(target, quality=90)
    return target


def open_compare(qtbot, left: FileRow, right: FileRow, **labels) -> CompareView:
    """The dialog shown and active (its keys are window shortcuts), once both previews are on screen."""
    view = CompareView(left, right, **labels)
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.previews_ready, timeout=WAIT_MS):
        view.resize(1000, 700)
        view.show()
        view.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is view)
    return view


def relative(point: QPointF, size: tuple[int, int]) -> tuple[float, float]:
    return point.x() / size[0], point.y() / size[1]


def test_opens_with_both_previews_drawn(qtbot, photos_dir, tmp_path):
    original = photo(photos_dir, tmp_path)
    copy = half_size(original)
    view = open_compare(qtbot, file_row(original), file_row(copy, 2), left_label="Keeper",
                        right_label="Copy: downscaled to 50 %")
    assert view.errors == [None, None]
    assert view.mode == SIDE_BY_SIDE and view.fit
    assert view.zoom_label.text().startswith("Fit")
    # what is drawn at the centre of each pane is the centre of its photo, whatever its size
    for side, path in ((LEFT, original), (RIGHT, copy)):
        pane = view.panes[side].grab().toImage()
        with Image.open(path) as img:
            pixels = np.asarray(img.convert("RGB"), dtype=np.float64)
        cx, cy = pane.width() // 2, pane.height() // 2
        drawn = np.mean([[pane.pixelColor(cx + dx, cy + dy).getRgb()[:3] for dx in range(-2, 3)]
                         for dy in range(-2, 3)], axis=(0, 1))
        h, w = pixels.shape[:2]
        r = max(1, round(2 / view.zoom * (view.photo_size(LEFT)[0] / w)))  # the same patch, in this photo's pixels
        expected = pixels[h // 2 - r:h // 2 + r + 1, w // 2 - r:w // 2 + r + 1].reshape(-1, 3).mean(axis=0)
        assert np.abs(drawn - expected).max() < 25, f"side {side}: drew {drawn}, the photo has {expected}"
    assert "Keeper" in view.captions[LEFT].text() and copy.name in view.captions[RIGHT].text()


def test_differing_rows_are_exactly_those_that_differ(qtbot, photos_dir, tmp_path):
    original = photo(photos_dir, tmp_path)
    copy = half_size(original)
    view = open_compare(qtbot, file_row(original), file_row(copy, 2))
    assert view.differing_rows() == ["resolution", "size", "name"]
    keys = ("resolution", "size", "format", "captured", "camera", "gps", "folder", "name")
    base = view.table.item(keys.index("format"), 0)
    for row, key in enumerate(keys):
        differs = key in ("resolution", "size", "name")
        for column in (0, 1):
            item = view.table.item(row, column)
            assert item.font().bold() == differs, key
            assert (item.background().style() != Qt.BrushStyle.NoBrush) == differs, key
            assert item.data(Qt.ItemDataRole.AccessibleTextRole).endswith("differs") == differs, key
        assert view.table.verticalHeaderItem(row).text().startswith("≠") == differs
    assert base.text() == view.table.item(keys.index("format"), 1).text() == "JPEG"
    view.close()

    # the same pixels as a PNG in another folder: the format, the bytes, the folder and the name differ
    other = tmp_path / "exported"
    other.mkdir()
    png = other / f"{original.stem}.png"
    with Image.open(original) as img:
        img.save(png)
    view = open_compare(qtbot, file_row(original), file_row(png, 2))
    assert view.differing_rows() == ["size", "format", "folder", "name"]
    view.close()

    # a photo with itself: nothing differs
    view = open_compare(qtbot, file_row(original), file_row(original))
    assert view.differing_rows() == []


def test_zoom_and_pan_keep_both_panes_on_the_same_spot(qtbot, photos_dir, tmp_path):
    original = photo(photos_dir, tmp_path)
    copy = half_size(original)
    view = open_compare(qtbot, file_row(original), file_row(copy, 2))
    left_size, right_size = view.photo_size(LEFT), view.photo_size(RIGHT)
    assert right_size[0] * 2 <= left_size[0]

    qtbot.keyClick(view.panes[LEFT], Qt.Key.Key_Z)  # 1:1 pixels of the left photo
    assert view.actual_pixels and not view.fit
    assert view.zoom == pytest.approx(1 / view.panes[LEFT].devicePixelRatioF())
    assert view.zoom_label.text() == "100 %"

    def same_spot() -> tuple[float, float]:
        left = relative(view.visible_centre(LEFT), left_size)
        right = relative(view.visible_centre(RIGHT), right_size)
        assert left == pytest.approx(right, abs=1e-6)
        return left

    start = same_spot()
    assert start == pytest.approx((0.5, 0.5))
    pane = view.panes[LEFT]
    middle = pane.rect().center()
    qtbot.mousePress(pane, Qt.MouseButton.LeftButton, pos=middle)
    qtbot.mouseMove(pane, middle - QPoint(60, 30))
    qtbot.mouseRelease(pane, Qt.MouseButton.LeftButton, pos=middle - QPoint(60, 30))
    dragged = same_spot()
    # dragged up and left by (60, 30) screen pixels at 1:1: the view moved right and down by as many pixels
    assert dragged[0] * left_size[0] == pytest.approx(start[0] * left_size[0] + 60, abs=1)
    assert dragged[1] * left_size[1] == pytest.approx(start[1] * left_size[1] + 30, abs=1)
    qtbot.keyClick(pane, Qt.Key.Key_Left)  # the arrow shows what is left of the view
    assert same_spot()[0] < dragged[0]

    # Ctrl+wheel zooms around the cursor: the photo's point under it stays under it
    cursor = QPointF(pane.width() * 0.3, pane.height() * 0.6)

    def under_cursor() -> QPointF:
        return view.centre + (cursor - QPointF(pane.width() / 2, pane.height() / 2)) / view.zoom

    before, zoom = under_cursor(), view.zoom
    wheel = QWheelEvent(cursor, pane.mapToGlobal(cursor), QPoint(), QPoint(0, 120), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.ControlModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(pane, wheel)
    assert view.zoom == pytest.approx(zoom * 1.25)
    assert under_cursor().x() == pytest.approx(before.x(), abs=0.01)
    assert under_cursor().y() == pytest.approx(before.y(), abs=0.01)
    same_spot()

    # the other modes show the same spot too, and Fit brings the whole photo back
    qtbot.keyClick(pane, Qt.Key.Key_3)  # one pane now, the two photos in it still on the same spot
    assert relative(view.visible_centre(RIGHT), right_size) == pytest.approx(
        relative(view.visible_centre(LEFT), left_size))
    qtbot.keyClick(pane, Qt.Key.Key_F)
    assert view.fit and same_spot() == pytest.approx((0.5, 0.5))
    qtbot.keyClick(pane, Qt.Key.Key_Plus)
    assert not view.fit
    qtbot.keyClick(pane, Qt.Key.Key_Minus)
    assert view.fit  # zoomed back out to Fit: it is Fit again


def test_modes_switch_by_key(qtbot, photos_dir, tmp_path):
    original = photo(photos_dir, tmp_path)
    view = open_compare(qtbot, file_row(original), file_row(half_size(original), 2))
    pane = view.panes[LEFT]
    assert view.columns[RIGHT].isVisible()
    qtbot.keyClick(pane, Qt.Key.Key_2)
    assert view.mode == BLINK and view.mode_buttons[BLINK].isChecked()
    assert not view.columns[RIGHT].isVisible() and view.other_button.isVisible()
    assert view.blink_side == LEFT
    qtbot.keyClick(pane, Qt.Key.Key_Space)
    assert view.blink_side == RIGHT and "Copy" not in view.captions[LEFT].text()
    assert "-half" in view.captions[LEFT].text()
    qtbot.keyClick(pane, Qt.Key.Key_B)
    assert view.blink_side == LEFT
    qtbot.keyClick(pane, Qt.Key.Key_A)  # blinking by itself
    assert view.auto_button.isChecked()
    qtbot.waitUntil(lambda: view.blink_side == RIGHT, timeout=5_000)
    qtbot.keyClick(pane, Qt.Key.Key_3)
    assert view.mode == SWIPE and not view.auto_button.isChecked()
    at = view.swipe_at
    qtbot.keyClick(pane, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)
    assert view.swipe_at < at
    divider = QPoint(round(view.swipe_at * pane.width()), pane.height() // 2)  # the divider drags
    qtbot.mousePress(pane, Qt.MouseButton.LeftButton, pos=divider)
    qtbot.mouseMove(pane, divider + QPoint(100, 0))
    qtbot.mouseRelease(pane, Qt.MouseButton.LeftButton, pos=divider + QPoint(100, 0))
    assert view.swipe_at * pane.width() == pytest.approx(divider.x() + 100, abs=1)
    qtbot.keyClick(pane, Qt.Key.Key_4)
    assert view.mode == DIFFERENCE
    qtbot.waitUntil(lambda: view.difference() is not None, timeout=WAIT_MS)
    assert "pixels" in view.status.text()
    qtbot.keyClick(pane, Qt.Key.Key_1)
    assert view.mode == SIDE_BY_SIDE and view.columns[RIGHT].isVisible()
    qtbot.keyClick(pane, Qt.Key.Key_Escape)
    assert not view.isVisible()


def _difference_pixels(view) -> np.ndarray:
    image = view.difference().image
    rows = np.frombuffer(image.constBits(), dtype=np.uint8).reshape(image.height(), image.bytesPerLine())
    return rows[:, :4 * image.width()].reshape(image.height(), image.width(), 4)[..., :3].copy()


def test_difference_is_zero_for_the_same_photo_and_shows_an_edit(qtbot, photos_dir, tmp_path):
    original = photo(photos_dir, tmp_path)
    view = open_compare(qtbot, file_row(original), file_row(original))
    qtbot.keyClick(view.panes[LEFT], Qt.Key.Key_4)
    qtbot.waitUntil(lambda: view.difference() is not None, timeout=WAIT_MS)
    assert view.difference().largest == 0 and view.difference().share == 0
    assert _difference_pixels(view).max() == 0
    assert "identical" in view.status.text()
    view.close()

    # lossless copies, one with a white box painted on it: the difference is the box, and only the box
    clean, edited = tmp_path / "clean.png", tmp_path / "edited.png"
    with Image.open(original) as img:
        img = img.convert("RGB")
        img.save(clean)
        box = (100, 80, 200, 140)
        ImageDraw.Draw(img).rectangle(box, fill=(255, 255, 255))
        img.save(edited)
        width, height = img.size
    view = open_compare(qtbot, file_row(clean), file_row(edited, 2))
    with qtbot.waitSignal(view.difference_ready, timeout=WAIT_MS):
        view.set_mode(DIFFERENCE)
    pixels = _difference_pixels(view).max(axis=2)
    inside = np.zeros_like(pixels, dtype=bool)
    inside[box[1]:box[3] + 1, box[0]:box[2] + 1] = True
    assert pixels[~inside].max() == 0
    assert (pixels[inside] > 0).mean() > 0.5
    differing = int(((pixels // 4) > DIFF_THRESHOLD).sum())  # the image is amplified ×4; the share is not
    assert view.difference().share == pytest.approx(differing / (width * height), rel=0.05)
    assert view.difference().share > 0 and "differ" in view.status.text()


def test_full_resolution_is_decoded_only_when_zoomed_past_the_preview(qtbot, photos_dir, tmp_path):
    original = photo(photos_dir, tmp_path)
    big = tmp_path / "big.jpg"
    with Image.open(original) as img:
        img.convert("RGB").resize((3000, 2000), Image.Resampling.LANCZOS).save(big, quality=92)
    view = open_compare(qtbot, file_row(big), file_row(big, 2))
    preview = view.pictures[LEFT][PREVIEW]
    assert preview.width == 3000 and preview.scale < 1, "the test needs a preview smaller than the photo"
    qtbot.wait(300)
    assert FULL not in view.pictures[LEFT], "decoded whole while fitted"
    with qtbot.waitSignal(view.full_resolution_ready, timeout=WAIT_MS):
        qtbot.keyClick(view.panes[LEFT], Qt.Key.Key_Z)
    qtbot.waitUntil(lambda: FULL in view.pictures[LEFT] and FULL in view.pictures[RIGHT], timeout=WAIT_MS)
    assert view.shown_picture(LEFT).image.width() == 3000
    qtbot.keyClick(view.panes[LEFT], Qt.Key.Key_F)
    assert view.shown_picture(LEFT) is preview  # fitted again: the cheaper preview is drawn


def test_broken_file_shows_one_line_and_the_dialog_still_works(qtbot, photos_dir, tmp_path):
    original = photo(photos_dir, tmp_path)
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(original.read_bytes()[:3000])
    view = open_compare(qtbot, file_row(original), unread_row(broken))
    error = view.errors[RIGHT]
    assert error and broken.name in error and "\n" not in error
    assert view.errors[LEFT] is None and PREVIEW in view.pictures[LEFT]
    assert error in view.status.text()
    assert view.panes[RIGHT].accessibleDescription() == error
    assert "resolution" not in view.differing_rows()  # unknown is not "different"
    pane = view.panes[LEFT]
    qtbot.keyClick(pane, Qt.Key.Key_Z)
    assert view.actual_pixels
    qtbot.keyClick(pane, Qt.Key.Key_4)
    assert view.mode == DIFFERENCE and view.difference() is None
    view.panes[LEFT].grab()  # paints the "cannot compare" line without raising
    qtbot.keyClick(pane, Qt.Key.Key_Escape)
    assert not view.isVisible()


def test_controls_are_named_explained_and_in_tab_order(qtbot, photos_dir, tmp_path):
    original = photo(photos_dir, tmp_path)
    view = open_compare(qtbot, file_row(original), file_row(half_size(original), 2))
    buttons = view.findChildren(QToolButton) + view.findChildren(QPushButton)
    assert len(buttons) >= 11
    for button in buttons:
        assert button.accessibleName(), button.text()
        assert button.toolTip(), button.text()
    for button in buttons:  # every action has its key, said in its tooltip
        if button is not view.close_button:
            assert button.toolTip().rstrip().endswith(")"), button.toolTip()
    for pane in view.panes:
        assert pane.accessibleName()
    assert view.table.accessibleName()

    expected = [*view.mode_buttons.values(), view.fit_button, view.actual_button, view.zoom_out_button,
                view.zoom_in_button, *view.panes, view.table, view.close_button]
    chain, widget = [], view.mode_buttons[SIDE_BY_SIDE]
    while len(chain) < 40:
        if widget.isVisible() and widget.focusPolicy() & Qt.FocusPolicy.TabFocus and widget in expected:
            if widget in chain:
                break
            chain.append(widget)
        widget = widget.nextInFocusChain()
    assert chain == expected

    # the differing rows follow the theme: a new palette, a new highlight
    app = QApplication.instance()
    before = app.palette()
    try:
        from desktop.theme import dark_palette

        assert before.color(QPalette.ColorRole.Highlight).rgb() != dark_palette().color(QPalette.ColorRole.Highlight).rgb()
        app.setPalette(dark_palette())
        qtbot.waitUntil(lambda: view.table.item(0, 0).background().color().rgb()
                        == dark_palette().color(QPalette.ColorRole.Highlight).rgb())
    finally:
        app.setPalette(before)


def test_closed_before_the_previews_came_and_shown_again(qtbot, photos_dir, tmp_path):
    original = photo(photos_dir, tmp_path)
    view = CompareView(file_row(original), file_row(half_size(original), 2))
    qtbot.addWidget(view)
    view.reject()  # closed at once: the decodes in flight are dropped, not delivered
    assert not view.previews_loaded
    with qtbot.waitSignal(view.previews_ready, timeout=WAIT_MS):
        view.show()
    assert PREVIEW in view.pictures[LEFT] and PREVIEW in view.pictures[RIGHT]
