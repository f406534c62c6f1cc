"""Camera RAW photos (issue 25, part 1): read through LibRaw, from the embedded preview where it is large enough,
else a half-size demosaic; turned as the camera says; capture time and camera read; a broken RAW is one line.

Real RAW files cannot be committed here (fetched data stays out of the repository): they are read from
``../data-raw`` beside the checkout, whose PROVENANCE.md names each file's repository, commit and licence, and the
tests that need them skip with a message naming it. DNGs are also made here from the shared photos (pidng, the dev
extra): a Bayer mosaic of a real photo, with the orientation the test wants."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from PIL import Image

from engine.errors import FileError
from engine.images import RAW_PREVIEW_MIN_SIDE, read_image, walk
from engine.model import HashModel, default_model_path, prepare
from engine.units import human_bytes as human

from ..conftest import REPO, extract_photos

RAW_SAMPLES = REPO.parent / "data-raw"


def sample(name: str):
    path = RAW_SAMPLES / name
    if not path.is_file():
        pytest.skip(f"needs {path} (real RAW samples beside the checkout: see tests/integration/test_raw.py)")
    return path


def make_dng(jpeg, out, orientation: int = 1, when: str = "2021:05:01 10:00:00"):
    """A DNG a camera could have written of ``jpeg``'s scene, with no preview (so LibRaw demosaics it):
    tools/make_sample_photos.py's ``write_dng``, which the screenshots' library uses too."""
    pytest.importorskip("pidng.core", reason="needs pidng (the dev extra) to write DNGs")
    from tools.make_sample_photos import write_dng

    with Image.open(jpeg) as img:
        return write_dng(img, out, when, orientation)


def test_real_raws_are_read_from_their_preview_with_the_sensor_size_date_and_camera():
    crw, arw = sample("canon-eos-d30.crw"), sample("sony-slt-a55_preview-only.arw")
    canon = read_image(crw, min_side=224)
    assert (canon.format, canon.width, canon.height) == ("CRW", 2176, 1448)  # the sensor's pixels, not the preview's
    assert max(canon.image.size) < canon.width and min(canon.image.size) >= 224  # its 1440-px preview, drafted down
    assert (canon.captured_at, canon.camera) == ("2018-01-01T13:03:32", "Canon EOS D30")  # a CIFF RAW: the preview's
    sony = read_image(arw, min_side=224)
    assert (sony.format, sony.width, sony.height) == ("ARW", 4928, 3280)
    assert (sony.captured_at, sony.camera, sony.has_gps) == ("2017-10-22T11:54:20", "SONY SLT-A55V", True)
    # this file's sensor data is missing (all 0): a demosaic would be black, the camera's preview is the photo
    assert np.asarray(sony.image).mean() > 60
    full = read_image(arw)  # no size asked: the preview at its own size
    assert max(full.image.size) >= RAW_PREVIEW_MIN_SIDE


def test_a_small_preview_is_not_enough_and_the_raw_is_demosaiced():
    dng = sample("lg-g4_sample_1mp.dng")  # a phone's DNG with a 256-px thumbnail
    lg = read_image(dng)
    assert (lg.format, lg.width, lg.height, lg.camera) == ("DNG", 600, 338, "LG Mobile LG-H815")
    assert lg.captured_at == "2015-06-08T12:10:44"
    assert max(lg.image.size) > 256 and np.asarray(lg.image).std() > 20  # not its thumbnail: a real picture


def test_a_dng_of_a_photo_is_turned_as_the_camera_says_and_hashes_like_the_photo(tmp_path):
    jpeg = extract_photos(tmp_path / "photos", limit=1)[0]
    upright = make_dng(jpeg, tmp_path / "upright.dng")
    turned = make_dng(jpeg, tmp_path / "turned.dng", orientation=6, when="2021:05:01 10:00:05")
    a, b = read_image(upright), read_image(turned)
    assert a.image.width > a.image.height and b.image.height > b.image.width  # orientation 6: a quarter turn
    assert (b.width, b.height) == (a.height, a.width)
    assert (a.captured_at, a.camera) == ("2021-05-01T10:00:00", "PhotoHash Synthetic Bayer")
    model = HashModel.load(default_model_path())
    codes = model.encode(np.stack([prepare(image, model.info) for image in (read_image(jpeg).image, a.image)]))
    distance = int(np.bitwise_count(np.bitwise_xor(codes[0], codes[1])).sum())
    assert distance <= model.info.radius_duplicate, distance  # a RAW and the JPEG of its scene: one picture


def test_raw_files_are_found_by_a_walk_and_a_broken_one_is_one_line(tmp_path):
    crw = sample("canon-eos-d30.crw")
    (tmp_path / "IMG_0001.CRW").write_bytes(crw.read_bytes())
    (tmp_path / "cut.crw").write_bytes(crw.read_bytes()[:5000])  # a card pulled out mid-write
    (tmp_path / "notes.nef").write_text("not a photo")
    assert sorted(e.path.rsplit("/", 1)[-1] for e in walk([tmp_path])) == ["IMG_0001.CRW", "cut.crw", "notes.nef"]
    assert read_image(tmp_path / "IMG_0001.CRW").format == "CRW"
    for name in ("cut.crw", "notes.nef"):
        with pytest.raises(FileError) as caught:
            read_image(tmp_path / name)
        line = str(caught.value)
        assert line.startswith(str(tmp_path / name)) and "\n" not in line and "RAW" in line, line


# -- stacks: a RAW and its JPEG are one photo; two stacks that are copies move whole ---------------------------------

def _shoot(folder, jpeg, stem: str) -> dict:
    """What a camera set to RAW+JPEG writes for one shot, and what editors add: the RAW, the JPEG, a darktable
    sidecar named by the RAW's whole name and an Adobe one by the stem. Returns path -> bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    written = {folder / f"{stem}.JPG": jpeg.read_bytes()}
    (folder / f"{stem}.JPG").write_bytes(written[folder / f"{stem}.JPG"])
    make_dng(jpeg, folder / f"{stem}.dng")
    written[folder / f"{stem}.dng"] = (folder / f"{stem}.dng").read_bytes()
    for name, text in ((f"{stem}.dng.xmp", "<x:xmpmeta xmlns:x='adobe:ns:meta/'>darktable</x:xmpmeta>"),
                       (f"{stem}.xmp", "<x:xmpmeta xmlns:x='adobe:ns:meta/'>rating 4</x:xmpmeta>")):
        (folder / name).write_text(text)
        written[folder / name] = text.encode()
    return {str(p): data for p, data in written.items()}


def test_a_raw_jpeg_stack_is_never_its_own_duplicate_and_a_copied_stack_moves_whole(tmp_path):
    from engine.catalog import Catalog
    from engine.duplicates import verified_groups
    from engine.scan import scan
    from engine.trash import trash_files, undo

    jpeg = extract_photos(tmp_path / "source", limit=1)[0]
    shot = _shoot(tmp_path / "card", jpeg, "IMG_0042")
    backup = _shoot(tmp_path / "backup", jpeg, "IMG_0042")
    model = HashModel.load(default_model_path())
    with Catalog(tmp_path / "c.sqlite") as catalog:
        list(scan(catalog, [tmp_path / "card"], model, workers=0))
        assert verified_groups(catalog, model) == []  # the RAW and its JPEG look alike: a stack, not copies
        list(scan(catalog, [tmp_path / "backup"], model, workers=0))
        (group,) = verified_groups(catalog, model)
        assert [m.file.path for m in group.members] == [str(tmp_path / "card/IMG_0042.JPG"),  # written first
                                                        str(tmp_path / "backup/IMG_0042.JPG")]
        assert [[f.path for f in m.stack] for m in group.members] == [[str(tmp_path / "card/IMG_0042.dng")],
                                                    [str(tmp_path / "backup/IMG_0042.dng")]]
        (copy,) = group.removable
        result = trash_files(catalog, [copy.file.path], groups=[group])
        assert result.failed == [] and sorted(result.moved) == sorted(backup)
        assert not any(os.path.lexists(p) for p in backup) and all(os.path.exists(p) for p in shot)
        restored = undo(catalog)
        assert restored.failed == [] and sorted(restored.moved) == sorted(backup)
        assert {p: open(p, "rb").read() for p in backup} == backup  # byte-identical, sidecars too


def test_a_stack_whose_raw_changed_since_the_scan_does_not_move_at_all(tmp_path):
    from engine.catalog import Catalog
    from engine.scan import scan
    from engine.trash import trash_files

    jpeg = extract_photos(tmp_path / "source", limit=1)[0]
    shot = _shoot(tmp_path / "card", jpeg, "IMG_0007")
    model = HashModel.load(default_model_path())
    with Catalog(tmp_path / "c.sqlite") as catalog:
        list(scan(catalog, [tmp_path / "card"], model, workers=0))
        raw = tmp_path / "card/IMG_0007.dng"
        raw.write_bytes(raw.read_bytes() + b"edited")
        result = trash_files(catalog, [str(tmp_path / "card/IMG_0007.JPG")])
        assert result.moved == [] and result.failed == [
            (str(tmp_path / "card/IMG_0007.JPG"), "IMG_0007.dng, which goes with it: changed since the last scan "
                                                  "(scan again first)")]
        assert all(os.path.exists(p) for p in shot)


def test_the_cli_shows_a_stack_with_its_raw_and_says_what_goes_with_it(tmp_path, capsys):
    from photohash_cli import main

    jpeg = extract_photos(tmp_path / "source", limit=1)[0]
    _shoot(tmp_path / "card", jpeg, "IMG_0042")
    backup = _shoot(tmp_path / "backup", jpeg, "IMG_0042")
    catalog = str(tmp_path / "c.sqlite")
    assert main(["scan", "--catalog", catalog, "--workers", "0", str(tmp_path / "card"), str(tmp_path / "backup")]) == 0
    capsys.readouterr()
    assert main(["dupes", "--catalog", catalog, "--json"]) == 0
    (group,) = json.loads(capsys.readouterr().out)["groups"]
    assert [f["stack"] for f in group["files"]] == [[str(tmp_path / "card/IMG_0042.dng")],
                                                    [str(tmp_path / "backup/IMG_0042.dng")]]
    photos = sum(len(data) for path, data in backup.items() if not path.endswith(".xmp"))  # what the move frees
    assert main(["trash", "--catalog", catalog]) == 0  # a dry run
    out = capsys.readouterr().out.splitlines()
    assert out == [f"would move to trash: {tmp_path}/backup/IMG_0042.JPG (with IMG_0042.dng, IMG_0042.dng.xmp, "
                   f"IMG_0042.xmp)", f"4 files ({human(photos)}) would go to the trash; "
                                     f"add --yes to move them"]
