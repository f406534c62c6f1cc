"""Metadata carried to the keeper: what the copies going to the trash knew that the photo that stays does not.

The copy a user trashes is often the one that kept the capture date, the GPS position or the keywords (an export
strips them; the phone's copy has GPS where the camera's has none). Immich carries albums and ratings to the copy
that stays; Apple Photos merges metadata when it merges duplicates. We write what the keeper lacks to its XMP
sidecar, the file darktable, digiKam and Lightroom read beside a photo, and never to the photo itself: its bytes
are the ones the catalog scanned and hashed, and a photo rewritten by us could be damaged by us.

Reading never fails: a photo that cannot be read has empty metadata (this runs on files about to be trashed).
Writing keeps everything an existing sidecar holds (other namespaces, a darktable history) and replaces the file
atomically. Every write is journaled in the catalog *before* it happens, with the bytes it replaces
(:meth:`Catalog.sidecar_intend`), so the trash batch's undo puts the sidecar back, also after a crash, and never
clobbers a sidecar edited since.
"""

from __future__ import annotations

import io
import math
import os
import re
import stat
import xml.etree.ElementTree as ET
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from .catalog import Catalog
from .errors import FileError, printable
from .images import EXIF_IFD, _iso_time, content_hash, is_raw, read_regular_file

# -- namespaces -----------------------------------------------------------------------------------------------------

X = "adobe:ns:meta/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XML = "http://www.w3.org/XML/1998/namespace"
XMP = "http://ns.adobe.com/xap/1.0/"
DC = "http://purl.org/dc/elements/1.1/"
EXIF = "http://ns.adobe.com/exif/1.0/"
TIFF = "http://ns.adobe.com/tiff/1.0/"
AUX = "http://ns.adobe.com/exif/1.0/aux/"
EXIF_EX = "http://cipa.jp/exif/1.0/"
PHOTOSHOP = "http://ns.adobe.com/photoshop/1.0/"
# The prefixes a new declaration gets (a sidecar's own prefixes are kept as they are).
PREFIXES = {X: "x", RDF: "rdf", XMP: "xmp", DC: "dc", EXIF: "exif", TIFF: "tiff", AUX: "aux", EXIF_EX: "exifEX",
            PHOTOSHOP: "photoshop"}


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


RDF_RDF, RDF_DESCRIPTION, RDF_LI = _q(RDF, "RDF"), _q(RDF, "Description"), _q(RDF, "li")
RDF_BAG, RDF_SEQ, RDF_ALT = _q(RDF, "Bag"), _q(RDF, "Seq"), _q(RDF, "Alt")
RDF_ABOUT, RDF_RESOURCE, RDF_PARSE_TYPE = _q(RDF, "about"), _q(RDF, "resource"), _q(RDF, "parseType")
XML_LANG = _q(XML, "lang")

# EXIF tags beyond those engine.images reads
EXIF_GPS_IFD = 0x8825
EXIF_DATETIME_DIGITIZED = 0x9004
EXIF_SUBSEC_DIGITIZED = 0x9292
EXIF_OFFSET_ORIGINAL = 0x9011
EXIF_OFFSET_DIGITIZED = 0x9012
EXIF_LENS_MODEL = 0xA434
EXIF_MAKE, EXIF_MODEL = 0x010F, 0x0110
EXIF_IMAGE_DESCRIPTION = 0x010E
EXIF_RATING = 0x4746  # Windows' star rating (0-5)
IPTC_OBJECT_NAME, IPTC_KEYWORDS, IPTC_CAPTION = (2, 5), (2, 25), (2, 120)

MAX_TEXT = 2000  # a longer "title" is not one a person wrote; it is cut, not refused
# Descriptions cameras write on their own ("OLYMPUS DIGITAL CAMERA", "SONY DSC"): not a description to carry.
_CAMERA_DESCRIPTION = re.compile(r"^[A-Z0-9 _.-]*(DIGITAL CAMERA|DSC|CAMERA|DIGITAL IMAGE)[A-Z0-9 _.-]*$|^default$")
_XMP_DATE = re.compile(r"^\d{4}(-\d\d(-\d\d(T\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)?)?)?)?$")
_EXIF_STYLE_DATE = re.compile(r"^(\d{4}):(\d\d):(\d\d) (\d\d:\d\d:\d\d)(\.\d+)?$")  # darktable writes these in XMP
_XMP_COORDINATE = re.compile(r"^(\d{1,3})(?:,(\d{1,2}(?:\.\d+)?))?(?:,(\d{1,2}(?:\.\d+)?))?([NSEW])$")
_OFFSET = re.compile(r"^[+-]\d\d:\d\d$")
# What XML 1.0 cannot hold (control characters, lone surrogates): a byte of junk in a camera's lens name must not
# make the sidecar unreadable.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

# -- what a photo says about itself ---------------------------------------------------------------------------------


class GPS(NamedTuple):
    latitude: float  # degrees, north positive
    longitude: float  # degrees, east positive
    altitude: float | None = None  # metres above sea level (negative below)


@dataclass(frozen=True, slots=True)
class PhotoMetadata:
    """What a photo (its EXIF, IPTC, embedded XMP and XMP sidecar together) says about itself. Empty where it
    cannot be read: the copies read here are about to be trashed, and a broken one must not stop that."""

    path: str | None = None
    captured_at: str | None = None  # ISO 8601, with the fraction of a second and the UTC offset where recorded
    gps: GPS | None = None
    make: str | None = None
    model: str | None = None
    lens: str | None = None
    keywords: tuple[str, ...] = ()
    rating: int | None = None  # 0-5 as written (0: not rated); -1: rejected
    title: str | None = None
    description: str | None = None

    @property
    def empty(self) -> bool:
        return not any(getattr(self, f) not in (None, ()) for f in _FIELDS)


_FIELDS = ("captured_at", "gps", "make", "model", "lens", "keywords", "rating", "title", "description")
# Which source is believed first where two disagree. The sidecar always: it is what the user's tool shows and
# edits. Then, for what the camera recorded, the EXIF; for what a person wrote, the XMP (newer than IPTC).
_CAMERA_ORDER = ("sidecar", "exif", "xmp", "iptc")
_PERSON_ORDER = ("sidecar", "xmp", "iptc", "exif")
_ORDER = {"captured_at": _CAMERA_ORDER, "gps": _CAMERA_ORDER, "make": _CAMERA_ORDER, "model": _CAMERA_ORDER,
          "lens": _CAMERA_ORDER, "rating": _PERSON_ORDER, "title": _PERSON_ORDER, "description": _PERSON_ORDER}


def read_metadata(path: str | os.PathLike[str]) -> PhotoMetadata:
    """The photo's metadata from its file (EXIF, IPTC, embedded XMP) and its XMP sidecar, which adds to what the
    file holds and wins where both say something. Never raises: what cannot be read is left out."""
    path = os.fspath(path)
    try:
        file_parts = _file_parts(path)
    except Exception:  # noqa: BLE001 - a file about to be trashed may be anything; it has no metadata then
        file_parts = {}
    try:
        side = sidecar_for(path)
        data = read_regular_file(side) if os.path.exists(side) else None
        root = _parse_xmp(data) if data else None
        if root is not None:
            file_parts["sidecar"] = _from_xmp(root)
    except Exception:  # noqa: BLE001 - an unreadable sidecar adds nothing
        pass
    return _combine(path, file_parts)


def _file_metadata(path: str) -> PhotoMetadata:
    """What the photo's own file holds, without its sidecar."""
    try:
        return _combine(path, _file_parts(path))
    except Exception:  # noqa: BLE001
        return PhotoMetadata(path=path)


def _combine(path: str, parts: dict[str, dict]) -> PhotoMetadata:
    values: dict = {}
    for name, order in _ORDER.items():
        values[name] = next((parts[s][name] for s in order if s in parts and parts[s].get(name) is not None), None)
    camera = {(values["make"] or "").casefold(), (values["model"] or "").casefold(),
              f"{values['make'] or ''} {values['model'] or ''}".strip().casefold()}
    if values["description"] and values["description"].casefold() in camera:
        values["description"] = None  # a phone that writes its model as the description ("LG-H815") wrote none
    keywords: list[str] = []
    for source in ("sidecar", "xmp", "iptc"):
        keywords += parts.get(source, {}).get("keywords", ())
    return PhotoMetadata(path=path, keywords=_unique(keywords), **values)


def _unique(words) -> tuple[str, ...]:
    """Keywords once each, in order; "Beach" and "beach" are one keyword (the first spelling stays)."""
    seen, out = set(), []
    for word in words:
        key = word.casefold()
        if key not in seen:
            seen.add(key)
            out.append(word)
    return tuple(out)


def _file_parts(path: str) -> dict[str, dict]:
    """Each source's fields: {"exif": {...}, "iptc": {...}, "xmp": {...}}."""
    data = read_regular_file(path)
    parts: dict[str, dict] = {}
    packets: list[bytes] = []
    if is_raw(path):
        parts["exif"] = _exifread_fields(data)  # Pillow would take a TIFF-based RAW for a TIFF (engine.images)
    else:
        from PIL import Image, IptcImagePlugin

        try:
            with Image.open(io.BytesIO(data)) as img:
                parts["exif"] = _pillow_exif_fields(img)
                try:
                    parts["iptc"] = _iptc_fields(IptcImagePlugin.getiptcinfo(img) or {})
                except Exception:  # noqa: BLE001 - a broken IPTC block costs only the IPTC
                    pass
                for key in ("xmp", "XML:com.adobe.xmp"):  # a PNG's XMP may be compressed: Pillow inflates it
                    value = img.info.get(key)
                    if isinstance(value, str):
                        value = value.encode("utf-8")
                    if isinstance(value, bytes):
                        packets.append(value)
        except Exception:  # noqa: BLE001 - not a picture Pillow opens: the EXIF as exifread finds it
            parts["exif"] = _exifread_fields(data)
    packets += _embedded_packets(data)
    xmp: dict = {}
    for packet in packets:
        root = _parse_xmp(packet)
        if root is not None:
            for name, value in _from_xmp(root).items():
                if name == "keywords":
                    xmp["keywords"] = xmp.get("keywords", ()) + value
                else:
                    xmp.setdefault(name, value)
    parts["xmp"] = xmp
    return parts


def _embedded_packets(data: bytes, limit: int = 4) -> list[bytes]:
    """XMP packets found in the file's bytes: JPEG APP1, TIFF and RAW tag 700, WebP and HEIC boxes all hold one as
    plain text."""
    out, start = [], 0
    while len(out) < limit:
        begin = data.find(b"<x:xmpmeta", start)
        if begin < 0:
            begin = data.find(b"<x:xapmeta", start)
        if begin < 0:
            break
        closing = b"</" + data[begin + 1:begin + 10] + b">"  # </x:xmpmeta> or </x:xapmeta>
        end = data.find(closing, begin)
        if end < 0:
            break
        end += len(closing)
        out.append(data[begin:end])
        start = end
    if not out:  # a packet written without its x:xmpmeta wrapper
        begin = data.find(b"<rdf:RDF")
        end = data.find(b"</rdf:RDF>", begin) if begin >= 0 else -1
        if end > begin:
            out.append(data[begin:end + len(b"</rdf:RDF>")])
    return out


def _text(value, limit: int = MAX_TEXT) -> str | None:
    """A metadata string as a person reads it, or None for an empty or unreadable one."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    value = _NOT_XML.sub("", value).strip(" \t\r\n")
    return value[:limit] or None


def _rating(value) -> int | None:
    try:
        number = round(float(str(value).strip()))
    except (TypeError, ValueError, OverflowError):
        return None
    return number if -1 <= number <= 5 else None


def _pillow_exif_fields(img) -> dict:
    """The fields Pillow's EXIF reader gives (engine.images reads the capture time and camera the same way)."""
    out: dict = {}
    exif = img.getexif()
    ifd = exif.get_ifd(EXIF_IFD)
    for value_tag, subsec_tag, offset_tag in ((0x9003, 0x9291, EXIF_OFFSET_ORIGINAL),
                                              (EXIF_DATETIME_DIGITIZED, EXIF_SUBSEC_DIGITIZED, EXIF_OFFSET_DIGITIZED)):
        when = _iso_time(ifd.get(value_tag), ifd.get(subsec_tag))
        if when:
            out["captured_at"] = _with_offset(when, ifd.get(offset_tag))
            break
    out["make"], out["model"] = _text(exif.get(EXIF_MAKE), 120), _text(exif.get(EXIF_MODEL), 120)
    out["lens"] = _text(ifd.get(EXIF_LENS_MODEL), 200)
    out["rating"] = _rating(exif.get(EXIF_RATING)) if exif.get(EXIF_RATING) is not None else None
    out["description"] = _description(exif.get(EXIF_IMAGE_DESCRIPTION))
    gps = exif.get_ifd(EXIF_GPS_IFD)
    if gps:
        out["gps"] = _gps(gps.get(1), gps.get(2), gps.get(3), gps.get(4), gps.get(5), gps.get(6))
    return out


def _exifread_fields(data: bytes) -> dict:
    """The fields exifread gives: RAW files, and anything Pillow does not open."""
    import exifread

    tags = exifread.process_file(io.BytesIO(data), details=False)

    def value(name):
        tag = tags.get(name)
        return None if tag is None else tag.values

    out: dict = {}
    for prefix, suffix in (("EXIF", "Original"), ("Image", "Original"), ("EXIF", "Digitized")):
        when = _iso_time(str(value(f"{prefix} DateTime{suffix}") or ""), str(value(f"EXIF SubSecTime{suffix}") or ""))
        if when:
            out["captured_at"] = _with_offset(when, value(f"EXIF OffsetTime{suffix}"))
            break
    out["make"], out["model"] = _text(value("Image Make"), 120), _text(value("Image Model"), 120)
    out["lens"] = _text(value("EXIF LensModel"), 200)
    rating = value("Image Rating")
    out["rating"] = _rating(rating[0] if isinstance(rating, list) and rating else rating) if rating else None
    out["description"] = _description(value("Image ImageDescription"))
    altitude_ref = value("GPS GPSAltitudeRef")
    out["gps"] = _gps(value("GPS GPSLatitudeRef"), value("GPS GPSLatitude"), value("GPS GPSLongitudeRef"),
                      value("GPS GPSLongitude"), altitude_ref[0] if isinstance(altitude_ref, list) and altitude_ref
                      else altitude_ref, value("GPS GPSAltitude"))
    return out


def _with_offset(when: str, offset) -> str:
    offset = _text(offset, 10)
    return f"{when}{offset}" if offset and _OFFSET.match(offset) else when


def _description(value) -> str | None:
    text = _text(value)
    return None if text is None or _CAMERA_DESCRIPTION.match(text) else text


def _number(value) -> float | None:
    """A rational, an int or a float as a finite float (an EXIF 0/0 is "not recorded")."""
    try:
        if isinstance(value, (list, tuple)):
            value = value[0]
        number = float(value)
    except (TypeError, ValueError, ZeroDivisionError, IndexError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _degrees(parts) -> float | None:
    if not isinstance(parts, (list, tuple)) or not parts:
        return None
    numbers = [_number(p) for p in list(parts)[:3]]
    if any(n is None for n in numbers):
        return None
    numbers += [0.0] * (3 - len(numbers))
    return numbers[0] + numbers[1] / 60 + numbers[2] / 3600


def _ref(value) -> str:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    if isinstance(value, (list, tuple)) and value:
        value = value[0]
    return str(value or "").strip("\x00 ").upper()


def _gps(lat_ref, lat, lon_ref, lon, alt_ref, alt) -> GPS | None:
    """A position from EXIF's degrees/minutes/seconds and N/S, E/W; None where it is not a position (0/0 values,
    out of range, or exactly 0,0: a receiver with no fix)."""
    latitude, longitude = _degrees(lat), _degrees(lon)
    if latitude is None or longitude is None:
        return None
    if _ref(lat_ref) == "S":
        latitude = -latitude
    if _ref(lon_ref) == "W":
        longitude = -longitude
    if abs(latitude) > 90 or abs(longitude) > 180 or (latitude == 0 and longitude == 0):
        return None
    altitude = _number(alt)
    if altitude is not None and _ref(alt_ref) in ("1", "\x01"):  # below sea level
        altitude = -altitude
    return GPS(latitude, longitude, altitude)


def _iptc_text(value) -> list[str]:
    values = value if isinstance(value, list) else [value]
    out = []
    for item in values:
        if isinstance(item, bytes):
            try:
                item = item.decode("utf-8")
            except UnicodeDecodeError:
                item = item.decode("latin-1")
        text = _text(item)
        if text:
            out.append(text)
    return out


def _iptc_fields(info: dict) -> dict:
    out: dict = {"keywords": tuple(_iptc_text(info.get(IPTC_KEYWORDS, [])))}
    for name, key in (("title", IPTC_OBJECT_NAME), ("description", IPTC_CAPTION)):
        texts = _iptc_text(info.get(key, []))
        out[name] = texts[0] if texts else None
    return out


# -- XMP: reading ---------------------------------------------------------------------------------------------------


def _parse_xmp(data: bytes | None) -> ET.Element | None:
    """The packet's root element, or None where it is not well-formed XML. A DOCTYPE has no place in XMP and
    could expand entities without bound: refused."""
    if not data or b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        return None
    try:
        return ET.fromstring(data.strip(b"\x00 \t\r\n"))
    except (ET.ParseError, ValueError):
        return None


def _descriptions(root: ET.Element) -> list[ET.Element]:
    out = []
    for rdf in root.iter(RDF_RDF):
        out += rdf.findall(RDF_DESCRIPTION)
    return out


def _property_value(prop: ET.Element) -> str | list[str] | None:
    """A simple property's text, an array's items (an Alt's x-default first), or None for a struct or a link."""
    if prop.get(RDF_RESOURCE) is not None or prop.get(RDF_PARSE_TYPE) is not None:
        return None
    children = list(prop)
    if not children:
        return _text(prop.text)
    container = children[0]
    if container.tag not in (RDF_BAG, RDF_SEQ, RDF_ALT):
        return None
    items = container.findall(RDF_LI)
    if container.tag == RDF_ALT:
        items.sort(key=lambda li: li.get(XML_LANG) != "x-default")
    return [t for li in items if (t := _text(li.text))]


def _properties(root: ET.Element) -> dict[str, str | list[str]]:
    """{"{namespace}name": value} of every top-level property, in attribute form or element form."""
    out: dict = {}
    for desc in _descriptions(root):
        for key, value in desc.attrib.items():
            if not key.startswith(f"{{{RDF}}}") and (text := _text(value)) is not None:
                out.setdefault(key, text)
        for prop in desc:
            if isinstance(prop.tag, str):
                value = _property_value(prop)
                if value not in (None, []):
                    out.setdefault(prop.tag, value)
    return out


def _first(value) -> str | None:
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _xmp_date(value) -> str | None:
    """An XMP date as ISO 8601; darktable's sidecars write EXIF's "2019:06:01 10:00:05.120", read as well."""
    text = _first(value)
    if not text:
        return None
    if match := _EXIF_STYLE_DATE.match(text):
        return f"{match[1]}-{match[2]}-{match[3]}T{match[4]}{match[5] or ''}"
    return text if _XMP_DATE.match(text) else None


def _xmp_coordinate(value) -> float | None:
    """XMP's "DDD,MM,SSk" or "DDD,MM.mmk" (k: N S E W); a signed decimal is read too."""
    text = (_first(value) or "").replace(" ", "")
    match = _XMP_COORDINATE.match(text)
    if match:
        degrees = float(match[1]) + float(match[2] or 0) / 60 + float(match[3] or 0) / 3600
        return -degrees if match[4] in "SW" else degrees
    return _number(text) if text else None


def _xmp_rational(value) -> float | None:
    text = _first(value)
    if not text:
        return None
    number, _, denominator = text.partition("/")
    try:
        result = float(number) / float(denominator) if denominator else float(number)
    except (ValueError, ZeroDivisionError):
        return None
    return result if math.isfinite(result) else None


def _from_xmp(root: ET.Element) -> dict:
    props = _properties(root)

    def get(ns, name):
        return props.get(_q(ns, name))

    out: dict = {"captured_at": _xmp_date(get(EXIF, "DateTimeOriginal")) or _xmp_date(get(PHOTOSHOP, "DateCreated"))
                 or _xmp_date(get(XMP, "CreateDate"))}
    latitude, longitude = _xmp_coordinate(get(EXIF, "GPSLatitude")), _xmp_coordinate(get(EXIF, "GPSLongitude"))
    if latitude is not None and longitude is not None and abs(latitude) <= 90 and abs(longitude) <= 180 \
            and (latitude, longitude) != (0, 0):
        altitude = _xmp_rational(get(EXIF, "GPSAltitude"))
        if altitude is not None and _first(get(EXIF, "GPSAltitudeRef")) == "1":
            altitude = -altitude
        out["gps"] = GPS(latitude, longitude, altitude)
    out["make"], out["model"] = _text(_first(get(TIFF, "Make")), 120), _text(_first(get(TIFF, "Model")), 120)
    out["lens"] = _text(_first(get(EXIF_EX, "LensModel")) or _first(get(AUX, "Lens")), 200)
    rating = _first(get(XMP, "Rating"))
    out["rating"] = _rating(rating) if rating is not None else None
    out["title"] = _text(_first(get(DC, "title")))
    out["description"] = _text(_first(get(DC, "description")))
    subject = get(DC, "subject")
    out["keywords"] = tuple(subject if isinstance(subject, list) else [subject] if subject else [])
    return out


# -- what the keeper lacks ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CarriedFields:
    """What the keeper lacks that a copy had, and which copy each came from. False when there is nothing."""

    captured_at: str | None = None
    gps: GPS | None = None
    make: str | None = None
    model: str | None = None
    lens: str | None = None
    keywords: tuple[str, ...] = ()
    rating: int | None = None
    title: str | None = None
    description: str | None = None
    sources: tuple[tuple[str, str], ...] = ()  # (field name, path of the copy it came from), single-valued fields
    keyword_sources: tuple[str, ...] = ()  # the copy each keyword came from, beside ``keywords``

    def __bool__(self) -> bool:
        return any(getattr(self, f) not in (None, ()) for f in _FIELDS)

    def words(self) -> str:
        """Plain words for the UI, grouped by the copy they come from: "capture date 2019-06-01 10:00, GPS, 3
        keywords, rating ★★★★ from IMG_1 (1).jpg"."""
        by_source: dict[str, list[str]] = {}
        source = dict(self.sources)
        if self.captured_at:
            when = _date_words(self.captured_at)
            by_source.setdefault(source.get("captured_at", ""), []).append(f"capture date {when}")
        if self.gps:
            by_source.setdefault(source.get("gps", ""), []).append("GPS")
        if self.make or self.model:
            make = self.make if not (self.make and self.model and self.model.lower().startswith(self.make.lower())) \
                else None  # "Canon" + "Canon EOS R6" reads once, as engine.images writes it
            camera = " ".join(p for p in (make, self.model) if p)
            by_source.setdefault(source.get("make") or source.get("model", ""), []).append(f"camera {camera}")
        if self.lens:
            by_source.setdefault(source.get("lens", ""), []).append(f"lens {self.lens}")
        counts: dict[str, int] = {}
        for path in self.keyword_sources or [""] * len(self.keywords):
            counts[path] = counts.get(path, 0) + 1
        for path, count in counts.items():
            by_source.setdefault(path, []).append(f"{count} keyword{'s' if count != 1 else ''}")
        if self.rating is not None:
            stars = "rejected" if self.rating < 0 else "★" * self.rating if self.rating else "0 stars"
            by_source.setdefault(source.get("rating", ""), []).append(f"rating {stars}")
        if self.title:
            short = self.title if len(self.title) <= 40 else self.title[:39] + "…"
            by_source.setdefault(source.get("title", ""), []).append(f'title "{short}"')
        if self.description:
            by_source.setdefault(source.get("description", ""), []).append("description")
        if not by_source:
            return "nothing"
        return "; ".join(", ".join(parts) + (f" from {printable(os.path.basename(path))}" if path else "")
                         for path, parts in by_source.items())


def _date_words(when: str) -> str:
    """"2019-06-01T10:00:05.12+02:00" as "2019-06-01 10:00" (the date, and the time to the minute)."""
    date, _, time = when.partition("T")
    return f"{date} {time[:5]}" if time else date


def missing_on_keeper(keeper: PhotoMetadata, copies: Sequence[PhotoMetadata]) -> CarriedFields:
    """What the keeper lacks that a copy had; nothing the keeper has is replaced.

    A single field comes from the first copy (in the caller's order) that has it. The camera's make and model
    travel together, from one copy, so a make and a model of two cameras are never paired; where the keeper has one
    of them, the other comes only from a copy that agrees on it. The GPS position travels whole (latitude, longitude
    and altitude of one fix). Keywords: every copy's keyword the keeper lacks. Rating: the highest a copy has, where
    the keeper has none (or 0, "not rated"); a copy's rejection (-1) judged that copy, and is not carried."""
    values: dict = {}
    sources: list[tuple[str, str]] = []
    for name in ("captured_at", "gps", "lens", "title", "description"):
        if getattr(keeper, name) is None:
            copy = next((c for c in copies if getattr(c, name) is not None), None)
            if copy is not None:
                values[name] = getattr(copy, name)
                sources.append((name, copy.path or ""))
    if keeper.make is None or keeper.model is None:
        for copy in copies:
            if keeper.make is None and keeper.model is None:
                fits = copy.make is not None or copy.model is not None
            elif keeper.model is None:
                fits = copy.model is not None and (copy.make or "").casefold() == keeper.make.casefold()
            else:
                fits = copy.make is not None and (copy.model or "").casefold() == keeper.model.casefold()
            if fits:
                for name in ("make", "model"):
                    if getattr(keeper, name) is None and getattr(copy, name) is not None:
                        values[name] = getattr(copy, name)
                        sources.append((name, copy.path or ""))
                break
    if not keeper.rating:  # None, or 0: not rated
        rated = [c for c in copies if c.rating is not None and c.rating > 0]
        if rated:
            best = max(rated, key=lambda c: c.rating)  # the first of the highest
            values["rating"] = best.rating
            sources.append(("rating", best.path or ""))
    have = {k.casefold() for k in keeper.keywords}
    keywords, keyword_sources = [], []
    for copy in copies:
        for word in copy.keywords:
            if word.casefold() not in have:
                have.add(word.casefold())
                keywords.append(word)
                keyword_sources.append(copy.path or "")
    return CarriedFields(**values, keywords=tuple(keywords), sources=tuple(sources),
                         keyword_sources=tuple(keyword_sources))


def carry_preview(keeper_path: str | os.PathLike[str], copy_paths: Sequence[str | os.PathLike[str]]) -> CarriedFields:
    """What :func:`carry_metadata` would carry, read now and written nowhere: shown before the user confirms."""
    return missing_on_keeper(read_metadata(keeper_path), [read_metadata(p) for p in copy_paths])


# -- the sidecar ----------------------------------------------------------------------------------------------------


def _existing(folder: str, name: str) -> str | None:
    path = os.path.join(folder, name)
    return path if os.path.lexists(path) else None


def sidecar_for(photo_path: str | os.PathLike[str]) -> str:
    """The photo's XMP sidecar: an existing ``IMG_1.JPG.xmp`` (darktable, digiKam) or ``IMG_1.xmp`` (Adobe), else
    the path a new one gets, ``IMG_1.JPG.xmp``: unambiguous where a RAW and its JPEG share a name. An Adobe-style
    ``IMG_1.xmp`` beside both ``IMG_1.CR2`` and ``IMG_1.JPG`` is the RAW's (Lightroom writes sidecars for RAWs only),
    so the JPEG does not take it."""
    folder, name = os.path.split(os.path.abspath(os.fspath(photo_path)))
    stem, ext = os.path.splitext(name)
    for candidate in (f"{name}.xmp", f"{name}.XMP", f"{name}.Xmp"):
        if found := _existing(folder, candidate):
            return found
    if ext:
        for candidate in (f"{stem}.xmp", f"{stem}.XMP", f"{stem}.Xmp"):
            if found := _existing(folder, candidate):
                if is_raw(name) or not _raw_sibling(folder, stem, name):
                    return found
                break
    return os.path.join(folder, f"{name}.xmp")


def _raw_sibling(folder: str, stem: str, name: str) -> bool:
    """Is there a RAW of the same stem beside ``name``?"""
    try:
        names = os.listdir(folder)
    except OSError:
        return False
    prefix = f"{stem}.".casefold()
    return any(n != name and n.casefold().startswith(prefix) and is_raw(n) for n in names)


@dataclass(frozen=True, slots=True)
class WrittenSidecar:
    path: str
    previous: bytes | None  # the bytes it replaced; None: there was no sidecar
    written_hash: str  # content hash of what was written (engine.images.content_hash)


@dataclass(frozen=True, slots=True)
class _Plan:
    path: str
    previous: bytes | None
    data: bytes


_NEW_SIDECAR = (
    '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
    '<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="PhotoHash">\n'
    ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
    '  <rdf:Description rdf:about=""/>\n'
    ' </rdf:RDF>\n'
    '</x:xmpmeta>\n'
    '<?xpacket end="w"?>\n'
).encode("utf-8")


def _read_if_exists(path: str) -> bytes | None:
    """The file's bytes, None where there is no file; FileError where one is there and cannot be read."""
    if not os.path.lexists(path):
        return None
    return read_regular_file(path, limit=64 << 20)


def write_carried(photo_path: str | os.PathLike[str], fields: CarriedFields) -> WrittenSidecar:
    """Merge ``fields`` into the photo's sidecar (:func:`sidecar_for`), keeping all else it holds, and replace it
    atomically. The photo itself is only read. Raises FileError (naming the sidecar) where an existing sidecar is not
    XMP this can merge into, or the folder cannot be written: it is left as it was."""
    plan = _plan(os.fspath(photo_path), fields)
    try:
        _write_atomic(plan.path, plan.data)
    except OSError as exc:
        raise FileError(plan.path, f"cannot write the sidecar ({exc.strerror or exc})") from None
    return WrittenSidecar(plan.path, plan.previous, content_hash(plan.data))


def restore_sidecar(written: WrittenSidecar) -> str | None:
    """Put back what the sidecar held before ``written`` (remove it where there was none), only while the file is
    still the one written; returns why not in one line (leaving the file), or None when done."""
    try:
        current = _read_if_exists(written.path)
    except FileError as exc:
        return f"the sidecar cannot be read ({exc.reason}); left as it is"
    if current is None:
        if written.previous is None:
            return None  # gone already, as it was before
        return "the sidecar was removed after PhotoHash wrote it; not put back"
    if content_hash(current) != written.written_hash:
        return "the sidecar was changed after PhotoHash wrote it; left as it is"
    try:
        if written.previous is None:
            os.remove(written.path)  # the file PhotoHash created, and nothing else was ever in it
        else:
            _write_atomic(written.path, written.previous)
    except OSError as exc:
        return f"the sidecar cannot be put back ({exc.strerror or exc})"
    return None


def _write_atomic(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder, flushed and synced, then renamed over
    it: a crash leaves the old file or the new one, never half of one. The file keeps its permissions."""
    folder, name = os.path.split(path)
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        mode = None
    temp = os.path.join(folder, f".{name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        try:
            os.remove(temp)
        except OSError:
            pass
        raise
    try:  # the rename itself, durable (POSIX); where a folder cannot be opened this way, the rename stands anyway
        dir_fd = os.open(folder or ".", os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def _plan(photo_path: str, fields: CarriedFields) -> _Plan:
    """The sidecar's path, its bytes now, and the bytes it will have with ``fields`` merged in."""
    path = sidecar_for(photo_path)
    if os.path.islink(path):  # replacing it would cut the link; writing through it would change another file
        raise FileError(path, "the sidecar is a symbolic link; left as it is")
    previous = _read_if_exists(path)
    document = _Document.parse(previous if previous and previous.strip() else _NEW_SIDECAR)
    if document is None:
        raise FileError(path, "the sidecar is not XMP that PhotoHash can add to; left as it is")
    document.merge(fields, _file_metadata(photo_path).keywords if fields.keywords else ())
    return _Plan(path, previous, document.to_bytes())


# -- XMP: writing ---------------------------------------------------------------------------------------------------


class _Document:
    """An XMP file as a tree that is written back with everything it held: the bytes before and after the root
    element (the xpacket wrapper), every namespace declaration where it was and with its prefix, comments, and the
    whitespace between elements. ElementTree alone would rename the prefixes ("ns0") and drop the wrapper."""

    def __init__(self, prolog: bytes, root: ET.Element, epilog: bytes, declared: dict):
        self.prolog, self.root, self.epilog = prolog, root, epilog
        self.declared: dict[ET.Element, list[tuple[str, str]]] = declared

    @classmethod
    def parse(cls, data: bytes) -> _Document | None:
        if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
            return None
        start = _prolog_end(data)
        end = _epilog_start(data)
        if end <= start:
            return None
        declaration = re.search(rb"<\?xml[^>]*?encoding\s*=\s*[\"']([^\"']*)", data[:start])
        if declaration and declaration[1].lower().replace(b"-", b"") != b"utf8":
            return None  # XMP is UTF-8; a sidecar in another encoding is not rewritten
        declared: dict[ET.Element, list[tuple[str, str]]] = {}
        pending: list[tuple[str, str]] = []
        parser = ET.XMLParser(target=ET.TreeBuilder(insert_comments=True, insert_pis=True))
        try:
            events = ET.iterparse(io.BytesIO(data[start:end]), events=("start-ns", "start"), parser=parser)
            for event, item in events:
                if event == "start-ns":
                    pending.append(item)
                else:
                    if pending:
                        declared[item] = pending
                    pending = []
            root = events.root
        except (ET.ParseError, ValueError):
            return None
        document = cls(data[:start], root, data[end:], declared)
        if document._rdf() is None:
            return None
        return document

    def _rdf(self) -> ET.Element | None:
        return self.root if self.root.tag == RDF_RDF else self.root.find(f".//{RDF_RDF}")

    def to_bytes(self) -> bytes:
        out: list[str] = []
        _serialize(self.root, {"xml": XML}, self.declared, out)
        return self.prolog + "".join(out).encode("utf-8") + self.epilog

    # -- merging

    def merge(self, fields: CarriedFields, own_keywords: Sequence[str] = ()) -> None:
        """Add ``fields``; a property the sidecar already holds with a value is never replaced (one it holds empty,
        or as "0" for the rating, is). Keywords join the sidecar's dc:subject bag; where the sidecar has none yet,
        the new bag also lists the photo's own embedded keywords (``own_keywords``): a tool that reads the sidecar's
        bag instead of the file's must not lose those. An existing bag is the user's list as their tool keeps it,
        and gets only the carried keywords."""
        rdf = self._rdf()
        descriptions = rdf.findall(RDF_DESCRIPTION)
        if not descriptions:
            desc = ET.Element(RDF_DESCRIPTION, {RDF_ABOUT: ""})
            _append(rdf, desc)
            descriptions = [desc]
        target = descriptions[0]
        before = set(target.iter())
        has = _from_xmp(self.root)
        simple: list[tuple[str, str, str]] = []  # (namespace, name, value)
        if fields.captured_at and not has.get("captured_at"):
            simple += [(EXIF, "DateTimeOriginal", fields.captured_at), (PHOTOSHOP, "DateCreated", fields.captured_at)]
        gps_held = any(self._holds(descriptions, _q(EXIF, n)) for n in ("GPSLatitude", "GPSLongitude"))
        if fields.gps and not has.get("gps") and not gps_held:  # one fix, whole: never half of two
            simple += [(EXIF, "GPSLatitude", _xmp_degrees(fields.gps.latitude, "NS")),
                       (EXIF, "GPSLongitude", _xmp_degrees(fields.gps.longitude, "EW"))]
            if fields.gps.altitude is not None:
                simple += [(EXIF, "GPSAltitude", f"{round(abs(fields.gps.altitude) * 1000)}/1000"),
                           (EXIF, "GPSAltitudeRef", "1" if fields.gps.altitude < 0 else "0")]
        if fields.make and not has.get("make"):
            simple.append((TIFF, "Make", fields.make))
        if fields.model and not has.get("model"):
            simple.append((TIFF, "Model", fields.model))
        if fields.lens and not has.get("lens"):
            simple += [(EXIF_EX, "LensModel", fields.lens), (AUX, "Lens", fields.lens)]
        if fields.rating is not None and not has.get("rating"):
            simple.append((XMP, "Rating", str(fields.rating)))
        for ns, name, value in simple:
            self._set_simple(descriptions, target, _q(ns, name), value)
        for name, value in (("title", fields.title), ("description", fields.description)):
            if value and not has.get(name):
                self._set_alt(descriptions, target, _q(DC, name), value)
        if fields.keywords:
            self._add_keywords(descriptions, target, fields.keywords, own_keywords)
        self._declare(target, [e for e in target.iter() if e not in before])

    def _find(self, descriptions, qname) -> tuple[ET.Element, ET.Element | None] | None:
        """Where a property is: (its rdf:Description, its element; None when it is an attribute)."""
        for desc in descriptions:
            if qname in desc.attrib:
                return desc, None
            prop = desc.find(qname)
            if prop is not None:
                return desc, prop
        return None

    def _holds(self, descriptions, qname: str) -> bool:
        """Does the sidecar hold a value for this property, read or not? One this module cannot read is still the
        user's, and is not replaced; only an empty one is (and a rating of "0", not rated)."""
        found = self._find(descriptions, qname)
        if found is None:
            return False
        desc, prop = found
        if prop is None:
            text = _text(desc.get(qname))
        elif prop.get(RDF_RESOURCE) is not None or prop.get(RDF_PARSE_TYPE) is not None:
            return True
        elif not len(prop):
            text = _text(prop.text)
        elif prop[0].tag in (RDF_BAG, RDF_SEQ, RDF_ALT):
            return any(_text(li.text) for li in prop[0].findall(RDF_LI))
        else:
            return True
        return text is not None and not (qname == _q(XMP, "Rating") and text == "0")

    def _set_simple(self, descriptions, target, qname: str, value: str) -> None:
        if self._holds(descriptions, qname):
            return
        found = self._find(descriptions, qname)
        if found is None:
            prop = ET.Element(qname)
            prop.text = value
            _append(target, prop)
        elif found[1] is None:
            found[0].set(qname, value)
        else:
            prop = found[1]
            for child in list(prop):
                prop.remove(child)
            prop.attrib.pop(RDF_RESOURCE, None)
            prop.attrib.pop(RDF_PARSE_TYPE, None)
            prop.text = value

    def _set_alt(self, descriptions, target, qname: str, value: str) -> None:
        if self._holds(descriptions, qname):
            return
        found = self._find(descriptions, qname)
        if found is not None:  # there, but empty (else the field was not carried): drop it, then write it whole
            desc, prop = found
            if prop is None:
                del desc.attrib[qname]
            else:
                _remove(desc, prop)
        _append(target, _array(qname, RDF_ALT, [value], _indent_of(target), lang=True))

    def _add_keywords(self, descriptions, target, keywords: Sequence[str], own_keywords: Sequence[str]) -> None:
        found = self._find(descriptions, _q(DC, "subject"))
        bag = None
        if found is not None:
            desc, prop = found
            if prop is None:  # a lone keyword written as an attribute: make it the bag's first item
                keywords = [desc.attrib.pop(_q(DC, "subject")), *keywords]
            elif len(prop) and prop[0].tag in (RDF_BAG, RDF_SEQ):
                bag = prop[0]
            else:  # a lone keyword as text, or the words in another form: they become the bag's first items
                words = [w for t in [prop.text, *(li.text for li in prop.iter(RDF_LI))] if (w := _text(t))]
                keywords = [*words, *keywords]
                _remove(desc, prop)
        if bag is None:
            items = list(_unique([*own_keywords, *keywords]))
            _append(target, _array(_q(DC, "subject"), RDF_BAG, items, _indent_of(target)))
            return
        have = {t.casefold() for li in bag.findall(RDF_LI) if (t := _text(li.text))}
        for word in keywords:
            if word.casefold() not in have:
                have.add(word.casefold())
                li = ET.Element(RDF_LI)
                li.text = word
                _append(bag, li)

    def _declare(self, target: ET.Element, added: Sequence[ET.Element]) -> None:
        """Declare the standard namespaces the new properties use on the rdf:Description that holds them (not on
        each property), with their usual prefixes where those are free."""
        parents = {child: parent for parent in self.root.iter() for child in parent}
        scope: dict[str, str] = {"xml": XML}
        chain, node = [], target
        while node is not None:
            chain.append(node)
            node = parents.get(node)
        for node in reversed(chain):
            scope.update(self.declared.get(node, ()))
        wanted = {_namespace(e.tag) for e in added} | {_namespace(k) for e in added for k in e.attrib}
        order = list(PREFIXES)
        for uri in sorted((u for u in wanted if u and u != XML), key=lambda u: (order.index(u) if u in order else
                                                                                 len(order), u)):
            if uri in scope.values():
                continue
            prefix = _free_prefix(PREFIXES.get(uri, "ns"), scope)
            scope[prefix] = uri
            self.declared.setdefault(target, []).append((prefix, uri))


def _prolog_end(data: bytes) -> int:
    """Where the root element starts: after the BOM, whitespace, the XML declaration, PIs and comments."""
    pos = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    pattern = re.compile(rb"\s+|<\?.*?\?>|<!--.*?-->", re.DOTALL)
    while (match := pattern.match(data, pos)) and match.end() > pos:
        pos = match.end()
    return pos


def _epilog_start(data: bytes) -> int:
    """Where the bytes after the root element (the xpacket trailer, its padding) start."""
    end = len(data)
    while True:
        stripped = len(data[:end].rstrip(b" \t\r\n\x00"))
        if data[:stripped].endswith(b"?>"):
            stripped = data.rfind(b"<?", 0, stripped)
        elif data[:stripped].endswith(b"-->"):
            stripped = data.rfind(b"<!--", 0, stripped)
        if stripped < 0:
            return 0
        if stripped == end:
            return end
        end = stripped


def _xmp_degrees(value: float, refs: str) -> str:
    """A coordinate as XMP writes it: "52,31.332000N"."""
    ref = refs[0] if value >= 0 else refs[1]
    value = abs(value)
    degrees = int(value)
    return f"{degrees},{(value - degrees) * 60:.6f}{ref}"


def _namespace(tag) -> str:
    return tag[1:].partition("}")[0] if isinstance(tag, str) and tag.startswith("{") else ""


def _free_prefix(prefix: str, scope: dict[str, str]) -> str:
    candidate, n = prefix, 1
    while candidate in scope:
        candidate, n = f"{prefix}{n}", n + 1
    return candidate


def _indent_of(parent: ET.Element) -> str:
    """The whitespace before a child of ``parent``, taken from its existing children (else a single space more
    than a guess of the parent's own)."""
    if len(parent) and parent.text and not parent.text.strip():
        return parent.text
    return "\n   "


def _append(parent: ET.Element, child: ET.Element) -> None:
    """Append ``child`` indented like its siblings; the whitespace before the parent's end tag stays last."""
    if len(parent):
        last = parent[-1]
        child.tail = last.tail
        last.tail = parent.text if parent.text and not parent.text.strip() else "\n"
    else:
        closing = parent.text if parent.text and not parent.text.strip() else "\n  "
        parent.text = closing + " "
        child.tail = closing
    parent.append(child)


def _remove(parent: ET.Element, child: ET.Element) -> None:
    """Remove ``child`` and the whitespace before it."""
    index = list(parent).index(child)
    if index == len(parent) - 1 and index > 0:
        parent[index - 1].tail = child.tail
    parent.remove(child)


def _array(qname: str, kind: str, items: Sequence[str], indent: str, *, lang: bool = False) -> ET.Element:
    """``<dc:subject><rdf:Bag><rdf:li>...</rdf:li></rdf:Bag></dc:subject>`` (an Alt's item tagged x-default)."""
    prop = ET.Element(qname)
    container = ET.SubElement(prop, kind)
    prop.text, container.tail = indent + " ", indent
    container.text = indent + "  "
    for i, item in enumerate(items):
        li = ET.SubElement(container, RDF_LI, {XML_LANG: "x-default"} if lang else {})
        li.text = item
        li.tail = indent + (" " if i == len(items) - 1 else "  ")
    return prop


def _escape(text: str, attribute: bool = False) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if attribute:
        text = text.replace('"', "&quot;").replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    return text.replace("\r", "&#13;")


def _serialize(elem: ET.Element, scope: dict[str, str], declared: dict, out: list[str]) -> None:
    """Write ``elem`` as XML with the namespace declarations it had (and any a name needs that none in scope binds),
    its attributes in order, its text and its tail."""
    if elem.tag is ET.Comment:
        out.append(f"<!--{elem.text or ''}-->")
    elif elem.tag is ET.ProcessingInstruction:
        out.append(f"<?{elem.text or ''}?>")
    else:
        scope = dict(scope)
        declarations = list(declared.get(elem, ()))
        scope.update(declarations)

        def name(qname: str, attribute: bool) -> str:
            uri = _namespace(qname)
            local = qname[len(uri) + 2:] if qname.startswith("{") else qname
            if not uri:
                if not attribute and scope.get(""):
                    scope[""] = ""
                    declarations.append(("", ""))
                return local
            prefix = next((p for p, u in reversed(scope.items()) if u == uri and (p or not attribute)), None)
            if prefix is None:
                prefix = _free_prefix(PREFIXES.get(uri, "ns"), scope)
                scope[prefix] = uri
                declarations.append((prefix, uri))
            return f"{prefix}:{local}" if prefix else local

        tag = name(elem.tag, False)
        attributes = [(name(k, True), v) for k, v in elem.attrib.items()]
        head = [tag]
        head += [f'xmlns:{p}="{_escape(u, True)}"' if p else f'xmlns="{_escape(u, True)}"' for p, u in declarations]
        head += [f'{k}="{_escape(v, True)}"' for k, v in attributes]
        if len(elem) or elem.text:
            out.append(f"<{' '.join(head)}>{_escape(elem.text or '')}")
            for child in elem:
                _serialize(child, scope, declared, out)
            out.append(f"</{tag}>")
        else:
            out.append(f"<{' '.join(head)}/>")
    if elem.tail:
        out.append(_escape(elem.tail))


# -- carrying, journaled --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Carried:
    """Metadata carried to a keeper's sidecar by :func:`carry_metadata`."""

    keeper: str
    sidecar: str
    fields: CarriedFields
    entry_id: int  # its row in the catalog's sidecar journal
    created: bool = False  # the sidecar did not exist before

    def words(self) -> str:
        return self.fields.words()


def carry_metadata(catalog: Catalog, batch: int, keeper_path: str | os.PathLike[str],
                   copy_paths: Sequence[str | os.PathLike[str]]) -> Carried | None:
    """Write what the keeper lacks that the copies have to the keeper's sidecar, as part of trash batch ``batch``
    (call it before the copies move: they are read here). The write is journaled before it happens and marked
    done after, so :func:`undo_carried` can put the sidecar back, after a crash too. Returns None when the keeper
    lacks nothing (nothing is written). Raises FileError naming the sidecar where it cannot be written (then
    nothing is written and nothing journaled)."""
    keeper_path = os.fspath(keeper_path)
    fields = carry_preview(keeper_path, copy_paths)
    if not fields:
        return None
    plan = _plan(keeper_path, fields)
    if plan.data == plan.previous:
        return None
    entry = catalog.sidecar_intend(batch, keeper_path, plan.path, plan.previous, content_hash(plan.data))
    try:
        _write_atomic(plan.path, plan.data)
    except OSError as exc:
        catalog.sidecar_forget(entry)  # the atomic write left the sidecar as it was
        raise FileError(plan.path, f"cannot write the sidecar ({exc.strerror or exc})") from None
    catalog.sidecar_written(entry)
    return Carried(keeper_path, plan.path, fields, entry, created=plan.previous is None)


def undo_carried(catalog: Catalog, batch: int, entries: Collection[int] | None = None) -> list[tuple[str, str]]:
    """Put back every sidecar batch ``batch`` wrote, newest write first (two writes to one sidecar unwind in
    order); returns (sidecar path, one-line reason) for each left as it is. A sidecar changed since it was written
    is never overwritten; its journal row stays, so a later undo can still try. A write the process never marked
    done (it died there) is dropped from the journal where the sidecar is as it was, and undone where it was
    written."""
    failed: list[tuple[str, str]] = []
    for entry in reversed(catalog.sidecar_journal(batch, only_pending=True)):
        if entries is not None and entry.id not in entries:
            continue  # ``entries``: only these writes (a carry whose copies did not move after all)
        if any(path == entry.sidecar_path for path, _ in failed):
            continue  # an older write to a sidecar whose newer one stays: it stays too, said once
        written = WrittenSidecar(entry.sidecar_path, entry.previous, entry.written_hash)
        if entry.written_at is None:
            try:
                current = _read_if_exists(entry.sidecar_path)
            except FileError as exc:
                failed.append((entry.sidecar_path, f"the sidecar cannot be read ({exc.reason}); left as it is"))
                continue
            if current == entry.previous:
                catalog.sidecar_forget(entry.id)  # never written: nothing to undo
                continue
            if current is None or content_hash(current) != entry.written_hash:
                failed.append((entry.sidecar_path, ("the sidecar was being written when PhotoHash stopped and has "
                                                    "changed since; left as it is")))
                continue
        reason = restore_sidecar(written)
        if reason:
            failed.append((entry.sidecar_path, reason))
            continue
        catalog.sidecar_mark_restored(entry.id)
    return failed

