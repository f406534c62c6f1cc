"""What every screen shares: the catalog's path, the settings, the thumbnails (and videos' frame strips) and the
active model."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from engine.catalog import Catalog
from engine.catalog_models import active_model_path, set_active_model
from engine.errors import ModelError
from engine.model import HashModel

from . import preferences
from .preferences import Preferences
from .thumbnails import STRIP_FRAMES, ThumbnailStore, video_strip


class AppContext(QObject):
    library_changed = Signal()  # files were added, hashed, trashed or restored: screens reload
    model_changed = Signal()  # another model became active
    references_changed = Signal()  # reference folders were (un)ticked: which photos may be trashed
    message = Signal(str)  # a line for the status bar

    def __init__(self, catalog_path: str | Path | None, prefs: Preferences, thumbnails_dir: Path,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.catalog = Catalog(catalog_path)  # the UI thread's connection: settings and small reads only
        self.catalog_path = str(self.catalog.path)
        self.prefs = prefs
        self.thumbnails = ThumbnailStore(thumbnails_dir, parent=self)
        # videos' frame strips (the Duplicates screen's video cards): few at a time, cached and pruned with the rest
        self.strips = ThumbnailStore(thumbnails_dir, memory_items=200, threads=1, make=video_strip,
                                     kind=f"strip{STRIP_FRAMES}", parent=self)
        self._model: HashModel | None = None
        self._lock = threading.Lock()
        self.closed = False  # the window closed: a timer or a queued signal firing after it asks nothing more

    # -- the model ------------------------------------------------------------------------------

    def model_path(self) -> str:
        return str(active_model_path(self.catalog))

    def model(self) -> HashModel:
        """The active model, loaded once (UI thread; workers are handed the loaded model, whose ONNX
        Runtime session may run in any thread). Raises ModelError for a missing or broken file."""
        with self._lock:
            path = Path(self.model_path()).resolve()
            if self._model is None or Path(self._model.path).resolve() != path:
                self._model = HashModel.load(path)
            return self._model

    def usable_model(self) -> HashModel | None:
        """The active model, or None after saying on the status bar why it cannot be used."""
        try:
            return self.model()
        except ModelError as exc:
            self.message.emit(f"The model cannot be loaded: {exc}")
            return None

    def set_model(self, path: str | None) -> None:
        """Make another model active. Radius overrides were chosen for the previous model's codes
        (another length, other calibrated radii): they are dropped."""
        set_active_model(self.catalog, path)
        self.prefs.radius_duplicate = self.prefs.radius_similar = None
        with self._lock:
            self._model = None
        self.model_changed.emit()

    def radius(self, kind: str) -> int:
        """The radius for "duplicate" or "similar": the user's override, else the model's calibrated one."""
        info = self.model().info
        if kind == "duplicate":
            return self.prefs.radius_duplicate if self.prefs.radius_duplicate is not None else info.radius_duplicate
        return self.prefs.radius_similar if self.prefs.radius_similar is not None else info.radius_similar

    # -- the library's folders ------------------------------------------------------------------

    def folders(self) -> list[str]:
        return preferences.library_folders(self.catalog)

    def reference_folders(self) -> list[str]:
        return preferences.reference_folders(self.catalog)

    def set_folders(self, folders: list[str], references: list[str]) -> None:
        preferences.set_folders(self.catalog, folders, references)

    def close(self) -> None:
        self.closed = True
        for store in (self.thumbnails, self.strips):
            store.pool.clear()
            store.wait(5000)
        self.catalog.close()
