"""The user's settings: QSettings for the app's own choices; the catalog for what the CLI shares.

The library folders and the reference folders live in the catalog beside the active model (engine.catalog_models,
which the CLI's ``models use`` sets too), so the GUI and the CLI never disagree about the library.
Everything else (what counts as a copy, radii overrides, keeper rules, thumbnail cache, hidden folders, theme,
window state) is the app's and lives in QSettings.
"""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QSettings

from engine.catalog import Catalog
from engine.duplicates import STRICTNESS
from engine.keepers import KEEPER_RULES

FOLDERS_SETTING = "library_folders"
REFERENCE_SETTING = "reference_folders"
THEMES = ("system", "light", "dark")

# What each strictness means to a user (engine.duplicates.STRICTNESS; measured in docs/benchmark.md): marked for
# translation here, translated where shown with QCoreApplication.translate("SettingsDialog", text)
STRICTNESS_TEXT = {
    "strict": (QT_TRANSLATE_NOOP("SettingsDialog", "Strict"),
               QT_TRANSLATE_NOOP("SettingsDialog", "The whole photo, the same way up: resized, re-saved or "
                                                   "recoloured, not cropped, turned, flipped or re-exposed.")),
    "normal": (QT_TRANSLATE_NOOP("SettingsDialog", "Normal"),
               QT_TRANSLATE_NOOP("SettingsDialog", "Also cropped, turned, flipped and re-exposed copies. "
                                                   "Recommended.")),
    "loose": (QT_TRANSLATE_NOOP("SettingsDialog", "Loose"),
              QT_TRANSLATE_NOOP("SettingsDialog", "Looks further for heavily edited copies; checking takes about "
                                                  "three times as long.")),
}


class Preferences:
    def __init__(self, settings: QSettings | None = None):
        self.qs = settings or QSettings()

    def _int(self, key: str, default: int | None) -> int | None:
        value = self.qs.value(key, default)
        try:
            return None if value in (None, "") else int(value)
        except (TypeError, ValueError):
            return default

    # radii: None means "the model's calibrated radius"
    radius_duplicate = property(lambda self: self._int("radius/duplicate", None),
                                lambda self, value: self._set_optional("radius/duplicate", value))
    radius_similar = property(lambda self: self._int("radius/similar", None),
                              lambda self, value: self._set_optional("radius/similar", value))

    def _set_optional(self, key: str, value: int | None) -> None:
        self.qs.setValue(key, "" if value is None else int(value))

    @property
    def keeper_rules(self) -> tuple[str, ...]:
        value = self.qs.value("duplicates/keeper_rules", ",".join(KEEPER_RULES))
        rules = tuple(r for r in str(value).split(",") if r in KEEPER_RULES)
        # a rule added since the user ordered them takes its default place (as the first, or before the last resort,
        # path) rather than be lost
        ordered = list(rules)
        for added in (r for r in KEEPER_RULES if r not in rules):
            last = ordered.index("path") if "path" in ordered else len(ordered)
            ordered.insert(min(KEEPER_RULES.index(added), last), added)
        return tuple(ordered)

    @keeper_rules.setter
    def keeper_rules(self, rules) -> None:
        self.qs.setValue("duplicates/keeper_rules", ",".join(rules))

    def _flag(key: str, doc: str, default: bool = False) -> property:  # noqa: N805 (a helper of the class body)
        """A yes/no setting, stored as "true" / "false" (what QSettings' INI files read back on every platform)."""
        return property(lambda self: str(self.qs.value(key, "true" if default else "false")).lower() == "true",
                        lambda self, value: self.qs.setValue(key, "true" if value else "false"), doc=doc)

    def _choice(key: str, choices: tuple[str, ...], default: str, doc: str) -> property:  # noqa: N805
        """One of ``choices``, ``default`` for anything else (a value an older or newer version wrote)."""
        def read(self) -> str:
            value = str(self.qs.value(key, default))
            return value if value in choices else default

        def write(self, value: str) -> None:
            self.qs.setValue(key, value if value in choices else default)

        return property(read, write, doc=doc)

    strictness = _choice("duplicates/strictness", STRICTNESS, "normal",
                         'What counts as a copy (engine.duplicates.STRICTNESS): "strict", "normal" or "loose".')
    theme = _choice("appearance/theme", THEMES, "system", "Light, dark, or as the system says.")
    show_distances = _flag("advanced/show_distances",
                           "Advanced: show Hamming distances and radii on the screens, beside the plain words.")
    include_hidden = _flag("library/include_hidden", "Scan hidden folders and files too.")
    carry_metadata = _flag("duplicates/carry_metadata", "Keep what a copy going to the trash knows and the photo kept "
                           "lacks in the kept photo's .xmp sidecar (engine.keeper_metadata).", default=True)
    del _flag, _choice

    @property
    def thumbnail_cache_mb(self) -> int:
        return max(16, self._int("thumbnails/cache_mb", 512) or 512)

    @thumbnail_cache_mb.setter
    def thumbnail_cache_mb(self, value: int) -> None:
        self.qs.setValue("thumbnails/cache_mb", int(value))


def library_folders(catalog: Catalog) -> list[str]:
    return list(catalog.get_json_setting(FOLDERS_SETTING, []) or [])


def reference_folders(catalog: Catalog) -> list[str]:
    return list(catalog.get_json_setting(REFERENCE_SETTING, []) or [])


def set_folders(catalog: Catalog, folders: list[str], references: list[str]) -> None:
    catalog.set_json_setting(FOLDERS_SETTING, folders)
    catalog.set_json_setting(REFERENCE_SETTING, [f for f in references if f in folders])

