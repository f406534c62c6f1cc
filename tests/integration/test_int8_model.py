"""The int8 model (tools/quantize_model.py) against the float model it was made from: pHash must be the float model's
bit for bit (only the backbone is quantized, and not its first convolution), the learned bits must agree as often as
measured (issue 26: 0.957 of bits over the near-duplicate benchmark's test half, tests/bench/bench_int8.py), and the
engine must load and check it as any model.

The int8 file is not shipped (its encode was not faster than the float model's on the 2-core dev VM: see the issue's
notes), so the test uses resources/models/photohash192-int8.onnx where someone made it there, else makes one in a
temporary folder with the tool (about half a minute)."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from engine.errors import ModelError
from engine.model import HashModel, resolve_model_name

from ..conftest import PHOTOS_ZIP, REPO, require

# measured 0.957 (4,108 files) and 0.961 (51 originals); the margin allows other photos
MIN_LEARNED_AGREEMENT = 0.93


@pytest.fixture(scope="module")
def tool():
    sys.path.insert(0, str(REPO / "tools"))
    try:
        import quantize_model
    finally:
        sys.path.remove(str(REPO / "tools"))
    return quantize_model


@pytest.fixture(scope="module")
def int8_model(tool, tmp_path_factory):
    require(PHOTOS_ZIP)
    shipped = REPO / "resources" / "models" / "photohash192-int8.onnx"
    if shipped.exists():
        return shipped
    return tool.quantize(resolve_model_name("photohash192"), tmp_path_factory.mktemp("int8") / "photohash192-int8.onnx")


def test_int8_phash_is_exact_and_learned_bits_agree(tool, int8_model):
    float_model = HashModel.load(resolve_model_name("photohash192"), device="cpu")
    ours = HashModel.load(int8_model, device="cpu")
    pixels = tool.prepared(tool.benchmark_halves()["test"], float_model.info)  # never the calibration photos
    a, b = ours.outputs(pixels), float_model.outputs(pixels)
    bits_a, bits_b = a.codes > 0, b.codes > 0
    assert (bits_a[:, :64] == bits_b[:, :64]).all()
    assert (bits_a[:, 64:128] == bits_a[:, 128:]).all()  # still the learned code written twice
    agreement = (bits_a[:, 64:128] == bits_b[:, 64:128]).mean()
    assert agreement >= MIN_LEARNED_AGREEMENT, agreement
    assert ((a.similar > 0) == (b.similar > 0)).mean() >= MIN_LEARNED_AGREEMENT


def test_engine_loads_and_checks_the_int8_model_as_a_model_of_its_own(int8_model, tmp_path):
    float_model = HashModel.inspect(resolve_model_name("photohash192"))
    found = HashModel.inspect(int8_model)
    assert found.info == float_model.info  # same contract, radii and gates
    assert found.model_key != float_model.model_key  # its codes are kept apart in a catalog
    model = HashModel.load(int8_model, device="cpu")
    codes, similar = model.encode_both(np.zeros((2, 224, 224, 3), np.uint8))
    assert codes.shape == (2, 24) and similar.shape == (2, 8)
    import onnx

    proto = onnx.load(str(int8_model))
    quantized = json.loads({p.key: p.value for p in proto.metadata_props}["photohash.quantized"])
    assert quantized["from_model_key"] == float_model.model_key
    assert any(n.op_type == "DequantizeLinear" for n in proto.graph.node)
    # the engine's checks still hold: a quantized file without its metadata is refused with one line
    del proto.metadata_props[:]
    bare = tmp_path / "bare.onnx"
    bare.write_bytes(proto.SerializeToString())
    with pytest.raises(ModelError, match="metadata 'photohash.format_version' is missing"):
        HashModel.inspect(bare)
