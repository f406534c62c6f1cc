"""What every command shares: opening the catalog, choosing the model, printing tables and JSON."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterable, Sequence

from engine.catalog import Catalog
from engine.catalog_models import active_model_path
from engine.errors import ModelError
from engine.model import HashModel, resolve_model_name


def open_catalog(args, *, write: bool = True, create: bool | None = None) -> Catalog:
    """The catalog named by ``--catalog`` (else the user's). A command that only reads (``write=False``) reads a
    catalog it cannot write (a read-only file or medium) read-only. One that cannot start a library (reads, trash,
    undo: ``create=False``, the default when reading) refuses a catalog that does not exist rather than leave an
    empty one at a mistyped path."""
    return Catalog(args.catalog, create=write if create is None else create, write=write)


def load_model(catalog: Catalog, path: str | None) -> HashModel:
    """The model named on the command line (a file, ``default`` or a shipped model's name, as ``models use``
    takes it), else the active one. A vanished active model says what to do."""
    if path:
        return HashModel.load(resolve_model_name(path))
    chosen = active_model_path(catalog)
    try:
        return HashModel.load(chosen)
    except ModelError as exc:
        raise ModelError(chosen, f"{exc.reason} (choose another with 'photohash-cli models use MODEL')") from exc


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
