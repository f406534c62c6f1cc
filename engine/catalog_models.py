"""Which model a library's catalog uses: the active model chosen with ``models use`` or in Settings (catalog state,
so the CLI and the app agree on it), and the catalog's row for a model's codes."""

from __future__ import annotations

import os
from pathlib import Path

from .catalog import Catalog
from .errors import NoCodesError, printable
from .model import HashModel, default_model_path

ACTIVE_MODEL_SETTING = "active_model"


def active_model_path(catalog: Catalog) -> Path:
    """The model chosen for this catalog, else the shipped default."""
    chosen = catalog.get_setting(ACTIVE_MODEL_SETTING)
    return Path(chosen) if chosen else default_model_path()


def set_active_model(catalog: Catalog, path: str | os.PathLike[str] | None) -> None:
    """Choose the catalog's model; ``None`` goes back to the shipped default (whichever that is in a later release)."""
    catalog.set_setting(ACTIVE_MODEL_SETTING, None if path is None else str(path))


def model_row_id(catalog: Catalog, model: HashModel) -> int:
    """The catalog's row id for ``model``; a model never scanned with this catalog has no codes yet."""
    row = catalog.model_by_key(model.model_key)
    if row is None:
        raise NoCodesError(
            f"the catalog {catalog.path} has no codes for model {printable(model.path)}; run 'photohash-cli scan' with it first"
        )
    return row.id
