"""Extract the desktop app's strings for translators, and compile their translations.

    python tools/update_translations.py            # desktop/*.py -> resources/translations/photohash_en.ts (the
                                                   # template) and every photohash_<language>.ts kept up to date
    python tools/update_translations.py --release  # the same, then each translated .ts -> its .qm, which the app
                                                   # loads for the user's language (desktop/app.py)
    python tools/update_translations.py --check    # exit 1 if the committed template misses a string of the code

A new language: copy photohash_en.ts to photohash_<language>.ts (de, fr, pt_BR…), set its <TS language="…">,
translate it in Qt Linguist (pyside6-linguist), then run with --release. Strings are found by lupdate: self.tr("…")
in a QObject's class (the class name is the context), QCoreApplication.translate("Context", "…") elsewhere, and
QT_TRANSLATE_NOOP("Context", "…") for a constant translated where it is shown. Only literal strings are found:
placeholders go in the literal ("{count} photos".format(…)), never an f-string.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SOURCES = REPO / "desktop"
FOLDER = REPO / "resources" / "translations"
TEMPLATE = FOLDER / "photohash_en.ts"


def tool(name: str) -> str:
    """PySide6's wrapper for a Qt tool (``lupdate``, ``lrelease``): the one beside this Python, else on PATH."""
    beside = Path(sys.executable).parent / f"pyside6-{name}"
    found = str(beside) if beside.exists() else shutil.which(f"pyside6-{name}")
    if not found:
        raise SystemExit(f"pyside6-{name} not found: it comes with PySide6 (pip install PySide6-Essentials)")
    return found


def sources() -> list[str]:
    return sorted(str(p.relative_to(REPO)) for p in SOURCES.glob("*.py"))


def extract(ts: Path, *, language: str | None = None) -> None:
    """Write (or update, keeping its translations) ``ts`` with every string of the desktop app; strings the code no
    longer has are dropped. No line numbers: the file changes only when a string does."""
    ts.parent.mkdir(parents=True, exist_ok=True)
    command = [tool("lupdate"), "-silent", "-no-obsolete", "-locations", "none", "-source-language", "en"]
    if language:
        command += ["-target-language", language]
    subprocess.run([*command, *sources(), "-ts", str(ts)], cwd=REPO, check=True)


def release(ts: Path, qm: Path | None = None) -> Path:
    qm = qm or ts.with_suffix(".qm")
    subprocess.run([tool("lrelease"), "-silent", str(ts), "-qm", str(qm)], cwd=REPO, check=True)
    return qm


def messages(ts: Path) -> set[tuple[str, str]]:
    """(context, source text) of every message in ``ts``."""
    import xml.etree.ElementTree as ET

    root = ET.parse(ts).getroot()
    return {(context.findtext("name"), message.findtext("source"))
            for context in root.iter("context") for message in context.iter("message")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--release", action="store_true", help="also compile each translated .ts into its .qm")
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 if the template misses a string of the code, or has one it lost")
    args = parser.parse_args(argv)
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            fresh = Path(tmp) / TEMPLATE.name
            extract(fresh, language="en")
            have = messages(TEMPLATE) if TEMPLATE.exists() else set()
            missing, gone = messages(fresh) - have, have - messages(fresh)
        for context, text in sorted(missing):
            print(f"missing from {TEMPLATE.relative_to(REPO)}: {context}: {text!r}")
        for context, text in sorted(gone):
            print(f"no longer in the code: {context}: {text!r}")
        if missing or gone:
            print("run: python tools/update_translations.py")
        return 1 if missing or gone else 0
    extract(TEMPLATE, language="en")
    translated = sorted(p for p in FOLDER.glob("photohash_*.ts") if p != TEMPLATE)
    for ts in translated:
        extract(ts)
    print(f"{TEMPLATE.relative_to(REPO)}: {len(messages(TEMPLATE))} strings; updated {len(translated)} translation(s)")
    if args.release:
        for ts in translated:
            print(f"compiled {release(ts).relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
