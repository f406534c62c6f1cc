"""The near-duplicate benchmark's parts: the edit generator and the metrics (a hand-made case whose
precision-recall curve is known), and the shipped model against real edited photos."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image

from engine.images import read_image
from trainer.edits import EDIT_NAMES, EDITS, RANDOM_EDITS, apply_edit, random_edit, write_edits
from trainer.evaluate import (NearDupItems, calibrate_radius, near_duplicate_counts, near_duplicate_curve,
                              near_duplicate_report)

from ..conftest import extract_photos


@pytest.fixture(scope="module")
def photo(tmp_path_factory):
    return extract_photos(tmp_path_factory.mktemp("original"), limit=1)[0]


def test_every_edit_writes_a_readable_file_of_its_format(photo, tmp_path):
    with Image.open(photo) as img:
        paths = write_edits(img.convert("RGB"), "p", tmp_path)
    assert len(paths) == len(EDITS) == len(set(EDIT_NAMES)) == 41
    for edit, path in zip(EDITS, paths):
        with Image.open(path) as img:
            assert img.format == edit.format, path
        assert read_image(path).image.size[0] > 100


def test_edits_are_reproducible_and_seeded_by_photo(photo, tmp_path):
    with Image.open(photo) as img:
        img = img.convert("RGB")
        first = write_edits(img, "p", tmp_path / "a")
        again = write_edits(img, "p", tmp_path / "b")
        other = write_edits(img, "q", tmp_path / "c")
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in again]
    noise = EDIT_NAMES.index("noise")
    assert first[noise].read_bytes() != other[noise].read_bytes()  # another photo, another noise draw


def test_edit_geometry():
    img = Image.new("RGB", (1000, 600), (120, 80, 40))
    by_name = {e.name: e for e in EDITS}

    def size(name):
        return apply_edit(by_name[name], img, "k").size

    assert size("rotate90") == size("rotate270") == (600, 1000)
    assert size("downscale-25") == (250, 150)
    w, h = size("crop-30-offcentre")
    assert abs(w * h / 600_000 - 0.70) < 0.01 and abs(w / h - 1000 / 600) < 0.01
    w, h = size("rotate+10")  # straightened: same aspect, no blank corner
    assert abs(w / h - 1000 / 600) < 0.02 and w < 1000
    turned = apply_edit(by_name["rotate+10"], img, "k")
    corners = [turned.getpixel((x, y)) for x in (0, w - 1) for y in (0, h - 1)]
    assert all(math.dist(c, (120, 80, 40)) < 10 for c in corners)
    assert size("letterbox") == (1000, 1000)


def test_random_edits_for_training_are_seeded_and_keep_the_photo(photo):
    with Image.open(photo) as img:
        img = img.convert("RGB")
        img.thumbnail((256, 256))
    first = [np.asarray(random_edit(img, np.random.default_rng(s))) for s in range(12)]
    again = [np.asarray(random_edit(img, np.random.default_rng(s))) for s in range(12)]
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert len({a.tobytes() for a in first}) == 12  # each seed its own copy
    for kind, _, edit in RANDOM_EDITS:
        out = edit(img, np.random.default_rng(0))
        assert out.mode == "RGB" and min(out.size) >= 0.2 * min(img.size) - 1, kind
    turned = dict((k, e) for k, _, e in RANDOM_EDITS)["turn"](img, np.random.default_rng(1))
    assert turned.size in (img.size, img.size[::-1])


def test_edit_views_are_the_whole_photo_squashed():
    import torch

    from trainer.data import edit_view_transform

    img = Image.new("RGB", (300, 200), (200, 30, 30))
    torch.manual_seed(0)
    views = [edit_view_transform(224, clean=1.0)(img) for _ in range(2)]
    assert views[0].shape == (3, 224, 224) and torch.equal(views[0], views[1])  # clean: the engine's squash
    assert views[0][0].mean() > 1 > views[0][1].mean()  # ImageNet-normalised red


def _hand_made():
    """orig0 (0), its edits a (1) and b (2); orig1 (3), its edit a (4); two distractors of class 0 (5, 6)."""
    items = NearDupItems(source=np.array([0, 0, 0, 1, 1, -1, -2]), edit=np.array(["", "a", "b", "", "a", "", ""]),
                         label=np.array([-1, -1, -1, -1, -1, 0, 0]))
    d = np.full((7, 7), 3)
    np.fill_diagonal(d, 0)
    for (i, j), v in {(0, 1): 0, (0, 2): 2, (3, 4): 1, (1, 2): 0, (5, 6): 1, (2, 3): 2}.items():
        d[i, j] = d[j, i] = v
    return near_duplicate_counts(lambda a, b: d[a:b], items, bins=5, chunk=3)


def test_near_duplicate_curve_on_a_hand_made_case():
    counts = _hand_made()
    curve = near_duplicate_curve(counts)
    assert curve["radius"] == [0, 1, 2, 3, 4]
    # 3 true pairs (the edits and their originals), 17 false ones; edits a and b of orig0 count as neither
    assert curve["precision"] == pytest.approx([1.0, 2 / 3, 3 / 5, 3 / 20, 3 / 20], abs=1e-4)
    assert curve["recall"] == pytest.approx([1 / 3, 2 / 3, 1.0, 1.0, 1.0], abs=1e-4)
    assert calibrate_radius(counts["positive_by_edit"].sum(0), counts["negative"], 0.99) == 0
    assert calibrate_radius(counts["positive_by_edit"].sum(0), counts["negative"], 0.65) == 1
    assert calibrate_radius(counts["positive_by_edit"].sum(0), counts["negative"], 0.5) == 2
    assert calibrate_radius(np.zeros(5), np.ones(5), 0.5) == -1


def test_near_duplicate_report_on_a_hand_made_case():
    row = near_duplicate_report(_hand_made(), radius=1)
    assert (row["true_pairs"], row["false_pairs"]) == (2, 1)
    assert row["precision"] == pytest.approx(2 / 3, abs=1e-4) and row["recall"] == pytest.approx(2 / 3, abs=1e-4)
    assert row["recall_by_edit"] == {"a": 1.0, "b": 0.0}
    # edit b's original ties with orig1 at distance 2: pessimistic rank 2
    assert row["recall_at_1"] == pytest.approx(2 / 3, abs=1e-4) and row["recall_at_10"] == 1.0
    assert row["same_class_false_rate"] == 1.0 and row["same_class_pairs"] == 1


# -- the shipped model -------------------------------------------------------------------------------

# Edits whose recall the benchmark measured at 1.0 on the test half for this model (docs/benchmark.md);
# the model misses other edits often (see the issue note), so those are not asserted here.
SHIPPED_EDITS = ("jpeg-q75", "downscale-75", "downscale-50")
LEARNED = "photohash192"


def duplicates_of(model, query: np.ndarray, packed: np.ndarray) -> np.ndarray:
    """Which of ``packed`` the engine's duplicate finder would group with ``query``: the radius and the gates."""
    from engine.index import HammingIndex

    ids, _ = HammingIndex(packed).within(query, model.info.radius_duplicate, model.info.gates)
    return np.isin(np.arange(len(packed)), ids)


def test_shipped_learned_model_and_its_card_are_complete():
    import json

    from engine.model import HashModel, resolve_model_name, shipped_models

    path = resolve_model_name(LEARNED)
    model = HashModel.load(path, device="cpu")
    info = model.info
    assert info.method == "phash + baseline x2" and info.bits == 192 and info.resize == "squash"
    assert info.gates == ((0, 64, 8), (64, 128, 8))
    assert 0 < info.radius_duplicate < info.radius_similar < info.bits
    # a bound on what the app bundle carries: 20 MiB held one learned head; the similarity code's WCH head (its
    # 1280x1280 adapter and MLP, 12 MB) came with issue 23
    assert path.stat().st_size <= 30 * 1024 * 1024
    assert (info.similar_method, info.similar_bits) == ("wch", 64) and 0 < info.similar_radius < info.similar_bits
    card_similar = json.loads(path.with_suffix(".json").read_text())["similar"]
    assert card_similar["radius"] == info.similar_radius and card_similar["benchmark"]["imagenette_map_at_1000"] >= 0.88
    card = json.loads(path.with_suffix(".json").read_text())
    assert card["model_key"] == model.model_key and card["metadata"] == info.to_metadata()
    assert card["radius"] == {"duplicate": info.radius_duplicate, "similar": info.radius_similar}
    for key in ("training_data", "licence", "benchmark", "description"):
        assert card[key], key
    assert {p.stem for p in shipped_models()} >= {"phash64", LEARNED}
    assert resolve_model_name("default") == path  # the engine's default since it beats pHash (README)


def test_shipped_model_finds_edited_copies_within_the_duplicate_radius(tmp_path):
    from engine import codes
    from engine.model import HashModel, resolve_model_name
    from engine.search import encode_file

    model = HashModel.load(resolve_model_name(LEARNED), device="cpu")
    originals = extract_photos(tmp_path / "originals", limit=6)
    by_name = {e.name: e for e in EDITS}

    images = [read_image(p).image for p in originals]
    base = model.encode_images(images)
    for k, (path, img) in enumerate(zip(originals, images)):
        for name in SHIPPED_EDITS:
            edited = tmp_path / f"{k}-{name}.jpg"
            apply_edit(by_name[name], img, path.stem).save(edited, quality=by_name[name].quality)
            copy = encode_file(model, edited, "duplicate")
            distance = int(codes.hamming(copy[None], base[k:k + 1])[0, 0])
            assert duplicates_of(model, copy, base)[k], f"{path.name} {name}: {distance}"
    for k in range(len(base)):
        assert duplicates_of(model, base[k], base).sum() == 1, k  # itself only


def test_shipped_model_turns_quarter_turned_copies_back(tmp_path):
    """The shipped model's which-way-up head: more of the quarter-turned copies a viewer's "rotate" button writes
    are found than by the same codes without it; half turns are found by the mirror-canonical pHash alone."""
    from engine import codes
    from engine.model import HashModel, prepare, resolve_model_name

    model = HashModel.load(resolve_model_name(LEARNED), device="cpu")
    assert 0.5 <= model.info.upright_confidence < 1
    by_name = {e.name: e for e in EDITS}
    originals = extract_photos(tmp_path / "originals", limit=30)
    found = {(how, turn): 0 for how in ("turned back", "as they are") for turn in (90, 180, 270)}  # of 30 each
    for path in originals:
        img = read_image(path).image
        turns = [apply_edit(by_name[f"rotate{d}"], img, path.stem) for d in (90, 180, 270)]
        pixels = np.stack([prepare(i, model.info) for i in [img, *turns]])
        for how, packed in (("turned back", model.encode(pixels)), ("as they are", codes.pack(model.outputs(pixels)[0]))):
            for turn, hit in zip((90, 180, 270), duplicates_of(model, packed[0], packed[1:])):
                found[how, turn] += int(hit)
    quarter = {how: found[how, 90] + found[how, 270] for how in ("turned back", "as they are")}
    # measured: quarter turns 23 of 60 turned back, 11 as they are; half turns 29 of 30 either way (the
    # mirror-canonical pHash). The target is 30 points over pHash, which finds none of them.
    assert quarter["turned back"] >= 20 and quarter["turned back"] >= quarter["as they are"] + 9, found
    assert found["as they are", 180] >= 27, found

