"""Every error the engine reports to a person: one line, naming the thing and the reason.

The CLI and the GUI show ``str(error)``; tracebacks go to the debug log only.
"""

from __future__ import annotations

import os

_CONTROL = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(path: str | os.PathLike[str]) -> str:
    """A path as one line a person can read: control characters and bytes that were not UTF-8 (Python keeps them
    as surrogates) are escaped, so a newline in a name cannot break the one-line message format."""
    text = os.fspath(path)
    if isinstance(text, bytes):
        text = os.fsdecode(text)
    if text.isprintable() and not any("\udc80" <= c <= "\udcff" for c in text):
        return text
    out = []
    for c in text:
        if c in _CONTROL:
            out.append(_CONTROL[c])
        elif "\udc80" <= c <= "\udcff":
            out.append(f"\\x{ord(c) - 0xDC00:02x}")
        elif not c.isprintable() and c != " ":
            out.append(c.encode("unicode_escape").decode("ascii"))
        else:
            out.append(c)
    return "".join(out)


class PhotoHashError(Exception):
    """Base of the errors a user may see; ``str()`` is the one-line message."""


class FileError(PhotoHashError):
    """A photo could not be read or decoded. Carries the path and the reason separately."""

    def __init__(self, path: str | os.PathLike[str], reason: str):
        self.path = os.fspath(path)
        self.reason = reason
        super().__init__(f"{printable(self.path)}: {reason}")


class ModelError(PhotoHashError):
    """A hash model file is missing, unreadable, or breaks the metadata contract."""

    def __init__(self, path: str | os.PathLike[str], reason: str):
        self.path = os.fspath(path)
        self.reason = reason
        super().__init__(f"model {printable(self.path)}: {reason}")


class CatalogError(PhotoHashError):
    """The catalog database cannot be opened or written (permissions, corruption, locking)."""


class NoCodesError(PhotoHashError):
    """The catalog has no codes for a model yet (an expected state: scan first), not a usage error."""


class TrashError(PhotoHashError):
    """A removal or an undo was refused or failed; nothing was changed for that file."""


class UsageError(PhotoHashError):
    """The request itself is wrong (bad radius, unknown model name...): exit code 2 in the CLI."""
