"""Find photos on disk and decode them robustly into RGB, cheaply.

Why it is careful: a real library holds broken downloads, renamed files, phone HEICs, scans in
CMYK, 16-bit PNGs and the odd decompression bomb. Every one of those must either decode to the
right RGB picture or fail with a one-line reason (:class:`FileError`); nothing else may escape.

Why it is cheap: a 12 MP JPEG is never fully decoded to make a small model input. JPEG "draft"
mode lets libjpeg scale by 1/2, 1/4 or 1/8 in the DCT domain, so we ask for the smallest scale
whose shorter side still covers the size the model needs.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import os
import stat
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from .errors import FileError

try:  # HEIC/HEIF from phones; Pillow has no decoder of its own.
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIF_AVAILABLE = True
except ImportError:  # pragma: no cover - pillow-heif is a dependency, but keep working without it
    HEIF_AVAILABLE = False

# rawpy (LibRaw) and PyAV (FFmpeg) are dependencies, found here but imported where a RAW or a video is decoded: they
# cost about 0.2 s to import, which commands that only read the catalog (stats, dupes, search) never pay. Without
# them RAW files and videos are skipped as before.
RAW_AVAILABLE = importlib.util.find_spec("rawpy") is not None
VIDEO_AVAILABLE = importlib.util.find_spec("av") is not None  # decoded in engine.videos

SUPPORTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "BMP", "GIF", "TIFF", "HEIF", "MPO"})
IMAGE_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".webp", ".bmp", ".dib", ".gif", ".tif", ".tiff",
     ".heic", ".heif", ".hif"}
)
# Camera RAW files: most are TIFF inside, so Pillow would take them for TIFFs; LibRaw reads them (decode_raw).
RAW_EXTENSIONS = frozenset({".cr2", ".cr3", ".crw", ".nef", ".nrw", ".arw", ".srf", ".sr2", ".dng", ".orf", ".rw2", ".raf",
                            ".pef", ".srw", ".x3f", ".3fr", ".iiq", ".erf", ".kdc", ".mos", ".mrw", ".raw"})
# A RAW's embedded JPEG preview is hashed when its long side is at least this (no demosaic: fast); a smaller one
# (a 160-px thumbnail) is not enough to tell copies apart, and the RAW is demosaiced at half size instead.
RAW_PREVIEW_MIN_SIDE = 1024
VIDEO_EXTENSIONS = frozenset({".mp4", ".mov", ".avi", ".mkv", ".m4v", ".3gp", ".mts", ".m2ts", ".webm", ".wmv"})
# Names skipped without being opened. Every other name that is not an image's is sniffed (16 bytes): a photo saved
# as "x.svg" or "x.txt" is still a photo. A .thm is a camera's JPEG thumbnail of a video, not a photo of its own.
# Videos are found by their names alone (and left out when a scan is asked to): they are large and, in a cloud folder
# (OneDrive, iCloud), opening an online-only one downloads all of it.
UNSNIFFED_EXTENSIONS = VIDEO_EXTENSIONS | {".thm"}
MAX_FILE_BYTES = 2 << 30  # 2 GiB: beyond any photo within MAX_PIXELS; a bound on what one read may hold
_OPEN_FLAGS = getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
_KINDS = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"),
          (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder"))
# Folders that hold caches or system files, never the user's photos.
SYSTEM_FOLDERS = frozenset(
    {"@eaDir", "#recycle", "$RECYCLE.BIN", "System Volume Information", "lost+found", "__MACOSX",
     ".thumbnails", ".cache", ".git", ".Trash", ".Trashes", ".Spotlight-V100", ".fseventsd"}
)
# Pillow's own default bomb limit: about 179 MP (a 16k × 11k image). Larger is refused, not decoded.
MAX_PIXELS = 178_956_970
EXIF_DATETIME_ORIGINAL = 0x9003
EXIF_DATETIME = 0x0132
EXIF_SUBSEC_ORIGINAL = 0x9291  # the fraction of a second of DateTimeOriginal: tells a burst's frames apart
EXIF_SUBSEC = 0x9290  # ... of DateTime
EXIF_IFD = 0x8769
EXIF_ORIENTATION = 0x0112
EXIF_MAKE = 0x010F
EXIF_MODEL = 0x0110
EXIF_GPS_IFD = 0x8825
EXIF_GPS_LATITUDE = 2

# We check sizes ourselves before decoding, with a clear reason; Pillow's own check would raise a
# different error (or only warn) and is switched off so it cannot disagree with ours.
Image.MAX_IMAGE_PIXELS = None


@dataclass(frozen=True, slots=True)
class FileEntry:
    """A candidate photo found by :func:`walk`: absolute path with the size and mtime the walk saw."""

    path: str
    size: int
    mtime_ns: int


@dataclass(frozen=True, slots=True)
class DecodedImage:
    image: Image.Image  # RGB, oriented; may be reduced by JPEG draft, never below the min_side asked
    width: int  # full-resolution size after orientation (what the user sees)
    height: int
    format: str  # as detected from the content, e.g. "JPEG" for a JPEG named .png
    content_hash: str  # BLAKE2b-128 of the file bytes, hex
    size: int  # bytes
    captured_at: str | None  # EXIF DateTimeOriginal (else DateTime), ISO 8601 (with SubSecTime's fraction), or None
    camera: str | None = None  # EXIF Make and Model, e.g. "Canon EOS R6"
    has_gps: bool = False  # EXIF carries a GPS position


def content_hash(data: bytes) -> str:
    """Fast content fingerprint for finding exact copies (BLAKE2b, 128 bits)."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def looks_like_image(head: bytes) -> bool:
    """Cheap signature check on the first 16 bytes, for files whose extension says nothing."""
    return (
        head.startswith(b"\xff\xd8\xff")
        or head.startswith(b"\x89PNG\r\n\x1a\n")
        or head.startswith((b"GIF87a", b"GIF89a"))
        or (head.startswith(b"RIFF") and head[8:12] == b"WEBP")
        or head.startswith(b"BM")
        or head.startswith((b"II*\x00", b"MM\x00*"))
        or (head[4:8] == b"ftyp" and head[8:12] in {b"heic", b"heix", b"mif1", b"msf1", b"heif", b"hevc", b"avif"})
    )


def is_raw(path: str) -> bool:
    """Named as a camera RAW (LibRaw reads it, never Pillow)."""
    return os.path.splitext(path)[1].lower() in RAW_EXTENSIONS


def is_video(path: str) -> bool:
    """Named as a video (engine.videos reads it, never as a photo)."""
    return os.path.splitext(path)[1].lower() in VIDEO_EXTENSIONS


def _is_candidate(path: str, name: str, videos: bool = True) -> bool:
    ext = os.path.splitext(name)[1].lower()
    if ext in IMAGE_EXTENSIONS or (ext in RAW_EXTENSIONS and RAW_AVAILABLE):
        return True
    if ext in VIDEO_EXTENSIONS:
        return videos and VIDEO_AVAILABLE
    if ext in UNSNIFFED_EXTENSIONS:
        return False
    return _sniff(path)


def _sniff(path: str) -> bool:
    """Whether a file's first 16 bytes are an image signature; opened non-blocking, so a FIFO answers no at once."""
    try:
        fd = os.open(path, os.O_RDONLY | _OPEN_FLAGS)
    except OSError:
        return False
    try:
        return stat.S_ISREG(os.fstat(fd).st_mode) and looks_like_image(os.read(fd, 16))
    except OSError:
        return False
    finally:
        os.close(fd)


def _kind(mode: int) -> str:
    """What a file that is not a regular file is, for a one-line reason."""
    return next((name for test, name in _KINDS if test(mode)), "a special file")


def _skip_folder(name: str, include_hidden: bool) -> bool:
    if include_hidden:
        return False
    return name.startswith(".") or name in SYSTEM_FOLDERS or name.startswith(".Trash-")


def walk(roots: Iterable[str | os.PathLike[str]], *, include_hidden: bool = False,
         videos: bool = True) -> Iterator[FileEntry | FileError]:
    """Yield candidate photos (and, with ``videos``, videos) under the roots (a root may be a single file), in name
    order.

    Symbolic links are followed, but every folder is entered once (by device and inode), so link
    loops end. Hidden entries and system folders (thumbnail caches, recycle bins) are skipped
    unless ``include_hidden``. A folder that cannot be listed yields a :class:`FileError` and the
    walk goes on.
    """
    visited: set[tuple[int, int]] = set()
    for root in roots:
        root = os.path.abspath(os.fspath(root))
        try:
            st = os.stat(root)
        except FileNotFoundError:
            yield FileError(root, "no such file or folder")
            continue
        except OSError as exc:
            yield FileError(root, f"cannot read ({exc.strerror})")
            continue
        if stat.S_ISDIR(st.st_mode):
            yield from _walk_folder(root, st, include_hidden, visited, videos)
        elif not stat.S_ISREG(st.st_mode):
            yield FileError(root, f"not a regular file ({_kind(st.st_mode)})")  # asked for by name: say why not
        elif _is_candidate(root, os.path.basename(root), videos):
            yield FileEntry(root, st.st_size, st.st_mtime_ns)


def _walk_folder(folder: str, st: os.stat_result, include_hidden: bool, visited: set,
                 videos: bool) -> Iterator[FileEntry | FileError]:
    key = (st.st_dev, st.st_ino)
    if key in visited:
        return
    visited.add(key)
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
    except FileNotFoundError:
        yield FileError(folder, "folder not found (it vanished during the scan)")
        return
    except PermissionError:
        yield FileError(folder, "permission denied (cannot list folder)")
        return
    except OSError as exc:
        yield FileError(folder, f"cannot list folder ({exc.strerror})")
        return
    for entry in entries:
        if not include_hidden and entry.name.startswith("."):
            continue
        try:
            is_dir = entry.is_dir()  # follows symlinks
            is_file = not is_dir and entry.is_file()
        except OSError:
            continue
        if is_dir:
            if _skip_folder(entry.name, include_hidden):
                continue
            try:
                sub = entry.stat()
            except OSError as exc:
                yield FileError(entry.path, f"cannot read folder ({exc.strerror})")
                continue
            yield from _walk_folder(entry.path, sub, include_hidden, visited, videos)
        elif is_file:
            if not _is_candidate(entry.path, entry.name, videos):
                continue
            try:
                est = entry.stat()
            except OSError:
                continue  # vanished between listing and stat
            yield FileEntry(entry.path, est.st_size, est.st_mtime_ns)
        elif os.path.splitext(entry.name)[1].lower() in IMAGE_EXTENSIONS:
            # Named like a photo but not a file: a dangling link, a FIFO, a device. Said once, never opened.
            try:
                target = entry.stat()
            except OSError:
                yield FileError(entry.path, "broken symbolic link" if entry.is_symlink() else "cannot read")
                continue
            yield FileError(entry.path, f"not a regular file ({_kind(target.st_mode)})")


def open_regular_file(path: str | os.PathLike[str]) -> io.BufferedReader:
    """A regular file opened for reading, else :class:`FileError` with the reason. Opening a FIFO would wait forever
    for a writer, so it is opened non-blocking and the open descriptor is looked at before any read."""
    path = os.fspath(path)
    try:
        fd = os.open(path, os.O_RDONLY | _OPEN_FLAGS)
    except FileNotFoundError:
        raise FileError(path, "no such file (moved or deleted)") from None
    except IsADirectoryError:
        raise FileError(path, "is a folder, not a file") from None
    except PermissionError:
        raise FileError(path, "permission denied") from None
    except OSError as exc:
        raise FileError(path, f"cannot read ({exc.strerror or exc})") from None
    try:
        st = os.fstat(fd)  # the file that was opened, not whatever the name points to by now
    except OSError as exc:
        os.close(fd)
        raise FileError(path, f"cannot read ({exc.strerror or exc})") from None
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        if stat.S_ISDIR(st.st_mode):
            raise FileError(path, "is a folder, not a file")
        raise FileError(path, f"not a regular file ({_kind(st.st_mode)})")
    return os.fdopen(fd, "rb")


def hash_file(path: str | os.PathLike[str]) -> str:
    """:func:`content_hash` of a file of any size, read a piece at a time (a video may be larger than memory)."""
    digest = hashlib.blake2b(digest_size=16)
    with open_regular_file(path) as fh:
        try:
            while piece := fh.read(1 << 22):
                digest.update(piece)
        except OSError as exc:
            raise FileError(os.fspath(path), f"cannot read ({exc.strerror or exc})") from None
    return digest.hexdigest()


def read_regular_file(path: str | os.PathLike[str], limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes, else :class:`FileError` with the reason.

    Every path that comes in goes through here (or :func:`open_regular_file`): a FIFO would block the read, and
    /dev/zero would be read until memory runs out."""
    path = os.fspath(path)
    with open_regular_file(path) as fh:
        st = os.fstat(fh.fileno())
        if st.st_size > limit:
            raise FileError(path, f"too large ({st.st_size:,} bytes; the limit is {limit:,})")
        try:
            # sized to the file, not to the limit: read(limit + 1) asks for 2 GiB up front for every photo
            data = fh.read(st.st_size + 1)
            while len(data) <= limit and (more := fh.read(1 << 20)):  # the file grew since fstat
                data += more
        except OSError as exc:
            raise FileError(path, f"cannot read ({exc.strerror or exc})") from None
    if len(data) > limit:
        raise FileError(path, f"too large (more than the limit of {limit:,} bytes)")
    return data


_JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})
_JPEG_HUFFMAN_SOF = frozenset({0xC0, 0xC1, 0xC2})  # baseline, extended, progressive
_JPEG_OTHER_SOF = frozenset({0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})


def _jpeg_claim(data: bytes) -> tuple[int, int, int, int] | None:
    """(width, height, least bits of coded data a JPEG of that size needs, bytes from the first scan on), or None.

    Why the least bits is a hard floor: a Huffman-coded JPEG codes every 8×8 block's DC coefficient with a code of at
    least one bit, and a sequential one also ends every block's AC run with at least one bit (EOB or the 63rd
    coefficient). So a file whose scan data is shorter cannot hold the picture its header claims, however flat.
    Arithmetic-coded, lossless and hierarchical JPEGs (rare) get no floor: None, as for anything not understood.
    """
    i, n, sof = 2, len(data), None
    for _ in range(1000):  # a real header has a few dozen segments; do not walk a hostile file for ever
        if i + 4 > n or data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in _JPEG_STANDALONE:
            i += 2
            continue
        length = int.from_bytes(data[i + 2:i + 4], "big")
        if length < 2 or marker == 0xD9 or marker in _JPEG_OTHER_SOF:
            return None  # broken, ended before a scan, or a coding the floor below does not hold for
        if marker in _JPEG_HUFFMAN_SOF and sof is None:
            sof = (marker, data[i + 4:i + 2 + length])
        elif marker == 0xDA:
            return _jpeg_floor(sof, n - (i + 2 + length)) if sof else None
        i += 2 + length
    return None


def _jpeg_floor(sof: tuple[int, bytes], scan_bytes: int) -> tuple[int, int, int, int] | None:
    marker, body = sof
    if len(body) < 6:
        return None
    height, width, count = int.from_bytes(body[1:3], "big"), int.from_bytes(body[3:5], "big"), body[5]
    comps = [(body[7 + 3 * k] >> 4, body[7 + 3 * k] & 15) for k in range(count) if 8 + 3 * k <= len(body)]
    if not width or not height or not comps or len(comps) != count or not all(h and v for h, v in comps):
        return None  # height 0 (set later by a DNL marker) or a malformed header: Pillow decides
    hmax, vmax = max(h for h, _ in comps), max(v for _, v in comps)
    blocks = [_ceil_div(_ceil_div(width * h, hmax), 8) * _ceil_div(_ceil_div(height * v, vmax), 8) for h, v in comps]
    # Sequential: every component is coded, two bits a block at least. Progressive: a partial file of DC scans is
    # still a picture, so count one component's DC bits only.
    bits = 2 * sum(blocks) if marker != 0xC2 else max(blocks)
    return width, height, bits, scan_bytes


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."


def _capture_time(img: Image.Image) -> str | None:
    """EXIF DateTimeOriginal (else DateTime) as ISO 8601, with its fraction of a second where the camera wrote one
    ("2024-06-01T10:00:01.23"): the frames of a burst share the second."""
    try:
        exif = img.getexif()
        ifd = exif.get_ifd(EXIF_IFD)
        value, subsec = ifd.get(EXIF_DATETIME_ORIGINAL), ifd.get(EXIF_SUBSEC_ORIGINAL)
        if not value:
            value, subsec = exif.get(EXIF_DATETIME), ifd.get(EXIF_SUBSEC)
    except Exception:  # a broken EXIF block must not cost us the picture  # noqa: BLE001
        return None
    return _iso_time(value, subsec)


def _iso_time(value, subsec) -> str | None:
    """An EXIF date ("2024:06:01 10:00:01") and its fraction of a second as ISO 8601; None if it is not one."""
    if not isinstance(value, str) or len(value) < 19:
        return None
    date, _, time = value.strip("\x00 ")[:19].partition(" ")
    parts = date.split(":")
    if len(parts) != 3 or not all(p.isdigit() for p in parts) or parts[0] == "0000" or len(time) != 8:
        return None
    fraction = subsec.strip("\x00 ") if isinstance(subsec, str) else ""
    fraction = f".{fraction}" if fraction.isdigit() and len(fraction) <= 9 else ""
    return f"{parts[0]}-{parts[1]}-{parts[2]}T{time}{fraction}"


def _camera_and_gps(img: Image.Image) -> tuple[str | None, bool]:
    """EXIF Make + Model, and whether a GPS position is recorded: the keeper rules prefer the copy that kept them."""
    try:
        exif = img.getexif()
        make = str(exif.get(EXIF_MAKE) or "").strip("\x00 ")
        model = str(exif.get(EXIF_MODEL) or "").strip("\x00 ")
        gps = exif.get_ifd(EXIF_GPS_IFD)
        has_gps = bool(gps) and EXIF_GPS_LATITUDE in gps
    except Exception:  # a broken EXIF block must not cost us the picture  # noqa: BLE001
        return None, False
    if model.lower().startswith(make.lower()):
        make = ""  # "Canon" + "Canon EOS R6" reads once
    camera = " ".join(p for p in (make, model) if p)[:120]
    return camera or None, has_gps


def _to_rgb(img: Image.Image) -> Image.Image:
    """Every mode to 8-bit RGB in one place; transparency is composited over white."""
    if img.mode == "RGB":
        return img
    if img.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        # 16-bit greyscale: scale to 8 bits (>> 8); converting straight to L would clip at 255.
        import numpy as np

        arr = np.asarray(img, dtype=np.uint32 if img.mode == "I" else np.uint16)
        shift = 8 if arr.max(initial=0) > 255 or img.mode != "I" else 0
        img = Image.fromarray((arr >> shift).clip(0, 255).astype(np.uint8))
    elif img.mode == "F":
        import numpy as np

        arr = np.asarray(img, dtype=np.float32)
        top = float(arr.max(initial=1.0)) or 1.0
        img = Image.fromarray((arr / top * 255).clip(0, 255).astype(np.uint8))
    if img.mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return img.convert("RGB")


def read_image(
    path: str | os.PathLike[str], *, min_side: int | None = None, max_pixels: int = MAX_PIXELS
) -> DecodedImage:
    """Read a photo once (its bytes are hashed and decoded from memory) and return it as RGB.

    ``min_side``: the shorter side the caller needs; JPEGs are decoded at the smallest DCT scale
    that still gives it. Raises :class:`FileError` with a one-line reason, and nothing else.
    """
    path = os.fspath(path)
    return decode_image(read_regular_file(path), path, min_side=min_side, max_pixels=max_pixels)


def decode_image(
    data: bytes, name: str, *, min_side: int | None = None, max_pixels: int = MAX_PIXELS
) -> DecodedImage:
    """Decode a photo already in memory (e.g. a member of a zip); ``name`` is used in error messages.

    Same rules and errors as :func:`read_image`.
    """
    path = name
    if not data:
        raise FileError(path, "empty file")
    if is_raw(name):
        return decode_raw(data, name, min_side=min_side, max_pixels=max_pixels)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            img = Image.open(io.BytesIO(data))
            fmt = img.format or "unknown"
            if fmt not in SUPPORTED_FORMATS:
                raise FileError(path, f"unsupported image format {fmt}")
            width, height = img.size
            if width <= 0 or height <= 0:
                raise FileError(path, "image has zero size")
            if width * height > max_pixels:
                raise FileError(
                    path,
                    f"decompression bomb: {width}×{height} = {width * height:,} pixels exceeds the limit of "
                    f"{max_pixels:,}",
                )
            if fmt in ("JPEG", "MPO"):
                claim = _jpeg_claim(data)
                if claim is not None and claim[3] * 8 < claim[2]:
                    # libjpeg only warns and pads the missing blocks with grey: the "photo" would keep the size its
                    # header claims and win the resolution keeper rule over the real one.
                    raise FileError(path, f"truncated or corrupt image data (header claims {claim[0]}×{claim[1]}, "
                                          "too few bytes for that)")
            captured_at = _capture_time(img)
            camera, has_gps = _camera_and_gps(img)
            orientation = img.getexif().get(EXIF_ORIENTATION, 1)
            if fmt in ("JPEG", "MPO") and min_side:
                # draft picks a scale whose result is at least the requested size on both sides.
                scale = min(width, height) / min_side
                if scale >= 2:
                    img.draft("RGB", (max(1, int(width / scale)), max(1, int(height / scale))))
            img.seek(0)
            img.load()
            img = _to_rgb(img)
            img = _orient(img, orientation)
    except FileError:
        raise
    except UnidentifiedImageError:
        raise FileError(path, "not an image (unrecognised content)") from None
    except MemoryError:
        raise FileError(path, "not enough memory to decode this image") from None
    except (OSError, SyntaxError, ValueError, TypeError, IndexError, KeyError, EOFError, ZeroDivisionError) as exc:
        raise FileError(path, f"truncated or corrupt image data ({_short(exc)})") from None
    except Exception as exc:  # a decoder bug on a hostile file: still one line, never a traceback  # noqa: BLE001
        raise FileError(path, f"cannot decode ({type(exc).__name__}: {_short(exc)})") from None
    if orientation in (5, 6, 7, 8):
        width, height = height, width
    return DecodedImage(img, width, height, fmt, content_hash(data), len(data), captured_at, camera, has_gps)


# LibRaw's "flip" (the camera's orientation sensor) as an EXIF orientation: 3 half turn, 5 and 6 quarter turns
_RAW_FLIP = {0: 1, 3: 3, 5: 8, 6: 6}


def decode_raw(data: bytes, name: str, *, min_side: int | None = None, max_pixels: int = MAX_PIXELS) -> DecodedImage:
    """A camera RAW photo as RGB: its embedded JPEG preview where it is large enough (no demosaic; cameras write
    one of 1,600 px and more), else LibRaw's half-size demosaic; turned as the camera's orientation sensor says. The
    size reported is the sensor image's (the keeper rules weigh a RAW by its own pixels, not its preview's); the
    capture time comes from LibRaw, the camera and GPS from the RAW's EXIF. Same errors as :func:`decode_image`."""
    path = name
    try:
        import rawpy
    except ImportError:  # pragma: no cover - rawpy is a dependency
        raise FileError(path, "camera RAW photos need rawpy (pip install rawpy)") from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with rawpy.imread(io.BytesIO(data)) as raw:
                sizes = raw.sizes
                width, height = sizes.width, sizes.height
                if width <= 0 or height <= 0:
                    raise FileError(path, "image has zero size")
                if width * height > max_pixels:
                    raise FileError(path, f"decompression bomb: {width}×{height} = {width * height:,} pixels "
                                          f"exceeds the limit of {max_pixels:,}")
                orientation = _RAW_FLIP.get(sizes.flip, 1)
                preview = _raw_preview(raw, min_side)
                if preview is None:  # demosaiced: LibRaw turns it itself
                    img = Image.fromarray(raw.postprocess(half_size=True, use_camera_wb=True, output_bps=8))
                else:
                    img = _orient(_to_rgb(preview), orientation)
            captured_at, camera, has_gps = _raw_exif(data)
            if preview is not None and (captured_at is None or camera is None):  # a CIFF RAW (.crw): the preview's
                captured_at = captured_at or _capture_time(preview)
                camera = camera or _camera_and_gps(preview)[0]
    except FileError:
        raise
    except MemoryError:
        raise FileError(path, "not enough memory to decode this image") from None
    except (rawpy.LibRawFileUnsupportedError, rawpy.NotSupportedError):
        raise FileError(path, "not a RAW photo LibRaw can read (unsupported or unrecognised content)") from None
    except (rawpy.LibRawError, OSError, ValueError, TypeError, IndexError, KeyError, EOFError) as exc:
        raise FileError(path, f"truncated or corrupt RAW data ({_short(exc)})") from None
    except Exception as exc:  # a decoder bug on a hostile file: still one line, never a traceback  # noqa: BLE001
        raise FileError(path, f"cannot decode ({type(exc).__name__}: {_short(exc)})") from None
    if orientation in (5, 6, 7, 8):
        width, height = height, width
    fmt = os.path.splitext(name)[1].lstrip(".").upper() or "RAW"
    return DecodedImage(img, width, height, fmt, content_hash(data), len(data), captured_at, camera, has_gps)


def _raw_preview(raw, min_side: int | None) -> Image.Image | None:
    """The RAW's embedded JPEG preview, decoded, when its long side is at least RAW_PREVIEW_MIN_SIDE (and its short
    side ``min_side``); else None."""
    import rawpy  # loaded by decode_raw, the only caller

    try:
        thumb = raw.extract_thumb()
    except (rawpy.LibRawNoThumbnailError, rawpy.LibRawUnsupportedThumbnailError):
        return None
    if thumb.format == rawpy.ThumbFormat.JPEG:
        preview = Image.open(io.BytesIO(thumb.data))
    elif thumb.format == rawpy.ThumbFormat.BITMAP:
        preview = Image.fromarray(thumb.data)
    else:
        return None
    if max(preview.size) < RAW_PREVIEW_MIN_SIDE or (min_side and min(preview.size) < min_side):
        return None
    if preview.format == "JPEG" and min_side and min(preview.size) >= 2 * min_side:
        scale = min(preview.size) / min_side  # decoded at the smallest DCT scale that still gives min_side
        preview.draft("RGB", (max(1, int(preview.width / scale)), max(1, int(preview.height / scale))))
    preview.load()
    return preview


def _raw_exif(data: bytes) -> tuple[str | None, str | None, bool]:
    """The capture time (ISO 8601, with the camera's fraction of a second), the camera (Make + Model) and whether GPS
    is recorded, from a TIFF-based RAW's EXIF (exifread: LibRaw's own capture time costs an unpack of the sensor
    data, 70 ms a photo). Unknown where it cannot be read."""
    try:
        import exifread

        tags = exifread.process_file(io.BytesIO(data), details=False)  # values as the EXIF writes them
    except Exception:  # a broken EXIF block must not cost us the picture  # noqa: BLE001
        return None, None, False
    make = str(tags.get("Image Make") or "").strip("\x00 ")
    model = str(tags.get("Image Model") or "").strip("\x00 ")
    if model.lower().startswith(make.lower()):
        make = ""
    camera = " ".join(p for p in (make, model) if p)[:120]
    original = tags.get("EXIF DateTimeOriginal")
    captured_at = _iso_time(str(original or tags.get("Image DateTime") or ""),
                            str(tags.get("EXIF SubSecTimeOriginal" if original else "EXIF SubSecTime") or ""))
    return captured_at, camera or None, "GPS GPSLatitude" in tags


_TRANSPOSE = {
    2: (Image.Transpose.FLIP_LEFT_RIGHT,),
    3: (Image.Transpose.ROTATE_180,),
    4: (Image.Transpose.FLIP_TOP_BOTTOM,),
    5: (Image.Transpose.TRANSPOSE,),
    6: (Image.Transpose.ROTATE_270,),
    7: (Image.Transpose.TRANSVERSE,),
    8: (Image.Transpose.ROTATE_90,),
}


def _orient(img: Image.Image, orientation: int) -> Image.Image:
    for op in _TRANSPOSE.get(orientation, ()):
        img = img.transpose(op)
    return img
