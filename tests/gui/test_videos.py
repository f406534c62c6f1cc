"""Videos in the app (issue 25, part 6), through the real window over a real scan of clips made here
(tests/clips.py: a pan and zoom over a shared photo, encoded with PyAV's FFmpeg): the Duplicates screen's Videos
section lists a video and its resized copy with a strip of frames on each card, the copy marked, moved to the
(test session's) trash and put back byte-identical by one undo; a video's thumbnail, in the Library grid and in the
groups table, is its first frame with content, not the unreadable placeholder."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pytestqt", reason="needs pytest-qt (the dev extra)")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QImage, QPixmap  # noqa: E402

from ..clips import make_clip, reencode, shared_photo  # noqa: E402
from ..conftest import PHOTOS_ZIP, extract_photos, require  # noqa: E402
from .test_desktop import scan, wait_for_groups  # noqa: E402
from .test_library import scan as scan_library  # noqa: E402


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def video_library(root: Path) -> dict[str, Path]:
    """A phone's clip that opens on a second of black, its copy resized by a messenger, another clip that opens on
    black too, and photos (one of them the clip's own scene: never grouped with a video)."""
    require(PHOTOS_ZIP)
    (root / "phone").mkdir(parents=True)
    clip = make_clip(0, root / "phone" / "VID_0001.mp4", seconds=4.0, black_s=1.0, fade_s=0.5)
    small = reencode(clip, root / "VID_0001-small.mp4", size=(160, 120))
    other = make_clip(1, root / "phone" / "VID_0002.mp4", seconds=4.0, black_s=1.0, fade_s=0.5)
    extract_photos(root / "photos", limit=2)
    shared_photo(0).save(root / "photos" / "scene.jpg")
    return {"clip": clip, "small": small, "other": other}


def pixels(pixmap: QPixmap) -> np.ndarray:
    """A pixmap's RGB pixels, as an array [height, width, 3]."""
    image = pixmap.toImage().convertToFormat(QImage.Format.Format_RGB888)
    data = np.frombuffer(image.constBits(), np.uint8, image.sizeInBytes())
    # a copy: the bits are the QImage's memory, freed with it when this function returns
    return data.reshape(image.height(), image.bytesPerLine())[:, :image.width() * 3].reshape(
        image.height(), image.width(), 3).copy()


def test_the_videos_section_shows_a_strip_of_frames_marks_the_copy_and_trash_undo_restores_it(
        make_window, qtbot, tmp_path):
    from desktop.duplicates_view import STRIP_SIDE
    from desktop.groups_table import KIND, NAME, PHOTOS
    from desktop.thumbnails import STRIP_FRAMES

    clips = video_library(tmp_path / "library")
    before = {p: digest(p) for p in clips.values()}
    window = make_window()
    scan(qtbot, window, tmp_path / "library")
    dupes = window.duplicates
    window.tabs.setCurrentWidget(dupes)
    wait_for_groups(qtbot, dupes)
    assert all(not m.file.path.endswith(".mp4") for g in dupes.groups for m in g.members)  # Copies: photos only

    dupes.groups = None
    qtbot.mouseClick(dupes.videos_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dupes.groups is not None and dupes.shown_section == "videos", timeout=60_000)
    assert [[m.file.path for m in g.members] for g in dupes.groups] == [[str(clips["clip"]), str(clips["small"])]]
    assert not dupes.slider.isEnabled()  # no radius to choose
    choice = dupes.current()
    assert choice.paths == [str(clips["small"])]  # the copy is marked, as in Copies
    assert dupes.trash_all_button.isEnabled() and dupes.trash_all_button.text() == "Trash extra videos in all groups…"
    assert "1 group</b> of copies of videos" in dupes.summary.text(), dupes.summary.text()
    table = dupes.table.view.model()
    assert [table.headerData(c, Qt.Orientation.Horizontal) for c in (NAME, PHOTOS)] == ["Video kept", "Videos"]
    assert table.index(0, KIND).data() == "Videos"

    qtbot.waitUntil(lambda: len(dupes.cards) == 2 and all(card.isVisible() for card in dupes.cards))
    kept, copy = dupes.cards
    assert "0:05 · 320 × 240 · " in kept.details.text() and "suggested keeper" in kept.details.text()
    assert "resized copy: 320×240 and 160×120" in copy.details.text(), copy.details.text()
    assert copy.remove.isChecked() and kept.keep.isChecked()

    def strip(card) -> np.ndarray | None:
        """The card's picture once it is the video's strip (the placeholder while it is made is a square)."""
        shown = card.image.pixmap()
        size = shown.deviceIndependentSize()
        return pixels(shown) if size.width() > 2 * size.height() else None

    qtbot.waitUntil(lambda: all(strip(card) is not None for card in dupes.cards), timeout=30_000)
    for card in dupes.cards:
        frames = strip(card)
        # a row of frames across the clip: as wide as STRIP_FRAMES frames of 4:3 side by side, none of them black
        assert frames.shape[1] >= STRIP_FRAMES * STRIP_SIDE * 0.95 and frames.shape[0] <= STRIP_SIDE * 3 / 4 + 1
        columns = np.array_split(frames, STRIP_FRAMES, axis=1)
        assert all(part.mean() > 30 and part.std() > 20 for part in columns), [p.mean() for p in columns]
    # the groups table's thumbnail of the video kept: its poster frame (4:3), not a placeholder square
    qtbot.waitUntil(lambda: (isinstance(icon := dupes.table.model.value(0, NAME, Qt.ItemDataRole.DecorationRole),
                                        QPixmap) and icon.width() > icon.height()), timeout=30_000)

    messages = []
    window.context.message.connect(messages.append)
    dupes.setFocus()
    qtbot.keyClick(dupes, Qt.Key.Key_Delete)  # Del: this group's marked videos to the trash
    qtbot.waitUntil(lambda: not dupes.busy and not clips["small"].exists(), timeout=60_000)
    assert clips["clip"].exists() and clips["other"].exists()
    assert messages[-1] == "Moved 1 video to the trash. Ctrl+Z puts them back."
    dupes.undo()
    qtbot.waitUntil(lambda: not dupes.busy and clips["small"].exists(), timeout=60_000)
    assert {p: digest(p) for p in before} == before


def test_a_videos_thumbnail_in_the_library_is_its_first_frame_with_content(make_window, qtbot, tmp_path):
    from desktop.widgets import placeholder

    clips = video_library(tmp_path / "library")
    window = make_window()
    scan_library(qtbot, window, tmp_path / "library")
    library = window.library
    model = library.model
    rows = {model.rows[r][0]: r for r in range(model.rowCount())}
    assert str(clips["clip"]) in rows, sorted(rows)  # the video is in the grid with the photos
    index = model.index(rows[str(clips["clip"])])
    unreadable = placeholder(model.size, "cannot read").toImage()
    waiting = placeholder(model.size).toImage()

    def thumbnail() -> QPixmap | None:
        shown = index.data(Qt.ItemDataRole.DecorationRole)
        return None if shown.toImage() in (unreadable, waiting) else shown

    qtbot.waitUntil(lambda: thumbnail() is not None, timeout=30_000)
    poster = thumbnail()
    size = poster.deviceIndependentSize()
    assert round(size.width()) == model.size and round(size.height()) == model.size * 3 // 4  # the clip's 4:3
    seen = pixels(poster)
    # past the second of black and the fade: as bright as the photo the clip pans over, and a picture, not flat
    scene = np.asarray(shared_photo(0).convert("RGB"), dtype=np.float32)
    assert seen.mean() > 0.6 * scene.mean() and seen.std() > 20, (seen.mean(), scene.mean(), seen.std())
