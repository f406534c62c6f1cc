"""Every error the engine reports to a person: one line, naming the thing and the reason.

The CLI and the GUI show ``str(error)``; tracebacks go to the debug log only.
"""

from __future__ import annotations

import os


class PhotoHashError(Exception):
    """Base of the errors a user may see; ``str()`` is the one-line message."""


class FileError(PhotoHashError):
    """A photo could not be read or decoded. Carries the path and the reason separately."""

    def __init__(self, path: str | os.PathLike[str], reason: str):
        self.path = os.fspath(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class ModelError(PhotoHashError):
    """A hash model file is missing, unreadable, or breaks the metadata contract."""

    def __init__(self, path: str | os.PathLike[str], reason: str):
        self.path = os.fspath(path)
        self.reason = reason
        super().__init__(f"model {self.path}: {reason}")


class CatalogError(PhotoHashError):
    """The catalog database cannot be opened or written (permissions, corruption, locking)."""


class TrashError(PhotoHashError):
    """A removal or an undo was refused or failed; nothing was changed for that file."""


class UsageError(PhotoHashError):
    """The request itself is wrong (bad radius, unknown model name...): exit code 2 in the CLI."""
