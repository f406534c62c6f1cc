"""PhotoHash engine: find, decode, hash, catalog, index and group photos. No Qt, no torch."""

__version__ = "0.1.0"
