"""Build the default hash model: the DCT perceptual hash (pHash) as an ONNX graph.

Until a trained model ships, the engine's default is a real perceptual hash that runs through the
same ONNX path as any learned model. The graph does what ImageHash's ``phash`` does:

    grey (ITU-R 601: 0.299 R + 0.587 G + 0.114 B, as Pillow's convert("L"))
    ► 2-D DCT-II of the 32×32 image, keeping the low-frequency 8×8 block (D8 · X · D8ᵀ)
    ► compare each of the 64 coefficients with their median (TopK 33, mean of ranks 32 and 33)
    ► output coefficient − median: its sign is the bit (bit = coefficient > median)

The 32×32 resize happens in the engine (``photohash.resize = squash``, Lanczos), as the metadata
says. The build is byte-reproducible: running this script twice gives identical files.

Run: .venv/bin/python tools/build_phash_model.py [--out resources/models]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from engine.model import FORMAT_VERSION, ModelInfo, file_key  # noqa: E402
from trainer.perceptual import GRID as SIZE, LOW, dct_matrix  # noqa: E402  (one pHash, two graphs)
INFO = ModelInfo(
    bits=LOW * LOW,
    input_size=SIZE,
    mean=(0.0, 0.0, 0.0),
    std=(1.0, 1.0, 1.0),
    resize="squash",
    interpolation="lanczos",
    method="phash",
    backbone="dct32",
    trained_on="none (perceptual hash, not learned)",
    created="2026-11-24",
    # Conventional pHash thresholds (ImageHash users commonly take <= 10 as "same photo");
    # to be calibrated on the near-duplicate benchmark when the trained model ships.
    radius_duplicate=10,
    radius_similar=20,
    format_version=FORMAT_VERSION,
)


def build() -> onnx.ModelProto:
    d_low = dct_matrix(SIZE)[:LOW].astype(np.float32)
    inits = [
        numpy_helper.from_array(np.array([0.299, 0.587, 0.114], np.float32).reshape(1, 3, 1, 1), "grey_weights"),
        numpy_helper.from_array(d_low, "dct_rows"),
        numpy_helper.from_array(np.ascontiguousarray(d_low.T), "dct_cols"),
        numpy_helper.from_array(np.array([LOW * LOW // 2 + 1], np.int64), "topk"),
        numpy_helper.from_array(np.array([LOW * LOW // 2 - 1, LOW * LOW // 2], np.int64), "middle"),
        numpy_helper.from_array(np.array([1], np.int64), "axis1"),
    ]
    nodes = [
        helper.make_node("Conv", ["images", "grey_weights"], ["grey4"], name="grey"),
        helper.make_node("Squeeze", ["grey4", "axis1"], ["grey"], name="squeeze"),
        helper.make_node("MatMul", ["dct_rows", "grey"], ["dct_half"], name="dct_rows"),
        helper.make_node("MatMul", ["dct_half", "dct_cols"], ["dct_low"], name="dct_cols"),
        helper.make_node("Flatten", ["dct_low"], ["coeffs"], axis=1, name="flatten"),
        helper.make_node("TopK", ["coeffs", "topk"], ["top", "top_idx"], axis=1, largest=1, sorted=1, name="topk"),
        helper.make_node("Gather", ["top", "middle"], ["mid2"], axis=1, name="middle"),
        helper.make_node("ReduceMean", ["mid2", "axis1"], ["median"], keepdims=1, name="median"),
        helper.make_node("Sub", ["coeffs", "median"], ["codes"], name="centre"),
    ]
    graph = helper.make_graph(
        nodes,
        "phash64",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, ["N", 3, SIZE, SIZE])],
        [helper.make_tensor_value_info("codes", TensorProto.FLOAT, ["N", LOW * LOW])],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)], producer_name="photohash")
    model.ir_version = 8
    for key, value in INFO.to_metadata().items():
        model.metadata_props.add(key=key, value=value)
    onnx.checker.check_model(model, full_check=True)
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "resources" / "models")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    onnx_path = args.out / "phash64.onnx"
    onnx_path.write_bytes(build().SerializeToString())
    card = {
        "name": "phash64",
        "title": "Classic perceptual hash (pHash)",
        "summary": "Finds re-saved, resized and recoloured copies; misses crops, turns and flips.",
        "file": onnx_path.name,
        "model_key": file_key(onnx_path),
        "method": "phash",
        "bits": INFO.bits,
        "description": "DCT perceptual hash (pHash) as an ONNX graph: grey, 32×32 Lanczos, 2-D DCT-II, "
        "low 8×8 block compared with its median. Matches ImageHash's phash up to resize rounding.",
        "radius": {"duplicate": INFO.radius_duplicate, "similar": INFO.radius_similar},
        "radius_note": "conventional pHash thresholds, not yet calibrated on the near-duplicate benchmark",
        "training_data": "none",
        "licence": "MIT (generated by tools/build_phash_model.py; no third-party weights)",
        "metadata": INFO.to_metadata(),
    }
    (args.out / "phash64.json").write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n")
    print(onnx_path)


if __name__ == "__main__":
    main()
