"""``photohash``: start the desktop app. Sets up Qt (style, palette, icon, settings), the crash
handler that writes a log in the user data folder, and the main window."""

from __future__ import annotations

import argparse
import faulthandler
import gc
import multiprocessing
import sys
import threading
import traceback
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QRectF, QSettings, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPalette
from PySide6.QtWidgets import QApplication, QMessageBox, QProxyStyle, QStyle, QStyleFactory

from engine.catalog import default_data_dir

ICONS = Path(__file__).resolve().parents[1] / "resources" / "icons"


def log_path() -> Path:
    folder = default_data_dir() / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / "photohash.log"


def _append_log(text: str) -> None:
    try:
        with open(log_path(), "a", encoding="utf-8") as log:
            log.write(f"{datetime.now():%Y-%m-%d %H:%M:%S} {text}")
    except OSError:
        pass


def log_error(exc: BaseException) -> None:
    """A bug: its full traceback into the log file (the user is shown one line elsewhere)."""
    _append_log("".join(["unexpected error\n", *traceback.format_exception(exc)]))


def log_line(line: str) -> None:
    """An expected state worth keeping (a photo gone from disk...): one line, no traceback, which only bugs get."""
    _append_log(" ".join(line.split()) + "\n")


def app_icon() -> QIcon:
    icon = QIcon()
    for png in sorted(ICONS.glob("photohash-*.png")):
        icon.addFile(str(png))
    return icon


def dark_palette() -> QPalette:
    p = QPalette()
    roles = {
        QPalette.ColorRole.Window: "#2b2b2e", QPalette.ColorRole.WindowText: "#e6e6e6",
        QPalette.ColorRole.Base: "#232326", QPalette.ColorRole.AlternateBase: "#2e2e33",
        QPalette.ColorRole.ToolTipBase: "#3a3a40", QPalette.ColorRole.ToolTipText: "#f0f0f0",
        QPalette.ColorRole.Text: "#e6e6e6", QPalette.ColorRole.Button: "#38383d",
        QPalette.ColorRole.ButtonText: "#e6e6e6", QPalette.ColorRole.BrightText: "#ff6b6b",
        QPalette.ColorRole.Highlight: "#3d7bd9", QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Link: "#6ea8ff", QPalette.ColorRole.PlaceholderText: "#8c8c93",
        QPalette.ColorRole.Mid: "#6a6a72", QPalette.ColorRole.Midlight: "#5a5a62",
        QPalette.ColorRole.Dark: "#1a1a1c", QPalette.ColorRole.Shadow: "#000000",
        QPalette.ColorRole.Light: "#505056",
    }
    for role, color in roles.items():
        p.setColor(role, QColor(color))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor("#7a7a80"))
    return p


class _Style(QProxyStyle):
    """Fusion, with check boxes and radio buttons outlined in a dark palette (Fusion's own outline is
    darker than the window, so an unchecked box vanishes on a dark background)."""

    INDICATORS = (QStyle.PrimitiveElement.PE_IndicatorCheckBox, QStyle.PrimitiveElement.PE_IndicatorItemViewItemCheck,
                  QStyle.PrimitiveElement.PE_IndicatorRadioButton)

    def drawPrimitive(self, element, option, painter, widget=None):  # noqa: N802 (Qt's name)
        super().drawPrimitive(element, option, painter, widget)
        if element in self.INDICATORS and option.palette.color(QPalette.ColorRole.Window).lightness() < 128:
            painter.save()
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(option.palette.color(QPalette.ColorRole.Mid))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            box = QRectF(option.rect).adjusted(1.5, 1.5, -1.5, -1.5)
            if element == QStyle.PrimitiveElement.PE_IndicatorRadioButton:
                painter.drawEllipse(box)
            else:
                painter.drawRoundedRect(box, 2, 2)
            painter.restore()


def apply_theme(theme: str) -> None:
    """light / dark, or follow the system's colour scheme (and its changes while running)."""
    app = QApplication.instance()
    scheme = app.styleHints().colorScheme()
    dark = theme == "dark" or (theme == "system" and scheme == Qt.ColorScheme.Dark)
    app.setPalette(dark_palette() if dark else app.style().standardPalette())


def install_crash_handler() -> None:
    """An unexpected error is written in full to the log and shown as one readable line."""
    log = log_path()
    try:
        faulthandler.enable(open(log, "a", encoding="utf-8"))  # hard crashes (segfaults) too  # noqa: SIM115
    except OSError:
        pass

    def report(exc_type, exc, tb) -> None:
        exc = exc if exc is not None else exc_type()  # threading's hook may pass no value
        log_error(exc.with_traceback(tb))
        line = str(exc).splitlines()[0] if str(exc) else exc_type.__name__
        if QApplication.instance() is not None and threading.current_thread() is threading.main_thread():
            QMessageBox.critical(None, "PhotoHash", f"Something went wrong: {line}\n\nThe details were written to "
                                                    f"{log}. Your photos were not changed.")
        else:
            print(f"photohash: {line} (details in {log})", file=sys.stderr)

    sys.excepthook = report
    threading.excepthook = lambda args: report(args.exc_type, args.exc_value, args.exc_traceback)


def create_app(argv: list[str] | None = None) -> QApplication:
    # Worker threads (scan, thumbnails, engine tasks) run Python too: hand the GIL back to the UI
    # thread every millisecond instead of every 5, so that it never waits long to paint.
    sys.setswitchinterval(0.001)
    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    app.setOrganizationName("PhotoHash")
    app.setApplicationName("PhotoHash")
    app.setApplicationDisplayName("PhotoHash")
    app.setDesktopFileName("photohash")
    app.setStyle(_Style(QStyleFactory.create("Fusion")))
    app.setWindowIcon(app_icon())
    return app


def build_window(catalog: str | None = None, settings: QSettings | None = None):
    from .context import AppContext
    from .main_window import MainWindow
    from .preferences import Preferences

    prefs = Preferences(settings)
    apply_theme(prefs.theme)
    QApplication.instance().styleHints().colorSchemeChanged.connect(lambda _s: apply_theme(prefs.theme))
    context = AppContext(catalog, prefs, default_data_dir() / "thumbnails")
    window = MainWindow(context)
    # Everything imported and built so far lives as long as the app: keep it out of the garbage
    # collector's full passes, which otherwise scan it all and stall the UI for ~80 ms each.
    gc.collect()
    gc.freeze()
    return window


def main(argv: list[str] | None = None) -> int:
    multiprocessing.freeze_support()  # the scan's decode workers, inside a PyInstaller bundle
    parser = argparse.ArgumentParser(prog="photohash", description="PhotoHash: find duplicate and similar photos.")
    parser.add_argument("--catalog", metavar="PATH", help="catalog file (default: the one in your user data folder)")
    parser.add_argument("--add", metavar="FOLDER", action="append", default=[],
                        help="add this folder to the library and scan it")
    parser.add_argument("photo", nargs="?", help="find the photos like this one (the file manager's Open With)")
    args = parser.parse_args(argv)
    app = create_app()
    install_crash_handler()
    try:
        window = build_window(args.catalog)
    except Exception as exc:  # noqa: BLE001 - e.g. a damaged catalog: one line, then exit
        QMessageBox.critical(None, "PhotoHash cannot start", str(exc))
        return 1
    window.show()
    for folder in args.add:
        window.library.add_folder(folder, scan=False)
    if args.add:
        window.library.start_scan()
    if args.photo:
        window.find_similar(args.photo)
    code = app.exec()
    window.context.close()
    return code


if __name__ == "__main__":
    sys.exit(main())
