"""Verdicts on a catalog's candidate pairs (engine.verify), made once: features are made lazily, for the photos that
have candidates, and kept in the catalog by content hash; verdicts are kept per pair of content hashes. A moved or
renamed file keeps both; a changed file gets new ones; a read-only catalog is verified without keeping anything.

A photo that cannot be decoded now (gone, unreadable), or was not read because the caller cancelled, leaves its pairs
*unread* for this run, and nothing is kept for it, so that it is tried again next time. A cached blob that does not read back is made again.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable

from .catalog import VERIFICATION_MIGRATION, Catalog, FileRow
from .errors import FileError
from .file_pool import FilePool
from .images import read_image
from .verify import VERSION, WORKING_SIDE, Features, Verdict, features, verify

SAVE_EVERY = 64  # features or verdicts kept per catalog transaction
# The features kept in the catalog are a working cache (verdicts are what a second look reads): the newest are kept
# within this bound, about 5,000 photos' worth, so a large library's catalog does not grow by ~50 KB a photo.
FEATURE_CACHE_BYTES = 256 * 1024 * 1024


class Verifier:
    """Verdicts on pairs of one catalog's files. ``progress(done, total)`` counts photos whose features are made
    (decoded); ``cancel`` stops making them (the pairs left are unread). ``workers``: processes making features
    (default: one per CPU core; 0 makes them in this process); ``background`` lowers their priority;
    ``feature_cache_bytes``: the bound on the features kept in the catalog."""

    def __init__(self, catalog: Catalog, *, progress: Callable[[int, int], None] | None = None,
                 cancel: threading.Event | None = None, workers: int | None = None, background: bool = False,
                 feature_cache_bytes: int = FEATURE_CACHE_BYTES):
        self.catalog = catalog
        self.progress = progress
        self.cancel = cancel or threading.Event()
        self.workers = (os.cpu_count() or 1) if workers is None else workers
        self.background = background
        self.feature_cache_bytes = feature_cache_bytes
        self._features: dict[str, Features | None] = {}
        self._failed: set[str] = set()  # content hashes that could not be decoded this run
        self._verdicts: dict[tuple[str, str], Verdict | str] = {}  # a verdict, or its JSON until it is asked for
        self._looked_up: set[tuple[str, str]] = set()  # pairs already asked of the catalog this run
        self._new_features: list[tuple[str, int, bytes | None]] = []
        self._new_verdicts: list[tuple[str, str, int, str]] = []
        self._pool: FilePool | None = None
        self._made = 0  # photos whose features were asked of the pool this run (decoded, failed, or too flat)
        self.expected = 0  # photos the caller expects to be made this run (for progress), if it knows
        self.decoded = 0  # photos decoded for their features this run (the rest came from the catalog)
        self.compared = 0  # pairs verified this run (the rest came from the catalog)
        # a read-only catalog of an older schema has no tables for them: verified anew each time
        self.cached = VERIFICATION_MIGRATION in catalog.applied()

    # -- features ---------------------------------------------------------------------------------

    def prepare(self, files: Iterable[FileRow]) -> None:
        """Have the features of ``files`` at hand: from the catalog, else made now (and kept)."""
        wanted = {f.content_hash: f for f in files if f.content_hash and f.content_hash not in self._features}
        for key, (version, data) in (self.catalog.features_of(wanted) if self.cached else {}).items():
            if version != VERSION:
                continue
            try:
                self._features[key] = None if data is None else Features.from_bytes(data)
            except ValueError:  # a blob that does not read back: made again below
                continue
            wanted.pop(key)
        todo = [f for key, f in wanted.items() if key not in self._failed]
        if not todo:
            return
        in_process = len(todo) <= 2 * self.workers  # a few photos are not worth starting processes for
        if not in_process and self._pool is None:
            self._pool = FilePool(_features_of_file, self.workers, self.background)  # serves the run, until close()
        pool = FilePool(_features_of_file, 0) if in_process else self._pool
        for row, result in pool.run(todo, self.cancel):
            self._keep(row, result)
            self._made += 1
            if self.progress:
                self.progress(self._made, max(self.expected, self._made))
        self.save()

    def close(self) -> None:
        """At the end of a run: keep what was made, hold the catalog's features within their bound (once, not at
        each photo), and stop the worker processes (started again if more features are wanted)."""
        self.save()
        if self.decoded and self.cached and not self.catalog.read_only:
            self.catalog.trim_features(self.feature_cache_bytes)
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    def _keep(self, row: FileRow, result: bytes | str | None) -> None:
        if isinstance(result, str):  # gone or unreadable now: unread this run, tried again the next
            self._failed.add(row.content_hash)
            return
        self.decoded += 1
        self._features[row.content_hash] = None if result is None else Features.from_bytes(result)
        self._new_features.append((row.content_hash, VERSION, result))
        if len(self._new_features) >= SAVE_EVERY:
            self.save()

    # -- verdicts ---------------------------------------------------------------------------------

    def verdict(self, a: FileRow, b: FileRow) -> Verdict:
        """b relative to a (prepare both first, or they are made here one by one)."""
        if a.content_hash and a.content_hash == b.content_hash:
            return Verdict("copy", agreement=1.0)  # the same bytes
        if not a.content_hash or not b.content_hash:
            return Verdict("unverified")
        key = (a.content_hash, b.content_hash)
        self._load_verdicts([key])
        known = self._verdicts.get(key)
        if isinstance(known, str):  # read from the catalog, decoded only now: many pairs read are never asked
            try:
                known = Verdict.from_json(known)
            except (ValueError, TypeError):
                known = None  # does not read back: made again
        if known is None:
            self.prepare([f for f in (a, b) if f.content_hash not in self._features])
            if a.content_hash not in self._features or b.content_hash not in self._features:
                return Verdict("unread")  # unreadable now, or cancelled: not kept, it is tried again next time
            known = verify(self._features.get(a.content_hash), self._features.get(b.content_hash))
            self.compared += 1
            self._new_verdicts.append((*key, VERSION, known.to_json()))
            if len(self._new_verdicts) >= SAVE_EVERY:
                self.save()
        self._verdicts[key] = known
        return known

    def known(self, a: FileRow, b: FileRow) -> bool:
        """Whether the verdict on (a, b) needs no features: the same bytes, no content hash, or a verdict in hand
        (after :meth:`look_up`)."""
        return (not a.content_hash or not b.content_hash or a.content_hash == b.content_hash
                or (a.content_hash, b.content_hash) in self._verdicts)

    def look_up(self, pairs: list[tuple[FileRow, FileRow]]) -> None:
        """Before verifying many pairs: their cached verdicts, read at once."""
        self._load_verdicts([(a.content_hash, b.content_hash) for a, b in pairs if a.content_hash and b.content_hash])

    def _load_verdicts(self, keys: list[tuple[str, str]]) -> None:
        """The catalog's verdicts on ``keys`` of this VERSION, each key asked of the catalog once a run (a verdict
        that does not read back is made again)."""
        asked = [k for k in dict.fromkeys(keys) if k not in self._verdicts and k not in self._looked_up]
        if not asked or not self.cached:
            return
        self._looked_up.update(asked)
        for key, (version, text) in self.catalog.verdicts_of(asked).items():
            if version == VERSION:
                self._verdicts[key] = text  # decoded when asked (:meth:`verdict`)

    def save(self) -> None:
        """Keep what was made (nothing on a read-only catalog: it is made again next time)."""
        if self.catalog.read_only or not self.cached:
            self._new_features.clear()
            self._new_verdicts.clear()
            return
        if self._new_features:
            self.catalog.save_features(self._new_features)
            self._new_features.clear()
        if self._new_verdicts:
            self.catalog.save_verdicts(self._new_verdicts)
            self._new_verdicts.clear()


def _features_of_file(path: str) -> bytes | str | None:
    """A photo's features as kept in the catalog (None: too small or too flat), or why it could not be read.
    Runs in the worker processes."""
    try:
        image = read_image(path, min_side=WORKING_SIDE).image
    except FileError as error:
        return error.reason
    made = features(image)
    return None if made is None else made.to_bytes()
