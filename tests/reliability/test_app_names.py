"""The app keeps a file name that is not UTF-8 whole: Qt's strings would drop its bytes (a QString holds Unicode),
so paths stay Python strings between the screens, and only what is shown is escaped."""

from __future__ import annotations

import os

import pytest

pytest.importorskip("pytestqt", reason="needs pytest-qt (the dev extra)")

from engine.catalog import Catalog  # noqa: E402
from engine.model import HashModel, default_model_path  # noqa: E402
from engine.scan import scan  # noqa: E402

from ..conftest import extract_photos  # noqa: E402


def test_a_name_that_is_not_utf8_reaches_search_whole(make_window, qtbot, tmp_path):
    folder = tmp_path / "photos"
    photo = extract_photos(folder, limit=1)[0]
    odd = os.fsdecode(os.path.join(os.fsencode(folder), b"~x\xff.jpg"))
    with open(odd, "wb") as fh:
        fh.write(photo.read_bytes())
    with Catalog(tmp_path / "catalog.sqlite") as catalog:
        list(scan(catalog, [folder], HashModel.load(default_model_path()), workers=0))

    window = make_window()
    library = window.library
    library.reload()
    qtbot.waitUntil(lambda: library.model.rowCount() == 2, timeout=30_000)
    row = next(r for r in range(2) if library.model.rows[r][0] == odd)
    index = library.model.index(row)
    assert index.data() == "~x\\xff.jpg"  # shown escaped
    asked = []
    library.find_similar.connect(asked.append)
    library.grid.doubleClicked.emit(index)
    assert asked == [odd]  # the path itself, bytes and all
    search = window.search
    qtbot.waitUntil(lambda: search.model.rowCount() == 2, timeout=30_000)
    assert sorted(r[0] for r in search.model.rows) == sorted([odd, str(photo)])
