"""How the app looks: the Fusion style with visible check boxes on a dark palette, the light / dark /
system theme, and the window icon. Its own module so that the Preferences' theme change can apply it
without importing the app's start-up."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPalette
from PySide6.QtWidgets import QApplication, QProxyStyle, QStyle

ICONS = Path(__file__).resolve().parents[1] / "resources" / "icons"


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
