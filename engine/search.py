"""Search by example: the photos in the catalog nearest to a given image (which need not be in it), by the model's
similarity code ("photos like this one") or by its duplicate code ("copies of this one").

A photo the catalog has scanned, unchanged since, is searched by the code the catalog keeps for it: no model is loaded
(ONNX Runtime costs about 0.7 s before the first photo), so a search for a library photo starts at once.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass

import numpy as np

from .catalog import Catalog, FileRow
from .catalog_models import model_row_id, similar_row_id
from .errors import ModelError, UsageError
from .images import read_image
from .index import HammingIndex
from .model import HashModel, ModelFile


@dataclass(frozen=True, slots=True)
class Hit:
    file: FileRow
    distance: int


def encode_file(model: HashModel, path: str | os.PathLike[str], code: str = "similar") -> np.ndarray:
    """The packed code of one image file that a search by ``code`` compares ("similar": the similarity code where
    the model has one, else its one code; "duplicate": its duplicate code); raises FileError with the reason when it
    cannot be read."""
    decoded = read_image(path, min_side=model.info.input_size)
    duplicate, similar = model.encode_images_both([decoded.image])
    return (similar if code == "similar" and similar is not None else duplicate)[0]


class LibraryIndex:
    """The codes of one model in a catalog, loaded once, for repeated searches (the GUI keeps one). ``code``:
    "similar" (photos like this one: the model's similarity code where it has one, else its one code) or
    "duplicate" (copies of this one: its duplicate code, with its gates up to the duplicate radius). ``model``: a
    loaded model, or a :class:`ModelFile` (engine.catalog_models.catalog_model), loaded here only when a photo must be
    encoded."""

    def __init__(self, catalog: Catalog, model: HashModel | ModelFile, code: str = "similar"):
        if code not in ("similar", "duplicate"):
            raise UsageError(f"unknown code {code!r} (known: similar, duplicate)")
        self.catalog = catalog
        self.model = model
        self.code = code
        # a model without a similarity code answers "photos like this one" with its one code, gates and all
        self.by_similarity_code = code == "similar" and bool(model.info.similar_bits)
        self.row = similar_row_id(catalog, model) if self.by_similarity_code else model_row_id(catalog, model)
        ids, codes = catalog.codes(self.row)
        self.index = HammingIndex(codes, ids)

    @property
    def bits(self) -> int:
        """The width of the code searched."""
        return self.model.info.similar_bits if self.by_similarity_code else self.model.info.bits

    def __len__(self) -> int:
        return len(self.index)

    def nearest(self, code: np.ndarray, k: int = 20, radius: int | None = None) -> list[Hit]:
        """The ``k`` nearest photos to a packed code, or all within ``radius`` (at most ``k``), nearest first; on the
        duplicate code, up to the duplicate radius, only photos the duplicate finder would group with it (the model's
        gates)."""
        if radius is None:
            ids, dists = self.index.knn(code, k)
        else:
            gates = () if self.by_similarity_code else self.model.info.gates_for(radius)
            ids, dists = self.index.within(code, radius, gates)
            ids, dists = ids[:k], dists[:k]
        rows = self.catalog.files(ids.tolist())
        return [Hit(rows[i], int(d)) for i, d in zip(ids.tolist(), dists.tolist()) if i in rows]

    def query_code(self, image_path: str | os.PathLike[str]) -> np.ndarray:
        """The code to search by for an image file: the catalog's own when it has scanned this very file (the same
        size and mtime), else the file encoded now."""
        try:
            st = os.stat(image_path)
        except OSError:
            st = None  # encode_file says why it cannot be read
        if st is not None and stat.S_ISREG(st.st_mode):
            stored = self.catalog.stored_code(self.row, os.path.abspath(image_path), st.st_size, st.st_mtime_ns)
            if stored is not None:
                return stored
        return encode_file(self._encoder(), image_path, self.code)

    def _encoder(self) -> HashModel:
        """The model, loaded on first need when a ModelFile was given; it must be the file the codes are of."""
        if not isinstance(self.model, HashModel):
            loaded = HashModel.load(self.model.path, checked=self.model)
            if loaded.model_key != self.model.model_key:
                raise ModelError(self.model.path, "the file changed during the search; search again")
            self.model = loaded
        return self.model

    def search(self, image_path: str | os.PathLike[str], k: int = 20, radius: int | None = None) -> list[Hit]:
        return self.nearest(self.query_code(image_path), k, radius)


def search(
    catalog: Catalog, model: HashModel | ModelFile, image_path: str | os.PathLike[str], *, k: int = 20,
    radius: int | None = None, code: str = "similar",
) -> list[Hit]:
    """One-shot search: load the library's codes (``code``, as :class:`LibraryIndex`), take the query's code
    (:meth:`LibraryIndex.query_code`), return the nearest photos."""
    if k < 1:
        raise UsageError(f"k must be at least 1, got {k}")
    return LibraryIndex(catalog, model, code).search(image_path, k, radius)
