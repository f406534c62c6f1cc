"""Discovery and robust decoding on a corpus of real and deliberately broken files.

Each bad input must give a FileError with a clear one-line reason, or the right RGB picture;
nothing in the folder may change.
"""

from __future__ import annotations

import io
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.errors import FileError
from engine.images import FileEntry, content_hash, read_image, walk
from engine.previews import thumbnail

from ..conftest import REPO, extract_photos


def jpeg_bytes(img: Image.Image, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", **kw)
    return buf.getvalue()


def marker_image(w=60, h=40) -> Image.Image:
    """White picture with a red block in the top-left corner, to check orientation."""
    img = Image.new("RGB", (w, h), (255, 255, 255))
    img.paste((255, 0, 0), (0, 0, w // 3, h // 3))
    return img


def exif_oriented_jpeg(path, orientation: int) -> None:
    exif = Image.Exif()
    exif[0x0112] = orientation
    marker_image().save(path, "JPEG", exif=exif.tobytes(), quality=95)


def reason(path, **kw) -> str:
    with pytest.raises(FileError) as exc:
        read_image(path, **kw)
    assert str(exc.value).startswith(str(path) + ": ")
    assert "\n" not in str(exc.value)
    return exc.value.reason


@pytest.fixture
def real_jpeg(photos_dir):
    return sorted(photos_dir.iterdir())[0]


def test_real_photos_decode_to_rgb(photos_dir):
    for path in sorted(photos_dir.iterdir())[:6]:
        decoded = read_image(path)
        assert decoded.image.mode == "RGB"
        assert decoded.image.size == (decoded.width, decoded.height)
        assert decoded.format == "JPEG"
        assert decoded.content_hash == content_hash(path.read_bytes())
        assert decoded.size == path.stat().st_size


def test_jpeg_draft_decodes_a_12mp_photo_at_reduced_scale(tmp_path, real_jpeg):
    big = tmp_path / "big.jpg"
    Image.open(real_jpeg).convert("RGB").resize((4000, 3000)).save(big, quality=90)
    decoded = read_image(big, min_side=224)
    assert (decoded.width, decoded.height) == (4000, 3000)
    assert 224 <= min(decoded.image.size) < 3000 / 4
    assert read_image(big, min_side=1000).image.size[1] >= 1000


def test_bad_inputs_get_clear_reasons(tmp_path, real_jpeg):
    data = real_jpeg.read_bytes()
    (tmp_path / "empty.jpg").write_bytes(b"")
    (tmp_path / "truncated.jpg").write_bytes(data[: len(data) // 2])
    (tmp_path / "random.jpg").write_bytes(np.random.default_rng(0).bytes(4096))
    (tmp_path / "folder.jpg").mkdir()
    (tmp_path / "page.jpg").write_bytes(b"%PDF-1.4 not really")
    assert reason(tmp_path / "empty.jpg") == "empty file"
    assert "truncated" in reason(tmp_path / "truncated.jpg")
    assert reason(tmp_path / "random.jpg") == "not an image (unrecognised content)"
    assert reason(tmp_path / "folder.jpg") == "is a folder, not a file"
    assert reason(tmp_path / "page.jpg") == "not an image (unrecognised content)"
    assert reason(tmp_path / "missing.jpg") == "no such file (moved or deleted)"


def test_unreadable_file(real_jpeg):
    """chmod 000. Root reads anything, so under root the check runs in a child process as 'nobody'."""
    folder = Path(tempfile.mkdtemp(prefix="photohash-unreadable-"))
    try:
        folder.chmod(0o755)
        path = folder / "locked.jpg"
        path.write_bytes(real_jpeg.read_bytes())
        path.chmod(0)
        if os.geteuid() != 0:
            assert reason(path) == "permission denied"
            return
        code = (
            "import os, sys; from engine.images import read_image; from engine.errors import FileError\n"
            "os.setgid(65534); os.setuid(65534)\n"
            "try: read_image(sys.argv[1])\nexcept FileError as e: print(e.reason)"
        )
        done = subprocess.run(
            [sys.executable, "-c", code, str(path)], cwd=REPO, capture_output=True, text=True, timeout=60
        )
        assert done.stdout.strip() == "permission denied", done.stderr
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def png_header_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge size: a decompression bomb in a few bytes."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def test_decompression_bomb_is_refused_before_decoding(tmp_path, real_jpeg):
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(png_header_claiming(30000, 30000))
    why = reason(bomb)
    assert why.startswith("decompression bomb: 30000×30000 = 900,000,000 pixels exceeds the limit")
    assert "exceeds the limit of 10" in reason(real_jpeg, max_pixels=10)


def test_png_named_jpg_decodes_as_png(tmp_path):
    path = tmp_path / "actually-png.jpg"
    marker_image().save(path, "PNG")
    decoded = read_image(path)
    assert decoded.format == "PNG"
    assert decoded.image.getpixel((0, 0)) == (255, 0, 0)


def test_one_pixel_image(tmp_path):
    path = tmp_path / "dot.png"
    Image.new("RGB", (1, 1), (10, 20, 30)).save(path)
    decoded = read_image(path, min_side=224)
    assert decoded.image.size == (1, 1) and decoded.image.getpixel((0, 0)) == (10, 20, 30)


def test_cmyk_jpeg_becomes_rgb(tmp_path):
    path = tmp_path / "cmyk.jpg"
    Image.new("CMYK", (32, 32), (0, 255, 255, 0)).save(path, quality=95)  # pure red in CMYK
    r, g, b = read_image(path).image.getpixel((16, 16))
    assert r > 200 and g < 60 and b < 60


def test_16_bit_png_is_scaled_not_clipped(tmp_path):
    path = tmp_path / "deep.png"
    arr = np.full((8, 8), 32768, dtype=np.uint16)  # half intensity in 16 bits
    Image.fromarray(arr).save(path)
    value = read_image(path).image.getpixel((4, 4))
    assert value == (128, 128, 128)


def test_palette_png_with_transparency_over_white(tmp_path):
    path = tmp_path / "palette.png"
    img = Image.new("P", (10, 10), 0)
    img.putpalette([0, 0, 0, 0, 0, 255] + [0] * 762)
    img.paste(1, (0, 0, 5, 10))
    img.info["transparency"] = 0
    img.save(path, transparency=0)
    decoded = read_image(path).image
    assert decoded.getpixel((8, 5)) == (255, 255, 255)  # transparent -> white
    assert decoded.getpixel((2, 5)) == (0, 0, 255)


def test_animated_gif_gives_first_frame(tmp_path):
    path = tmp_path / "anim.gif"
    frames = [Image.new("RGB", (20, 20), c) for c in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    r, g, b = read_image(path).image.getpixel((10, 10))
    assert r > 200 and g < 50 and b < 50


@pytest.mark.parametrize("orientation, corner", [(6, "top-right"), (8, "bottom-left"), (3, "bottom-right")])
def test_exif_orientation_is_applied(tmp_path, orientation, corner):
    path = tmp_path / f"o{orientation}.jpg"
    exif_oriented_jpeg(path, orientation)
    decoded = read_image(path)
    img = decoded.image
    if orientation in (6, 8):
        assert (decoded.width, decoded.height) == (40, 60) == img.size
    w, h = img.size
    probe = {"top-right": (w - 3, 3), "bottom-left": (3, h - 3), "bottom-right": (w - 3, h - 3)}[corner]
    r, g, b = img.getpixel(probe)
    assert r > 200 and g < 80 and b < 80, f"red marker not in the {corner} corner"


def test_exif_capture_time(tmp_path):
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = "2019:07:14 18:30:05"
    path = tmp_path / "dated.jpg"
    marker_image().save(path, exif=exif.tobytes())
    assert read_image(path).captured_at == "2019-07-14T18:30:05"
    garbage = Image.Exif()
    garbage[0x0132] = "0000:00:00 00:00:00"
    marker_image().save(tmp_path / "undated.jpg", exif=garbage.tobytes())
    assert read_image(tmp_path / "undated.jpg").captured_at is None


def test_heic_decodes_when_the_encoder_is_available(tmp_path):
    pillow_heif = pytest.importorskip("pillow_heif")
    path = tmp_path / "phone.heic"
    try:
        pillow_heif.from_pillow(marker_image()).save(path, quality=90)
    except Exception as exc:  # noqa: BLE001 - some builds ship without an HEVC encoder
        pytest.skip(f"pillow-heif cannot encode HEIC here: {exc}")
    decoded = read_image(path)
    assert decoded.format == "HEIF" and decoded.image.size == (60, 40)


def test_other_formats(tmp_path):
    for fmt, ext in (("WEBP", ".webp"), ("BMP", ".bmp"), ("TIFF", ".tif"), ("PNG", ".png")):
        path = tmp_path / f"pic{ext}"
        marker_image().save(path, fmt)
        decoded = read_image(path)
        assert decoded.format == fmt and decoded.image.getpixel((1, 1))[0] > 200


def test_thumbnail_fits(tmp_path, real_jpeg):
    thumb = thumbnail(real_jpeg, 128)
    assert max(thumb.size) == 128 and thumb.mode == "RGB"


# -- discovery -------------------------------------------------------------------------------------


def test_walk_finds_photos_by_extension_and_by_content(tmp_path, real_jpeg):
    root = tmp_path / "lib"
    (root / "sub dir ünïcødé").mkdir(parents=True)
    (root / ".hidden").mkdir()
    (root / "@eaDir").mkdir()
    data = real_jpeg.read_bytes()
    (root / "a.jpg").write_bytes(data)
    (root / "sub dir ünïcødé" / "photo with spaces ☀.JPG").write_bytes(data)
    (root / "no-extension").write_bytes(data)
    (root / "notes.txt").write_text("not a photo")
    (root / "unknown.bin").write_bytes(b"\0" * 100)
    (root / ".hidden" / "secret.jpg").write_bytes(data)
    (root / "@eaDir" / "thumb.jpg").write_bytes(data)
    (root / "folder.jpg").mkdir()
    found = [e for e in walk([root]) if isinstance(e, FileEntry)]
    names = sorted(os.path.relpath(e.path, root) for e in found)
    assert names == ["a.jpg", "no-extension", os.path.join("sub dir ünïcødé", "photo with spaces ☀.JPG")]
    assert all(e.size == len(data) and e.mtime_ns > 0 for e in found)
    with_hidden = {os.path.relpath(e.path, root) for e in walk([root], include_hidden=True) if isinstance(e, FileEntry)}
    assert {os.path.join(".hidden", "secret.jpg"), os.path.join("@eaDir", "thumb.jpg")} <= with_hidden
    decoded = read_image(root / "sub dir ünïcødé" / "photo with spaces ☀.JPG")
    assert decoded.format == "JPEG"


def test_walk_survives_symlink_loops_and_broken_links(tmp_path, real_jpeg):
    root = tmp_path / "lib"
    (root / "a").mkdir(parents=True)
    (root / "a" / "p.jpg").write_bytes(real_jpeg.read_bytes())
    (root / "a" / "loop").symlink_to(root)
    (root / "dangling.jpg").symlink_to(tmp_path / "gone.jpg")
    items = list(walk([root]))
    files = [i.path for i in items if isinstance(i, FileEntry)]
    errors = [i for i in items if isinstance(i, FileError)]
    assert files == [str(root / "a" / "p.jpg")]
    assert [(e.path, e.reason) for e in errors] == [(str(root / "dangling.jpg"), "broken symbolic link")]


def test_walk_reports_missing_roots_and_takes_single_files(tmp_path, real_jpeg):
    items = list(walk([tmp_path / "nope", real_jpeg]))
    assert isinstance(items[0], FileError) and items[0].reason == "no such file or folder"
    assert isinstance(items[1], FileEntry) and items[1].path == str(real_jpeg)


def test_a_file_that_vanishes_after_the_walk(tmp_path, real_jpeg):
    path = tmp_path / "soon-gone.jpg"
    path.write_bytes(real_jpeg.read_bytes())
    (entry,) = walk([tmp_path])
    path.unlink()
    assert reason(entry.path) == "no such file (moved or deleted)"


def test_decoding_changes_nothing_on_disk(tmp_path):
    folder = tmp_path / "photos"
    paths = extract_photos(folder, limit=5)
    (folder / "bad.jpg").write_bytes(b"\xff\xd8\xff broken")
    exif_oriented_jpeg(folder / "rotated.jpg", 6)
    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in folder.iterdir()}
    for p in list(folder.iterdir()):
        try:
            read_image(p, min_side=64)
        except FileError:
            pass
    assert {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in folder.iterdir()} == before
    assert len(paths) == 5
