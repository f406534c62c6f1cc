"""Draw the application icon (resources/icons/photohash-SIZE.png): two offset photo frames, one
slightly turned, over a blue tile: "the same photo, twice". Run: python tools/make_icon.py"""

import sys
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage, QLinearGradient, QPainter, QPainterPath, QPen

OUT = Path(__file__).resolve().parents[1] / "resources" / "icons"


def draw(size: int) -> QImage:
    img = QImage(size, size, QImage.Format.Format_ARGB32)
    img.fill(Qt.GlobalColor.transparent)
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.scale(size / 256, size / 256)
    grad = QLinearGradient(0, 0, 256, 256)
    grad.setColorAt(0, QColor("#3d8bfd"))
    grad.setColorAt(1, QColor("#1f4fb5"))
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(grad)
    p.drawRoundedRect(QRectF(8, 8, 240, 240), 52, 52)

    def photo(x, y, angle, alpha):
        p.save()
        p.translate(x, y)
        p.rotate(angle)
        p.setBrush(QColor(255, 255, 255, alpha))
        p.setPen(Qt.PenStyle.NoPen)
        p.drawRoundedRect(QRectF(-62, -50, 124, 100), 10, 10)
        p.setBrush(QColor("#cfe3ff"))
        p.drawRect(QRectF(-52, -40, 104, 80))
        hills = QPainterPath(QPointF(-52, 40))
        hills.lineTo(-20, 0)
        hills.lineTo(4, 24)
        hills.lineTo(22, 8)
        hills.lineTo(52, 40)
        hills.closeSubpath()
        p.setBrush(QColor("#2e7d5b"))
        p.drawPath(hills)
        p.setBrush(QColor("#ffb534"))
        p.drawEllipse(QPointF(28, -18), 10, 10)
        p.restore()

    photo(110, 108, -8, 200)
    photo(146, 150, 6, 255)
    p.setPen(QPen(QColor("#ffffff"), 10, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
    p.end()
    return img


if __name__ == "__main__":
    app = QGuiApplication(sys.argv[:1])
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (16, 32, 48, 64, 128, 256):
        draw(size).save(str(OUT / f"photohash-{size}.png"))
    print(f"wrote {OUT}")
