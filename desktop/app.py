"""``photohash``: start the desktop app. Sets up Qt (style, palette, icon, settings, the translation for the
user's language), the crash handler that writes a log in the user data folder, and the main window. Start-up only: the
look (theme.py), the log file (log.py) and the screens have their own modules.

Translations: every string a user reads is marked with Qt's ``tr`` (``QCoreApplication.translate`` outside a
QObject); ``python tools/update_translations.py`` extracts them into resources/translations/photohash_en.ts, the
translators' template, and compiles each translated photohash_<language>.ts into the .qm file loaded here."""

from __future__ import annotations

import argparse
import faulthandler
import gc
import multiprocessing
import sys
import threading
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QSettings, QTranslator
from PySide6.QtWidgets import QApplication, QMessageBox, QStyleFactory

from engine.catalog import default_data_dir

from .log import log_error, log_path
from .theme import _Style, app_icon, apply_theme

TRANSLATIONS = Path(__file__).resolve().parents[1] / "resources" / "translations"


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
            QMessageBox.critical(None, "PhotoHash", QCoreApplication.translate(
                "PhotoHash", "Something went wrong: {error}\n\nThe details were written to {log}. Your photos were "
                "not changed.").format(error=line, log=log))
        else:
            print(f"photohash: {line} (details in {log})", file=sys.stderr)

    sys.excepthook = report
    threading.excepthook = lambda args: report(args.exc_type, args.exc_value, args.exc_traceback)


def install_translations(app: QApplication, locale: QLocale | None = None,
                         folder: Path | str | None = None) -> list[QTranslator]:
    """Translate the app into ``locale``'s language (default: the user's): PhotoHash's own strings from
    ``folder``/photohash_<language>.qm (resources/translations), Qt's own (standard buttons, file dialogs) from Qt's
    qtbase_<language>.qm. A language with no such file stays in English, silently. Returns the translators installed
    (they must live as long as they are installed: they are the app's children)."""
    locale = locale or QLocale()
    installed = []
    for name, where in (("qtbase", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)),
                        ("photohash", str(folder or TRANSLATIONS))):
        translator = QTranslator(app)
        # tries each of the user's languages in turn, each from the most specific name down: photohash_pt_BR, _pt
        if translator.load(locale, name, "_", where) and app.installTranslator(translator):
            installed.append(translator)
        else:
            translator.deleteLater()
    return installed


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
    if not app.property("photohash_translated"):  # once: create_app may be called again on the same app
        app.setProperty("photohash_translated", True)
        install_translations(app)
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
    # the command line's help stays in English: it is read before Qt (and its translations) starts
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
        QMessageBox.critical(None, QCoreApplication.translate("PhotoHash", "PhotoHash cannot start"), str(exc))
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
