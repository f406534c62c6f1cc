"""The model contract: the default pHash model loads silently, matches ImageHash, and bad models are refused."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import numpy as np
import onnx
import pytest
from PIL import Image

from engine import codes
from engine.errors import ModelError
from engine.model import HashModel, ModelInfo, prepare, resolve_model_name
from engine.search import encode_file

from ..conftest import REPO, extract_photos

PHASH = resolve_model_name("phash64")


@pytest.fixture(scope="module")
def model():
    return HashModel.load(PHASH)


def test_phash_model_metadata(model):
    info = model.info
    assert (info.bits, info.input_size, info.method, info.resize) == (64, 32, "phash", "squash")
    assert 0 <= info.radius_duplicate <= info.radius_similar <= 64
    assert ModelInfo.from_metadata(info.to_metadata()) == info
    assert model.model_key == hashlib.blake2b(PHASH.read_bytes(), digest_size=16).hexdigest()
    assert model.providers[-1] == "CPUExecutionProvider"


def test_loading_prints_nothing():
    code = "from engine.model import HashModel, default_model_path; HashModel.load(default_model_path())"
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout == "" and done.stderr == ""


def test_build_script_is_reproducible(tmp_path):
    subprocess.run([sys.executable, "tools/build_phash_model.py", "--out", str(tmp_path)], cwd=REPO, check=True,
                   capture_output=True, timeout=120)
    assert (tmp_path / "phash64.onnx").read_bytes() == PHASH.read_bytes()


def test_encode_shapes(model, photos_dir):
    images = [Image.open(p).convert("RGB") for p in sorted(photos_dir.iterdir())[:3]]
    pixels = np.stack([prepare(img, model.info) for img in images])
    assert pixels.shape == (3, 32, 32, 3) and pixels.dtype == np.uint8
    raw = model.encode_raw(pixels)
    assert raw.shape == (3, 64) and raw.dtype == np.float32
    packed = model.encode(pixels)
    assert packed.shape == (3, 8) and packed.dtype == np.uint8
    assert np.array_equal(packed, codes.pack(raw))
    assert np.array_equal(model.encode_images(images), packed)
    assert model.encode(pixels[:0]).shape == (0, 8)


def test_agrees_with_imagehash_phash(model, photos_dir):
    imagehash = pytest.importorskip("imagehash")
    scores = []
    for path in sorted(photos_dir.iterdir())[:12]:
        ours = codes.unpack(encode_file(model, path)[None])[0]
        theirs = imagehash.phash(Image.open(path)).hash.flatten()
        scores.append(np.mean(ours == theirs))
    assert np.mean(scores) >= 0.95, scores


def test_resized_copy_is_near_and_different_photos_are_far(model, photos_dir, tmp_path):
    paths = sorted(photos_dir.iterdir())[:8]
    small = tmp_path / "small.jpg"
    with Image.open(paths[0]) as img:
        img.resize((img.width // 3, img.height // 3)).save(small, quality=80)
    own = codes.hamming(encode_file(model, paths[0]), encode_file(model, small)[None])[0]
    assert own <= 6
    others = [codes.hamming(encode_file(model, paths[0]), encode_file(model, p)[None])[0] for p in paths[1:]]
    assert min(others) > model.info.radius_duplicate


def write_model(path, metadata: dict[str, str], *, input_name="images", output_name="codes", bits=64, size=32):
    proto = onnx.load(str(PHASH))
    del proto.metadata_props[:]
    for k, v in metadata.items():
        proto.metadata_props.add(key=k, value=v)
    if input_name != "images":
        proto.graph.input[0].name = input_name
        for node in proto.graph.node:
            node.input[:] = [input_name if i == "images" else i for i in node.input]
    if output_name != "codes":
        proto.graph.output[0].name = output_name
        for node in proto.graph.node:
            node.output[:] = [output_name if o == "codes" else o for o in node.output]
    path.write_bytes(proto.SerializeToString())
    return path


@pytest.mark.parametrize(
    "change, message",
    [
        ({"photohash.bits": None}, "metadata 'photohash.bits' is missing"),
        ({"photohash.bits": "32"}, "output has 64 values per image but metadata says bits = 32"),
        ({"photohash.bits": "sixty"}, "must be an integer"),
        ({"photohash.input_size": "224"}, "metadata says input_size 224"),
        ({"photohash.radius.duplicate": "70"}, "radius.duplicate must be between 0 and 64"),
        ({"photohash.radius.duplicate": "30"}, "larger than radius.similar"),
        ({"photohash.mean": "[0.5]"}, "must be a list of 3 numbers"),
        ({"photohash.std": "[1, 0, 1]"}, "std values must be positive"),
        ({"photohash.resize": "stretch"}, "unknown resize rule 'stretch'"),
        ({"photohash.format_version": "9"}, "format version 9 is not supported .this PhotoHash reads 1, 2, 3"),
        ({"photohash.gates": "[[0, 32, 4]]"}, "format version 1 does not fit gates ..0, 32, 4.."),
        ({"photohash.gates": "[[0, 32, 4]]", "photohash.format_version": "3"}, None),
        ({"photohash.format_version": "3"}, "format version 3 does not fit gates ..."),
        ({"photohash.gates": "[[0, 30, 4]]", "photohash.format_version": "3"}, "gate .0, 30, 4. must be .first bit"),
        ({"photohash.gates": "[[0, 32, 40]]", "photohash.format_version": "3"}, "the radius at most its width"),
        ({"photohash.gates": "[[0, 32]]", "photohash.format_version": "3"}, "must be a list of .first bit, end bit"),
        ({"photohash.gates": "{}", "photohash.format_version": "3"}, "must be a list of .first bit, end bit"),
        ({"photohash.gates": '["088"]', "photohash.format_version": "3"}, "must be a list of .first bit, end bit"),
        ({"photohash.gates": "[[0, 32.5, 4]]", "photohash.format_version": "3"}, "must be a list of .first bit"),
        ({"photohash.gates": "[[0, 32, true]]", "photohash.format_version": "3"}, "must be a list of .first bit"),
        ({"photohash.gates": "[[0, 32, 4]]", "photohash.format_version": "2",
          "photohash.upright_confidence": "0.9"}, "format version 2 does not fit gates"),
    ],
)
def test_inconsistent_metadata_is_refused(tmp_path, model, change, message):
    meta = model.info.to_metadata()
    for key, value in change.items():
        if value is None:
            meta.pop(key)
        else:
            meta[key] = value
    path = write_model(tmp_path / "bad.onnx", meta)
    if message is None:  # the well-formed case beside its broken ones
        assert HashModel.load(path).info.gates == ((0, 32, 4),)
        return
    with pytest.raises(ModelError, match=message) as exc:
        HashModel.load(path)
    assert str(path) in str(exc.value) and "\n" not in str(exc.value)


def test_bad_files_are_refused(tmp_path, model):
    (tmp_path / "junk.onnx").write_bytes(b"\x00\x01 this is not protobuf" * 10)
    with pytest.raises(ModelError, match="not a valid ONNX file|is missing"):
        HashModel.load(tmp_path / "junk.onnx")
    with pytest.raises(ModelError, match="file not found"):
        HashModel.load(tmp_path / "absent.onnx")
    with pytest.raises(ModelError, match="one input named 'images'"):
        HashModel.load(write_model(tmp_path / "in.onnx", model.info.to_metadata(), input_name="pixels"))
    with pytest.raises(ModelError, match="output named 'codes'"):
        HashModel.load(write_model(tmp_path / "out.onnx", model.info.to_metadata(), output_name="bits"))
    with pytest.raises(ModelError, match="is missing"):
        HashModel.load(write_model(tmp_path / "plain.onnx", {}))


def test_center_crop_resize_rule():
    info = ModelInfo(64, 32, (0, 0, 0), (1, 1, 1), "center-crop", "bilinear", "x", "x", "x", "x", 1, 2)
    img = Image.new("RGB", (300, 100), (0, 0, 0))
    img.paste((255, 255, 255), (100, 0, 200, 100))  # white middle third
    out = prepare(img, info)
    assert out.shape == (32, 32, 3) and out.mean() > 240  # the crop keeps only the white middle


def with_turn_output(path, model, confidence: str | None = "0.9", channels: int = 4):
    """The pHash model plus a ``turn`` output that reads where a bright band is: top, left, bottom or right
    (the upright photo turned 0, 1, 2 or 3 quarter turns counter-clockwise). pHash's bits change with a turn."""
    from onnx import TensorProto, helper, numpy_helper

    proto = onnx.load(str(PHASH))
    weights = np.zeros((channels, 3, 32, 32), np.float32)
    for k, cells in enumerate([np.s_[:4, :], np.s_[:, :4], np.s_[-4:, :], np.s_[:, -4:]][:channels]):
        weights[(k, slice(None)) + cells] = 20 / (3 * 4 * 32)  # 20 × the band's mean
    proto.graph.initializer.append(numpy_helper.from_array(weights, "turn_weights"))
    proto.graph.node.extend([helper.make_node("Conv", ["images", "turn_weights"], ["turn_cells"]),
                             helper.make_node("Flatten", ["turn_cells"], ["turn"], axis=1)])
    proto.graph.output.append(helper.make_tensor_value_info("turn", TensorProto.FLOAT, ["N", channels]))
    meta = model.info.to_metadata()
    if confidence is not None:
        meta["photohash.upright_confidence"] = confidence
        meta["photohash.format_version"] = "2"
    del proto.metadata_props[:]
    for key, value in meta.items():
        proto.metadata_props.add(key=key, value=value)
    path.write_bytes(proto.SerializeToString())
    return path


SIMILAR_WEIGHTS = np.random.default_rng(7).standard_normal((64, 32)).astype(np.float32)


def with_similar_output(path, source=PHASH, metadata: dict | None = None, width: int = 32):
    """``source`` plus a ``similar`` output, a fixed projection of its codes (a stand-in for a learned WCH head: the
    engine's side of the contract does not care how the code was learned), and format version 4's metadata."""
    from onnx import TensorProto, helper, numpy_helper

    proto = onnx.load(str(source))
    proto.graph.initializer.append(numpy_helper.from_array(SIMILAR_WEIGHTS[:, :width], "similar_weights"))
    proto.graph.node.append(helper.make_node("MatMul", ["codes", "similar_weights"], ["similar"]))
    proto.graph.output.append(helper.make_tensor_value_info("similar", TensorProto.FLOAT, ["N", width]))
    meta = {p.key: p.value for p in proto.metadata_props}
    meta.update({"photohash.format_version": "4", "photohash.similar_bits": "32", "photohash.similar_method": "wch",
                 "photohash.similar_radius": "6"})
    meta.update(metadata or {})
    del proto.metadata_props[:]
    for key, value in meta.items():
        if value is not None:
            proto.metadata_props.add(key=key, value=value)
    path.write_bytes(proto.SerializeToString())
    return path


def test_a_similarity_code_comes_from_the_same_pass(tmp_path, model):
    """Format version 4: the ``similar`` output is read with the codes, packed by its own width, and turned back with
    them; a model without one says so (None), and its codes answer both questions as before."""
    both = HashModel.load(with_similar_output(tmp_path / "both.onnx"))
    info = both.info
    assert (info.format_version, info.similar_bits, info.similar_method, info.similar_radius) == (4, 32, "wch", 6)
    assert ModelInfo.from_metadata(info.to_metadata()) == info
    pixels = np.random.default_rng(1).integers(0, 255, (5, 32, 32, 3), dtype=np.uint8)
    duplicate, similar = both.encode_both(pixels)
    assert np.array_equal(duplicate, model.encode(pixels))  # the duplicate code is untouched
    assert similar.shape == (5, 4) and np.array_equal(similar, codes.pack(model.encode_raw(pixels) @ SIMILAR_WEIGHTS))
    assert model.encode_both(pixels)[1] is None
    # with a ``turn`` output too (a version 4 model may have one): a turned photo gets its upright photo's codes
    turner = with_turn_output(tmp_path / "turner.onnx", model)
    upright_both = HashModel.load(with_similar_output(tmp_path / "turner-both.onnx", source=turner))
    band = pixels[:1].copy()
    band[:, :4] = 255
    turned = np.ascontiguousarray(np.rot90(band, 1, axes=(1, 2)))
    assert [np.array_equal(a, b) for a, b in zip(upright_both.encode_both(turned), upright_both.encode_both(band))] \
        == [True, True]


@pytest.mark.parametrize("metadata, output, refusal", [
    ({"photohash.similar_bits": None, "photohash.similar_method": None, "photohash.similar_radius": None}, True,
     "format version 4 does not fit similar_bits 0"),
    ({"photohash.format_version": "1"}, True, "format version 1 does not fit similar_bits 32"),
    ({"photohash.similar_bits": "24"}, True, "output 'similar' must be [N, 24]"),
    ({"photohash.similar_bits": "12"}, True, "similar_bits must be a positive multiple of 8"),
    ({"photohash.similar_radius": "40"}, True, "similar_radius must be between 0 and 32"),
    ({"photohash.similar_method": ""}, True, "similar_method must name"),
    ({}, False, "output 'similar' and metadata 'photohash.similar_bits' must come together"),
])
def test_a_similarity_code_and_its_metadata_come_together(tmp_path, metadata, output, refusal):
    path = with_similar_output(tmp_path / "m.onnx", metadata=metadata)
    if not output:  # the metadata of a similarity code, without the output
        proto = onnx.load(str(path))
        keep = [o for o in proto.graph.output if o.name != "similar"]
        del proto.graph.output[:]
        proto.graph.output.extend(keep)
        path.write_bytes(proto.SerializeToString())
    with pytest.raises(ModelError) as refused:
        HashModel.load(path)
    assert refusal in str(refused.value), str(refused.value)


def test_both_codes_are_stored_and_search_chooses_by_its_question(tmp_path, model, capsys):
    """A version 4 model's scan keeps both codes, each under its own row (one model to the user); ``search`` ranks by
    the similarity code, ``search --duplicates`` by the duplicate code; a model with one code says so."""
    import json

    from engine.catalog import Catalog
    from engine.catalog_models import model_row_id, model_rows, similar_row_id
    from photohash_cli import main

    photos = extract_photos(tmp_path / "photos", limit=6)
    both = with_similar_output(tmp_path / "both.onnx")
    catalog_path = str(tmp_path / "c.sqlite")
    assert main(["models", "use", str(both), "--catalog", catalog_path]) == 0
    assert main(["scan", str(tmp_path / "photos"), "--catalog", catalog_path, "--workers", "0"]) == 0
    loaded = HashModel.load(both)
    with Catalog(catalog_path) as catalog:
        ids, duplicate = catalog.codes(model_row_id(catalog, loaded))
        similar_ids, similar = catalog.codes(similar_row_id(catalog, loaded))
        assert len(ids) == 6 and list(similar_ids) == list(ids) and duplicate.shape == (6, 8) and similar.shape == (6, 4)
        assert [m.model_key for m in model_rows(catalog)] == [loaded.model_key]  # the similarity row is the model's
        rows = catalog.files(ids.tolist())
        for i, file_id in enumerate(ids.tolist()):  # what the scan kept is what a search encodes
            assert np.array_equal(similar[i], encode_file(loaded, rows[file_id].path))
            assert np.array_equal(duplicate[i], encode_file(loaded, rows[file_id].path, "duplicate"))
    capsys.readouterr()
    for flags, code, bits in (([], "similar", 32), (["--duplicates"], "duplicate", 64)):
        assert main(["search", str(photos[0]), "--catalog", catalog_path, "--json", *flags]) == 0
        found = json.loads(capsys.readouterr().out)
        assert (found["code"], found["bits"]) == (code, bits)
        assert found["results"][0]["path"] == str(photos[0]) and found["results"][0]["distance"] == 0
        assert max(r["distance"] for r in found["results"]) <= bits
    # dupes --similar groups by the similarity code: clusters, nothing marked, and trash says why it will not
    Image.open(photos[1]).convert("RGB").resize((400, 300)).save(tmp_path / "photos" / "smaller.jpg", quality=85)
    assert main(["scan", str(tmp_path / "photos"), "--catalog", catalog_path, "--workers", "0"]) == 0
    capsys.readouterr()
    assert main(["dupes", "--similar", "--catalog", catalog_path, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["radius"] == 6
    together = [g for g in shown["groups"] if {f["path"] for f in g["files"]} >= {str(photos[1]), str(tmp_path / "photos" / "smaller.jpg")}]
    assert len(together) == 1 and together[0]["kind"] == "similar"
    assert all(f["action"] in ("keep", "similar") for g in shown["groups"] for f in g["files"])
    with Catalog(catalog_path) as catalog:
        ids, similar = catalog.codes(similar_row_id(catalog, loaded))
        code_of = dict(zip((catalog.files(ids.tolist())[i].path for i in ids.tolist()), similar))
    for g in shown["groups"]:  # every member within the radius of every other: never a chain
        for a in g["files"]:
            for b in g["files"]:
                assert codes.hamming(code_of[a["path"]], code_of[b["path"]][None])[0] <= 6
    assert main(["trash", "--similar", "--catalog", catalog_path]) == 2
    assert "--similar groups photos by the model's similarity code" in capsys.readouterr().err
    # a model with one code answers both questions with it
    assert main(["models", "use", "phash64", "--catalog", catalog_path]) == 0
    assert main(["scan", str(tmp_path / "photos"), "--catalog", catalog_path, "--workers", "0"]) == 0
    capsys.readouterr()
    assert main(["search", str(photos[0]), "--catalog", catalog_path, "--json"]) == 0
    assert (lambda out: (out["code"], out["bits"]))(json.loads(capsys.readouterr().out)) == ("one", 64)


def test_a_turned_copy_is_encoded_turned_back(tmp_path, model):
    turner = HashModel.load(with_turn_output(tmp_path / "turner.onnx", model))
    assert turner.info.upright_confidence == 0.9 and ModelInfo.from_metadata(turner.info.to_metadata()) == turner.info
    pixels = np.random.default_rng(0).integers(0, 200, (32, 32, 3), dtype=np.uint8)
    pixels[:4] = 255  # the bright band says which way is up
    turns = np.stack([np.rot90(pixels, k, axes=(0, 1)) for k in range(4)])
    flat = np.full((1, 32, 32, 3), 128, np.uint8)  # no band: no verdict the model is sure of
    raw, probs, _ = turner.outputs(np.concatenate([turns, flat]))
    assert list(probs[:4].argmax(axis=1)) == [0, 1, 2, 3] and probs[:4].max(axis=1).min() >= 0.9
    assert probs[4].max() < 0.9
    plain = codes.pack(raw)
    assert all(codes.hamming(plain[k], plain[:1])[0] > 0 for k in (1, 2, 3))  # pHash alone tells the turns apart
    packed = turner.encode(np.concatenate([turns, flat]))
    assert np.array_equal(packed[:4], np.repeat(plain[:1], 4, axis=0))  # each turn got the upright photo's code
    assert np.array_equal(packed[4], plain[4])  # an unsure verdict leaves the image as it is
    assert np.array_equal(packed, model.encode(np.concatenate([turns[:1].repeat(4, axis=0), flat])))


def test_turn_output_and_its_metadata_come_together(tmp_path, model):
    with pytest.raises(ModelError, match="must come together"):
        HashModel.load(with_turn_output(tmp_path / "no-meta.onnx", model, confidence=None))
    meta = {**model.info.to_metadata(), "photohash.upright_confidence": "0.9", "photohash.format_version": "2"}
    with pytest.raises(ModelError, match="must come together"):
        HashModel.load(write_model(tmp_path / "no-output.onnx", meta))
    with pytest.raises(ModelError, match="format version 1 does not fit upright_confidence 0.9"):
        HashModel.load(write_model(tmp_path / "version-1.onnx", {**meta, "photohash.format_version": "1"}))
    with pytest.raises(ModelError, match="format version 2 does not fit upright_confidence 0.0"):
        HashModel.load(write_model(tmp_path / "version-2.onnx", {**model.info.to_metadata(), "photohash.format_version": "2"}))
    with pytest.raises(ModelError, match=r"output 'turn' must be \[N, 4\]"):
        HashModel.load(with_turn_output(tmp_path / "three.onnx", model, channels=3))
    with pytest.raises(ModelError, match="upright_confidence must be between 0 and 1"):
        HashModel.load(with_turn_output(tmp_path / "big.onnx", model, confidence="1.5"))
    with pytest.raises(ModelError, match="must be a number"):
        HashModel.load(with_turn_output(tmp_path / "word.onnx", model, confidence="sure"))
