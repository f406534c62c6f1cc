"""The app's Settings runs a model from elsewhere once under a memory bound before making it active, as
``photohash-cli models use`` does: a graph that asks for 160 GB is refused there, not at the next scan."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt", reason="needs pytest-qt (the dev extra)")

from PySide6.QtWidgets import QMessageBox  # noqa: E402

from .test_models import huge_model  # noqa: E402


def test_settings_refuses_a_model_that_needs_160_gb(make_window, tmp_path, monkeypatch):
    from desktop.settings_dialog import SettingsDialog

    window = make_window()
    before = window.context.model_path()
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: warnings.append(text))
    dialog = SettingsDialog(window.context, window)
    hostile = huge_model(tmp_path / "huge.onnx")
    dialog.model.addItem("huge", str(hostile))
    dialog.model.setCurrentIndex(dialog.model.count() - 1)
    assert dialog.duplicate is not None, "its metadata and graph pass the checks that do not run it"
    dialog.accept()
    assert len(warnings) == 1 and "huge.onnx" in warnings[0] and "memory" in warnings[0], warnings
    assert window.context.model_path() == before
    assert dialog.isVisible() or not dialog.result()
