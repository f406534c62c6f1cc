"""Export a MobileNetV2 hash model with random weights, for timing the scan with a CNN-sized model.

Not a useful model: its codes mean nothing. It exists so the scan benchmark can measure a real
MobileNet-sized ONNX graph before the trained model ships. Needs the [train] extra (torch).
Run: .venv/bin/python tools/export_random_cnn.py build/bench/mobilenetv2-random.onnx
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import onnx
import torch
import torchvision

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from engine.model import FORMAT_VERSION, ModelInfo  # noqa: E402


class HashNet(torch.nn.Module):
    def __init__(self, bits: int):
        super().__init__()
        self.features = torchvision.models.mobilenet_v2(weights=None).features
        self.head = torch.nn.Linear(1280, bits)

    def forward(self, images):
        pooled = self.features(images).mean(dim=(2, 3))
        return torch.tanh(self.head(pooled))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--bits", type=int, default=64)
    args = parser.parse_args()
    torch.manual_seed(0)
    net = HashNet(args.bits).eval()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        net, torch.zeros(1, 3, 224, 224), str(args.out), input_names=["images"], output_names=["codes"],
        dynamic_axes={"images": {0: "batch"}, "codes": {0: "batch"}}, opset_version=17, dynamo=False,
    )
    info = ModelInfo(
        bits=args.bits, input_size=224, mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225),
        resize="squash", interpolation="bilinear", method="random", backbone="mobilenet_v2",
        trained_on="nothing (random weights, for timing only)", created="2026-11-24",
        radius_duplicate=8, radius_similar=16, format_version=FORMAT_VERSION,
    )
    model = onnx.load(str(args.out))
    del model.metadata_props[:]
    for key, value in info.to_metadata().items():
        model.metadata_props.add(key=key, value=value)
    onnx.save(model, str(args.out))
    print(args.out)


if __name__ == "__main__":
    main()
