"""The app's log file in the user data folder: a bug's full traceback, or one line for an expected
state. Its own module so that the workers and the crash handler can write to it without importing
the app's start-up (which imports every screen)."""

from __future__ import annotations

import traceback
from datetime import datetime
from pathlib import Path

from engine.catalog import default_data_dir


def log_path() -> Path:
    folder = default_data_dir() / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / "photohash.log"


def _append_log(text: str) -> None:
    try:
        with open(log_path(), "a", encoding="utf-8") as log:
            log.write(f"{datetime.now():%Y-%m-%d %H:%M:%S} {text}")
    except OSError:
        pass


def log_error(exc: BaseException) -> None:
    """A bug: its full traceback into the log file (the user is shown one line elsewhere)."""
    _append_log("".join(["unexpected error\n", *traceback.format_exception(exc)]))


def log_line(line: str) -> None:
    """An expected state worth keeping (a photo gone from disk...): one line, no traceback, which only bugs get."""
    _append_log(" ".join(line.split()) + "\n")
