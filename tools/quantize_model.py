"""Quantize a shipped model's network to int8 (ONNX Runtime static quantization), keeping its pHash exact.

Why: on ~1 MP photos the network, not the decode, is most of a scan's work (issue 26), and int8 convolutions are
the usual way to run a CNN faster on a CPU. What it does:

- only the backbone's convolutions are quantized (QDQ, per-channel int8 weights, uint8 activations calibrated by
  percentile on real photos), and not the first one: its input is the ``images`` tensor that the in-graph pHash also
  reads, so pHash's 64 bits stay those of the float model bit for bit; the hash heads, the which-way-up head and the
  pHash graph stay float;
- calibration photos: the calibration half of the near-duplicate benchmark's originals (bench_quality.py's split,
  seed 0: never the half its recall is reported on), each also mirrored and turned a quarter, prepared as a scan
  prepares them;
- it then checks the result against the float model on the test half's originals: pHash bits identical, else it stops;
  and prints the learned bits' agreement.

The int8 file is a model of its own: its bytes, so its key, differ from the float model's, and the catalog keeps its
codes apart (engine.catalog_models). Its metadata is the float model's plus ``photohash.quantized``.

Run: .venv/bin/python tools/quantize_model.py [--model photohash192] [--out resources/models/photohash192-int8.onnx]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from engine.images import decode_image  # noqa: E402
from engine.model import HashModel, ModelInfo, prepare, resolve_model_name  # noqa: E402

PHOTOS_ZIP = REPO.parent / "shared" / "data" / "photos-free-1024.zip"
CALIBRATION_BATCH = 12  # photos per calibration batch; the histogram calibrators need equal batches
QUANTIZED_KEY = "photohash.quantized"


def benchmark_halves(seed: int = 0) -> dict[str, list[str]]:
    """The shared originals split as the benchmarks split them (trainer.data.originals_halves)."""
    from trainer.data import originals_halves  # torch: loaded only when the photos are split

    return originals_halves(PHOTOS_ZIP, seed)


def prepared(members: list[str], info: ModelInfo) -> np.ndarray:
    """uint8 [N, H, W, 3]: the zip's photos decoded and resized as a scan does."""
    with zipfile.ZipFile(PHOTOS_ZIP) as zf:
        return np.stack([prepare(decode_image(zf.read(m), m, min_side=info.input_size).image, info) for m in members])


def normalised(pixels: np.ndarray, info: ModelInfo) -> np.ndarray:
    mean = np.asarray(info.mean, np.float32) * 255.0
    inv_std = 1.0 / (np.asarray(info.std, np.float32) * 255.0)
    return np.ascontiguousarray(((pixels.astype(np.float32) - mean) * inv_std).transpose(0, 3, 1, 2))


def calibration_pixels(info: ModelInfo) -> np.ndarray:
    """The calibration half's originals, mirrored and turned a quarter too, a multiple of CALIBRATION_BATCH."""
    pixels = prepared(benchmark_halves()["calibration"], info)
    pixels = np.concatenate([pixels, pixels[:, :, ::-1], np.rot90(pixels, 1, axes=(1, 2))])
    return pixels[: len(pixels) // CALIBRATION_BATCH * CALIBRATION_BATCH]


def quantize(src: Path, out: Path) -> Path:
    import onnx
    from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType,
                                          quantize_static)
    from onnxruntime.quantization.shape_inference import quant_pre_process

    float_model = HashModel.inspect(src)
    info = float_model.info
    pixels = calibration_pixels(info)
    batches = [normalised(chunk, info) for chunk in np.split(pixels, len(pixels) // CALIBRATION_BATCH)]

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.left = iter(batches)

        def get_next(self):
            batch = next(self.left, None)
            return None if batch is None else {"images": batch}

    with tempfile.TemporaryDirectory() as tmp:
        pre, quantized = Path(tmp) / "pre.onnx", Path(tmp) / "int8.onnx"
        quant_pre_process(str(src), str(pre))
        graph = onnx.load(str(pre)).graph
        convs = [n.name for n in graph.node if n.op_type == "Conv" and n.name.startswith("/backbone/")]
        first = [n.name for n in graph.node if n.op_type == "Conv" and "images" in n.input]
        if not convs or first != convs[:1]:
            sys.exit(f"{src}: expected the backbone's convolutions, the first reading 'images'; found {first}")
        quantize_static(str(pre), str(quantized), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        op_types_to_quantize=["Conv"], nodes_to_quantize=convs[1:],
                        calibrate_method=CalibrationMethod.Percentile,
                        extra_options={"ActivationSymmetric": False, "WeightSymmetric": True})
        proto = onnx.load(str(quantized))
    del proto.metadata_props[:]
    for key, value in info.to_metadata().items():
        proto.metadata_props.add(key=key, value=value)
    proto.metadata_props.add(key=QUANTIZED_KEY, value=json.dumps({
        "from": src.name, "from_model_key": float_model.model_key, "weights": "int8 per channel",
        "activations": "uint8, percentile calibration", "kept_float": "first convolution, pHash, hash heads"}))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(proto.SerializeToString())
    return out


def agreement(float_path: Path, int8_path: Path, pixels: np.ndarray) -> dict:
    """How the int8 model's codes compare with the float model's on the same prepared photos, through the engine."""
    ours, theirs = HashModel.load(int8_path, device="cpu"), HashModel.load(float_path, device="cpu")
    a, b = ours.outputs(pixels), theirs.outputs(pixels)
    bits_a, bits_b = a.codes > 0, b.codes > 0
    learned = bits_a[:, 64:128] == bits_b[:, 64:128]
    return {
        "photos": len(pixels),
        "phash_identical": bool((bits_a[:, :64] == bits_b[:, :64]).all()),
        "learned_bit_agreement": round(float(learned.mean()), 4),
        "learned_code_identical": round(float(learned.all(axis=1).mean()), 4),
        "learned_bits_differing_max": int((~learned).sum(axis=1).max()),
        "similar_bit_agreement": None if a.similar is None else round(float(((a.similar > 0) == (b.similar > 0)).mean()), 4),
        "turn_same_argmax": None if a.turn is None else round(float((a.turn.argmax(1) == b.turn.argmax(1)).mean()), 4),
    }


def write_card(float_path: Path, out: Path, found: dict, extra: dict | None = None) -> Path:
    """The int8 model's card: the float model's, with its own name, key and what quantizing cost."""
    card = json.loads(float_path.with_suffix(".json").read_text(encoding="utf-8"))
    model = HashModel.inspect(out)
    card.update({
        "name": out.stem, "file": out.name, "model_key": model.model_key,
        "title": f"{card.get('title', float_path.stem)} (int8)",
        "metadata": model.info.to_metadata(),
        "quantized": {"from": float_path.name, "tool": "tools/quantize_model.py",
                      "agreement_with_float_test_originals": found, **(extra or {})},
    })
    path = out.with_suffix(".json")
    path.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="photohash192", help="the float model: a shipped name or a path")
    parser.add_argument("--out", type=Path, help="default: beside the model, <name>-int8.onnx")
    parser.add_argument("--card", action="store_true", help="also write its card (beside it, .json)")
    args = parser.parse_args()
    if not PHOTOS_ZIP.exists():
        sys.exit(f"needs {PHOTOS_ZIP} (shared file is missing)")
    src = resolve_model_name(args.model)
    out = args.out or src.with_name(f"{src.stem}-int8.onnx")
    quantize(src, out)
    info = HashModel.inspect(out).info
    found = agreement(src, out, prepared(benchmark_halves()["test"], info))
    print(f"{out}: {out.stat().st_size / 1e6:.1f} MB; against {src.name} on {found['photos']} test photos: "
          f"{json.dumps(found)}")
    if not found["phash_identical"]:
        out.unlink()
        sys.exit(f"{out}: pHash bits differ from {src.name}'s; removed")
    if args.card:
        print(f"card: {write_card(src, out, found)}")


if __name__ == "__main__":
    main()
