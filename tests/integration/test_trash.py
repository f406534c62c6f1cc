"""Removal goes to the (test session's) system trash with a journal; undo brings files back byte-identical."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from engine.catalog import Catalog
from engine.duplicates import model_groups
from engine.errors import TrashError
from engine.model import HashModel, default_model_path
from engine.scan import scan
from engine.catalog_models import model_row_id
from engine.trash import last_batch, trash_files, undo

from ..conftest import user_trash


@pytest.fixture
def scanned(tmp_path, library):
    model = HashModel.load(default_model_path())
    catalog = Catalog(tmp_path / "c.sqlite")
    list(scan(catalog, [library.root], model, workers=0))
    yield catalog, library, model_row_id(catalog, model), model
    catalog.close()


def all_bytes(*roots) -> list[bytes]:
    return sorted(p.read_bytes() for root in roots if root.exists() for p in root.rglob("*") if p.is_file()
                  and p.suffix != ".trashinfo")


def test_trash_then_undo_restores_byte_identical(scanned):
    catalog, library, model_id, model = scanned
    groups = model_groups(catalog, model)
    victims = [m.file.path for g in groups for m in g.removable]
    originals = {p: open(p, "rb").read() for p in victims}
    everything = all_bytes(library.root, user_trash())

    result = trash_files(catalog, victims, groups=groups)
    assert result.failed == [] and result.moved == victims
    assert not any(os.path.exists(p) for p in victims)
    assert all_bytes(library.root, user_trash()) == everything, "a file was deleted, not moved"
    entries = catalog.journal(result.batch)
    assert [e.original_path for e in entries] == victims
    assert all(e.trashed_path and os.path.exists(e.trashed_path) for e in entries)
    assert all(catalog.file_by_path(p).missing_since for p in victims)
    assert model_groups(catalog, model) == []
    assert last_batch(catalog) == result.batch

    restored = undo(catalog)
    assert restored.failed == [] and sorted(restored.moved) == sorted(victims)
    assert {p: open(p, "rb").read() for p in victims} == originals
    assert not any(catalog.file_by_path(p).missing_since for p in victims)
    for e in entries:  # the trash's own records went with the files
        trashed = Path(e.trashed_path)
        assert not trashed.exists() and not (trashed.parent.parent / "info" / f"{trashed.name}.trashinfo").exists()
    assert last_batch(catalog) is None
    with pytest.raises(TrashError, match="nothing to undo"):
        undo(catalog)


def test_undo_never_overwrites(scanned):
    catalog, library, model_id, model = scanned
    target = str(library.exact_copy)
    result = trash_files(catalog, [target])
    assert result.moved == [target]
    with open(target, "wb") as fh:
        fh.write(b"a new file the user made since")
    restored = undo(catalog, result.batch)
    assert restored.moved == []
    assert restored.failed == [(target, "a file already exists at the original place (not overwritten)")]
    assert open(target, "rb").read() == b"a new file the user made since"
    assert os.path.exists(catalog.journal(result.batch)[0].trashed_path), "the trashed copy must stay in the trash"


def test_refusals(scanned, tmp_path):
    catalog, library, model_id, model = scanned
    groups = model_groups(catalog, model, reference_folders=[library.root / "copies"])
    group = next(g for g in groups if any(m.file.path == str(library.exact_copy) for m in g.members))
    every = [m.file.path for m in group.members]
    changed = str(library.originals[4])
    with open(changed, "ab") as fh:
        fh.write(b"\0")
    outsider = tmp_path / "never-scanned.jpg"
    outsider.write_bytes(b"x")
    result = trash_files(catalog, every + [changed, str(outsider), str(tmp_path / "gone.jpg")], groups=groups)
    reasons = dict(result.failed)
    assert result.moved == []
    assert reasons[str(library.exact_copy)] == "it is in a reference folder"
    assert all(reasons[p] in ("it would remove every copy in its group", "it is in a reference folder") for p in every)
    assert reasons[changed] == "changed since the last scan (scan again first)"
    assert reasons[str(outsider)] == "not in the catalog (scan it first)"
    assert reasons[str(tmp_path / "gone.jpg")] == "not in the catalog (scan it first)"
    assert all(os.path.exists(p) for p in every)


def test_the_kept_copy_must_still_be_the_scanned_photo(scanned):
    """If the photo kept in a group was overwritten since the scan, its copies are the last of that
    photo: trashing them is refused until a new scan."""
    catalog, library, model_id, model = scanned
    groups = model_groups(catalog, model)
    group = next(g for g in groups if any(m.file.path == str(library.exact_copy) for m in g.members))
    keeper = group.keeper.file.path
    others = [m.file.path for m in group.members if m.file.path != keeper]
    with open(keeper, "wb") as fh:
        fh.write(b"the user saved another picture over it")
    result = trash_files(catalog, others, groups=[group])
    assert result.moved == [] and all(reason == "it would remove every copy in its group" for _, reason in result.failed)
    assert all(os.path.exists(p) for p in others)
