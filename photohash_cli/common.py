"""What every command shares: opening the catalog, choosing the model, printing tables and JSON."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TypeVar

from engine.catalog import Catalog
from engine.catalog_models import active_model_path, catalog_model
from engine.errors import ModelError
from engine.model import HashModel, ModelFile, resolve_model_name

T = TypeVar("T")


def open_catalog(args, *, write: bool = True, create: bool | None = None) -> Catalog:
    """The catalog named by ``--catalog`` (else the user's). A command that only reads (``write=False``) reads a
    catalog it cannot write (a read-only file or medium) read-only. One that cannot start a library (reads, trash,
    undo: ``create=False``, the default when reading) refuses a catalog that does not exist rather than leave an
    empty one at a mistyped path."""
    return Catalog(args.catalog, create=write if create is None else create, write=write)


def _chosen_model(catalog: Catalog, name: str | None, open_model: Callable[[Path], T]) -> T:
    """``open_model`` of the model named on the command line (a file, ``default`` or a shipped model's name, as
    ``models use`` takes it), else of the active one. A vanished active model says what to do."""
    if name:
        return open_model(resolve_model_name(name))
    chosen = active_model_path(catalog)
    try:
        return open_model(chosen)
    except ModelError as exc:
        raise ModelError(chosen, f"{exc.reason} (choose another with 'photohash-cli models use MODEL')") from exc


def load_model(catalog: Catalog, name: str | None) -> HashModel:
    """The chosen model, loaded to hash with (ONNX Runtime). A model the catalog knows is not parsed with ONNX again
    (``HashModel.load``'s ``checked``): about 0.5 s less before the first photo."""
    return _chosen_model(catalog, name, lambda path: HashModel.load(path, checked=catalog_model(catalog, path)))


def known_model(catalog: Catalog, name: str | None) -> ModelFile:
    """The chosen model's key and metadata, for a command that only reads its codes: from the catalog, without
    loading it (engine.catalog_models.catalog_model)."""
    return _chosen_model(catalog, name, lambda path: catalog_model(catalog, path))


def print_json(obj) -> None:
    """JSON on stdout; a file name that is not UTF-8 keeps its bytes as ``\\udcXX`` escapes (lone surrogates),
    which Python's json reads back to the same name (``os.fsencode`` gives the bytes)."""
    text = json.dumps(obj, indent=2, ensure_ascii=False)
    sys.stdout.write(text.encode("utf-8", "backslashreplace").decode("utf-8") + "\n")


def print_table(headers: Sequence[str], rows: Iterable[Sequence], right: Iterable[int] = ()) -> None:
    """Aligned columns; ``right`` names the column indexes to right-align (numbers)."""
    rows = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    right = set(right)

    def line(cells):
        return "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    print(line(headers))
    for row in rows:
        print(line(row))


@contextlib.contextmanager
def counting_bar(desc: str, unit: str):
    """A ``progress(done, total)`` callback drawing a bar on stderr, shown from its first call (none when no work
    is counted)."""
    bar = None

    def update(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            from tqdm import tqdm

            bar = tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, disable=None, dynamic_ncols=True)
        bar.total, bar.n = total, done
        bar.refresh()

    try:
        yield update
    finally:
        if bar is not None:
            bar.close()
