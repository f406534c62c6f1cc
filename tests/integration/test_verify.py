"""Verified duplicates on real photos: every kind of edit a user makes verifies as a copy and says what it is;
different photos, and two halves of one photo, do not; the catalog keeps features and verdicts; groups are what
verified copies connect."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading

import numpy as np
import pytest
from PIL import Image

from engine.catalog import Catalog
from engine.catalog_models import model_row_id
from engine.duplicates import candidate_search, model_groups, verified_groups
from engine.images import decode_image, read_image
from engine.index import HammingIndex
from engine.model import HashModel, default_model_path
from engine.scan import scan
from engine.verification import Verifier
from engine.verify import WORKING_SIDE, Features, features, verify
from photohash_cli import main
from trainer.edits import EDITS, edited_file

from ..conftest import REPO, extract_photos

# What the reason says for edits whose transform is known exactly (the benchmark's edits, trainer/edits.py)
REASONS = {
    "downscale-50": "downscaled to 50%",
    "crop-20-centre": "cropped 20%",
    "rotate90": "turned 90° clockwise",
    "rotate180": "turned 180°",
    "rotate270": "turned 90° anticlockwise",
    "flip": "mirrored",
    "rotate+10": "turned 10° anticlockwise",
    "brightness-30": "darker",
}


@pytest.fixture(scope="module")
def originals(tmp_path_factory) -> list:
    folder = tmp_path_factory.mktemp("originals")
    return [read_image(p, min_side=WORKING_SIDE).image for p in extract_photos(folder, limit=3)]


def test_every_edit_verifies_as_a_copy_and_says_what_it_is(originals):
    missed = []
    for k, image in enumerate(originals):
        first = features(image)
        assert first is not None
        for edit in EDITS:
            copy = decode_image(edited_file(edit, image.copy(), f"0-{k}"), edit.name, min_side=WORKING_SIDE).image
            verdict = verify(first, features(copy))
            if verdict.kind != "copy":
                missed.append((k, edit.name, verdict))
            elif edit.name in REASONS:
                assert REASONS[edit.name] in verdict.reason(), (edit.name, verdict.reason())
    assert not missed, missed


def test_a_verdict_does_not_depend_on_which_photo_comes_first(originals):
    """Which file is called first follows file ids (the order a scan stored them in): it must not turn a copy into a
    series. (Before, only the first photo's textured cells were counted: text on one carton and not on the other
    was a difference one way and not the other.)"""
    first = features(originals[0])
    turned = []
    for edit in EDITS:
        copy = features(decode_image(edited_file(edit, originals[0].copy(), "0-0"), edit.name,
                                     min_side=WORKING_SIDE).image)
        forward, backward = verify(first, copy), verify(copy, first)
        if forward.kind != backward.kind:
            turned.append((edit.name, forward, backward))
    assert not turned, turned
    # a photo on a plain backdrop, and the same with another photo printed on the backdrop
    plain = Image.new("RGB", (1000, 560), (128, 128, 128))
    plain.paste(originals[0].resize((540, 304)), (0, 128))
    printed = plain.copy()
    printed.paste(originals[1].resize((440, 248)), (560, 156))
    forward, backward = verify(features(plain), features(printed)), verify(features(printed), features(plain))
    assert forward.kind == backward.kind != "copy", (forward, backward)


def test_different_photos_and_two_halves_of_one_photo_are_not_copies(originals, tmp_path):
    more = [read_image(p, min_side=WORKING_SIDE).image for p in extract_photos(tmp_path, limit=12)[3:]]
    made = [features(image) for image in originals + more]
    kinds = [verify(a, b).kind for a, b in itertools.permutations(made, 2)]
    assert kinds.count("copy") == 0 and kinds.count("series") == 0, kinds
    for image in originals:  # near twins: the left and the right 45 % share no pixel
        w, h = image.size
        left, right = image.crop((0, 0, int(w * 0.45), h)), image.crop((int(w * 0.55), 0, w, h))
        assert verify(features(left), features(right)).kind in ("different", "unverified")


def test_too_small_or_too_flat_is_unverified_and_features_survive_the_catalog(originals):
    flat = Image.new("RGB", (800, 600), (120, 130, 140))
    assert features(flat) is None and features(originals[0].resize((20, 15))) is None
    assert verify(features(flat), features(originals[0])).kind == "unverified"
    made = features(originals[0])
    again = Features.from_bytes(made.to_bytes())
    assert np.array_equal(again.plain.descriptors, made.plain.descriptors) and again.size == made.size
    assert verify(made, again).kind == "copy"
    for broken in (made.to_bytes()[:-7], b"PHVF" + b"\0" * 30, b""):
        with pytest.raises(ValueError):
            Features.from_bytes(broken)


def _library(root, originals, count=6):
    """Originals (modified long before their copies), their edited copies in another folder, and other photos."""
    photos = extract_photos(root / "photos", limit=count)
    for p in photos:
        os.utime(p, (1_600_000_000, 1_600_000_000))
    edits = root / "edits"
    edits.mkdir()
    for k, p in enumerate(photos[:2]):
        image = read_image(p, min_side=WORKING_SIDE).image
        for name in ("downscale-50", "crop-20-offcentre", "flip", "rotate90", "jpeg-q30", "caption"):
            edit = next(e for e in EDITS if e.name == name)
            (edits / f"{p.stem}-{name}.{'png' if edit.format == 'PNG' else 'jpg'}").write_bytes(
                edited_file(edit, image.copy(), f"0-{k}"))
    return photos


def test_groups_are_what_verified_copies_connect_and_the_catalog_keeps_the_work(tmp_path, originals):
    photos = _library(tmp_path, originals)
    model = HashModel.load(default_model_path())
    with Catalog(tmp_path / "c.sqlite") as catalog:
        list(scan(catalog, [tmp_path / "photos", tmp_path / "edits"], model, workers=1))
        verifier = Verifier(catalog, workers=2)  # features made in worker processes
        groups = verified_groups(catalog, model, verifier=verifier, keeper_rules=("oldest",))
        assert verifier.decoded > 0
        # a pair already joined by verified copies is not verified (verifying every candidate would compare all)
        radius, gates = candidate_search(model.info)
        ids, packed = catalog.codes(model_row_id(catalog, model))
        candidates = len(HammingIndex(packed, ids).pairs(radius, gates)[0])
        assert verifier.compared < candidates, (verifier.compared, candidates)
        # made in a worker process or in this one: the same features
        row = next(iter(catalog.files(ids[:1].tolist()).values()))
        kept = catalog.features_of({row.content_hash: row})[row.content_hash][1]
        here = features(read_image(row.path, min_side=WORKING_SIDE).image)
        assert kept == (None if here is None else here.to_bytes())
        # each original with all six of its copies, and nothing else
        by_keeper = {os.path.basename(g.keeper.file.path): g for g in groups}
        for p in photos[:2]:
            group = by_keeper[p.name]
            assert sorted(os.path.basename(m.file.path).split("-")[-1] for m in group.members[1:]) == sorted(
                ["50.jpg", "offcentre.jpg", "flip.jpg", "rotate90.jpg", "q30.jpg", "caption.jpg"])
            assert all(m.file.path.startswith(str(tmp_path / "edits")) for m in group.members[1:])
            assert group.kind == "copy" and len(group.removable) == 6
            reasons = {os.path.basename(m.file.path): m.reason for m in group.members[1:]}
            assert reasons[f"{p.stem}-flip.jpg"].startswith("mirrored")
            assert reasons[f"{p.stem}-downscale-50.jpg"].startswith("downscaled to 50%")
        assert len(groups) == 2
        # a second look reads features and verdicts from the catalog: nothing is decoded again
        again = Verifier(catalog)
        assert [[m.file.path for m in g.members]
                for g in verified_groups(catalog, model, verifier=again, keeper_rules=("oldest",))] == \
            [[m.file.path for m in g.members] for g in groups]
        assert again.decoded == 0
        # strict: only copies of the whole frame, at most resized or re-encoded; loose: at least what normal finds
        strict = {os.path.basename(g.keeper.file.path): {os.path.basename(m.file.path) for m in g.members[1:]}
                  for g in verified_groups(catalog, model, keeper_rules=("oldest",), strictness="strict")}
        for p in photos[:2]:
            assert {f"{p.stem}-downscale-50.jpg", f"{p.stem}-jpeg-q30.jpg"} <= strict[p.name], strict
            assert not {f"{p.stem}-{e}.jpg" for e in ("crop-20-offcentre", "flip", "rotate90")} & strict[p.name]
        loose = verified_groups(catalog, model, keeper_rules=("oldest",), strictness="loose")
        assert {m.file.path for g in groups for m in g.members} <= {m.file.path for g in loose for m in g.members}
        assert candidate_search(model.info, strictness="loose")[0] > radius > candidate_search(
            model.info, strictness="strict")[0]
        with pytest.raises(ValueError, match="strictness"):
            verified_groups(catalog, model, strictness="lax")
        # a verdict that does not read back is made again, not an error (verdicts are decoded only when asked)
        with catalog.transaction() as conn:
            conn.execute("UPDATE verdicts SET verdict = '{not json'")
        garbled = Verifier(catalog)
        assert [[m.file.path for m in g.members] for g in verified_groups(
            catalog, model, verifier=garbled, keeper_rules=("oldest",))] == [[m.file.path for m in g.members]
                                                                             for g in groups]
        assert garbled.compared > 0
        # a corrupt feature blob is made again, not an error
        with catalog.transaction() as conn:
            conn.execute("UPDATE features SET data = x'00ff'")
            conn.execute("DELETE FROM verdicts")
        fresh = Verifier(catalog)
        assert len(verified_groups(catalog, model, verifier=fresh)) == 2 and fresh.decoded > 0


def test_a_cancelled_verification_keeps_nothing_it_did_not_finish(tmp_path, originals):
    """Stopped before it read the photos (a newer question in the app): its pairs are unverified for this answer
    only; the next look verifies them."""
    _library(tmp_path, originals, count=3)
    model = HashModel.load(default_model_path())
    with Catalog(tmp_path / "c.sqlite") as catalog:
        list(scan(catalog, [tmp_path / "photos", tmp_path / "edits"], model, workers=1))
        stopped = threading.Event()
        stopped.set()
        cancelled = Verifier(catalog, cancel=stopped)
        unread = verified_groups(catalog, model, verifier=cancelled)
        assert cancelled.decoded == 0
        # grouped by their hash, said to be unchecked, and never suggested for removal
        assert unread and all(m.unchecked and m.reason.startswith("not checked") for g in unread
                              for m in g.members[1:] if not m.exact)
        assert not [m for g in unread for m in g.removable if not m.exact]
        assert catalog.verdicts_of([]) == {} and not catalog._read("SELECT COUNT(*) FROM verdicts")[0][0]
        groups = verified_groups(catalog, model, keeper_rules=("oldest",))
        assert all(m.verdict.kind == "copy" for g in groups for m in g.members[1:] if m.verdict), \
            [(m.file.path, m.verdict) for g in groups for m in g.members[1:]]


def test_a_photo_too_flat_to_verify_never_bridges_two_different_photos(tmp_path, originals):
    """A flat photo falls back to the hash; the hash put it near two different photos, each a little like it (a plain
    black garment between a pair of shorts and a dress, in a clothing set). It may join one of them, never both."""
    folder = tmp_path / "photos"
    folder.mkdir()
    originals[0].save(folder / "shorts.jpg", quality=92)
    originals[1].save(folder / "dress.jpg", quality=92)
    Image.new("RGB", (300, 200), (20, 20, 20)).save(folder / "black-trousers.jpg", quality=92)
    model = HashModel.load(default_model_path())
    with Catalog(tmp_path / "c.sqlite") as catalog:
        list(scan(catalog, [folder], model, workers=0))
        # the codes the hash might give them: the flat photo 32 bits from each, the two others 64 bits apart
        codes = {"black-trousers.jpg": bytes(24), "shorts.jpg": bytes(16) + b"\xff" * 4 + bytes(4),
                 "dress.jpg": bytes(20) + b"\xff" * 4}
        with catalog.transaction() as conn:
            for name, code in codes.items():
                conn.execute("UPDATE codes SET code = ? WHERE file_id = ?", (code, catalog.file_by_path(folder / name).id))
        groups = verified_groups(catalog, model)
    assert len(groups) == 1 and len(groups[0].members) == 2, [[m.file.path for m in g.members] for g in groups]
    assert "black-trousers.jpg" in {os.path.basename(m.file.path) for m in groups[0].members}
    assert all(m.verdict.kind == "unverified" for m in groups[0].members[1:])


def test_the_catalog_keeps_the_newest_features_within_their_bound_and_every_verdict(tmp_path, originals):
    """Features are a working cache (about 50 KB a photo), bounded; verdicts are what a second look reads."""
    _library(tmp_path, originals, count=3)
    model = HashModel.load(default_model_path())
    with Catalog(tmp_path / "c.sqlite") as catalog:
        list(scan(catalog, [tmp_path / "photos", tmp_path / "edits"], model, workers=1))
        limit = 120_000  # two or three photos' features
        first = Verifier(catalog, workers=0, feature_cache_bytes=limit)
        groups = verified_groups(catalog, model, verifier=first, keeper_rules=("oldest",))
        assert first.decoded > 5
        assert 0 < catalog.features_bytes() <= limit
        kept = catalog._read("SELECT COUNT(*) FROM features")[0][0]
        assert 0 < kept < first.decoded
        again = Verifier(catalog, workers=0, feature_cache_bytes=limit)
        assert [[m.file.path for m in g.members] for g in verified_groups(
            catalog, model, verifier=again, keeper_rules=("oldest",))] == [[m.file.path for m in g.members] for g in groups]
        assert again.decoded == 0 and again.compared == 0


@pytest.mark.parametrize("first, second, apart", [
    (("2024:06:01 10:00:01", None), ("2024:06:01 10:00:03", None), True),  # two seconds apart
    (("2024:06:01 10:00:01", "20"), ("2024:06:01 10:00:01", "45"), True),  # a burst: one second, two fractions
    (("2024:06:01 10:00:01", "20"), ("2024:06:01 10:00:01", "200"), False),  # the same moment, written otherwise
    (("2024:06:01 10:00:01", "20"), ("2024:06:01 10:00:01", None), False),  # an editor dropped the fraction
])
def test_two_shots_taken_apart_are_a_series_never_removable(tmp_path, originals, first, second, apart, capsys):
    """The same frame with two different capture moments is two shots of a burst, not a photo and its copy."""
    folder = tmp_path / "burst"
    folder.mkdir()
    image = originals[1]
    for n, (when, fraction) in enumerate((first, second)):
        exif = Image.Exif()
        exif[0x8769] = {0x9003: when, **({0x9291: fraction} if fraction else {})}  # DateTimeOriginal, SubSecTimeOriginal
        image.save(folder / f"IMG_{n}.jpg", quality=92, exif=exif.tobytes())
    model = HashModel.load(default_model_path())
    with Catalog(tmp_path / "c.sqlite") as catalog:
        list(scan(catalog, [folder], model, workers=1))
        assert {f.captured_at for f in catalog.files(list(range(1, 3))).values()} == {
            f"{w.replace(':', '-', 2).replace(' ', 'T')}{'.' + x if x else ''}" for w, x in (first, second)}
        copies = verified_groups(catalog, model)
        series = verified_groups(catalog, model, series=True)
    capsys.readouterr()
    assert main(["dupes", "--catalog", str(tmp_path / "c.sqlite"), "--series"]) == 0
    shown = capsys.readouterr().out
    if apart:
        assert copies == []
        assert len(series) == 1 and series[0].kind == "series" and series[0].removable == []
        assert len(series[0].members) == 2
        assert "\n  shot " in shown and "\n  trash " not in shown
        assert shown.endswith(f"1 series of shots taken moments apart (candidates within radius "
                              f"{candidate_search(model.info)[0]}); nothing in them is marked for the trash\n"), shown
        assert "copy" not in series[0].members[1].reason and "re-encoded" not in series[0].members[1].reason
    else:
        assert series == [] and len(copies) == 1 and len(copies[0].removable) == 1


def test_a_series_suggests_its_best_shot_sharp_and_well_exposed(tmp_path, originals):
    """A burst of three shots a second apart: camera shake blurs one, the next is blown out; the suggested keeper is
    the sharp, well-exposed one, with the reason, and still nothing in the series is marked."""
    from PIL import ImageEnhance, ImageFilter

    folder = tmp_path / "burst"
    folder.mkdir()
    scene = originals[0]
    shots = {"IMG_1.jpg": scene.filter(ImageFilter.GaussianBlur(3)),  # shaken
             "IMG_2.jpg": scene,
             "IMG_3.jpg": ImageEnhance.Brightness(scene).enhance(2.5)}  # blown out
    for n, (name, image) in enumerate(shots.items()):
        exif = Image.Exif()
        exif[0x8769] = {0x9003: f"2024:06:01 10:00:0{n}"}
        image.save(folder / name, quality=92, exif=exif.tobytes())
    model = HashModel.load(default_model_path())
    with Catalog(tmp_path / "c.sqlite") as catalog:
        list(scan(catalog, [folder], model, workers=1))
        series = verified_groups(catalog, model, series=True)
        assert len(series) == 1 and len(series[0].members) == 3, series
        group = series[0]
        assert os.path.basename(group.keeper.file.path) == "IMG_2.jpg", group.decided_by
        assert group.keeper_rule == "best shot" and group.decided_by.startswith("sharpest"), group.decided_by
        assert group.removable == []
        # where only one shot is well exposed, that is the reason given
        shots["IMG_2.jpg"].filter(ImageFilter.GaussianBlur(6)).save(folder / "IMG_2.jpg", quality=92,
                                                                     exif=Image.open(folder / "IMG_2.jpg").info["exif"])
    from engine.best_shot import best_shot
    with Catalog(tmp_path / "c.sqlite") as catalog:
        files = list(catalog.files(list(range(1, 4))).values())
        best, why = best_shot([f for f in files if not f.path.endswith("IMG_1.jpg")])
    assert os.path.basename(best.path) == "IMG_2.jpg" and why.startswith("better exposed"), why


def test_cli_dupes_shows_reasons_and_json_carries_the_transform(tmp_path, originals, capsys):
    _library(tmp_path, originals, count=4)
    catalog = str(tmp_path / "c.sqlite")
    assert main(["scan", "--catalog", catalog, str(tmp_path / "photos"), str(tmp_path / "edits")]) == 0
    capsys.readouterr()
    assert main(["dupes", "--catalog", catalog, "--keep-rules", "oldest"]) == 0
    text = capsys.readouterr().out
    assert " mirrored" in text and " downscaled to 50%" in text and "turned 90° clockwise" in text
    assert "groups of verified copies (candidates within radius" in text
    assert main(["dupes", "--catalog", catalog, "--keep-rules", "oldest", "--json"]) == 0
    done = json.loads(capsys.readouterr().out)
    assert done["verified"] is True
    flipped = [f for g in done["groups"] for f in g["files"] if f["path"].endswith("-flip.jpg")]
    assert len(flipped) == 2 and all(f["verdict"]["kind"] == "copy" and f["verdict"]["mirrored"] for f in flipped)
    # --no-verify is the hash's own grouping, as before verification
    assert main(["dupes", "--catalog", catalog, "--no-verify", "--json"]) == 0
    plain = json.loads(capsys.readouterr().out)
    with Catalog(catalog) as cat:
        model = HashModel.load(default_model_path())
        assert len(plain["groups"]) == len(model_groups(cat, model)) and plain["verified"] is False
    assert main(["dupes", "--catalog", catalog, "--series", "--radius", "40"]) == 2
    # strict: no mirrored copy; a strictness on the hash's own groups is a usage error
    assert main(["dupes", "--catalog", catalog, "--strictness", "strict", "--json"]) == 0
    strict = json.loads(capsys.readouterr().out)
    paths = [f["path"] for g in strict["groups"] for f in g["files"]]
    assert any(p.endswith("-downscale-50.jpg") for p in paths) and not any(p.endswith("-flip.jpg") for p in paths)
    assert main(["dupes", "--catalog", catalog, "--strictness", "loose", "--no-verify"]) == 2


def test_a_read_only_catalog_of_the_old_schema_is_verified_without_keeping_anything(tmp_path, originals):
    """``dupes`` on a catalog written before verification came, read-only to its user: verified all the same, and
    the file is not touched. Root ignores permissions, so a root run drops the capabilities that let it (setpriv)."""
    _library(tmp_path, originals, count=3)
    model = HashModel.load(default_model_path())
    path = tmp_path / "c.sqlite"
    with Catalog(path) as catalog:
        list(scan(catalog, [tmp_path / "photos", tmp_path / "edits"], model, workers=1))
        expected = sorted(sorted(m.file.path for m in g.members) for g in verified_groups(catalog, model))
    conn = sqlite3.connect(path)  # as a catalog written before verification came
    conn.executescript("DROP TABLE features; DROP TABLE verdicts; DELETE FROM schema_migrations WHERE version = 3;")
    conn.close()
    prefix = []
    if os.geteuid() == 0:
        prefix = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search,-fowner", "--"]
        if not shutil.which("setpriv"):
            pytest.skip("needs setpriv (util-linux) to run the CLI as root without its permission override")
    before = path.read_bytes()
    path.chmod(0o444)
    tmp_path.chmod(0o555)
    try:
        done = subprocess.run([*prefix, sys.executable, "-m", "photohash_cli", "dupes", "--json", "--catalog",
                               str(path)], cwd=REPO, capture_output=True, text=True, timeout=300)
    finally:
        tmp_path.chmod(0o755)
        path.chmod(0o644)
    assert done.returncode == 0, done.stderr
    groups = json.loads(done.stdout)["groups"]
    assert sorted(sorted(f["path"] for f in g["files"]) for g in groups) == expected and len(expected) == 2
    assert path.read_bytes() == before
