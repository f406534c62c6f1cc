"""Retrain on my library: explains what happens and how long it should take here, runs the trainer
in a child process (``python -m trainer.session REQUEST``, engine.retrain's request) on the catalog's photos, shows
its progress, cancels it (the child saves a checkpoint; Start again resumes), and on success checks
the new model and makes it the active one (the previous one stays selectable in Settings).
When the backbone's weights are not on this computer it names the file and where torchvision keeps
it, and downloads it on request (``python -m trainer.download``, another child: the app never imports torch)."""

from __future__ import annotations

import json
import os
import re
import sys
import time
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QProcess, Qt, Signal
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel,
                               QLineEdit, QPlainTextEdit, QProgressBar, QPushButton, QSpinBox, QVBoxLayout)

from engine.catalog import default_data_dir
from engine.errors import printable
from engine.model import HashModel
from engine.retrain import (BITS, LIBRARY_AUGMENT, METHOD_DEFAULTS, RECIPE, RECIPE_SETTINGS, RetrainRequest,
                            describe_radii, describe_similar, estimate, model_stem)

from .context import AppContext
from .widgets import shown_path
from .workers import TrainProcess

INSTALL_HINT = ("Retraining needs PyTorch, which this installation does not have.\n\n"
                "To enable it, install PhotoHash with its training extra:\n\n"
                "    pip install 'photohash[train]'\n\n"
                "(about 1 GB on a CPU-only machine). The app bundle built with PyInstaller leaves the trainer "
                "out to stay small; use the pip installation to retrain.")
PROBING = ("Starting the trainer (loading PyTorch, which can take half a minute) to find out whether a GPU "
           "can do the work…")
WEIGHTS_MB = 14  # torchvision's MobileNetV2 ImageNet weights, mobilenet_v2-b0353104.pth: 13.6 MB


def describe_seconds(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} seconds"
    if seconds < 5400:
        return f"{seconds / 60:.0f} minutes"
    return f"{seconds / 3600:.1f} hours"


class RetrainDialog(QDialog):
    activated = Signal(str)  # the new model's path, checked and made active

    def __init__(self, context: AppContext, photos: int, parent=None, *, weights: str | None = None):
        super().__init__(parent)
        self.setWindowTitle("Retrain on my library")
        self.setMinimumWidth(640)  # the recipe's name in the Method box, whole
        self.context, self.photos = context, photos
        self.device = "cpu"
        self.device_name: str | None = None  # known once the probe answers
        self.process: TrainProcess | None = None
        self.downloader: TrainProcess | None = None
        self.needed: dict | None = None  # the weights file the trainer looks for, and its address (from the probe)
        self.out: Path | None = None
        self.started = 0.0

        model = context.usable_model()  # only for the defaults: a broken active model does not stop a retrain
        bits_default, method_default = (model.info.bits, model.info.method) if model else (64, RECIPE)
        self.intro = QLabel(
            f"PhotoHash will teach its hash model what <i>your</i> photos look like. It reads the "
            f"<b>{photos:,} photos</b> of your library (nothing leaves this computer and no photo is changed), "
            f"trains a new model from them without any labels, checks it, makes it the active model and "
            f"re-hashes the library in the background. The current model ({Path(context.model_path()).name}) "
            f"stays available in Settings.")
        self.intro.setWordWrap(True)
        self.eta = QLabel(PROBING)
        self.eta.setWordWrap(True)
        self.method = QComboBox()
        self.method.addItem("PhotoHash: pHash beside a learned code, as the default model (recommended)", RECIPE)
        self.method.addItem("WCH: Weighted Contrastive Hashing (a learned code alone)", "wch")
        self.method.addItem("NSH: Naturally-Sorted Hashing (a learned code alone)", "nsh")
        self.similar = QComboBox()
        self.similar.addItem("WCH: Weighted Contrastive Hashing (recommended)", "wch")
        self.similar.addItem("NSH: Naturally-Sorted Hashing", "nsh")
        self.similar.setToolTip("The second code the PhotoHash recipe learns, for \"photos like this one\": search "
                                "by example and similar photos rank by it. Duplicates are found by the first code.")
        self.similar.setAccessibleName("Similarity code method")
        self.bits = QComboBox()
        for bits in BITS:
            self.bits.addItem(f"{bits} bits", bits)
        self.bits.setCurrentIndex(self.bits.findData(bits_default) if self.bits.findData(bits_default) >= 0 else
                                  self.bits.findData(64))
        if method_default in ("wch", "nsh"):
            self.method.setCurrentIndex(self.method.findData(method_default))
        self._choose_pending(str(context.prefs.qs.value("retrain/pending", "")))
        self.epochs = QSpinBox()
        self.epochs.setRange(1, 200)
        self.epochs.valueChanged.connect(self._show_estimate)
        self.weights = QLineEdit(weights or str(context.prefs.qs.value("retrain/weights", "")))
        self.weights.setPlaceholderText("torchvision's cache of MobileNetV2 ImageNet weights")
        self.browse = QPushButton("Browse…")
        self.browse.clicked.connect(self._browse)
        self.download_button = QPushButton("Download")
        self.download_button.setToolTip("Download torchvision's MobileNetV2 ImageNet weights into its cache")
        self.download_button.clicked.connect(self.download)
        self.download_button.hide()
        weights_row = QHBoxLayout()
        weights_row.addWidget(self.weights, 1)
        weights_row.addWidget(self.browse)
        weights_row.addWidget(self.download_button)
        self.weights_help = QLabel("")
        self.weights_help.setWordWrap(True)
        self.weights_help.setTextFormat(Qt.TextFormat.PlainText)
        self.weights_help.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.weights_help.hide()
        self.weights.textChanged.connect(self._weights_chosen)
        form = QFormLayout()
        form.addRow("Method", self.method)
        form.addRow("Similarity code", self.similar)
        form.addRow("Code length", self.bits)
        form.addRow("Epochs", self.epochs)
        form.addRow("Backbone weights", weights_row)

        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.stage = QLabel("")
        self.stage.setWordWrap(True)
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(500)
        self.log.setPlaceholderText("The trainer's messages appear here.")
        self.log.setFixedHeight(90)

        self.buttons = QDialogButtonBox()
        self.start_button = self.buttons.addButton("Start training", QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton("Close", QDialogButtonBox.ButtonRole.RejectRole)
        self.start_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel_or_close)

        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(form)
        layout.addWidget(self.weights_help)
        layout.addWidget(self.eta)
        layout.addWidget(self.progress)
        layout.addWidget(self.stage)
        layout.addWidget(self.log)
        layout.addWidget(self.buttons)
        self.method.currentIndexChanged.connect(self._method_chosen)
        self.bits.currentIndexChanged.connect(self._show_start)
        self._method_chosen()
        if photos < 4:
            self.start_button.setEnabled(False)
            self.eta.setText("Scan a library of at least a few dozen photos first: there is nothing to learn from yet.")
        else:
            self._probe()

    # -- before -----------------------------------------------------------------------------------

    def _probe(self) -> None:
        """Which device the trainer would use, asked of a child process (the app never imports torch)."""
        self.prober = QProcess(self)
        self.prober.finished.connect(self._probed)
        self.prober.start(sys.executable, ["-m", "trainer.probe"])

    def _probed(self, code: int, _status) -> None:
        try:
            found = json.loads(bytes(self.prober.readAllStandardOutput()).decode().strip().splitlines()[-1])
        except (ValueError, IndexError):
            found = {}
            said = bytes(self.prober.readAllStandardError()).decode("utf-8", "replace").strip().splitlines()
            self.stage.setText(f"The trainer did not answer ({said[-1] if said else f'exit code {code}'}): the "
                               f"time below assumes the processor.")
            self._fit()
        self.device = found.get("device", "cpu")
        self.device_name = found.get("device_name") or {"cpu": "the processor (no GPU found)", "mps": "Apple GPU"}.get(
            self.device, self.device)
        if not self.weights.text() and found.get("cached_weights"):
            self.weights.setText(shown_path(found["cached_weights"]))
        if found.get("weights_path"):
            self.needed = {"path": Path(found["weights_path"]), "url": found.get("weights_url", "")}
            if not (self._weights() or Path(found["weights_path"])).is_file():
                self._offer_download()
        self._show_estimate()

    def _fit(self, shrink: bool = False) -> None:
        """Grow to show the lines that appeared since it opened (Qt does not grow a shown window for wrapped text),
        or shrink back when they went away."""
        self.layout().activate()
        need = self.heightForWidth(self.width()) if self.hasHeightForWidth() else self.sizeHint().height()
        if need > self.height() or shrink:
            self.resize(self.width(), need)

    def _weights(self) -> Path | None:
        """The weights file typed, chosen or found (a ~ is the home folder)."""
        text = self.weights.text().strip()
        return Path(os.path.expanduser(text)) if text else None

    def _weights_chosen(self) -> None:
        """A file chosen by hand (Browse…, typed): the offer to download is no longer needed."""
        weights = self._weights()
        if weights is not None and weights.is_file() and not (self.downloader and self.downloader.is_running()) \
                and self.weights_help.isVisibleTo(self):
            self.weights_help.hide()
            self.download_button.hide()
            self._fit(shrink=True)

    def _where(self) -> str:
        """Which file the trainer needs and where torchvision keeps it."""
        return f"{self.needed['path'].name} in {shown_path(self.needed['path'].parent)}"

    def _offer_download(self) -> None:
        path = self.needed["path"]
        self.weights_help.setText(
            f"Training starts from torchvision's MobileNetV2 ImageNet weights, not on this computer yet: the file "
            f"{path.name} ({WEIGHTS_MB} MB), which torchvision keeps in {shown_path(path.parent)}{os.sep}. Download "
            f"fetches it from {self.needed['url']}; or copy it there yourself, or Browse… for a copy you have.")
        self.weights_help.show()
        self.download_button.show()
        self.download_button.setEnabled(True)
        self._fit()

    def _choose_pending(self, pending: str) -> None:
        """A cancelled run is offered to resume: its method and length are chosen (its name says them)."""
        kind = re.match(r"([a-z]+?)(\d+)-", Path(pending).stem) if pending else None
        if kind and self.method.findData(kind[1]) >= 0:
            self.method.setCurrentIndex(self.method.findData(kind[1]))
            if kind[1] != RECIPE and self.bits.findData(int(kind[2])) >= 0:
                self.bits.setCurrentIndex(self.bits.findData(int(kind[2])))

    def _method_chosen(self) -> None:
        """The recipe learns its own length beside pHash; each method keeps its own epoch count."""
        recipe = self.method.currentData() == RECIPE
        if recipe:
            self.bits.setCurrentIndex(self.bits.findData(RECIPE_SETTINGS["bits"]))
        self.bits.setEnabled(not recipe)
        self.similar.setEnabled(recipe)
        self.bits.setToolTip(f"The PhotoHash recipe learns {RECIPE_SETTINGS['bits']} bits, written beside pHash's"
                             if recipe else "")
        # "retrain/epochs" was the one count before the recipe came: a method's own, still
        fallback = RECIPE_SETTINGS["epochs"] if recipe else self.context.prefs.qs.value("retrain/epochs",
                                                                                         METHOD_DEFAULTS["epochs"])
        self.epochs.setValue(int(self.context.prefs.qs.value(f"retrain/epochs/{self.method.currentData()}", fallback)))
        self._show_start()
        self._show_estimate()

    def _show_estimate(self) -> None:
        if self.device_name is None:
            return
        seconds = estimate(self.photos, self.device, self.epochs.value(), self.method.currentData(),
                           similar=self.method.currentData() == RECIPE)
        self.eta.setText(f"It runs on <b>{self.device_name}</b> and should take about "
                         f"<b>{describe_seconds(seconds)}</b> for {self.photos:,} photos. You can keep using "
                         f"PhotoHash meanwhile, and cancel at any time: starting again resumes.")

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "MobileNetV2 weights", str(Path.home()),
                                              "PyTorch weights (*.pth *.pt);;All files (*)")
        if path:
            self.weights.setText(path)

    def download(self) -> None:
        """torchvision's weights into its own cache, by the trainer's downloader in a child process."""
        if self.needed is None or (self.downloader is not None and self.downloader.is_running()):
            return
        self.downloader = TrainProcess("trainer.download", [], self)
        self.downloader.event.connect(self._download_event)
        self.downloader.log.connect(self.log.appendPlainText)
        self.downloader.finished.connect(self._downloaded)
        for w in (self.download_button, self.start_button):
            w.setEnabled(False)
        self.stage.setText(f"Downloading {self.needed['path'].name}…")
        self.progress.setRange(0, 0)
        self.downloader.start()

    def _download_event(self, e: dict) -> None:
        name, folder = self.needed["path"].name, self.needed["path"].parent
        if e.get("event") == "download":
            done, total = e.get("done", 0), e.get("total")
            if total:
                self.progress.setRange(0, 100)
                self.progress.setValue(int(100 * done / total))
            of = f" of {total / 1e6:.1f}" if total else ""
            self.stage.setText(f"Downloading {name}: {done / 1e6:.1f}{of} MB")
        elif e.get("event") == "done":
            self.weights.setText(shown_path(e["path"]))
            self.weights_help.hide()
            self.download_button.hide()
            self.stage.setText(f"Downloaded {name} into {shown_path(folder)}: ready to train.")
            self._fit(shrink=True)
        elif e.get("event") == "error":
            self.stage.setText(f"Download failed: {e.get('message', 'the download stopped')}. Put {self._where()} "
                               f"yourself, or Browse… for a copy.")

    def _downloaded(self, code: int, cancelled: bool) -> None:
        self.progress.setRange(0, 100)
        self.progress.setValue(100 if code == 0 else 0)
        self.download_button.setEnabled(True)
        self.start_button.setEnabled(True)
        if cancelled:
            self.stage.setText(f"Download cancelled. Put {self._where()}, or Browse… for a copy.")
        elif code != 0 and not self.stage.text().startswith("Download failed"):
            last = self.log.toPlainText().strip().splitlines()[-1:] or [f"exit code {code}"]
            self.stage.setText(f"Download failed: {last[0]}. Put {self._where()} yourself, or Browse… for a copy.")
        self._fit()

    # -- during -----------------------------------------------------------------------------------

    def _kind(self) -> str:
        """The new model's name before its time stamp: method and code length."""
        return model_stem(self.method.currentData(), self.bits.currentData())

    def _pending(self) -> Path | None:
        """The output of a cancelled run with the chosen method and length: starting resumes it."""
        pending = self.context.prefs.qs.value("retrain/pending", "")
        return Path(pending) if pending and Path(pending).stem.startswith(f"{self._kind()}-") else None

    def _show_start(self) -> None:
        self.start_button.setText("Resume training" if self._pending() else "Start training")

    def request(self) -> RetrainRequest:
        """What the trainer is asked to do: the catalog's photos, with the chosen method, length and epochs."""
        method, bits = self.method.currentData(), self.bits.currentData()
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        # a cancelled run of the same kind is resumed: same output, same checkpoint
        self.out = self._pending() or default_data_dir() / "models" / f"{self._kind()}-{stamp}.onnx"
        # the recipe brings its own views and code length; the methods alone learn for a library of copies
        alone = ({"similar_method": self.similar.currentData()} if method == RECIPE else
                 {"bits": bits, "augment": LIBRARY_AUGMENT})
        return RetrainRequest(out=str(self.out), method=method, catalog=self.context.catalog_path,
                              epochs=self.epochs.value(), weights=str(self._weights() or ""), **alone)

    def start(self) -> None:
        if self.process is not None and self.process.is_running():
            return
        if self.downloader is not None and self.downloader.is_running():
            return
        weights = self._weights()
        if weights is None or not weights.is_file():
            if weights is not None:
                self.stage.setText(f"{self.weights.text().strip()}: not found.")
            elif self.needed:
                self.stage.setText(f"Choose the backbone's weights first: torchvision's MobileNetV2 ImageNet weights, "
                                   f"{self._where()}. Download puts the file there, or Browse… for a copy.")
            else:
                self.stage.setText("Choose the backbone's weights first (Browse…): torchvision's MobileNetV2 ImageNet "
                                   "weights, a .pth file.")
            self._fit()
            return
        self.context.prefs.qs.setValue(f"retrain/epochs/{self.method.currentData()}", self.epochs.value())
        self.context.prefs.qs.setValue("retrain/weights", str(weights))
        self.process = TrainProcess("trainer.session", [self.request().to_json()], self)
        self.context.prefs.qs.setValue("retrain/pending", str(self.out))
        self.process.event.connect(self._event)
        self.process.log.connect(self.log.appendPlainText)
        self.process.finished.connect(self._finished)
        self.started = time.monotonic()
        for w in (self.method, self.similar, self.bits, self.epochs, self.weights, self.browse, self.start_button):
            w.setEnabled(False)
        self.cancel_button.setText("Cancel")
        self.stage.setText("Starting the trainer…")
        self.progress.setRange(0, 0)
        self.process.start()

    def _event(self, e: dict) -> None:
        kind = e.get("event")
        eta = e.get("eta_s")
        left = f" · about {describe_seconds(eta)} left" if eta else ""
        # where each stage ends on the bar: reading, the duplicate head (the recipe's trains in seconds), the
        # similarity code's head (the recipe's second), which way up, the check
        recipe = self.method.currentData() == RECIPE
        reading, trained, similar = (55, 60, 84) if recipe else (40, 88, 88)
        if kind == "cache":
            self.progress.setRange(0, 100)
            self.progress.setValue(int(reading * e["done"] / max(e["total"], 1)))
            self.stage.setText(f"Reading your photos: {e['done']:,} of {e['total']:,}{left}")
        elif kind == "step":
            self.progress.setRange(0, 100)
            done = (e["epoch"] - 1 + e["step"] / max(e["steps"], 1)) / max(e["epochs"], 1)
            start, end = (trained, similar) if e.get("code") == "similar" else (reading, trained)
            self.progress.setValue(start + int((end - start) * done))
            loss = f" · loss {e['loss']:.4f}" if e.get("loss") is not None else ""
            what = "the similarity code" if e.get("code") == "similar" else "the duplicate code" if recipe else ""
            self.stage.setText(f"Training{' ' + what if what else ''}: epoch {e['epoch']} of {e['epochs']}{loss}{left}")
        elif kind == "upright":
            self.progress.setRange(0, 100)
            self.progress.setValue(similar + int((94 - similar) * e["done"] / max(e["total"], 1)))
            self.stage.setText(f"Learning which way up your photos are: {e['done']:,} of {e['total']:,}{left}")
        elif kind == "calibrate":
            self.progress.setRange(0, 100)
            self.progress.setValue(94 + int(5 * e["done"] / max(e["total"], 1)))
            self.stage.setText(f"Setting the duplicate radius on photos kept out of training, and edited copies of "
                               f"them: {e['done']:,} of {e['total']:,}")
        elif kind == "resumed":
            self.log.appendPlainText(f"resumed from the checkpoint at epoch {e['epoch']}")
        elif kind == "skipped":
            self.log.appendPlainText(f"skipped {printable(e['path'])}: {e['reason']}")
        elif kind == "done":
            self.progress.setValue(99)
            self.stage.setText("Checking the new model…")
            self.log.appendPlainText(f"wrote {e['model']}: ONNX matches torch on {e['parity_bit_agreement']:.2%} "
                                     f"of bits")
            self.log.appendPlainText(describe_radii(e))
            if describe_similar(e):
                self.log.appendPlainText(describe_similar(e))

    def _finished(self, code: int, cancelled: bool) -> None:
        for w in (self.method, self.bits, self.epochs, self.weights, self.browse, self.start_button):
            w.setEnabled(True)
        self.similar.setEnabled(self.method.currentData() == RECIPE)
        self.cancel_button.setText("Close")
        self.progress.setRange(0, 100)
        if cancelled:
            self.stage.setText("Cancelled. The work so far is saved: Resume training continues it." if code == 0 else
                               "Stopped. Resume training continues from the last saved epoch.")
            self._show_start()
            return
        if code != 0 or self.out is None or not self.out.is_file():
            last = self.log.toPlainText().strip().splitlines()[-1:] or ["the trainer stopped"]
            self.stage.setText(f"Training failed: {last[0]}")
            self.progress.setValue(0)
            return
        try:
            model = HashModel.load(self.out)
        except Exception as exc:  # noqa: BLE001 - the engine refused the file: say why, keep the old model
            self.stage.setText(f"The new model was not accepted: {exc}")
            return
        self.context.prefs.qs.setValue("retrain/pending", "")
        self.progress.setValue(100)
        minutes = (time.monotonic() - self.started) / 60
        name = model.info.method.upper() if model.info.method in ("wch", "nsh") else model.info.method
        self.stage.setText(f"Done in {minutes:.1f} min: {name}, {model.info.bits} bits is now "
                           f"the active model. The library is being re-hashed in the background.")
        self.start_button.setEnabled(False)
        self.activated.emit(str(self.out))

    def cancel_or_close(self) -> None:
        if self.process is not None and self.process.is_running():
            if self.process.cancelled:  # asked once already and still running: the user wants out now
                self.stage.setText("Stopping without saving…")
                self.process.kill()
                return
            self.stage.setText("Cancelling: saving a checkpoint… (click Stop now if it does not end)")
            self.cancel_button.setText("Stop now")
            self.process.cancel()
        else:
            self.reject()

    def reject(self) -> None:  # Esc / window close while training: cancel first, never orphan the child
        if self.process is not None and self.process.is_running():
            self.cancel_or_close()
            return
        if self.downloader is not None and self.downloader.is_running():
            self.downloader.cancel()  # the child removes its partial file and exits
        super().reject()


def explain_missing_trainer(parent) -> None:
    from PySide6.QtWidgets import QMessageBox

    box = QMessageBox(parent)
    box.setWindowTitle("Retraining is not installed")
    box.setIcon(QMessageBox.Icon.Information)
    box.setText(INSTALL_HINT)
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    box.exec()

