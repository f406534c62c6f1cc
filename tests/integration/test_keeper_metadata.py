"""Metadata carried to the keeper (issue 25, part 4): what the keeper lacks that a copy going to the trash had is
written to the keeper's XMP sidecar, journaled in a real catalog, and undone with the batch.

Real shared photos, their metadata set with Pillow (EXIF, an embedded XMP packet, an IPTC block as Photoshop writes
it) and copies stripped of it; a darktable sidecar as darktable writes one, and a real Adobe Camera Raw packet taken
from a real DNG (``../data-raw``, see tests/integration/test_raw.py)."""

from __future__ import annotations

import hashlib
import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PIL import Image

from engine.catalog import Catalog
from engine.errors import FileError
from engine.images import content_hash
from engine.keeper_metadata import (
    GPS,
    PhotoMetadata,
    carry_metadata,
    carry_preview,
    missing_on_keeper,
    read_metadata,
    restore_sidecar,
    sidecar_for,
    undo_carried,
    write_carried,
)

from ..conftest import extract_photos
from .test_raw import sample

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
DESCRIPTION = f"{{{RDF}}}Description"
XMP_RATING = "{http://ns.adobe.com/xap/1.0/}Rating"


# -- photos with metadata, and copies without --------------------------------------------------------------------


def xmp_packet(*, rating=None, keywords=(), title=None, description=None) -> bytes:
    """An XMP packet as photo tools embed it: the rating in attribute form, arrays in element form."""
    rating_attr = f' xmp:Rating="{rating}"' if rating is not None else ""
    parts = []
    if keywords:
        items = "".join(f"<rdf:li>{k}</rdf:li>" for k in keywords)
        parts.append(f"<dc:subject><rdf:Bag>{items}</rdf:Bag></dc:subject>")
    for name, value in (("title", title), ("description", description)):
        if value:
            parts.append(f'<dc:{name}><rdf:Alt><rdf:li xml:lang="x-default">{value}</rdf:li></rdf:Alt></dc:{name}>')
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" '
        f'xmlns:dc="http://purl.org/dc/elements/1.1/"{rating_attr}>{"".join(parts)}</rdf:Description>'
        '</rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    ).encode()


def save_tagged(src: Path, dest: Path, *, when=None, subsec=None, offset=None, gps=None, make=None, model=None,
                lens=None, xmp=None) -> Path:
    """``src`` saved again with the EXIF (and embedded XMP) a camera and a photo tool write."""
    exif = Image.Exif()
    if make:
        exif[0x010F] = make
    if model:
        exif[0x0110] = model
    ifd = exif.get_ifd(0x8769)
    if when:
        ifd[0x9003] = when
    if subsec:
        ifd[0x9291] = subsec
    if offset:
        ifd[0x9011] = offset
    if lens:
        ifd[0xA434] = lens
    if gps:
        lat, lon, alt = gps
        g = exif.get_ifd(0x8825)
        g[1], g[2] = ("N" if lat >= 0 else "S"), _dms(abs(lat))
        g[3], g[4] = ("E" if lon >= 0 else "W"), _dms(abs(lon))
        g[5], g[6] = (b"\x01" if alt < 0 else b"\x00"), abs(alt)
    with Image.open(src) as img:
        kwargs = {"exif": exif, "quality": 92}
        if xmp:
            kwargs["xmp"] = xmp
        img.save(dest, **kwargs)
    return dest


def _dms(value: float) -> tuple[float, float, float]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    return float(degrees), float(minutes), round((value - degrees - minutes / 60) * 3600, 4)


def save_stripped(src: Path, dest: Path) -> Path:
    """A copy with no metadata at all (what an export or a messenger makes)."""
    with Image.open(src) as img:
        img.convert("RGB").save(dest, quality=85)
    return dest


def with_iptc(jpeg: Path, records: list[tuple[tuple[int, int], bytes]]) -> Path:
    """Insert an IPTC block into a JPEG as Photoshop writes it (APP13, "Photoshop 3.0", resource 0x0404)."""
    iptc = b"".join(b"\x1c" + bytes(key) + struct.pack(">H", len(value)) + value for key, value in records)
    resource = b"8BIM\x04\x04\x00\x00" + struct.pack(">I", len(iptc)) + iptc + b"\x00" * (len(iptc) % 2)
    body = b"Photoshop 3.0\x00" + resource
    data = jpeg.read_bytes()
    jpeg.write_bytes(data[:2] + b"\xff\xed" + struct.pack(">H", len(body) + 2) + body + data[2:])
    return jpeg


def sha(path: Path) -> tuple[str, int]:
    """The file's bytes and its mtime: the trash refuses a photo whose mtime changed since the scan."""
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


@pytest.fixture
def photos(tmp_path) -> list[Path]:
    return extract_photos(tmp_path / "shared", limit=3)


@pytest.fixture
def catalog(tmp_path):
    with Catalog(tmp_path / "c.sqlite") as cat:
        yield cat


def canonical(elem: ET.Element):
    """An element's meaning, for comparison: name, attributes, text (whitespace between elements is not content
    in XMP), children in order."""
    return (elem.tag, tuple(sorted(elem.attrib.items())), (elem.text or "").strip(),
            tuple(canonical(child) for child in elem if isinstance(child.tag, str)))


def description(data: bytes) -> ET.Element:
    return ET.fromstring(data).find(f".//{DESCRIPTION}")


# -- reading ---------------------------------------------------------------------------------------------------------


def test_reads_exif_xmp_and_iptc_of_a_real_photo(photos, tmp_path):
    photo = save_tagged(photos[0], tmp_path / "IMG_1.jpg", when="2019:06:01 10:00:05", subsec="12", offset="+02:00",
                        gps=(52.52, -13.4, -3.5), make="Canon", model="Canon EOS R6", lens="RF24-105mm F4 L IS USM",
                        xmp=xmp_packet(rating=4, keywords=["beach", "sunset"], title="Evening"))
    meta = read_metadata(photo)
    assert meta.captured_at == "2019-06-01T10:00:05.12+02:00"
    assert meta.gps is not None and meta.gps.latitude == pytest.approx(52.52, abs=1e-6)
    assert meta.gps.longitude == pytest.approx(-13.4, abs=1e-6) and meta.gps.altitude == pytest.approx(-3.5)
    assert (meta.make, meta.model, meta.lens) == ("Canon", "Canon EOS R6", "RF24-105mm F4 L IS USM")
    assert (meta.keywords, meta.rating, meta.title, meta.description) == (("beach", "sunset"), 4, "Evening", None)

    iptc = with_iptc(save_stripped(photos[1], tmp_path / "press.jpg"),
                     [((1, 90), b"\x1b%G"), ((2, 5), b"Gull"), ((2, 25), b"Strand"), ((2, 25), "Möwe".encode()),
                      ((2, 120), b"At the lake")])
    assert read_metadata(iptc) == PhotoMetadata(path=str(iptc), keywords=("Strand", "Möwe"), title="Gull",
                                                description="At the lake")


def test_a_sidecar_in_either_convention_adds_to_what_the_file_holds(photos, tmp_path):
    photo = save_tagged(photos[0], tmp_path / "IMG_2.JPG", when="2020:01:02 03:04:05",
                        xmp=xmp_packet(rating=2, keywords=["family"]))
    assert sidecar_for(photo) == str(tmp_path / "IMG_2.JPG.xmp")  # none yet: the darktable/digiKam name
    adobe = tmp_path / "IMG_2.xmp"
    adobe.write_bytes(xmp_packet(rating=5, keywords=["Family", "dog"], title="Rex"))
    assert sidecar_for(photo) == str(adobe)
    meta = read_metadata(photo)
    # the sidecar wins where both say something (it is what the user's tool shows), and its keywords join the file's
    assert (meta.rating, meta.title, meta.captured_at) == (5, "Rex", "2020-01-02T03:04:05")
    assert meta.keywords == ("Family", "dog")

    # beside a RAW of the same name, IMG_2.xmp is the RAW's (Lightroom writes sidecars for RAWs only)
    raw = tmp_path / "IMG_2.CR2"
    raw.write_bytes(photo.read_bytes())
    assert sidecar_for(raw) == str(adobe)
    assert sidecar_for(photo) == str(tmp_path / "IMG_2.JPG.xmp")
    assert read_metadata(photo).rating == 2
    full = tmp_path / "IMG_2.JPG.xmp"
    full.write_bytes(xmp_packet(title="Rex at the beach"))
    assert sidecar_for(photo) == str(full) and read_metadata(photo).title == "Rex at the beach"


def test_a_real_raw_is_read_through_exifread():
    arw = sample("sony-slt-a55_preview-only.arw")
    meta = read_metadata(arw)
    assert (meta.make, meta.model, meta.lens) == ("SONY", "SLT-A55V", "DT 18-200mm F3.5-6.3")
    assert meta.captured_at == "2017-10-22T11:54:20"
    assert meta.gps.latitude == pytest.approx(34 + 50.77 / 2 / 3600, abs=1e-4) and meta.gps.altitude == pytest.approx(
        1199.9)
    dng = read_metadata(sample("lg-g4_sample_1mp.dng"))  # its embedded Camera Raw packet copies the model as a
    assert (dng.make, dng.model, dng.description) == ("LG Mobile", "LG-H815", None)  # description: not one


def test_a_file_that_cannot_be_read_has_empty_metadata(photos, tmp_path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(photos[0].read_bytes()[:300])
    garbage = tmp_path / "x.nef"
    garbage.write_bytes(b"II*\x00" + b"\xff" * 64)
    for path in (broken, garbage, tmp_path / "gone.jpg", tmp_path):
        meta = read_metadata(path)
        assert meta.empty and meta.path == str(path)
    (tmp_path / "shared" / f"{photos[1].name}.xmp").write_bytes(b"<x:xmpmeta><not closed")
    assert read_metadata(photos[1]).empty  # a broken sidecar adds nothing


# -- what the keeper lacks -------------------------------------------------------------------------------------------


def test_only_what_the_keeper_lacks_is_taken_and_from_the_first_copy_that_has_it():
    keeper = PhotoMetadata(path="/p/IMG_1.jpg", captured_at="2019-06-01T10:00:00", make="FUJIFILM", model=None,
                           keywords=("beach",), rating=0)
    first = PhotoMetadata(path="/p/IMG_1 (1).jpg", captured_at="2001-01-01T00:00:00", gps=GPS(1.0, 2.0, None),
                          make="Canon", model="EOS R6", keywords=("Beach", "dog", "cat"), rating=3)
    second = PhotoMetadata(path="/p/IMG_1 (2).jpg", gps=GPS(5.0, 6.0, 7.0), make="Fujifilm", model="X-T3",
                           keywords=("dog", "sea"), rating=4, title="Rex")
    carried = missing_on_keeper(keeper, [first, second])
    assert carried.captured_at is None and carried.make is None  # the keeper has them
    assert carried.gps == GPS(1.0, 2.0, None)  # the first copy's fix, whole
    assert carried.model == "X-T3"  # only from a copy of the keeper's camera make
    assert carried.keywords == ("dog", "cat", "sea")  # "Beach" is the keeper's "beach"
    assert carried.rating == 4  # the highest; the keeper's 0 is "not rated"
    assert carried.words() == ('GPS, 2 keywords from IMG_1 (1).jpg; camera X-T3, 1 keyword, rating ★★★★, '
                               'title "Rex" from IMG_1 (2).jpg')
    assert not missing_on_keeper(second, [PhotoMetadata(path="/p/x.jpg", rating=-1)])  # a rejection is not carried
    assert missing_on_keeper(keeper, []).words() == "nothing"


def test_words_read_as_the_ui_shows_them():
    keeper = PhotoMetadata(path="/p/IMG_1.jpg")
    copy = PhotoMetadata(path="/p/IMG_1 (1).jpg", captured_at="2019-06-01T10:00:05.12+02:00", gps=GPS(1.0, 2.0),
                         keywords=("a", "b", "c"), rating=4)
    assert missing_on_keeper(keeper, [copy]).words() == (
        "capture date 2019-06-01 10:00, GPS, 3 keywords, rating ★★★★ from IMG_1 (1).jpg")


# -- carrying, journaled, and undone ---------------------------------------------------------------------------------


def test_carried_fields_land_in_a_new_sidecar_and_nothing_the_keeper_has_is_overwritten(photos, tmp_path, catalog):
    folder = tmp_path / "lib"
    folder.mkdir()
    keeper = save_tagged(photos[0], folder / "IMG_1.jpg", when="2019:06:01 10:00:00", make="FUJIFILM", model="X-T3",
                         xmp=xmp_packet(rating=2, keywords=["family"]))
    copy1 = save_tagged(photos[0], folder / "IMG_1 (1).jpg", when="2001:01:01 00:00:00", make="Canon",
                        model="Canon EOS R6", gps=(48.8584, 2.2945, 35.0),
                        xmp=xmp_packet(rating=5, keywords=["family", "Eiffel"], title="Paris"))
    copy2 = with_iptc(save_stripped(photos[0], folder / "IMG_1 (2).jpg"),
                      [((2, 25), b"eiffel"), ((2, 25), b"tower"), ((2, 120), b"From the Trocadero")])
    before = {p: sha(p) for p in (keeper, copy1, copy2)}

    preview = carry_preview(keeper, [copy1, copy2])
    batch = catalog.next_trash_batch()
    carried = carry_metadata(catalog, batch, keeper, [copy1, copy2])
    assert carried is not None and carried.created and carried.fields == preview
    assert carried.sidecar == str(folder / "IMG_1.jpg.xmp")
    assert carried.words() == ('GPS, 1 keyword, title "Paris" from IMG_1 (1).jpg; 1 keyword, description from '
                               'IMG_1 (2).jpg')

    after = read_metadata(keeper)
    assert after.captured_at == "2019-06-01T10:00:00" and (after.make, after.model) == ("FUJIFILM", "X-T3")
    assert after.rating == 2  # the keeper's own, not copy1's 5
    assert after.gps.latitude == pytest.approx(48.8584, abs=1e-6) and after.gps.longitude == pytest.approx(2.2945,
                                                                                                         abs=1e-6)
    assert after.gps.altitude == pytest.approx(35.0)
    assert (after.title, after.description) == ("Paris", "From the Trocadero")
    assert after.keywords == ("family", "Eiffel", "tower")
    text = Path(carried.sidecar).read_bytes()
    assert b"2001" not in text and b"Canon" not in text and b"Rating" not in text  # nothing the keeper had
    desc = description(text)
    bag = desc.find("{http://purl.org/dc/elements/1.1/}subject")
    # the new bag lists the keeper's own embedded keyword too: a tool that reads the sidecar's bag keeps it
    assert [li.text for li in bag.iter(f"{{{RDF}}}li")] == ["family", "Eiffel", "tower"]
    assert {p: sha(p) for p in (keeper, copy1, copy2)} == before  # the photos' own bytes: never touched

    assert carry_metadata(catalog, batch, keeper, [copy1, copy2]) is None  # it lacks nothing now
    [entry] = catalog.sidecar_journal(batch, only_pending=True)
    assert entry.previous is None and entry.written_at is not None and entry.photo_path == str(keeper)

    assert undo_carried(catalog, batch) == []
    assert not Path(carried.sidecar).exists()  # the sidecar it created is gone
    assert catalog.sidecar_journal(batch, only_pending=True) == []
    assert {p: sha(p) for p in (keeper, copy1, copy2)} == before


DARKTABLE_SIDECAR = b"""<?xml version="1.0" encoding="UTF-8"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="XMP Core 4.4.0-Exiv2">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:exif="http://ns.adobe.com/exif/1.0/"
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/"
    xmlns:darktable="http://darktable.sf.net/"
    xmlns:lr="http://ns.adobe.com/lightroom/1.0/"
   exif:DateTimeOriginal="2019:06:01 10:00:05.120"
   xmp:Rating="0"
   xmpMM:DerivedFrom="IMG_1.jpg"
   darktable:import_timestamp="63790000000000000"
   darktable:change_timestamp="63790000500000000"
   darktable:xmp_version="5"
   darktable:raw_params="0"
   darktable:auto_presets_applied="1"
   darktable:history_end="2"
   darktable:iop_order_version="4">
   <!-- edited in darktable -->
   <darktable:masks_history>
    <rdf:Seq/>
   </darktable:masks_history>
   <darktable:history>
    <rdf:Seq>
     <rdf:li
      darktable:num="0"
      darktable:operation="exposure"
      darktable:enabled="1"
      darktable:modversion="6"
      darktable:params="000000000000803f0ad7233c00000000"
      darktable:multi_name=""
      darktable:multi_priority="0"
      darktable:blendop_version="13"
      darktable:blendop_params="gz14eJxjYIAAGQYYOOHEgAZY0QVwggZ7CB6pfKD5fMgYAED7EAs="/>
     <rdf:li
      darktable:num="1"
      darktable:operation="colorbalancergb"
      darktable:enabled="1"
      darktable:modversion="5"
      darktable:params="gz12eJxjYGiwZ2DYZc/AYM8AARMcGEEYDgA/2gQo"
      darktable:multi_name="&amp; more"
      darktable:multi_priority="0"
      darktable:blendop_version="13"
      darktable:blendop_params="gz14eJxjYIAAGQYYOOHEgAZY0QVwggZ7CB6pfKD5fMgYAED7EAs="/>
    </rdf:Seq>
   </darktable:history>
   <lr:hierarchicalSubject>
    <rdf:Bag>
     <rdf:li>places|Paris</rdf:li>
    </rdf:Bag>
   </lr:hierarchicalSubject>
   <dc:subject xmlns:dc="http://purl.org/dc/elements/1.1/">
    <rdf:Bag>
     <rdf:li>Paris</rdf:li>
    </rdf:Bag>
   </dc:subject>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
"""


def test_an_existing_darktable_sidecar_keeps_all_it_held_and_undo_puts_it_back_byte_identical(photos, tmp_path,
                                                                                             catalog):
    folder = tmp_path / "lib"
    folder.mkdir()
    keeper = save_stripped(photos[1], folder / "IMG_1.jpg")
    sidecar = folder / "IMG_1.jpg.xmp"
    sidecar.write_bytes(DARKTABLE_SIDECAR)
    copy = save_tagged(photos[1], folder / "IMG_1 (1).jpg", when="2001:01:01 00:00:00", gps=(-33.8568, 151.2153, 5.0),
                       xmp=xmp_packet(rating=3, keywords=["paris", "Opera"], title="Opera house"))
    keeper_hash = sha(keeper)

    batch = catalog.next_trash_batch()
    carried = carry_metadata(catalog, batch, keeper, [copy])
    assert carried is not None and not carried.created and carried.sidecar == str(sidecar)
    assert carried.fields.captured_at is None  # darktable's EXIF-style date in the sidecar is read: the keeper has it
    new = sidecar.read_bytes()
    assert new.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<x:xmpmeta')
    assert b"darktable:history" in new and b"ns0:" not in new  # the sidecar's own prefixes

    old_desc, new_desc = description(DARKTABLE_SIDECAR), description(new)
    # every attribute it held, as it held it, except the rating "0" (not rated), which took the copy's
    assert {k: v for k, v in old_desc.attrib.items() if k != XMP_RATING} == \
        {k: v for k, v in new_desc.attrib.items() if k != XMP_RATING}
    assert (old_desc.get(XMP_RATING), new_desc.get(XMP_RATING)) == ("0", "3")
    # every property element it held (the history, the masks, the hierarchical keywords), in meaning and in order
    kept = [canonical(c) for c in new_desc if isinstance(c.tag, str)]
    old = [canonical(c) for c in old_desc if isinstance(c.tag, str)]
    assert [c for c in kept if c in old] == [c for c in old if not c[0].endswith("}subject")]
    subject = new_desc.find("{http://purl.org/dc/elements/1.1/}subject")
    assert [li.text for li in subject.iter(f"{{{RDF}}}li")] == ["Paris", "Opera"]  # "paris" is the keeper's "Paris"
    assert b"<!-- edited in darktable -->" in new
    assert ET.fromstring(new).find(f".//{{{RDF}}}RDF") is not None
    meta = read_metadata(keeper)
    assert meta.gps.latitude == pytest.approx(-33.8568, abs=1e-6) and meta.title == "Opera house"
    assert sha(keeper) == keeper_hash

    assert undo_carried(catalog, batch) == []
    assert sidecar.read_bytes() == DARKTABLE_SIDECAR  # byte for byte as darktable left it


def test_a_real_camera_raw_packet_as_an_adobe_sidecar_keeps_its_settings(photos, tmp_path, catalog):
    """The Adobe Camera Raw packet of a real DNG (crs: settings, an xmpMM:History) as the keeper's ``IMG.xmp``."""
    data = sample("lg-g4_sample_1mp.dng").read_bytes()
    packet = data[data.index(b"<x:xmpmeta"):data.index(b"</x:xmpmeta>") + len(b"</x:xmpmeta>")]
    folder = tmp_path / "lib"
    folder.mkdir()
    keeper = save_stripped(photos[2], folder / "DSC_7.jpg")
    sidecar = folder / "DSC_7.xmp"
    sidecar.write_bytes(packet)
    copy = save_tagged(photos[2], folder / "DSC_7 copy.jpg", make="LG Mobile", model="LG-H815",
                       xmp=xmp_packet(keywords=["phone"]))
    carried = carry_metadata(catalog, 7, keeper, [copy])
    assert carried.sidecar == str(sidecar)
    assert (carried.fields.make, carried.fields.model, carried.fields.keywords) == ("LG Mobile", "LG-H815", ("phone",))
    old_desc, new_desc = description(packet), description(sidecar.read_bytes())
    assert old_desc.attrib == {k: v for k, v in new_desc.attrib.items() if k in old_desc.attrib}
    assert len(old_desc.attrib) > 90  # every crs: setting
    assert [canonical(c) for c in old_desc] == [canonical(c) for c in new_desc][:len(old_desc)]
    assert undo_carried(catalog, 7) == [] and sidecar.read_bytes() == packet


def test_two_carries_to_one_sidecar_in_a_batch_unwind_in_order(photos, tmp_path, catalog):
    folder = tmp_path / "lib"
    folder.mkdir()
    keeper = save_stripped(photos[0], folder / "IMG_5.jpg")
    original = xmp_packet(keywords=["kept"])
    (folder / "IMG_5.jpg.xmp").write_bytes(original)
    dated = save_tagged(photos[0], folder / "IMG_5 (1).jpg", when="2018:08:08 08:08:08")
    tagged = save_tagged(photos[0], folder / "IMG_5 (2).jpg", xmp=xmp_packet(keywords=["late"], rating=1))
    first = carry_metadata(catalog, 3, keeper, [dated])
    second = carry_metadata(catalog, 3, keeper, [tagged])
    assert first.fields.captured_at == "2018-08-08T08:08:08" and second.fields.keywords == ("late",)
    assert read_metadata(keeper).keywords == ("kept", "late")
    assert undo_carried(catalog, 3) == []
    assert (folder / "IMG_5.jpg.xmp").read_bytes() == original


def test_a_sidecar_edited_after_the_carry_is_not_clobbered_by_undo(photos, tmp_path, catalog):
    folder = tmp_path / "lib"
    folder.mkdir()
    keeper = save_stripped(photos[0], folder / "IMG_3.jpg")
    copy = save_tagged(photos[0], folder / "IMG_3 (1).jpg", when="2019:06:01 10:00:00")
    carried = carry_metadata(catalog, 1, keeper, [copy])
    edited = Path(carried.sidecar).read_bytes().replace(b"</rdf:Description>",
                                                        b"<xmp:Label xmlns:xmp='http://ns.adobe.com/xap/1.0/'>Red"
                                                        b"</xmp:Label></rdf:Description>")
    Path(carried.sidecar).write_bytes(edited)  # the user labels it in their tool
    [(path, reason)] = undo_carried(catalog, 1)
    assert path == carried.sidecar and "changed after PhotoHash wrote it" in reason and "\n" not in reason
    assert Path(carried.sidecar).read_bytes() == edited
    assert len(catalog.sidecar_journal(1, only_pending=True)) == 1  # still there: a later undo may try again

    # the same check, on its own: a sidecar removed since is not put back either
    other = save_stripped(photos[1], folder / "IMG_7.jpg")
    (folder / "IMG_7.jpg.xmp").write_bytes(xmp_packet(rating=2))
    written = write_carried(other, carry_preview(other, [copy]))
    assert written.previous == xmp_packet(rating=2) and read_metadata(other).captured_at == "2019-06-01T10:00:00"
    Path(written.path).unlink()
    assert "removed" in restore_sidecar(written)
    assert not Path(written.path).exists()


def test_a_crash_between_intent_and_write_recovers(photos, tmp_path):
    folder = tmp_path / "lib"
    folder.mkdir()
    keeper = save_stripped(photos[0], folder / "IMG_4.jpg")
    copy = save_tagged(photos[0], folder / "IMG_4 (1).jpg", when="2019:06:01 10:00:00", make="Canon", model="R5")
    catalog_path = tmp_path / "c.sqlite"
    previous = xmp_packet(rating=1)
    (folder / "IMG_4.jpg.xmp").write_bytes(previous)

    # killed after the intent, before the write: the sidecar is as it was, and the intent is forgotten
    with Catalog(catalog_path) as catalog:
        catalog.sidecar_intend(1, str(keeper), sidecar_for(keeper), previous, content_hash(b"never written"))
    with Catalog(catalog_path) as catalog:  # the next run
        assert undo_carried(catalog, 1) == []
        assert catalog.sidecar_journal(1) == []
    assert (folder / "IMG_4.jpg.xmp").read_bytes() == previous

    # killed after the write, before it was marked done: undone like a finished one
    written = write_carried(keeper, carry_preview(keeper, [copy]))
    assert read_metadata(keeper).model == "R5"
    with Catalog(catalog_path) as catalog:
        entry = catalog.sidecar_intend(2, str(keeper), written.path, written.previous, written.written_hash)
    with Catalog(catalog_path) as catalog:
        assert catalog.sidecar_journal(2)[0].written_at is None
        assert undo_carried(catalog, 2) == []
        assert catalog.sidecar_journal(2)[0].restored_at is not None and catalog.sidecar_journal(2)[0].id == entry
    assert (folder / "IMG_4.jpg.xmp").read_bytes() == previous

    # killed before the write of a sidecar that did not exist: nothing to remove, the intent is forgotten
    (folder / "IMG_4.jpg.xmp").unlink()
    with Catalog(catalog_path) as catalog:
        catalog.sidecar_intend(3, str(keeper), sidecar_for(keeper), None, content_hash(b"x"))
        assert undo_carried(catalog, 3) == [] and catalog.sidecar_journal(3) == []
    assert not (folder / "IMG_4.jpg.xmp").exists()


def test_a_sidecar_that_is_not_xmp_is_left_alone_and_nothing_is_journaled(photos, tmp_path, catalog):
    folder = tmp_path / "lib"
    folder.mkdir()
    keeper = save_stripped(photos[0], folder / "IMG_6.jpg")
    copy = save_tagged(photos[0], folder / "IMG_6 (1).jpg", when="2019:06:01 10:00:00")
    foreign = b"<notes>not XMP at all</notes>\n"
    (folder / "IMG_6.jpg.xmp").write_bytes(foreign)
    with pytest.raises(FileError, match="IMG_6.jpg.xmp: the sidecar is not XMP"):
        carry_metadata(catalog, 1, keeper, [copy])
    assert (folder / "IMG_6.jpg.xmp").read_bytes() == foreign
    assert catalog.sidecar_journal() == []
    assert not [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]  # no temporary file left behind

    # an empty sidecar (a tool that touched it) holds nothing to keep: it gets the packet, and undo empties it again
    (folder / "IMG_6.jpg.xmp").write_bytes(b"")
    carried = carry_metadata(catalog, 2, keeper, [copy])
    assert read_metadata(keeper).captured_at == "2019-06-01T10:00:00" and not carried.created
    assert undo_carried(catalog, 2) == [] and (folder / "IMG_6.jpg.xmp").read_bytes() == b""

    # a sidecar that is a symbolic link is not replaced (that would cut the link) nor written through
    target = tmp_path / "elsewhere.xmp"
    target.write_bytes(xmp_packet(rating=1))
    (folder / "IMG_6.jpg.xmp").unlink()
    (folder / "IMG_6.jpg.xmp").symlink_to(target)
    with pytest.raises(FileError, match="symbolic link"):
        carry_metadata(catalog, 3, keeper, [copy])
    assert target.read_bytes() == xmp_packet(rating=1) and catalog.sidecar_journal(3) == []


def test_a_raw_copy_carries_its_camera_gps_and_lens_to_the_jpeg_kept(photos, tmp_path, catalog):
    arw = sample("sony-slt-a55_preview-only.arw")
    folder = tmp_path / "lib"
    folder.mkdir()
    raw = folder / "DSC00042.ARW"
    raw.write_bytes(arw.read_bytes())
    keeper = save_stripped(photos[0], folder / "DSC00042.JPG")
    carried = carry_metadata(catalog, 1, keeper, [raw])
    assert carried.sidecar == str(folder / "DSC00042.JPG.xmp")  # never the RAW's DSC00042.xmp
    meta = read_metadata(keeper)
    assert (meta.make, meta.model, meta.lens, meta.captured_at) == ("SONY", "SLT-A55V", "DT 18-200mm F3.5-6.3",
                                                                    "2017-10-22T11:54:20")
    assert meta.gps.altitude == pytest.approx(1199.9) and raw.read_bytes() == arw.read_bytes()



def test_a_write_never_replaces_what_the_sidecar_holds_even_from_a_stale_preview(photos, tmp_path):
    """What was shown may be older than the sidecar (the user rated the photo meanwhile), and a date this cannot
    read is still the user's: neither is replaced."""
    folder = tmp_path / "lib"
    folder.mkdir()
    keeper = save_stripped(photos[0], folder / "IMG_8.jpg")
    copy = save_tagged(photos[0], folder / "IMG_8 (1).jpg", when="2019:06:01 10:00:00", gps=(10.0, 20.0, 0.0),
                       xmp=xmp_packet(rating=5, title="Shown"))
    shown = carry_preview(keeper, [copy])
    assert (shown.rating, shown.title, shown.captured_at) == (5, "Shown", "2019-06-01T10:00:00")
    sidecar = folder / "IMG_8.jpg.xmp"
    sidecar.write_bytes(
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b'<rdf:Description rdf:about="" xmlns:exif="http://ns.adobe.com/exif/1.0/" '
        b'xmlns:xmp="http://ns.adobe.com/xap/1.0/" exif:DateTimeOriginal="early June 2019">'
        b'<xmp:Rating>2</xmp:Rating><dc:title xmlns:dc="http://purl.org/dc/elements/1.1/"><rdf:Alt>'
        b'<rdf:li xml:lang="x-default">Mine</rdf:li></rdf:Alt></dc:title></rdf:Description></rdf:RDF></x:xmpmeta>')
    write_carried(keeper, shown)
    desc = description(sidecar.read_bytes())
    assert desc.get("{http://ns.adobe.com/exif/1.0/}DateTimeOriginal") == "early June 2019"
    assert desc.find(XMP_RATING).text == "2" and desc.get(XMP_RATING) is None
    meta = read_metadata(keeper)
    assert (meta.rating, meta.title) == (2, "Mine") and meta.gps.latitude == pytest.approx(10.0)


def test_junk_a_camera_wrote_cannot_make_the_sidecar_unreadable(photos, tmp_path, catalog):
    """A control byte in a camera's lens name is not XML: carried as written, it would leave a sidecar no tool (nor
    the next carry) can read."""
    folder = tmp_path / "lib"
    folder.mkdir()
    keeper = save_stripped(photos[0], folder / "IMG_9.jpg")
    copy = save_tagged(photos[0], folder / "IMG_9 (1).jpg", lens="XF23mm\x01F2 R WR\x00", model="X-E4\x1b")
    assert (read_metadata(copy).lens, read_metadata(copy).model) == ("XF23mmF2 R WR", "X-E4")
    carried = carry_metadata(catalog, 1, keeper, [copy])
    ET.fromstring(Path(carried.sidecar).read_bytes())
    assert read_metadata(keeper).lens == "XF23mmF2 R WR"


# -- through the trash: the batch carries, and its undo takes back ---------------------------------------------------

def test_trashing_a_copy_keeps_what_it_knew_in_the_keepers_sidecar_and_undo_takes_it_back(photos, tmp_path):
    from engine.duplicates import verified_groups
    from engine.model import HashModel, default_model_path
    from engine.scan import scan
    from engine.trash import trash_files, undo

    library = tmp_path / "library"
    library.mkdir()
    keeper = save_stripped(photos[0], library / "IMG_0001.jpg")  # the export kept: larger, no metadata
    Image.open(keeper).reduce(2).save(library / "small.jpg")  # half size
    copy = save_tagged(library / "small.jpg", library / "IMG_0001 (1).jpg", when="2019:06:01 10:00:00",
                       gps=(45.5, 6.25, 1200.0), make="Canon", model="Canon EOS R6",
                       xmp=xmp_packet(rating=4, keywords=("alps", "lake")))
    (library / "small.jpg").unlink()
    before = sha(keeper)
    model = HashModel.load(default_model_path())
    with Catalog(tmp_path / "c.sqlite") as cat:
        list(scan(cat, [library], model, workers=0))
        (group,) = verified_groups(cat, model)
        assert group.keeper.file.path == str(keeper) and [m.file.path for m in group.removable] == [str(copy)]
        result = trash_files(cat, [str(copy)], groups=[group], carry=[(str(keeper), [str(copy)])])
        assert result.failed == [] and result.moved == [str(copy)]
        (carried,) = result.carried
        assert carried.words() == "capture date 2019-06-01 10:00, GPS, camera Canon EOS R6, 2 keywords, rating ★★★★ " \
                                  "from IMG_0001 (1).jpg"
        sidecar = Path(sidecar_for(keeper))
        kept = read_metadata(keeper)
        assert (kept.captured_at, kept.model, kept.rating, set(kept.keywords)) == (
            "2019-06-01T10:00:00", "Canon EOS R6", 4, {"alps", "lake"})
        assert sha(keeper) == before  # the photo's own bytes (and date) untouched
        restored = undo(cat)
        assert restored.failed == [] and restored.moved == [str(copy)]
        assert not sidecar.exists() and read_metadata(keeper).empty


def test_a_batch_whose_copies_all_stay_takes_its_carry_back(photos, tmp_path, catalog):
    from engine.trash import trash_files

    keeper = save_stripped(photos[0], tmp_path / "kept.jpg")
    copy = save_tagged(photos[0], tmp_path / "copy.jpg", when="2019:06:01 10:00:00")
    result = trash_files(catalog, [str(copy)], carry=[(str(keeper), [str(copy)])])  # not scanned: refused
    assert result.moved == [] and result.carried == [] and not Path(sidecar_for(keeper)).exists()


def test_the_cli_says_what_it_would_keep_and_keeps_it_unless_told_not_to(photos, tmp_path, capsys):
    from photohash_cli import main

    library = tmp_path / "library"
    library.mkdir()
    keeper = save_stripped(photos[0], library / "IMG_0001.jpg")
    Image.open(keeper).reduce(2).save(tmp_path / "small.jpg")
    save_tagged(tmp_path / "small.jpg", library / "IMG_0001 (1).jpg", when="2019:06:01 10:00:00")
    catalog = str(tmp_path / "c.sqlite")
    assert main(["scan", "--catalog", catalog, "--workers", "0", str(library)]) == 0
    capsys.readouterr()
    assert main(["trash", "--catalog", catalog, "--no-carry-metadata"]) == 0
    assert "would keep" not in capsys.readouterr().out
    assert main(["trash", "--catalog", catalog]) == 0
    assert "would keep in IMG_0001.jpg.xmp: capture date 2019-06-01 10:00 from IMG_0001 (1).jpg" in \
        capsys.readouterr().out.splitlines()
    assert main(["trash", "--catalog", catalog, "--yes"]) == 0
    assert "kept in IMG_0001.jpg.xmp: capture date 2019-06-01 10:00 from IMG_0001 (1).jpg" in \
        capsys.readouterr().out.splitlines()
    assert read_metadata(keeper).captured_at == "2019-06-01T10:00:00"


def test_a_carry_whose_moves_never_happened_is_taken_back_by_the_next_batch(photos, tmp_path, catalog):
    """Killed after the keeper's sidecar was written and before its copies moved: the copies are still there, so
    what was carried from them goes back, as when every copy of a batch stays."""
    from engine.trash import trash_files

    keeper = save_stripped(photos[0], tmp_path / "kept.jpg")
    copy = save_tagged(photos[0], tmp_path / "copy.jpg", when="2019:06:01 10:00:00")
    assert carry_metadata(catalog, catalog.next_trash_batch(), keeper, [copy]) is not None  # then the process died
    assert Path(sidecar_for(keeper)).exists()
    trash_files(catalog, [])  # the next batch, whatever it moves
    assert not Path(sidecar_for(keeper)).exists() and copy.exists()
