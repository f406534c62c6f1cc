"""Settings (model, radii, keeper rules, thumbnail cache, hidden folders, theme) and the About box
with the active model's card."""

from __future__ import annotations

import json
import os
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractItemView, QApplication, QCheckBox, QComboBox, QDialog, QDialogButtonBox,
                               QFileDialog, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QListWidget, QListWidgetItem,
                               QMessageBox, QPushButton, QSpinBox, QVBoxLayout, QWidget)

from engine.keepers import SIZE_TOLERANCE
from engine.errors import ModelError, printable
from engine.model import HashModel, ModelInfo, default_model_path, probe_model, shipped_models

from .context import AppContext
from .preferences import THEMES
from .widgets import shown_path

RULE_TEXT = {
    "resolution": "Most pixels",
    "size": f"Larger file, by more than {SIZE_TOLERANCE:.0%}",
    "oldest": "Older (capture date, then file date)",
    "metadata": "Richer metadata (capture date, camera, GPS)",
    "path": "Alphabetical path (last resort)",
}


def model_choices(context: AppContext) -> list[str]:
    """Shipped models, then models the catalog has used (retrained ones) that still exist."""
    paths = [str(p) for p in shipped_models()]
    for row in context.catalog.models():
        if row.path not in paths and os.path.isfile(row.path):
            paths.append(row.path)
    active = context.model_path()
    if active not in paths:
        paths.append(active)
    return paths


def read_card(path: str | Path) -> dict:
    """The model card beside the ONNX file, or what the file's own metadata says."""
    path = Path(path)
    card_path = path.with_suffix(".json")
    if card_path.is_file():
        try:
            return json.loads(card_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pass
    return {"name": path.stem, "file": path.name}


def _radius_row(label_model: int, value: int | None, bits: int) -> tuple[QWidget, QCheckBox, QSpinBox]:
    spin = QSpinBox()
    spin.setRange(0, bits // 2)  # before the value: a 192-bit model's similar radius is 73
    spin.setValue(label_model if value is None else value)
    own = QCheckBox(f"the model's ({label_model})")
    own.setChecked(value is None)
    spin.setEnabled(value is not None)
    own.toggled.connect(lambda checked: spin.setEnabled(not checked))
    row = QWidget()
    lay = QHBoxLayout(row)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.addWidget(own)
    lay.addWidget(spin)
    lay.addStretch()
    return row, own, spin


class SettingsDialog(QDialog):
    def __init__(self, context: AppContext, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setMinimumWidth(560)
        self.context = context
        prefs = context.prefs

        self.model = QComboBox()
        for path in model_choices(context):
            default = " (default)" if Path(path) == default_model_path() else ""
            self.model.addItem(f"{Path(path).stem}{default}", path)
        self.model.setCurrentIndex(max(0, self.model.findData(context.model_path())))
        self.model.currentIndexChanged.connect(self._show_model)
        other = QPushButton("Other file…")
        other.clicked.connect(self._other_model)
        self.model_info = QLabel("")
        self.model_info.setWordWrap(True)
        model_row = QHBoxLayout()
        model_row.addWidget(self.model, 1)
        model_row.addWidget(other)

        self.radius_box = QGroupBox("Radii (Hamming distance)")
        self.radius_form = QFormLayout(self.radius_box)

        self.rules = QListWidget()
        self.rules.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.rules.setToolTip("Drag to reorder: the first rule decides, the next ones break ties")
        for rule in prefs.keeper_rules:
            item = QListWidgetItem(RULE_TEXT[rule])
            item.setData(Qt.ItemDataRole.UserRole, rule)
            self.rules.addItem(item)
        self.rules.setFixedHeight(self.rules.sizeHintForRow(0) * len(RULE_TEXT) + 8)

        self.cache = QSpinBox()
        self.cache.setRange(16, 100_000)
        self.cache.setSuffix(" MB")
        self.cache.setValue(prefs.thumbnail_cache_mb)
        self.hidden = QCheckBox("Include hidden folders and files when scanning")
        self.hidden.setChecked(prefs.include_hidden)
        self.theme = QComboBox()
        for theme in THEMES:
            self.theme.addItem({"system": "Follow the system", "light": "Light", "dark": "Dark"}[theme], theme)
        self.theme.setCurrentIndex(self.theme.findData(prefs.theme))

        form = QFormLayout()
        form.addRow("Hash model", model_row)
        form.addRow("", self.model_info)
        form.addRow(self.radius_box)
        form.addRow("Copy to keep", self.rules)
        form.addRow("Thumbnail cache", self.cache)
        form.addRow("", self.hidden)
        form.addRow("Appearance", self.theme)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self._show_model()

    def _info(self) -> ModelInfo | None:
        try:
            return HashModel.load(self.model.currentData(), device="cpu").info
        except ModelError as exc:
            self.model_info.setText(f"<span style='color:#c0392b'>{exc}</span>")
            return None

    def _show_model(self) -> None:
        info = self._info()
        while self.radius_form.rowCount():
            self.radius_form.removeRow(0)
        if info is None:
            self.duplicate = self.similar = None
            return
        self.model_info.setText(f"{info.method}, {info.bits} bits, {info.backbone}. Trained on: {info.trained_on}")
        same = self.model.currentData() == self.context.model_path()
        prefs = self.context.prefs
        row, self.duplicate_own, self.duplicate = _radius_row(info.radius_duplicate,
                                                              prefs.radius_duplicate if same else None, info.bits)
        self.radius_form.addRow("Duplicates", row)
        row, self.similar_own, self.similar = _radius_row(info.radius_similar, prefs.radius_similar if same else None,
                                                          info.bits)
        self.radius_form.addRow("Similar photos", row)

    def _other_model(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a hash model", str(Path.home()), "ONNX models (*.onnx)")
        if path:
            self.model.addItem(Path(path).stem, path)
            self.model.setCurrentIndex(self.model.count() - 1)

    def accept(self) -> None:
        if self.duplicate is None:
            QMessageBox.warning(self, "Model not usable", self.model_info.text())
            return
        prefs = self.context.prefs
        chosen = self.model.currentData()
        if chosen != self.context.model_path() and Path(chosen).parent != default_model_path().parent:
            # a model from elsewhere runs once in a child process under a memory and time bound before it is trusted
            QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
            try:
                probe_model(chosen)
            except ModelError as exc:
                QMessageBox.warning(self, "Model not usable", str(exc))
                return
            finally:
                QApplication.restoreOverrideCursor()
        if chosen != self.context.model_path():  # first: a new model drops the old model's radius overrides
            self.context.set_model(None if Path(chosen) == default_model_path() else chosen)
        prefs.radius_duplicate = None if self.duplicate_own.isChecked() else self.duplicate.value()
        prefs.radius_similar = None if self.similar_own.isChecked() else self.similar.value()
        prefs.keeper_rules = [self.rules.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.rules.count())]
        prefs.thumbnail_cache_mb = self.cache.value()
        prefs.include_hidden = self.hidden.isChecked()
        prefs.theme = self.theme.currentData()
        super().accept()


def about_text(context: AppContext) -> str:
    from engine import __version__

    path = context.model_path()
    card = read_card(path)
    try:
        info = context.model().info
        facts = (f"{info.method}, {info.bits} bits, backbone {info.backbone}<br>"
                 f"radii: duplicate {info.radius_duplicate}, similar {info.radius_similar}<br>"
                 f"trained on: {info.trained_on}")
    except Exception as exc:  # noqa: BLE001
        facts = f"cannot be loaded: {exc}"
    shipped = Path(path).resolve().parent == default_model_path().resolve().parent
    where = f"{Path(path).name}, shipped with PhotoHash" if shipped else printable(shown_path(path))
    bench = card.get("benchmark", {}).get("test_half")
    bench_line = (f"<br>Near-duplicate benchmark (test half): precision {bench['precision']:.3f}, "
                  f"recall {bench['recall']:.3f} at radius {bench['radius']}" if bench else "")
    return (f"<h3>PhotoHash {__version__}</h3>"
            "<p>Finds duplicate and similar photos with learned binary hash codes, offline.</p>"
            f"<p><b>Active model: {card.get('name', Path(path).stem)}</b><br>{facts}{bench_line}</p>"
            f"<p>{card.get('description', '')}</p>"
            f"<p><small>{card.get('licence', '')}</small></p>"
            f"<p><small>Model file: {where}</small></p>")
