"""Issue 20's model cases: hostile model files (wrong output types, a graph that asks for 160 GB, one that never
ends, a huge input size, NaN codes), external data inside and outside the model's folder, the same model under two
paths in ``models list``, and model "files" that are FIFOs, devices or too large. Each ran against real ONNX files
made here with onnx.helper and the real CLI; each failed before its fix (the FIFO and /dev/zero cases are guards:
they passed before and must keep passing)."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from engine import model as model_module
from engine.catalog import Catalog
from engine.catalog_models import ACTIVE_MODEL_SETTING
from engine.errors import ModelError
from engine.model import HashModel, default_model_path, file_key, resolve_model_name

from ..conftest import REPO, extract_photos
from ..integration.test_model import PHASH, with_turn_output

DEFAULT = default_model_path()


def cli(*args, timeout: float = 180) -> subprocess.CompletedProcess:
    """The real CLI in its own process."""
    return subprocess.run([sys.executable, "-m", "photohash_cli", *map(str, args)], cwd=REPO, capture_output=True,
                          text=True, timeout=timeout)


def one_line(text: str) -> str:
    text = text.strip()
    assert "Traceback" not in text, text
    assert len(text.splitlines()) == 1, text
    return text


def refused(path: Path, match: str, **load) -> ModelError:
    """HashModel.load refuses ``path`` with one line that names it and matches ``match``."""
    with pytest.raises(ModelError, match=match) as exc:
        HashModel.load(path, **load)
    assert str(path.resolve()) in str(exc.value) and "\n" not in str(exc.value)
    return exc.value


def const(name: str, value) -> onnx.NodeProto:
    return helper.make_node("Constant", [], [name], value=numpy_helper.from_array(np.asarray(value)))


def rewired(path: Path, tail, *, output: str = "codes", elem: int = TensorProto.FLOAT, source: Path = PHASH) -> Path:
    """``source`` with its output ``output`` renamed ``<output>_raw`` and the nodes ``tail(raw)`` computing the new
    ``output`` from it, declared with element type ``elem``: a real model with a hostile last step."""
    proto = onnx.load(str(source))
    raw = output + "_raw"
    for node in proto.graph.node:
        node.output[:] = [raw if o == output else o for o in node.output]
    proto.graph.node.extend(tail(raw))
    next(o for o in proto.graph.output if o.name == output).type.tensor_type.elem_type = elem
    path.write_bytes(proto.SerializeToString())
    return path


def from_scratch(path: Path, nodes, *, input_size: int | str = 32, metadata: dict | None = None) -> Path:
    """A PhotoHash model (pHash's metadata unless told) whose graph is ``nodes`` from ``images`` to ``codes``."""
    side = [input_size, input_size] if isinstance(input_size, int) else ["H", "W"]
    graph = helper.make_graph(nodes, "hostile",
                              [helper.make_tensor_value_info("images", TensorProto.FLOAT, ["N", 3, *side])],
                              [helper.make_tensor_value_info("codes", TensorProto.FLOAT, ["N", 64])])
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    proto.ir_version = 8
    for key, value in (metadata or HashModel.load(PHASH).info.to_metadata()).items():
        proto.metadata_props.add(key=key, value=value)
    onnx.checker.check_model(proto)
    path.write_bytes(proto.SerializeToString())
    return path


def first_64(total: str) -> list[onnx.NodeProto]:
    """codes = the first 64 input values + ``total`` (a scalar the hostile part computes)."""
    return [helper.make_node("Flatten", ["images"], ["flat"], axis=1), const("starts", [0]), const("ends", [64]),
            const("axes", [1]), helper.make_node("Slice", ["flat", "starts", "ends", "axes"], ["part"]),
            helper.make_node("Add", ["part", total], ["codes"])]


def huge_model(path: Path) -> Path:
    """A graph that asks for a 40e9-element float32 tensor (160 GB) on every run; loading it allocates nothing."""
    return from_scratch(path, [const("shape", [40_000_000_000]),
                               helper.make_node("ConstantOfShape", ["shape"], ["big"],
                                                value=numpy_helper.from_array(np.array([1.0], np.float32))),
                               helper.make_node("ReduceSum", ["big"], ["total"], keepdims=0), *first_64("total")])


def endless_model(path: Path) -> Path:
    """A graph whose Loop runs 10^15 times on every run."""
    scalar = lambda name, kind: helper.make_tensor_value_info(name, kind, [])  # noqa: E731
    body = helper.make_graph(
        [helper.make_node("Identity", ["cond_in"], ["cond_out"]), const("one", np.float32(1)),
         helper.make_node("Add", ["v_in", "one"], ["v_out"])], "body",
        [scalar("i", TensorProto.INT64), scalar("cond_in", TensorProto.BOOL), scalar("v_in", TensorProto.FLOAT)],
        [scalar("cond_out", TensorProto.BOOL), scalar("v_out", TensorProto.FLOAT)])
    return from_scratch(path, [const("trips", np.int64(10**15)), const("go", np.bool_(True)),
                               const("zero", np.float32(0)),
                               helper.make_node("Loop", ["trips", "go", "zero"], ["count"], body=body),
                               *first_64("count")])


def any_size_model(path: Path, input_size: int) -> Path:
    """A model that takes any H×W (the graph does not pin it), with ``input_size`` in its metadata."""
    meta = {**HashModel.load(PHASH).info.to_metadata(), "photohash.input_size": str(input_size)}
    weights = np.random.default_rng(0).normal(size=(3, 64)).astype(np.float32)
    return from_scratch(path, [helper.make_node("ReduceMean", ["images"], ["mean"], axes=[2, 3], keepdims=0),
                               const("w", weights), helper.make_node("MatMul", ["mean", "w"], ["codes"])],
                        input_size="any", metadata=meta)


@pytest.fixture
def pixels() -> np.ndarray:
    return np.random.default_rng(1).integers(0, 256, (3, 32, 32, 3), dtype=np.uint8)


# -- 1. hostile models --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("output, elem, name", [
    ("codes", TensorProto.STRING, "string"),
    ("codes", TensorProto.INT64, "int64"),
    ("codes", TensorProto.FLOAT16, "float16"),
    ("codes", TensorProto.BOOL, "bool"),
    ("turn", TensorProto.INT64, "int64"),
], ids=["codes-string", "codes-int64", "codes-float16", "codes-bool", "turn-int64"])
def test_outputs_that_are_not_float32_are_refused(tmp_path, output, elem, name):
    source = PHASH if output == "codes" else with_turn_output(tmp_path / "turner.onnx", HashModel.load(PHASH))
    path = rewired(tmp_path / f"{output}-{name}.onnx", lambda raw: [helper.make_node("Cast", [raw], [output], to=elem)],
                   output=output, elem=elem, source=source)
    refused(path, f"output '{output}' must be float32, found {name}")


def test_models_use_refuses_a_string_output(tmp_path):
    to_strings = lambda raw: [helper.make_node("Cast", [raw], ["codes"], to=TensorProto.STRING)]  # noqa: E731
    path = rewired(tmp_path / "strings.onnx", to_strings, elem=TensorProto.STRING)
    done = cli("models", "use", path, "--catalog", tmp_path / "c.sqlite")
    assert done.returncode == 1, done.stdout
    assert "output 'codes' must be float32, found string" in one_line(done.stderr)


def test_models_use_refuses_a_model_that_needs_160_gb(tmp_path):
    catalog = tmp_path / "c.sqlite"
    assert cli("models", "use", "phash64", "--catalog", catalog).returncode == 0
    path = huge_model(tmp_path / "huge.onnx")
    started = time.monotonic()
    done = cli("models", "use", path, "--catalog", catalog)
    assert done.returncode == 1, done.stdout
    message = one_line(done.stderr)
    assert str(path) in message and "ran out of memory under the 4 GiB bound" in message, message
    assert time.monotonic() - started < 60
    with Catalog(catalog) as cat:  # the model in use before is still the one in use
        assert cat.get_setting(ACTIVE_MODEL_SETTING) == str(resolve_model_name("phash64"))


def test_the_probe_stops_a_model_that_never_finishes(tmp_path):
    path = endless_model(tmp_path / "endless.onnx")
    started = time.monotonic()
    with pytest.raises(ModelError, match="did not load and encode its test images within 3 s"):
        model_module.probe_model(path, timeout=3)
    assert time.monotonic() - started < 20
    assert multiprocessing.active_children() == []  # the child was stopped, not left running


def test_the_shipped_models_pass_the_probe():
    for path in (DEFAULT, PHASH):
        found = model_module.probe_model(path)
        assert found.path == path.resolve() and found.model_key == file_key(path)


def test_input_size_is_bounded_and_a_batch_is_chunked(tmp_path):
    refused(any_size_model(tmp_path / "4096.onnx", 4096), "input_size must be between 16 and 1024, got 4096")
    refused(any_size_model(tmp_path / "8.onnx", 8), "input_size must be between 16 and 1024, got 8")
    big = HashModel.load(any_size_model(tmp_path / "1024.onnx", 1024))
    assert big.batch_size * 3 * 1024 * 1024 * 4 <= model_module.MAX_RUN_INPUT_BYTES  # 5 photos a call, not 64
    assert big.encode(np.zeros((2, 1024, 1024, 3), np.uint8)).shape == (2, 8)


@pytest.mark.parametrize("tail, message", [
    (lambda raw: [helper.make_node("Abs", [raw], ["a"]), helper.make_node("Neg", ["a"], ["n"]),
                  const("one", np.float32(1)), helper.make_node("Sub", ["n", "one"], ["m"]),
                  helper.make_node("Sqrt", ["m"], ["codes"])],
     "output 'codes' returned NaN or infinite values"),
    (lambda raw: [const("batch_axis", [0]), helper.make_node("ReduceMean", [raw, "batch_axis"], ["codes"])],
     r"output 'codes' returned shape \[1, 64\] for 3 images, not \[3, 64\]"),
    (lambda raw: [const("sevens", [7, -1]), helper.make_node("Reshape", [raw, "sevens"], ["codes"])],
     r"ONNX Runtime failed running it \(Reshape node: "),
], ids=["nan", "one-code-for-a-batch", "run-error"])
def test_what_the_model_returns_is_checked(tmp_path, pixels, capfd, tail, message):
    hostile = HashModel.load(rewired(tmp_path / "hostile.onnx", tail))
    with pytest.raises(ModelError, match=message) as exc:
        hostile.encode(pixels)
    assert str(hostile.path) in str(exc.value) and "\n" not in str(exc.value)
    assert capfd.readouterr().err == ""  # ONNX Runtime's own log stays quiet: the one line is the message


def test_a_scan_with_a_model_that_returns_nan_stops_with_one_line(tmp_path):
    folder = tmp_path / "photos"
    extract_photos(folder, limit=2)
    path = rewired(tmp_path / "nan.onnx", lambda raw: [const("zero", np.float32(0)),
                                                       helper.make_node("Div", ["zero", "zero"], ["nan"]),
                                                       helper.make_node("Add", [raw, "nan"], ["codes"])])
    done = cli("scan", folder, "--model", path, "--workers", "0", "--catalog", tmp_path / "c.sqlite")
    assert done.returncode == 1, done.stdout
    message = one_line(done.stderr)
    assert str(path) in message and "output 'codes' returned NaN" in message, message


# -- 2. external data ---------------------------------------------------------------------------------------------

def external_copy(folder: Path, location: str = "x.data") -> Path:
    """pHash saved with its large tensors in ``folder/location``, as onnx's save_as_external_data writes it."""
    folder.mkdir(parents=True, exist_ok=True)
    proto = onnx.load(str(PHASH))
    onnx.save_model(proto, str(folder / "model.onnx"), save_as_external_data=True, all_tensors_to_one_file=True,
                    location=location)  # the default threshold: the DCT matrices go out, small shapes stay
    return folder / "model.onnx"


def relocated(path: Path, location: str) -> Path:
    """The model at ``path`` with every external data location rewritten to ``location``."""
    proto = onnx.load(str(path), load_external_data=False)
    for tensor in proto.graph.initializer:
        for entry in tensor.external_data:
            if entry.key == "location":
                entry.value = location
    path.write_bytes(proto.SerializeToString())
    return path


def test_a_model_with_external_data_beside_it_loads_and_encodes_like_the_inline_one(tmp_path, pixels):
    path = external_copy(tmp_path / "ext")
    assert (tmp_path / "ext" / "x.data").stat().st_size > 1000 and path.stat().st_size < PHASH.stat().st_size
    found = HashModel.inspect(path)
    assert found.external == ("x.data",)
    outside = HashModel.load(path)
    assert np.array_equal(outside.encode(pixels), HashModel.load(PHASH).encode(pixels))
    assert model_module.probe_model(path).model_key == found.model_key  # the probe's child finds the data too
    data = bytearray((tmp_path / "ext" / "x.data").read_bytes())
    data[-1] ^= 1
    (tmp_path / "ext" / "x.data").write_bytes(bytes(data))
    assert HashModel.inspect(path).model_key != found.model_key  # new weights beside the same graph: a new key


@pytest.mark.parametrize("case, message", [
    ("../../etc/passwd", "external data \"../../etc/passwd\" is outside the model's folder"),
    ("/etc/passwd", "external data \"/etc/passwd\" is an absolute path"),
    ("link-out", "external data \"link.data\" is outside the model's folder"),
    ("fifo", "external data \"fifo.data\" is not a regular file"),
    ("missing", "external data \"gone.data\" is missing"),
], ids=["dot-dot", "absolute", "link-out", "fifo", "missing"])
def test_external_data_must_be_a_regular_file_inside_the_folder(tmp_path, case, message):
    path = external_copy(tmp_path / "deep" / "er" / "ext")
    folder = path.parent
    if case == "link-out":  # a link beside the model that points out of its folder
        shutil.copy(folder / "x.data", tmp_path / "elsewhere.data")
        (folder / "link.data").symlink_to(tmp_path / "elsewhere.data")
        location = "link.data"
    elif case == "fifo":
        os.mkfifo(folder / "fifo.data")
        location = "fifo.data"
    elif case == "missing":
        location = "gone.data"
    else:
        location = case
    relocated(path, location)
    started = time.monotonic()
    refused(path, message)
    assert time.monotonic() - started < 10


# -- 3. one model, two paths --------------------------------------------------------------------------------------

def listed(catalog: Path) -> list[dict]:
    done = cli("models", "list", "--json", "--catalog", catalog)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_default_model_used_from_a_copy_is_listed_once(tmp_path):
    copy = tmp_path / "copy" / DEFAULT.name
    copy.parent.mkdir()
    shutil.copy(DEFAULT, copy)
    catalog = tmp_path / "c.sqlite"
    assert cli("models", "use", copy, "--catalog", catalog).returncode == 0
    rows = [r for r in listed(catalog) if r["bits"] == 192]
    assert len(rows) == 1, rows
    assert rows[0]["path"] == str(copy) and rows[0]["active"] and rows[0]["default"]


def test_a_model_scanned_from_another_install_is_listed_once_and_active(tmp_path):
    catalog = tmp_path / "c.sqlite"
    shipped = HashModel.inspect(DEFAULT)
    with Catalog(catalog) as cat:  # the app bundle's scan: the same file under a path this install does not have
        cat.register_model(shipped.model_key, "/opt/photohash/_internal/resources/models/photohash192.onnx",
                           shipped.info.bits, shipped.info.to_metadata())
    rows = [r for r in listed(catalog) if r["bits"] == 192]
    assert len(rows) == 1, rows
    assert rows[0]["path"] == str(DEFAULT) and rows[0]["active"] and rows[0]["default"]


# -- 4. files that are not model files ----------------------------------------------------------------------------

def test_a_fifo_or_a_device_named_like_a_model_is_refused_without_waiting(tmp_path):
    fifo = tmp_path / "x.onnx"
    os.mkfifo(fifo)
    (tmp_path / "zero.onnx").symlink_to("/dev/zero")
    for path in (fifo, tmp_path / "zero.onnx", Path("/dev/zero")):
        refused(path, "not a file")
    done = cli("models", "use", fifo, "--catalog", tmp_path / "c.sqlite", timeout=60)
    assert done.returncode == 1 and "not a file" in one_line(done.stderr)


def test_a_model_file_over_2_gib_is_refused_unread(tmp_path):
    path = tmp_path / "big.onnx"
    with open(path, "wb") as fh:
        fh.truncate(model_module.MAX_MODEL_BYTES + 1)  # sparse: no disk used
    started = time.monotonic()
    refused(path, "larger than 2 GiB, more than a hash model needs")
    assert time.monotonic() - started < 5
