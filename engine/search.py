"""Search by example: the photos in the catalog nearest to a given image (which need not be in it)."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from .catalog import Catalog, FileRow
from .catalog_models import model_row_id
from .errors import UsageError
from .images import read_image
from .index import HammingIndex
from .model import HashModel, prepare


@dataclass(frozen=True, slots=True)
class Hit:
    file: FileRow
    distance: int


def encode_file(model: HashModel, path: str | os.PathLike[str]) -> np.ndarray:
    """The packed code [bits/8] of one image file; raises FileError with the reason when it cannot be read."""
    decoded = read_image(path, min_side=model.info.input_size)
    return model.encode(prepare(decoded.image, model.info)[None])[0]


class LibraryIndex:
    """The codes of one model in a catalog, loaded once, for repeated searches (the GUI keeps one)."""

    def __init__(self, catalog: Catalog, model: HashModel):
        self.catalog = catalog
        self.model = model
        ids, codes = catalog.codes(model_row_id(catalog, model))
        self.index = HammingIndex(codes, ids)

    def __len__(self) -> int:
        return len(self.index)

    def nearest(self, code: np.ndarray, k: int = 20, radius: int | None = None) -> list[Hit]:
        """The ``k`` nearest photos to a packed code, or all within ``radius`` (at most ``k``), nearest first; up to
        the duplicate radius, only photos the duplicate finder would group with it (the model's gates)."""
        if radius is None:
            ids, dists = self.index.knn(code, k)
        else:
            ids, dists = self.index.within(code, radius, self.model.info.gates_for(radius))
            ids, dists = ids[:k], dists[:k]
        rows = self.catalog.files(ids.tolist())
        return [Hit(rows[i], int(d)) for i, d in zip(ids.tolist(), dists.tolist()) if i in rows]

    def search(self, image_path: str | os.PathLike[str], k: int = 20, radius: int | None = None) -> list[Hit]:
        return self.nearest(encode_file(self.model, image_path), k, radius)


def search(
    catalog: Catalog, model: HashModel, image_path: str | os.PathLike[str], *, k: int = 20, radius: int | None = None
) -> list[Hit]:
    """One-shot search: load the library's codes, encode the query, return the nearest photos."""
    if k < 1:
        raise UsageError(f"k must be at least 1, got {k}")
    return LibraryIndex(catalog, model).search(image_path, k, radius)
