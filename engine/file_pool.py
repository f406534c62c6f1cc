"""Per-file work (decoding, features) in worker processes that survive a crashing decoder and die with their parent.

Why processes: decoding and feature making are CPU-bound Python and C, so every core works only in its own process.
Why the care: a hostile file can kill a worker, which breaks the whole pool; and a parent killed with SIGKILL cannot
shut its pool down, so each worker watches its parent and exits when it is gone.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from typing import Protocol

CRASH_RETRIES = 2
PARENT_CHECK_S = 0.5
STUCK_S = 2.0  # a worker dead this long while nothing finishes: the pool is broken, whether the executor saw it or not
CRASHED = "the image decoder crashed on this file"


class HasPath(Protocol):
    path: str


def _lower_priority() -> None:
    """A worker of background work yields the CPU to the desktop (POSIX nice; elsewhere as is)."""
    if hasattr(os, "nice"):
        os.nice(10)


def _worker_start(parent_pid: int, background: bool) -> None:
    """Start-up of every worker: nice it for background work, and make it die with its parent.

    Why: a parent killed with SIGKILL cannot shut its pool down, and each worker holds both ends of its call queue, so
    it would wait for work for ever (and keep multiprocessing's resource tracker alive: the tracker exits when the
    last holder of its pipe does). When the parent dies the worker is re-parented, so ``getppid()`` changes; a
    daemon thread looks every 0.5 s. (PR_SET_PDEATHSIG is not used: it fires when the *thread* that started the
    worker ends, and the desktop app works from a thread pool.)
    """
    if background:
        _lower_priority()
    if os.name != "posix":
        return  # getppid() there does not change when the parent dies
    if os.getppid() != parent_pid:
        os._exit(1)  # the parent died while this worker was still starting
    threading.Thread(target=_watch_parent, args=(parent_pid,), name="photohash-parent-watch", daemon=True).start()


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(PARENT_CHECK_S)
    os._exit(1)  # no cleanup to do: the work in hand is lost with the parent that wanted it


class FilePool:
    """``work(path)`` for each item's path in worker processes (or in this process when workers == 0), yielding
    (item, result) as they finish, restarting a crashed pool.

    ``work`` must be a module-level function (or a ``functools.partial`` of one): it is pickled to spawned workers.
    A file that kills a worker breaks the whole pool; every file in flight is retried, alone, in a fresh pool, and one
    in flight at ``CRASH_RETRIES`` crashes is given up: its result is the string :data:`CRASHED`.
    """

    def __init__(self, work: Callable[[str], object], workers: int, background: bool = False):
        self.work = work
        self.workers = workers
        self.background = background
        self.pool: ProcessPoolExecutor | None = None
        self.in_flight: dict[Future, tuple[HasPath, int]] = {}

    def _start(self) -> None:
        if self.workers and self.pool is None:
            self.pool = ProcessPoolExecutor(self.workers, mp_context=get_context("spawn"), initializer=_worker_start,
                                            initargs=(os.getpid(), self.background))

    def run(self, items: Iterable[HasPath], cancel: threading.Event) -> Iterator[tuple[HasPath, object]]:
        queue: deque[tuple[HasPath, int]] = deque((e, 0) for e in items)
        if not self.workers:
            while queue and not cancel.is_set():
                item, _ = queue.popleft()
                yield item, self.work(item.path)
            return
        limit = self.workers * 8
        self._start()
        stuck_since: float | None = None
        while (queue or self.in_flight) and not cancel.is_set():
            broken = False
            # A file in flight at a crash is tried again alone, so that a second crash names the file that caused it.
            alone = any(attempts for _, attempts in self.in_flight.values())
            while queue and len(self.in_flight) < limit and not alone:
                if queue[0][1] and self.in_flight:
                    break
                item, attempts = queue.popleft()
                alone = bool(attempts)
                try:
                    future = self.pool.submit(self.work, item.path)
                except BrokenProcessPool:
                    queue.appendleft((item, attempts))
                    broken = True
                    break
                self.in_flight[future] = (item, attempts)
            done, _ = wait(list(self.in_flight), timeout=0.5, return_when=FIRST_COMPLETED)
            if done or not self._a_worker_died():
                stuck_since = None
            elif stuck_since is None:
                stuck_since = time.monotonic()
            elif time.monotonic() - stuck_since > STUCK_S:
                self._unstick()
                broken, stuck_since = True, None
            crashed: list[tuple[HasPath, int]] = []
            for future in done:
                item, attempts = self.in_flight.pop(future)
                try:
                    yield item, future.result()
                except BrokenProcessPool:
                    broken = True
                    crashed.append((item, attempts))
            if broken:
                crashed += self.in_flight.values()
                self.in_flight.clear()
                for item, attempts in reversed(crashed):
                    if attempts + 1 >= CRASH_RETRIES:
                        yield item, CRASHED
                    else:
                        queue.appendleft((item, attempts + 1))
                self.pool.shutdown(wait=False, cancel_futures=True)
                self.pool = None
                self._start()

    def _a_worker_died(self) -> bool:
        processes = getattr(self.pool, "_processes", None) or {}
        return any(p.exitcode is not None for p in list(processes.values()))

    def _unstick(self) -> None:
        """End a pool whose executor waits for ever: a worker killed while it wrote its result to the shared pipe
        leaves half a message there, and the executor's thread reads on for the rest (CPython 3.11–3.13), so it
        never marks the pool broken, and would hang the interpreter's exit too. Killing the other workers and
        closing this process's end of the pipe ends that read (an end of file), and the thread with it."""
        for process in list((getattr(self.pool, "_processes", None) or {}).values()):
            process.kill()
        writer = getattr(getattr(self.pool, "_result_queue", None), "_writer", None)
        if writer is not None:
            writer.close()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = None

    def __enter__(self) -> FilePool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
