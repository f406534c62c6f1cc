"""Scan on a Ray cluster (the ``[cluster]`` extra): the hashing of a library spread over many machines with Ray Data.

Why Ray Data: scheduling, retries of a failed node's work and back-pressure between the workers and the driver are
what it does; nothing of that is written here. The shape:

- the driver (this process) walks the roots and skips what the catalog has: the very step 1 of a local scan
  (:func:`engine.scan.find_work`), so both skip the same files;
- the paths go into a Ray Dataset; ``map_batches`` hands them to an actor pool, each actor holding one ONNX Runtime
  session. Without GPUs each actor takes one CPU and decodes and encodes its batch itself (one ORT thread); on a
  cluster with GPUs, CPU actors decode and GPU actors (CUDA provider, :func:`engine.model.choose_providers`) encode;
- the records come back through ``iter_batches`` (streaming: the driver never holds the library) and are committed
  ``batch_size`` at a time with ``Catalog.save_scanned``, one transaction each, as a local scan does: a driver killed
  at any moment resumes by scanning again;
- a file that cannot be read gives the same reason text as locally (the same ``decode_for_model``);
- Ray Data creates its actors with ``max_restarts=-1`` and ``max_task_retries=-1`` (its defaults, kept): a worker
  or node that dies has its batch retried by Ray, on a new actor, elsewhere if need be. A file that crashes the
  decoder is not left to those endless retries: see :class:`_Decoder`.

The model reaches the workers through the object store (``ray.put`` of its bytes, checked again by its key on each
worker), so nothing but the photos needs to be on shared storage. A model with external data files is the exception:
its folder must then be readable at the same path on every node. The photos are read by the workers at the paths the
driver listed: the library must be mounted at the same path on every node.

Ray is imported here only, and only when a Ray scan starts.
"""

from __future__ import annotations

import logging
import os
import pickle
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from functools import partial
from pathlib import Path

import numpy as np

from .catalog import Catalog, ScanRecord
from .catalog_models import register_model_rows
from .errors import PhotoHashError
from .file_pool import FilePool
from .images import FileEntry
from .model import HashModel
from .scan import BATCH_SIZE, PROGRESS_INTERVAL_S, ScanEvent, ScanFailure, ScanProgress, ScanSummary, \
    decode_for_model, find_work, records_for

INSTALL_HINT = "the Ray scan needs the cluster extra: pip install 'photohash[cluster]'"
MAP_BATCH = 16  # files per Ray task: the work redone when a worker dies


class ClusterError(PhotoHashError):
    """Ray is missing or the cluster cannot be reached or used."""


def import_ray():
    """Ray and Ray Data, or one line saying how to install them."""
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise ClusterError(INSTALL_HINT) from None
    return ray


class _Decoder:
    """Decodes batches of paths in a :class:`FilePool` of one process, kept for the actor's life.

    Why a pool inside a Ray worker: a hostile file that crashes the decoder (a segfault in a C library) would kill the
    Ray worker, and Ray would retry its batch for ever (Ray Data restarts actors and retries their tasks without
    limit). The pool survives it and records the file as one failure, with the local scan's reason
    (:data:`engine.file_pool.CRASHED`); Ray's retries are left for workers and nodes that die."""

    def __init__(self, info):
        self.info = info
        self.pool = FilePool(partial(decode_for_model, info=info), 1)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        entries = [FileEntry(str(p), int(s), int(m)) for p, s, m in zip(batch["path"], batch["size"], batch["mtime_ns"])]
        results = dict(self.pool.run(entries, threading.Event()))
        return {"path": batch["path"], "size": batch["size"], "mtime_ns": batch["mtime_ns"],
                "decoded": np.array([pickle.dumps(results[e], protocol=5) for e in entries], dtype=object)}


class _Hasher:
    """A Ray actor: one ONNX Runtime session for its life. ``__call__`` turns a batch of paths (or of decoded photos,
    when other actors decoded them) into pickled :class:`ScanRecord` s, exactly as a local scan makes them."""

    def __init__(self, model_source, model_key: str, device: str, threads: int, decodes: bool):
        import ray

        if isinstance(model_source, ray.ObjectRef):
            model_source = ray.get(model_source)
        if isinstance(model_source, bytes):  # the model's bytes from the object store: loaded from a private copy
            with tempfile.TemporaryDirectory(prefix="photohash-model-") as folder:
                path = Path(folder) / "model.onnx"
                path.write_bytes(model_source)
                self.model = HashModel.load(path, device=device, threads=threads)
        else:  # a model with external data: read where the driver read it (shared storage)
            self.model = HashModel.load(model_source, device=device, threads=threads)
        if self.model.model_key != model_key:
            raise ClusterError(f"the model on this worker is not the driver's (key {self.model.model_key}, "
                               f"expected {model_key}): the file changed on the shared storage")
        self.decoder = _Decoder(self.model.info) if decodes else None

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        if self.decoder is not None:
            batch = self.decoder(batch)
        records = records_for(self.model, [(str(path), int(size), int(mtime_ns), pickle.loads(blob)) for
                                           path, size, mtime_ns, blob in zip(batch["path"], batch["size"],
                                                                            batch["mtime_ns"], batch["decoded"])])
        return {"path": np.array([r.path for r in records], dtype=object),
                "record": np.array([pickle.dumps(r, protocol=5) for r in records], dtype=object)}


def _connect(ray, address: str | None, num_cpus: int | None) -> bool:
    """Join the cluster at ``address`` (None: RAY_ADDRESS, a cluster started on this machine, or a new local one).
    True when this call started Ray (and so should stop it)."""
    if ray.is_initialized():
        return False
    # ERROR: its start-up warnings (token authentication...) would break the progress bar; failures still raise
    kwargs = {"address": address, "logging_level": "ERROR", "log_to_driver": False, "include_dashboard": False}
    if num_cpus is not None and address is None:
        kwargs["num_cpus"] = num_cpus
    try:
        ray.init(**kwargs)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise ClusterError(f"cannot reach the Ray cluster at {address or 'the default address'} "
                           f"({' '.join(str(exc).split())[:200]})") from None
    return True


def scan_ray(
    catalog: Catalog,
    roots: Iterable[str | os.PathLike[str]],
    model: HashModel,
    *,
    address: str | None = None,
    batch_size: int = BATCH_SIZE,
    include_hidden: bool = False,
    videos: bool = True,
    retry_errors: bool = False,
    cancel: threading.Event | None = None,
    num_cpus: int | None = None,
    workers: int | None = None,
    split: bool | None = None,
    files_per_task: int = MAP_BATCH,
) -> Iterator[ScanEvent]:
    """:func:`engine.scan.scan` with the hashing on a Ray cluster; the same events, the same catalog.

    address: the cluster (``ray.init``'s address; None: the default, which starts a local Ray when none runs).
    num_cpus: CPUs of a local Ray this call starts (None: all). workers: hashing actors (None: one per CPU, or one
    per GPU). split: decode in CPU actors and encode in others (None: when the cluster has GPUs).
    files_per_task: files in one Ray task (the work done again when a worker dies).
    """
    ray = import_ray()
    cancel = cancel or threading.Event()
    roots = [os.path.abspath(os.fspath(r)) for r in roots]
    started = time.monotonic()
    summary = ScanSummary()
    model_id, similar_id = register_model_rows(catalog, model)
    states = catalog.file_states(model_id)

    todo = yield from find_work(catalog, roots, states, summary, include_hidden=include_hidden, videos=videos,
                                retry_errors=retry_errors, cancel=cancel)
    total = len(todo)
    walk_failures = summary.failed
    hash_start = time.monotonic()

    def progress(current: str | None) -> ScanProgress:
        done = summary.hashed + summary.failed - walk_failures
        rate = done / max(time.monotonic() - hash_start, 1e-9)
        eta = (total - done) / rate if rate > 0 else None
        return ScanProgress("hashing", summary.found, summary.skipped, total, done, summary.failed, rate, eta, current)

    owns_ray = False
    if todo and not cancel.is_set():
        yield ScanProgress("starting", summary.found, summary.skipped, total, 0, summary.failed, 0.0, None, None)
        owns_ray = _connect(ray, address, num_cpus)
        try:
            yield from _hash_on_cluster(ray, catalog, model, model_id, similar_id, todo, summary, progress,
                                        batch_size=batch_size, cancel=cancel, workers=workers, split=split,
                                        files_per_task=files_per_task)
        finally:
            if owns_ray:
                ray.shutdown()
    summary.cancelled = cancel.is_set()
    summary.seconds = time.monotonic() - started
    yield progress(None)
    yield summary


def _hash_on_cluster(ray, catalog, model, model_id, similar_id, todo, summary, progress, *, batch_size, cancel,
                     workers, split, files_per_task) -> Iterator[ScanEvent]:
    from ray.data import ActorPoolStrategy, DataContext

    context = DataContext.get_current()
    context.enable_progress_bars = False  # the CLI draws its own bar from our events
    context.print_on_execution_start = False
    logging.getLogger("ray.data").setLevel(logging.ERROR)  # its per-run lines would break the progress bar
    resources = ray.cluster_resources()
    gpus = int(resources.get("GPU", 0))
    cpus = max(1, int(resources.get("CPU", 1)))
    split = gpus > 0 if split is None else split

    inspected = HashModel.inspect(model.path)
    # the object store carries the model to every node; a model with external data is read from a shared path
    source = str(model.path) if inspected.external else ray.put(Path(model.path).read_bytes())
    rows = [{"path": e.path, "size": e.size, "mtime_ns": e.mtime_ns} for e in todo]
    dataset = ray.data.from_items(rows, override_num_blocks=min(-(-len(rows) // files_per_task), 100_000))
    hashers = workers or (gpus if gpus else cpus)
    if split:  # CPU actors decode, hashing actors (on GPUs where there are) encode
        decoders = max(1, cpus - (0 if gpus else hashers))
        dataset = dataset.map_batches(_Decoder, fn_constructor_args=(model.info,), batch_size=files_per_task,
                                      batch_format="numpy", compute=ActorPoolStrategy(size=decoders), num_cpus=1)
        hasher_args = (source, model.model_key, "auto" if gpus else "cpu", 0, False)
        resources_each = {"num_gpus": 1, "num_cpus": 0} if gpus else {"num_cpus": 1}
    else:
        hasher_args = (source, model.model_key, "cpu", 1, True)
        resources_each = {"num_cpus": 1}
    dataset = dataset.map_batches(_Hasher, fn_constructor_args=hasher_args, batch_size=files_per_task,
                                  batch_format="numpy", compute=ActorPoolStrategy(size=hashers), **resources_each)

    pending: list[ScanRecord] = []
    last_emit = time.monotonic()

    def commit() -> None:
        if pending:
            catalog.save_scanned(model_id, pending, similar_id)
            summary.hashed += sum(1 for r in pending if r.error is None)
            pending.clear()

    iterator = dataset.iter_batches(batch_size=None, batch_format="numpy")
    try:
        for batch in iterator:
            for blob in batch["record"]:
                record: ScanRecord = pickle.loads(blob)
                if record.error is not None:
                    failure = ScanFailure(record.path, record.error)
                    summary.failures.append(failure)
                    summary.failed += 1
                    yield failure
                pending.append(record)
                if len(pending) >= batch_size:
                    commit()
                    last_emit = time.monotonic()
                    yield progress(record.path)
            if time.monotonic() - last_emit >= PROGRESS_INTERVAL_S:
                last_emit = time.monotonic()
                yield progress(None)
            if cancel.is_set():
                break
        commit()
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            close()
