"""The PySide6 app: a thin face over the engine (no hashing, catalog or grouping logic of its own)."""
