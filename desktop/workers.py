"""Long work off the UI thread: engine calls in worker threads, training in a child process.

Every worker opens its own :class:`~engine.catalog.Catalog` (SQLite connections belong to one
thread) and reports through Qt signals, which Qt delivers on the UI thread. Errors arrive as one
readable line, never as a traceback; only a bug's traceback is written, to the log file.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, QRunnable, QThread, QThreadPool, Signal

from engine.catalog import Catalog
from engine.errors import NoCodesError, PhotoHashError
from engine.model import HashModel
from engine.scan import ScanFailure, ScanProgress, ScanSummary, scan

from .log import log_error, log_line

SCAN_FIRST = "Scan the library first (Library → Scan): there are no codes for this model yet."
MODEL_UNUSABLE = "The model cannot be loaded: choose another one in Preferences."


def release_elsewhere(*collections) -> None:
    """Free ``collections`` (lists of what a screen shows no more: 10,000 groups are some 300,000 objects) in a
    thread of their own, one item at a time, so the UI thread gets the GIL between items instead of waiting ~40 ms for
    the whole graph to be freed at once. The lists given are not changed (a set-aside one stays whole); what is still
    referenced elsewhere lives on."""
    items = [item for collection in collections for item in collection]
    if items:
        threading.Thread(target=_release, args=(items,), name="release", daemon=True).start()


def _release(items: list) -> None:
    while items:
        items.pop()


def readable(exc: BaseException) -> str:
    """One line a person can act on: our errors carry their own; anything else names its type."""
    if isinstance(exc, NoCodesError):  # a new library's state, not an error
        return SCAN_FIRST
    if isinstance(exc, PhotoHashError):
        return str(exc)
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror or exc}"
    return f"{type(exc).__name__}: {exc}"


def report(exc: BaseException) -> str:
    """Log a worker's error and return its line for the screen. The engine's own errors are expected states (a
    photo moved away, an unreadable file): one line in the log, none for a library not scanned yet. Anything
    else is a bug: its full traceback goes to the log."""
    line = readable(exc)
    if isinstance(exc, PhotoHashError):
        if not isinstance(exc, NoCodesError):
            log_line(line)
    else:
        log_error(exc)
    return line


class _TaskSignals(QObject):
    done = Signal(object)
    failed = Signal(str)

    def release(self, *_) -> None:
        """The answer was delivered: let go of this relay (the runnable itself was freed by the pool)."""
        _in_flight.discard(self)
        self.deleteLater()


class Task(QRunnable):
    """``fn(catalog, *args)`` on the thread pool with a catalog of its own; ``done(result)`` or ``failed(line)``."""

    def __init__(self, catalog_path: str, fn: Callable, *args):
        super().__init__()
        self.catalog_path, self.fn, self.args = catalog_path, fn, args
        self.signals = _TaskSignals()

    def run(self) -> None:
        try:
            with Catalog(self.catalog_path) as catalog:
                result = self.fn(catalog, *self.args)
        except Exception as exc:  # noqa: BLE001 - one line for the user; the log gets a traceback only for a bug
            self._answer(self.signals.failed, report(exc))
            return
        self._answer(self.signals.done, result)

    @staticmethod
    def _answer(signal, value) -> None:
        try:
            signal.emit(value)
        except RuntimeError:  # the app closed while this ran: nobody is left to answer
            pass


_in_flight: set[_TaskSignals] = set()  # relays whose answer is not delivered yet: they must outlive run()


def run_task(catalog_path: str, fn: Callable, *args, done: Callable | None = None,
             failed: Callable | None = None) -> None:
    task = Task(catalog_path, fn, *args)
    signals = task.signals
    if done:
        signals.done.connect(done)
    if failed:
        signals.failed.connect(failed)
    for answered in (signals.done, signals.failed):  # connected last: runs after the callers' slots
        answered.connect(signals.release)
    _in_flight.add(signals)
    QThreadPool.globalInstance().start(task)


class Latest:
    """A screen's engine questions: each runs as a task, and only the newest one's answer is
    delivered (a slower answer to an older radius or query never replaces a newer one)."""

    def __init__(self, catalog_path: str, owner: QObject):
        self.catalog_path = catalog_path
        self.asked = 0
        owner.destroyed.connect(self._forget)  # a screen closed before its answer came: nobody is left to answer

    def _forget(self, *_) -> None:
        self.asked = -1  # no question asked before matches it

    def drop(self) -> None:
        """The screen answered itself (e.g. the query is gone): the answers to questions in flight are stale."""
        self.asked += 1

    def run(self, fn: Callable, *args, done: Callable, failed: Callable) -> None:
        self.asked += 1
        asked = self.asked

        def deliver(result) -> None:
            if asked == self.asked:
                done(result)

        def refuse(line: str) -> None:
            if asked == self.asked:
                failed(line)

        run_task(self.catalog_path, fn, *args, done=deliver, failed=refuse)


class ScanWorker(QThread):
    """Runs :func:`engine.scan.scan` over the library folders and forwards its events."""

    progress = Signal(object)  # ScanProgress
    failure = Signal(object)  # ScanFailure
    finished_scan = Signal(object)  # ScanSummary
    failed = Signal(str)

    def __init__(self, catalog_path: str, roots: Sequence[str], model_path: str, *, include_hidden: bool = False,
                 workers: int | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.catalog_path, self.roots, self.model_path = catalog_path, list(roots), model_path
        self.include_hidden, self.workers = include_hidden, workers
        self.cancel_event = threading.Event()

    def cancel(self) -> None:
        self.cancel_event.set()

    def run(self) -> None:
        try:
            model = HashModel.load(self.model_path)
            with Catalog(self.catalog_path) as catalog:
                for event in scan(catalog, self.roots, model, include_hidden=self.include_hidden,
                                  workers=self.workers, cancel=self.cancel_event, background=True):
                    if isinstance(event, ScanProgress):
                        self.progress.emit(event)
                    elif isinstance(event, ScanFailure):
                        self.failure.emit(event)
                    elif isinstance(event, ScanSummary):
                        self.finished_scan.emit(event)
        except Exception as exc:  # noqa: BLE001 - one line for the user; the log gets a traceback only for a bug
            self.failed.emit(report(exc))


def trainer_available() -> bool:
    """Is the ``[train]`` extra installed? Checked without importing torch (seconds, hundreds of MB)."""
    import importlib.util

    return importlib.util.find_spec("torch") is not None and importlib.util.find_spec("trainer") is not None


class TrainProcess(QObject):
    """A module of the trainer that prints JSON lines (``trainer.session`` with a request, ``trainer.download``),
    run as ``python -m MODULE ARGUMENTS`` in a child process (the app never imports torch); its lines become signals.

    The child owns the work: cancelling sends SIGINT, on which the trainer saves a checkpoint and
    exits, so a later run with the same output resumes.
    """

    event = Signal(dict)  # one JSON line of the trainer
    log = Signal(str)  # a line the trainer wrote on stderr
    finished = Signal(int, bool)  # exit code, cancelled

    def __init__(self, module: str, arguments: Sequence[str], parent: QObject | None = None):
        super().__init__(parent)
        self.arguments, self.module = list(arguments), module
        self.cancelled = False
        self.process = QProcess(self)
        env = QProcessEnvironment.systemEnvironment()
        env.insert("PYTHONUNBUFFERED", "1")
        self.process.setProcessEnvironment(env)
        self.process.readyReadStandardOutput.connect(self._stdout)
        self.process.readyReadStandardError.connect(self._stderr)
        self.process.finished.connect(self._finished)
        self.process.errorOccurred.connect(self._error)
        self._buffer = b""
        self._errors = b""

    def start(self) -> None:
        self.process.start(sys.executable, ["-m", self.module, *self.arguments])

    def cancel(self) -> None:
        """Ask the trainer to save a checkpoint and stop. POSIX: SIGINT. Windows has no such signal for
        a child; there it stops at once and resumes from its last per-epoch checkpoint."""
        if self.process.state() != QProcess.ProcessState.NotRunning:
            self.cancelled = True
            if os.name == "nt":
                self.process.kill()
            else:
                os.kill(self.process.processId(), signal.SIGINT)

    def kill(self) -> None:
        """Stop at once (the trainer keeps its last per-epoch checkpoint)."""
        self.process.kill()

    def is_running(self) -> bool:
        return self.process.state() != QProcess.ProcessState.NotRunning

    def _stdout(self) -> None:
        self._buffer += bytes(self.process.readAllStandardOutput())
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if isinstance(event, dict):
                self.event.emit(event)

    def _stderr(self) -> None:
        self._errors += bytes(self.process.readAllStandardError())
        *lines, self._errors = self._errors.split(b"\n")
        for line in lines:
            text = line.decode("utf-8", "replace").strip()
            if text:
                self.log.emit(text)

    def _finished(self, code: int, status) -> None:
        self._stdout()
        if self._errors.strip():
            self.log.emit(self._errors.decode("utf-8", "replace").strip())
        self.finished.emit(code, self.cancelled)

    def _error(self, error) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self.log.emit(f"could not start the trainer ({sys.executable} -m {self.module})")
            self.finished.emit(-1, False)
