"""Preferences (model, what counts as a copy, keeper rules, thumbnail cache, hidden folders, theme; radii under
Advanced) and the About box with the active model's card, in plain words."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt
from PySide6.QtWidgets import (QAbstractItemView, QApplication, QButtonGroup, QCheckBox, QComboBox, QDialog,
                               QDialogButtonBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QListWidget,
                               QListWidgetItem, QMessageBox, QPushButton, QRadioButton, QSpinBox, QToolButton,
                               QVBoxLayout, QWidget)

from engine.duplicates import STRICTNESS
from engine.errors import ModelError, printable
from engine.keepers import SIZE_TOLERANCE
from engine.model import HashModel, ModelInfo, default_model_path, probe_model, shipped_models
from engine.model_card import model_title, read_card

from .context import AppContext
from .preferences import STRICTNESS_TEXT, THEMES
from .widgets import shown_path

# The keeper rules in words: marked for translation here, translated where shown ({percent}: SIZE_TOLERANCE)
RULE_TEXT = {
    "raw": QT_TRANSLATE_NOOP("SettingsDialog", "The camera's RAW, or the photo kept with its RAW"),
    "resolution": QT_TRANSLATE_NOOP("SettingsDialog", "Most pixels"),
    "size": QT_TRANSLATE_NOOP("SettingsDialog", "Larger file, by more than {percent}"),
    "oldest": QT_TRANSLATE_NOOP("SettingsDialog", "Older (capture date, then file date)"),
    "metadata": QT_TRANSLATE_NOOP("SettingsDialog", "Richer metadata (capture date, camera, GPS)"),
    "original": QT_TRANSLATE_NOOP("SettingsDialog", "The original's name and camera, not a copy's (\"IMG_1 (1).jpg\")"),
    "path": QT_TRANSLATE_NOOP("SettingsDialog", "Alphabetical path (last resort)"),
}


def rule_text(rule: str) -> str:
    """A keeper rule in the user's language."""
    return QCoreApplication.translate("SettingsDialog", RULE_TEXT[rule]).format(percent=f"{SIZE_TOLERANCE:.0%}")


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


def _radius_row(label_model: int, value: int | None, bits: int) -> tuple[QWidget, QCheckBox, QSpinBox]:
    spin = QSpinBox()
    spin.setRange(0, bits // 2)  # before the value: a 192-bit model's similar radius is 73
    spin.setValue(label_model if value is None else value)
    spin.setSuffix(QCoreApplication.translate("SettingsDialog", " of {bits} bits").format(bits=bits))
    own = QCheckBox(QCoreApplication.translate("SettingsDialog", "the model's ({radius})").format(radius=label_model))
    own.setChecked(value is None)
    own.setToolTip(QCoreApplication.translate("SettingsDialog", "Use the radius the model was calibrated at"))
    spin.setEnabled(value is not None)
    own.toggled.connect(lambda checked: spin.setEnabled(not checked))
    own.toggled.connect(lambda checked: checked or spin.setFocus())
    row = QWidget()
    lay = QHBoxLayout(row)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.addWidget(own)
    lay.addWidget(spin)
    lay.addStretch()
    return row, own, spin


class SettingsDialog(QDialog):
    """Preferences. What a user reads is in words: the model by its title, what counts as a copy as three presets;
    the bits and radii behind them are under Advanced (and in the CLI)."""

    def __init__(self, context: AppContext, parent=None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Preferences"))
        self.setMinimumWidth(600)
        self.context = context
        prefs = context.prefs

        self.model = QComboBox()
        self.model.setAccessibleName(self.tr("Hash model"))
        self.model.setToolTip(self.tr("The model that hashes your photos: changing it hashes the library again"))
        for path in model_choices(context):
            default = self.tr(" (default)") if Path(path) == default_model_path() else ""
            self.model.addItem(f"{model_title(path)}{default}", path)  # by its card: not loaded
        self.model.setCurrentIndex(max(0, self.model.findData(context.model_path())))
        self.model.currentIndexChanged.connect(self._show_model)
        other = QPushButton(self.tr("Other file…"))
        other.setToolTip(self.tr("Use a hash model file (.onnx) of your own"))
        other.clicked.connect(self._other_model)
        self.model_info = QLabel("")
        self.model_info.setWordWrap(True)
        model_row = QHBoxLayout()
        model_row.addWidget(self.model, 1)
        model_row.addWidget(other)

        self.strictness = QButtonGroup(self)
        strictness_box = QWidget()
        strictness_lay = QVBoxLayout(strictness_box)
        strictness_lay.setContentsMargins(0, 0, 0, 0)
        strictness_lay.setSpacing(2)
        for level in STRICTNESS:
            name, meaning = (QCoreApplication.translate("SettingsDialog", text) for text in STRICTNESS_TEXT[level])
            button = QRadioButton(self.tr("{name}: {meaning}").format(name=name, meaning=meaning))
            button.setProperty("strictness", level)
            button.setToolTip(meaning)
            button.setChecked(level == prefs.strictness)
            self.strictness.addButton(button)
            strictness_lay.addWidget(button)
        checked = QLabel("<span style='color:gray'>" + self.tr(
            "Every copy is checked pixel by pixel before it is marked for the trash; photos that only look alike "
            "are never called copies.") + "</span>")
        checked.setWordWrap(True)
        strictness_lay.addWidget(checked)

        self.rules = QListWidget()
        self.rules.setAccessibleName(self.tr("Copy to keep: rules in order"))
        self.rules.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.rules.setToolTip(self.tr("Drag, or Alt+Up / Alt+Down, to reorder: the first rule decides, the next ones "
                                      "break ties"))
        for rule in prefs.keeper_rules:
            item = QListWidgetItem(rule_text(rule))
            item.setData(Qt.ItemDataRole.UserRole, rule)
            self.rules.addItem(item)
        self.rules.setFixedHeight(self.rules.sizeHintForRow(0) * len(RULE_TEXT) + 8)
        self.rules.installEventFilter(self)  # Alt+Up / Alt+Down: reorder from the keyboard

        self.cache = QSpinBox()
        self.cache.setAccessibleName(self.tr("Thumbnail cache size"))
        self.cache.setToolTip(self.tr("Disk space for thumbnails; the oldest are removed beyond it"))
        self.cache.setRange(16, 100_000)
        self.cache.setSuffix(self.tr(" MB"))
        self.cache.setValue(prefs.thumbnail_cache_mb)
        self.hidden = QCheckBox(self.tr("Include hidden folders and files when scanning"))
        self.hidden.setToolTip(self.tr("Also scan folders and files whose names start with a dot"))
        self.hidden.setChecked(prefs.include_hidden)
        self.carry = QCheckBox(self.tr("Keep what a copy knows in the photo kept"))
        self.carry.setToolTip(self.tr("When copies go to the trash, the capture date, place, camera, keywords, rating "
                                      "and title that the photo kept lacks are written to its .xmp sidecar (the photo "
                                      "itself is never changed; Undo takes it back)"))
        self.carry.setChecked(prefs.carry_metadata)
        self.theme = QComboBox()
        self.theme.setAccessibleName(self.tr("Appearance"))
        self.theme.setToolTip(self.tr("Light or dark colours, or as the system sets them"))
        themes = {"system": self.tr("Follow the system"), "light": self.tr("Light"), "dark": self.tr("Dark")}
        for theme in THEMES:
            self.theme.addItem(themes[theme], theme)
        self.theme.setCurrentIndex(self.theme.findData(prefs.theme))

        # Advanced: the numbers behind the words, folded away
        self.advanced_toggle = QToolButton()
        self.advanced_toggle.setText(self.tr("Advanced"))
        self.advanced_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.advanced_toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.advanced_toggle.setCheckable(True)
        self.advanced_toggle.setAutoRaise(True)
        self.advanced_toggle.setToolTip(self.tr("Show the hash codes' bits and radii"))
        self.advanced = QGroupBox()
        advanced_form = QFormLayout(self.advanced)
        self.model_facts = QLabel("")
        self.model_facts.setWordWrap(True)
        self.model_facts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        advanced_form.addRow(self.tr("Model"), self.model_facts)
        self.radius_box = QWidget()
        self.radius_form = QFormLayout(self.radius_box)
        self.radius_form.setContentsMargins(0, 0, 0, 0)
        advanced_form.addRow(self.tr("Radii (Hamming distance)"), self.radius_box)
        self.show_distances = QCheckBox(self.tr("Show Hamming distances and radii on the screens"))
        self.show_distances.setToolTip(self.tr("Beside \u201c92 % alike\u201d, also the distance between the "
                                               "photos\u2019 codes"))
        self.show_distances.setChecked(prefs.show_distances)
        advanced_form.addRow("", self.show_distances)
        self.advanced_toggle.toggled.connect(self._fold)
        self._fold(False)

        form = QFormLayout()
        form.addRow(self.tr("Hash model"), model_row)
        form.addRow("", self.model_info)
        form.addRow(self.tr("What counts as a copy"), strictness_box)
        form.addRow(self.tr("Copy to keep"), self.rules)
        form.addRow("", self.carry)
        form.addRow(self.tr("Thumbnail cache"), self.cache)
        form.addRow("", self.hidden)
        form.addRow(self.tr("Appearance"), self.theme)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.advanced_toggle, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.advanced)
        layout.addStretch()
        layout.addWidget(buttons)
        self._show_model()

    def _fold(self, shown: bool) -> None:
        self.advanced.setVisible(shown)
        self.advanced_toggle.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)
        self.adjustSize()

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt's name)
        """Alt+Up / Alt+Down move the current keeper rule: dragging is not the only way."""
        if watched is self.rules and event.type() == event.Type.KeyPress and \
                event.modifiers() & Qt.KeyboardModifier.AltModifier and event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            row = self.rules.currentRow()
            target = row + (-1 if event.key() == Qt.Key.Key_Up else 1)
            if row >= 0 and 0 <= target < self.rules.count():
                self.rules.insertItem(target, self.rules.takeItem(row))
                self.rules.setCurrentRow(target)
            return True
        return super().eventFilter(watched, event)

    def chosen_strictness(self) -> str:
        button = self.strictness.checkedButton()
        return button.property("strictness") if button is not None else "normal"

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
            self.model_facts.setText("")
            return
        self.model_info.setText(_summary(self.model.currentData(), info))
        self.model_facts.setText(_facts(info))
        same = self.model.currentData() == self.context.model_path()
        prefs = self.context.prefs
        row, self.duplicate_own, self.duplicate = _radius_row(info.radius_duplicate,
                                                              prefs.radius_duplicate if same else None, info.bits)
        self.duplicate.setAccessibleName(self.tr("Duplicate radius"))
        self.duplicate.setToolTip(self.tr("Pairs of photos within this Hamming distance are checked as copies"))
        self.radius_form.addRow(self.tr("Copies"), row)
        row, self.similar_own, self.similar = _radius_row(info.radius_similar, prefs.radius_similar if same else None,
                                                          info.bits)
        self.similar.setAccessibleName(self.tr("Similar radius"))
        self.similar.setToolTip(self.tr("Photos within this Hamming distance count as alike (models with one code)"))
        self.radius_form.addRow(self.tr("Similar photos"), row)

    def _other_model(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Choose a hash model"), str(Path.home()),
                                              self.tr("ONNX models (*.onnx)"))
        if path:
            self.model.addItem(model_title(path), path)
            self.model.setCurrentIndex(self.model.count() - 1)

    def accept(self) -> None:
        if self.duplicate is None:
            QMessageBox.warning(self, self.tr("Model not usable"), self.model_info.text())
            return
        prefs = self.context.prefs
        chosen = self.model.currentData()
        if chosen != self.context.model_path() and Path(chosen).parent != default_model_path().parent:
            # a model from elsewhere runs once in a child process under a memory and time bound before it is trusted
            QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
            try:
                probe_model(chosen)
            except ModelError as exc:
                QMessageBox.warning(self, self.tr("Model not usable"), str(exc))
                return
            finally:
                QApplication.restoreOverrideCursor()
        if chosen != self.context.model_path():  # first: a new model drops the old model's radius overrides
            self.context.set_model(None if Path(chosen) == default_model_path() else chosen)
        prefs.radius_duplicate = None if self.duplicate_own.isChecked() else self.duplicate.value()
        prefs.radius_similar = None if self.similar_own.isChecked() else self.similar.value()
        prefs.strictness = self.chosen_strictness()
        prefs.show_distances = self.show_distances.isChecked()
        prefs.keeper_rules = [self.rules.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.rules.count())]
        prefs.thumbnail_cache_mb = self.cache.value()
        prefs.include_hidden = self.hidden.isChecked()
        prefs.carry_metadata = self.carry.isChecked()
        prefs.theme = self.theme.currentData()
        super().accept()


def _summary(path: str, info: ModelInfo) -> str:
    """What the model finds, in words: its card's summary (the card's own words: lupdate cannot find a string read
    from a file), else what a retrained model is."""
    summary = read_card(path).get("summary")
    if isinstance(summary, str) and summary:
        return summary
    if info.similar_bits:
        return QCoreApplication.translate(
            "SettingsDialog", "Finds copies of a photo and photos like each other. Trained on: {what}.").format(
            what=info.trained_on)
    return QCoreApplication.translate("SettingsDialog", "Finds copies of a photo. Trained on: {what}.").format(
        what=info.trained_on)


def _facts(info: ModelInfo) -> str:
    """The model in numbers, for Advanced and the About box's details."""
    similar = (QCoreApplication.translate(
        "SettingsDialog", "; similarity code: {method}, {bits} bits, similar radius {radius}").format(
        method=info.similar_method.upper(), bits=info.similar_bits, radius=info.similar_radius)
        if info.similar_bits else "")
    return QCoreApplication.translate(
        "SettingsDialog", "{method}, {bits} bits, backbone {backbone}; duplicate radius {duplicate}, similar radius "
                          "{similar}{similar_code}").format(
        method=info.method, bits=info.bits, backbone=info.backbone, duplicate=info.radius_duplicate,
        similar=info.radius_similar, similar_code=similar)


def about_text(context: AppContext) -> tuple[str, str]:
    """The About box in words (what PhotoHash does, the model by its title and what it finds, how well it did on
    the benchmark), and its details in numbers (for "Show Details...")."""
    from engine import __version__

    path = context.model_path()
    card = read_card(path)
    try:
        info = context.model().info
        title = model_title(path, info.trained_on)
        summary = _summary(path, info)
        facts = _facts(info) + "\n" + QCoreApplication.translate("SettingsDialog", "Trained on: {what}").format(
            what=info.trained_on)
    except Exception as exc:  # noqa: BLE001 - a vanished or broken model file: say so, keep going
        title, facts = model_title(path), ""
        summary = QCoreApplication.translate("SettingsDialog", "It cannot be loaded: {reason}").format(reason=exc)
    shipped = Path(path).resolve().parent == default_model_path().resolve().parent
    where = (QCoreApplication.translate("SettingsDialog", "{name}, shipped with PhotoHash").format(
        name=Path(path).name) if shipped else printable(shown_path(path)))
    verified = card.get("benchmark", {}).get("verified_test_half")
    how_well = (QCoreApplication.translate(
        "SettingsDialog", "Tested on {files} photos it was not tuned on, it found {recall:.1%} of the edited copies "
                          "and called {false} pairs of different photos copies.").format(
        files=f"{verified['files']:,}", recall=verified["recall"],
        false=QCoreApplication.translate("SettingsDialog", "no") if not verified["false_pairs"]
        else f"{verified['false_pairs']:,}") if verified else "")
    does = QCoreApplication.translate("SettingsDialog", "Finds duplicate and similar photos on your computer. "
                                                        "Everything runs on this computer: no photo leaves it.")
    safe = QCoreApplication.translate("SettingsDialog", "Nothing is deleted: photos you remove go to the system "
                                                        "trash, and Undo puts them back.")
    model = QCoreApplication.translate("SettingsDialog", "Model: {title}").format(title=title)
    text = (f"<h3>PhotoHash {__version__}</h3><p>{does}</p><p>{safe}</p><p><b>{model}</b><br>{summary}</p>"
            + (f"<p>{how_well}</p>" if how_well else ""))
    details = "\n".join(part for part in (
        facts, QCoreApplication.translate("SettingsDialog", "Before each copy is marked, the two photos are compared "
                                                            "pixel by pixel."),
        card.get("description", ""), card.get("licence", ""),
        QCoreApplication.translate("SettingsDialog", "Model file: {where}").format(where=where)) if part)
    return text, details
