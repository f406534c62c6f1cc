"""``python -m trainer.probe``: one JSON line saying what training would run on here (device, torch,
whether the backbone's ImageNet weights are in torchvision's cache, which file that is, where torchvision keeps it
and its address). The desktop app runs it in a child process so that its own process never imports torch."""

from __future__ import annotations

import json


def main() -> None:
    import torch

    from .backbones import SPECS, cached_weights_path
    from .config import choose_device
    from .download import weights_url

    device = choose_device("auto")
    weights = cached_weights_path(SPECS["mobilenet_v2"])
    print(json.dumps({"torch": torch.__version__, "device": device.type,
                      "device_name": torch.cuda.get_device_name(0) if device.type == "cuda" else None,
                      "cached_weights": str(weights) if weights.is_file() else None,
                      "weights_path": str(weights), "weights_url": weights_url()}), flush=True)


if __name__ == "__main__":
    main()
