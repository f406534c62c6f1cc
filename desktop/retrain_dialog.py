"""Retrain on my library: explains what happens and how long it should take here, runs the trainer
in a child process (``python -m trainer.session REQUEST``, engine.retrain's request) on the catalog's photos, shows
its progress, cancels it (the child saves a checkpoint; Start again resumes), and on success checks
the new model and makes it the active one (the previous one stays selectable in Preferences).
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

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QProcess, Qt, Signal
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel,
                               QLineEdit, QPlainTextEdit, QProgressBar, QPushButton, QSpinBox, QVBoxLayout)

from engine.catalog import default_data_dir
from engine.errors import printable
from engine.model import HashModel
from engine.model_card import model_title
from engine.retrain import (BITS, LIBRARY_AUGMENT, METHOD_DEFAULTS, RECIPE, RECIPE_SETTINGS, RetrainRequest,
                            describe_radii, describe_similar, estimate, model_stem)

from .context import AppContext
from .widgets import shown_path
from .workers import TrainProcess

# Marked for translation where they are defined (QT_TRANSLATE_NOOP), translated where they are shown
INSTALL_HINT = QT_TRANSLATE_NOOP("RetrainDialog", "Retraining needs PyTorch, which this installation does not have.\n\n"
                                 "To enable it, install PhotoHash with its training extra:\n\n"
                                 "    pip install 'photohash[train]'\n\n"
                                 "(about 1 GB on a CPU-only machine). The app bundle built with PyInstaller leaves "
                                 "the trainer out to stay small; use the pip installation to retrain.")
PROBING = QT_TRANSLATE_NOOP("RetrainDialog", "Starting the trainer (loading PyTorch, which can take half a minute) "
                            "to find out whether a GPU can do the work…")
WEIGHTS_MB = 14  # torchvision's MobileNetV2 ImageNet weights, mobilenet_v2-b0353104.pth: 13.6 MB


def describe_seconds(seconds: float) -> str:
    if seconds < 90:
        return QCoreApplication.translate("RetrainDialog", "{n} seconds").format(n=f"{seconds:.0f}")
    if seconds < 5400:
        return QCoreApplication.translate("RetrainDialog", "{n} minutes").format(n=f"{seconds / 60:.0f}")
    return QCoreApplication.translate("RetrainDialog", "{n} hours").format(n=f"{seconds / 3600:.1f}")


class RetrainDialog(QDialog):
    activated = Signal(str)  # the new model's path, checked and made active

    def __init__(self, context: AppContext, photos: int, parent=None, *, weights: str | None = None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Retrain on my library"))
        self.setMinimumWidth(640)  # the recipe's name in the Method box, whole
        self.context, self.photos = context, photos
        self.device = "cpu"
        self.device_name: str | None = None  # known once the probe answers
        self.process: TrainProcess | None = None
        self.downloader: TrainProcess | None = None
        self.needed: dict | None = None  # the weights file the trainer looks for, and its address (from the probe)
        self.out: Path | None = None
        self.started = 0.0
        self.download_failed = False  # the downloader said why it failed (its own line stays on screen)

        model = context.usable_model()  # only for the defaults: a broken active model does not stop a retrain
        bits_default, method_default = (model.info.bits, model.info.method) if model else (64, RECIPE)
        self.intro = QLabel(self.tr(
            "PhotoHash will teach its hash model what <i>your</i> photos look like. It reads the "
            "<b>{photos} photos</b> of your library (nothing leaves this computer and no photo is changed), "
            "trains a new model from them without any labels, checks it, makes it the active model and "
            "re-hashes the library in the background. The current model ({model}) "
            "stays available in Preferences.").format(photos=f"{photos:,}", model=model_title(context.model_path())))
        self.intro.setWordWrap(True)
        self.eta = QLabel(self.tr(PROBING))
        self.eta.setWordWrap(True)
        self.method = QComboBox()
        self.method.addItem(self.tr("PhotoHash: pHash beside a learned code, as the default model (recommended)"),
                            RECIPE)
        self.method.addItem(self.tr("WCH: Weighted Contrastive Hashing (a learned code alone)"), "wch")
        self.method.addItem(self.tr("NSH: Naturally-Sorted Hashing (a learned code alone)"), "nsh")
        self.method.setAccessibleName(self.tr("Method"))
        self.method.setToolTip(self.tr("How the new model learns: the PhotoHash recipe keeps pHash for copies and "
                                       "learns a code beside it; WCH and NSH learn one code alone"))
        self.similar = QComboBox()
        self.similar.addItem(self.tr("WCH: Weighted Contrastive Hashing (recommended)"), "wch")
        self.similar.addItem(self.tr("NSH: Naturally-Sorted Hashing"), "nsh")
        self.similar.setToolTip(self.tr("The second code the PhotoHash recipe learns, for \"photos like this one\": "
                                        "search by example and similar photos rank by it. Duplicates are found by the "
                                        "first code."))
        self.similar.setAccessibleName(self.tr("Similarity code method"))
        self.bits = QComboBox()
        self.bits.setAccessibleName(self.tr("Code length"))
        for bits in BITS:
            self.bits.addItem(self.tr("{bits} bits").format(bits=bits), bits)
        self.bits.setCurrentIndex(self.bits.findData(bits_default) if self.bits.findData(bits_default) >= 0 else
                                  self.bits.findData(64))
        if method_default in ("wch", "nsh"):
            self.method.setCurrentIndex(self.method.findData(method_default))
        self._choose_pending(str(context.prefs.qs.value("retrain/pending", "")))
        self.epochs = QSpinBox()
        self.epochs.setRange(1, 200)
        self.epochs.setAccessibleName(self.tr("Epochs"))
        self.epochs.setToolTip(self.tr("How many times training goes through your photos: more takes longer and "
                                       "may learn a little more"))
        self.epochs.valueChanged.connect(self._show_estimate)
        self.weights = QLineEdit(weights or str(context.prefs.qs.value("retrain/weights", "")))
        self.weights.setPlaceholderText(self.tr("torchvision's cache of MobileNetV2 ImageNet weights"))
        self.weights.setAccessibleName(self.tr("Backbone weights"))
        self.weights.setToolTip(self.tr("The file of MobileNetV2 ImageNet weights training starts from (a .pth file)"))
        self.browse = QPushButton(self.tr("B&rowse…"))
        self.browse.setToolTip(self.tr("Choose a file of MobileNetV2 ImageNet weights you have"))
        self.browse.clicked.connect(self._browse)
        self.download_button = QPushButton(self.tr("&Download"))
        self.download_button.setToolTip(self.tr("Download torchvision's MobileNetV2 ImageNet weights into its cache"))
        self.download_button.clicked.connect(self.download)
        self.download_button.hide()
        weights_row = QHBoxLayout()
        weights_row.addWidget(self.weights, 1)
        weights_row.addWidget(self.browse)
        weights_row.addWidget(self.download_button)
        self.weights_help = QLabel("")
        self.weights_help.setWordWrap(True)
        self.weights_help.setTextFormat(Qt.TextFormat.PlainText)
        self.weights_help.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                                  | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.weights_help.hide()
        self.weights.textChanged.connect(self._weights_chosen)
        form = QFormLayout()  # each label is its field's buddy: its Alt+letter goes there, screen readers name it
        form.addRow(self.tr("&Method"), self.method)
        form.addRow(self.tr("&Similarity code"), self.similar)
        form.addRow(self.tr("Code &length"), self.bits)
        form.addRow(self.tr("&Epochs"), self.epochs)
        weights_label = QLabel(self.tr("Backbone &weights"))
        weights_label.setBuddy(self.weights)
        form.addRow(weights_label, weights_row)

        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.progress.setAccessibleName(self.tr("Training progress"))
        self.stage = QLabel("")
        self.stage.setWordWrap(True)
        self.stage.setAccessibleName(self.tr("What the trainer is doing"))
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(500)
        self.log.setPlaceholderText(self.tr("The trainer's messages appear here."))
        self.log.setAccessibleName(self.tr("The trainer's messages"))
        self.log.setTabChangesFocus(True)  # Tab leaves it for the buttons, as in a form
        self.log.setFixedHeight(90)

        self.buttons = QDialogButtonBox()
        self.start_button = self.buttons.addButton(self.tr("Start training"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton(self.tr("Close"), QDialogButtonBox.ButtonRole.RejectRole)
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
            self.eta.setText(self.tr("Scan a library of at least a few dozen photos first: there is nothing to learn "
                                     "from yet."))
        else:
            self._probe()

    def _explain_buttons(self) -> None:
        """The two buttons' tooltips, for what they do now (their texts change with the training's state)."""
        self.start_button.setToolTip(self.tr("Train a new model on your library's photos; a cancelled training of the "
                                             "same kind resumes (Enter)"))
        closing = self.process is None or not self.process.is_running()
        self.cancel_button.setToolTip(self.tr("Close this window (Esc)") if closing else
                                      self.tr("Stop the training now, without saving (Esc)") if self.process.cancelled
                                      else self.tr("Cancel the training; it saves its progress, Resume training goes on "
                                                   "from there (Esc)"))

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
            self.stage.setText(self.tr("The trainer did not answer ({why}): the time below assumes the processor.")
                               .format(why=said[-1] if said else self.tr("exit code {code}").format(code=code)))
            self._fit()
        self.device = found.get("device", "cpu")
        self.device_name = found.get("device_name") or {"cpu": self.tr("the processor (no GPU found)"),
                                                        "mps": self.tr("Apple GPU")}.get(self.device, self.device)
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
        return self.tr("{file} in {folder}").format(file=self.needed['path'].name,
                                                    folder=shown_path(self.needed['path'].parent))

    def _offer_download(self) -> None:
        path = self.needed["path"]
        self.weights_help.setText(self.tr(
            "Training starts from torchvision's MobileNetV2 ImageNet weights, not on this computer yet: the file "
            "{file} ({mb} MB), which torchvision keeps in {folder}. Download fetches it from {url}; or copy it "
            "there yourself, or Browse… for a copy you have.").format(
            file=path.name, mb=WEIGHTS_MB, folder=f"{shown_path(path.parent)}{os.sep}", url=self.needed['url']))
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
        self.bits.setToolTip(self.tr("The PhotoHash recipe learns {bits} bits, written beside pHash's").format(
            bits=RECIPE_SETTINGS['bits']) if recipe else self.tr("How many bits the new model's code has: more tells "
                                                                 "more photos apart, and takes more memory"))
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
        self.eta.setText(self.tr("It runs on <b>{device}</b> and should take about <b>{time}</b> for {photos} "
                                 "photos. You can keep using PhotoHash meanwhile, and cancel at any time: starting "
                                 "again resumes.").format(device=self.device_name, time=describe_seconds(seconds),
                                                          photos=f"{self.photos:,}"))

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("MobileNetV2 weights"), str(Path.home()),
                                              self.tr("PyTorch weights (*.pth *.pt);;All files (*)"))
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
        self.download_failed = False
        self.stage.setText(self.tr("Downloading {file}…").format(file=self.needed['path'].name))
        self.progress.setRange(0, 0)
        self.downloader.start()

    def _download_event(self, e: dict) -> None:
        name, folder = self.needed["path"].name, self.needed["path"].parent
        if e.get("event") == "download":
            done, total = e.get("done", 0), e.get("total")
            if total:
                self.progress.setRange(0, 100)
                self.progress.setValue(int(100 * done / total))
            if total:
                self.stage.setText(self.tr("Downloading {file}: {done} of {total} MB").format(
                    file=name, done=f"{done / 1e6:.1f}", total=f"{total / 1e6:.1f}"))
            else:
                self.stage.setText(self.tr("Downloading {file}: {done} MB").format(file=name, done=f"{done / 1e6:.1f}"))
        elif e.get("event") == "done":
            self.weights.setText(shown_path(e["path"]))
            self.weights_help.hide()
            self.download_button.hide()
            self.stage.setText(self.tr("Downloaded {file} into {folder}: ready to train.").format(
                file=name, folder=shown_path(folder)))
            self._fit(shrink=True)
        elif e.get("event") == "error":
            self.download_failed = True  # said once, with the child's reason
            self.stage.setText(self.tr("Download failed: {why}. Put {where} yourself, or Browse… for a copy.").format(
                why=e.get('message') or self.tr("the download stopped"), where=self._where()))

    def _downloaded(self, code: int, cancelled: bool) -> None:
        self.progress.setRange(0, 100)
        self.progress.setValue(100 if code == 0 else 0)
        self.download_button.setEnabled(True)
        self.start_button.setEnabled(True)
        if cancelled:
            self.stage.setText(self.tr("Download cancelled. Put {where}, or Browse… for a copy.").format(
                where=self._where()))
        elif code != 0 and not self.download_failed:
            last = self.log.toPlainText().strip().splitlines()[-1:] or [self.tr("exit code {code}").format(code=code)]
            self.stage.setText(self.tr("Download failed: {why}. Put {where} yourself, or Browse… for a copy.").format(
                why=last[0], where=self._where()))
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
        self.start_button.setText(self.tr("Resume training") if self._pending() else self.tr("Start training"))
        self._explain_buttons()

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
                self.stage.setText(self.tr("{file}: not found.").format(file=self.weights.text().strip()))
            elif self.needed:
                self.stage.setText(self.tr("Choose the backbone's weights first: torchvision's MobileNetV2 ImageNet "
                                           "weights, {where}. Download puts the file there, or Browse… for a copy.")
                                   .format(where=self._where()))
            else:
                self.stage.setText(self.tr("Choose the backbone's weights first (Browse…): torchvision's MobileNetV2 "
                                           "ImageNet weights, a .pth file."))
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
        self.cancel_button.setText(self.tr("Cancel"))
        self.stage.setText(self.tr("Starting the trainer…"))
        self.progress.setRange(0, 0)
        self.process.start()
        self._explain_buttons()

    def _event(self, e: dict) -> None:
        kind = e.get("event")
        eta = e.get("eta_s")
        left = self.tr(" · about {time} left").format(time=describe_seconds(eta)) if eta else ""
        # where each stage ends on the bar: reading, the duplicate head (the recipe's trains in seconds), the
        # similarity code's head (the recipe's second), which way up, the check
        recipe = self.method.currentData() == RECIPE
        reading, trained, similar = (55, 60, 84) if recipe else (40, 88, 88)
        if kind == "cache":
            self.progress.setRange(0, 100)
            self.progress.setValue(int(reading * e["done"] / max(e["total"], 1)))
            if e.get("passes", 1) > 1:  # each pass reads every photo once more, for two more views of it
                photos = e["photos"]
                self.stage.setText(self.tr("Reading your photos, pass {n} of {passes}: {done} of {total}{left}").format(
                    n=e["pass"], passes=e["passes"], done=f"{e['done'] - (e['pass'] - 1) * photos:,}",
                    total=f"{photos:,}", left=left))
            else:
                self.stage.setText(self.tr("Reading your photos: {done} of {total}{left}").format(
                    done=f"{e['done']:,}", total=f"{e['total']:,}", left=left))
        elif kind == "step":
            self.progress.setRange(0, 100)
            done = (e["epoch"] - 1 + e["step"] / max(e["steps"], 1)) / max(e["epochs"], 1)
            start, end = (trained, similar) if e.get("code") == "similar" else (reading, trained)
            self.progress.setValue(start + int((end - start) * done))
            loss = self.tr(" · loss {loss}").format(loss=f"{e['loss']:.4f}") if e.get("loss") is not None else ""
            if e.get("code") == "similar":
                text = self.tr("Training the similarity code: epoch {epoch} of {epochs}{loss}{left}")
            elif recipe:
                text = self.tr("Training the duplicate code: epoch {epoch} of {epochs}{loss}{left}")
            else:
                text = self.tr("Training: epoch {epoch} of {epochs}{loss}{left}")
            self.stage.setText(text.format(epoch=e['epoch'], epochs=e['epochs'], loss=loss, left=left))
        elif kind == "upright":
            self.progress.setRange(0, 100)
            self.progress.setValue(similar + int((94 - similar) * e["done"] / max(e["total"], 1)))
            self.stage.setText(self.tr("Learning which way up your photos are: {done} of {total}{left}").format(
                done=f"{e['done']:,}", total=f"{e['total']:,}", left=left))
        elif kind == "calibrate":
            self.progress.setRange(0, 100)
            self.progress.setValue(94 + int(5 * e["done"] / max(e["total"], 1)))
            self.stage.setText(self.tr("Setting the duplicate radius on photos kept out of training, and edited copies "
                                       "of them: {done} of {total}").format(done=f"{e['done']:,}",
                                                                            total=f"{e['total']:,}"))
        elif kind == "resumed":
            self.log.appendPlainText(self.tr("resumed from the checkpoint at epoch {epoch}").format(epoch=e['epoch']))
        elif kind == "skipped":
            self.log.appendPlainText(self.tr("skipped {file}: {why}").format(file=printable(e['path']), why=e['reason']))
        elif kind == "done":
            self.progress.setValue(99)
            self.stage.setText(self.tr("Checking the new model…"))
            self.log.appendPlainText(self.tr("wrote {model}: ONNX matches torch on {share} of bits").format(
                model=e['model'], share=f"{e['parity_bit_agreement']:.2%}"))
            self.log.appendPlainText(describe_radii(e))
            if describe_similar(e):
                self.log.appendPlainText(describe_similar(e))

    def _finished(self, code: int, cancelled: bool) -> None:
        for w in (self.method, self.bits, self.epochs, self.weights, self.browse, self.start_button):
            w.setEnabled(True)
        self.similar.setEnabled(self.method.currentData() == RECIPE)
        self.cancel_button.setText(self.tr("Close"))
        self._explain_buttons()
        self.progress.setRange(0, 100)
        if cancelled:
            self.stage.setText(self.tr("Cancelled. The work so far is saved: Resume training continues it.")
                               if code == 0 else
                               self.tr("Stopped. Resume training continues from the last saved epoch."))
            self._show_start()
            return
        if code != 0 or self.out is None or not self.out.is_file():
            last = self.log.toPlainText().strip().splitlines()[-1:] or [self.tr("the trainer stopped")]
            self.stage.setText(self.tr("Training failed: {why}").format(why=last[0]))
            self.progress.setValue(0)
            return
        try:
            model = HashModel.load(self.out)
        except Exception as exc:  # noqa: BLE001 - the engine refused the file: say why, keep the old model
            self.stage.setText(self.tr("The new model was not accepted: {why}").format(why=exc))
            return
        self.context.prefs.qs.setValue("retrain/pending", "")
        self.progress.setValue(100)
        minutes = (time.monotonic() - self.started) / 60
        name = model.info.method.upper() if model.info.method in ("wch", "nsh") else model.info.method
        self.stage.setText(self.tr("Done in {minutes} min: {name}, {bits} bits is now the active model. The library "
                                   "is being re-hashed in the background.").format(
            minutes=f"{minutes:.1f}", name=name, bits=model.info.bits))
        self.start_button.setEnabled(False)
        self.activated.emit(str(self.out))

    def cancel_or_close(self) -> None:
        if self.process is not None and self.process.is_running():
            if self.process.cancelled:  # asked once already and still running: the user wants out now
                self.stage.setText(self.tr("Stopping without saving…"))
                self.process.kill()
                return
            self.stage.setText(self.tr("Cancelling: saving a checkpoint… (click Stop now if it does not end)"))
            self.cancel_button.setText(self.tr("Stop now"))
            self.process.cancel()
            self._explain_buttons()
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
    box.setWindowTitle(QCoreApplication.translate("RetrainDialog", "Retraining is not installed"))
    box.setIcon(QMessageBox.Icon.Information)
    box.setText(QCoreApplication.translate("RetrainDialog", INSTALL_HINT))
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    box.exec()

