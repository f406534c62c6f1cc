"""Which model a library's catalog uses: the active model chosen with ``models use`` or in Settings (catalog state,
so the CLI and the app agree on it), and the catalog's rows for a model's codes: one for its duplicate code, and a
second for its similarity code when it has one (format version 4), so that each is indexed as a code of its own.

A command that only reads codes (dupes, trash, a search by a photo the catalog has) needs a model's key and metadata,
not the model: :func:`catalog_model` takes them from the catalog, so it loads neither ONNX nor ONNX Runtime."""

from __future__ import annotations

import os
from pathlib import Path

from .catalog import Catalog
from .errors import ModelError, NoCodesError, printable
from .model import MAX_MODEL_BYTES, HashModel, ModelFile, ModelInfo, default_model_path, file_key

ACTIVE_MODEL_SETTING = "active_model"
SIMILAR_ROW_SUFFIX = "#similar"  # a model's similarity code is kept under its key plus this


def active_model_path(catalog: Catalog) -> Path:
    """The model chosen for this catalog, else the shipped default."""
    chosen = catalog.get_setting(ACTIVE_MODEL_SETTING)
    return Path(chosen) if chosen else default_model_path()


def set_active_model(catalog: Catalog, path: str | os.PathLike[str] | None) -> None:
    """Choose the catalog's model; ``None`` goes back to the shipped default (whichever that is in a later release)."""
    catalog.set_setting(ACTIVE_MODEL_SETTING, None if path is None else str(path))


def catalog_model(catalog: Catalog, path: str | os.PathLike[str]) -> ModelFile:
    """The model file at ``path`` as the catalog knows it: its key (the hash of its bytes, as :class:`HashModel` keys
    it) and the metadata the catalog kept when the model was registered, which was read from those very bytes and
    checked then. Parsing the file with ONNX costs about 0.5 s and running it more; hashing it, about 30 ms. A model
    the catalog has no row for (never scanned with, or with external data, whose key is longer) is read and checked
    as :meth:`HashModel.inspect` does, with its one-line reasons for a file that is not a model."""
    path = Path(path).resolve()
    try:
        if path.is_file() and path.stat().st_size <= MAX_MODEL_BYTES:
            key = file_key(path)
            row = catalog.model_by_key(key)
            if row is not None:
                return ModelFile(path, ModelInfo.from_metadata(row.metadata, path), key)
    except (ModelError, OSError):  # unreadable, or metadata this version no longer reads: the full check says why
        pass
    return HashModel.inspect(path)


def model_row_id(catalog: Catalog, model: HashModel | ModelFile) -> int:
    """The catalog's row id for ``model``; a model never scanned with this catalog has no codes yet."""
    row = catalog.model_by_key(model.model_key)
    if row is None:
        raise NoCodesError(
            f"the catalog {catalog.path} has no codes for model {printable(model.path)}; run 'photohash-cli scan' with it first"
        )
    return row.id


def register_model_rows(catalog: Catalog, model: HashModel | ModelFile) -> tuple[int, int | None]:
    """The catalog's rows for ``model``'s codes, made if new: (its codes, its similarity code or None)."""
    info = model.info
    row = catalog.register_model(model.model_key, str(model.path), info.bits, info.to_metadata())
    if not info.similar_bits:
        return row, None
    similar = catalog.register_model(model.model_key + SIMILAR_ROW_SUFFIX, str(model.path), info.similar_bits,
                                     {"photohash.similar_method": info.similar_method,
                                      "photohash.similar_radius": str(info.similar_radius)})
    return row, similar


def similar_row_id(catalog: Catalog, model: HashModel | ModelFile) -> int:
    """The catalog's row for the code ``model`` answers "photos like this one" with: its similarity code where it has
    one, else its one code."""
    if not model.info.similar_bits:
        return model_row_id(catalog, model)
    row = catalog.model_by_key(model.model_key + SIMILAR_ROW_SUFFIX)
    if row is None:
        raise NoCodesError(
            f"the catalog {catalog.path} has no similarity codes for model {printable(model.path)}; run "
            f"'photohash-cli scan' with it first")
    return row.id


def model_rows(catalog: Catalog) -> list:
    """The models a catalog has codes of, one row each (a similarity code's row is part of its model's)."""
    return [m for m in catalog.models() if not m.model_key.endswith(SIMILAR_ROW_SUFFIX)]
