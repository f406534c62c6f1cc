"""Pretrained torchvision backbones that return both the pooled feature and the patch grid.

NSH and the baseline need the pooled vector [n, D]; WCH needs the patch tokens [n, N, D] (a CNN's
last feature map cells, a ViT's patch tokens). As in timm's forward_features / forward_head split,
both come from one forward pass and are kept separate.

Weights are never downloaded: they come from a local file (``--weights PATH``) or, when none is
given, from torchvision's own cache (``$TORCH_HOME/hub/checkpoints``) if the user already has
them there. Anything else is a clear error saying where to put the file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch
import torchvision
from torch import nn

from .errors import TrainerError


@dataclass(frozen=True)
class BackboneSpec:
    name: str
    dim: int  # feature width D
    grid: int  # tokens per side of the patch grid at 224 px
    builder: str  # torchvision.models constructor
    weights_enum: str  # torchvision weights entry, for the cache file name
    pooled_is_mean: bool = True  # the pooled feature is the mean of the tokens (a CNN's; a ViT's is its class token)


SPECS = {
    "mobilenet_v2": BackboneSpec("mobilenet_v2", 1280, 7, "mobilenet_v2", "MobileNet_V2_Weights.IMAGENET1K_V1"),
    "resnet50": BackboneSpec("resnet50", 2048, 7, "resnet50", "ResNet50_Weights.IMAGENET1K_V2"),
    "vit_b_16": BackboneSpec("vit_b_16", 768, 14, "vit_b_16", "ViT_B_16_Weights.IMAGENET1K_V1", pooled_is_mean=False),
}
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def cached_weights_path(spec: BackboneSpec) -> Path:
    """Where torchvision keeps this backbone's ImageNet weights once downloaded (we only look there)."""
    enum_name, member = spec.weights_enum.split(".")
    url = getattr(getattr(torchvision.models, enum_name), member).url
    return Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(url)


def load_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """A state_dict from a .pth file, with pickle code execution refused (weights_only=True)."""
    if not path.is_file():
        raise TrainerError(f"weights file {path}: not found")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises UnpicklingError, RuntimeError, EOFError...  # noqa: BLE001
        raise TrainerError(f"weights file {path}: not a PyTorch weights file ({type(exc).__name__})") from None
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise TrainerError(f"weights file {path}: holds no state_dict of tensors")
    return state


class Backbone(nn.Module):
    """``forward(images [n, 3, H, W]) -> (pooled [n, D], tokens [n, N, D])``."""

    def __init__(self, name: str, weights: str | os.PathLike[str] | None = None):
        super().__init__()
        if name not in SPECS:
            raise TrainerError(f"unknown backbone {name!r}; known: {', '.join(SPECS)}")
        self.spec = SPECS[name]
        self.model = getattr(torchvision.models, self.spec.builder)(weights=None)
        path = Path(weights) if weights else cached_weights_path(self.spec)
        if not weights and not path.is_file():
            raise TrainerError(
                f"no pretrained weights for {name}: pass --weights PATH, or put {path.name} in {path.parent} "
                "(nothing is downloaded)"
            )
        self.weights_path = path
        state = load_state_dict(path)
        try:
            missing, _ = self.model.load_state_dict(state, strict=False)
        except RuntimeError as exc:
            first = str(exc).splitlines()[1].strip() if len(str(exc).splitlines()) > 1 else str(exc)
            raise TrainerError(f"weights file {path}: does not fit {name} ({first[:160]})") from None
        feature_missing = [k for k in missing if not k.startswith(("classifier", "fc.", "heads"))]
        if feature_missing:
            raise TrainerError(
                f"weights file {path}: does not fit {name} ({len(feature_missing)} feature weights missing, "
                f"e.g. {feature_missing[0]})"
            )

    def classifier(self) -> nn.Module:
        """The ImageNet classification head: loaded (it shows the weights fit), never trained or exported."""
        return next(getattr(self.model, h) for h in ("classifier", "fc", "heads") if hasattr(self.model, h))

    @property
    def dim(self) -> int:
        return self.spec.dim

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        name, m = self.spec.name, self.model
        if name == "mobilenet_v2":
            grid = m.features(images)
        elif name == "resnet50":
            x = m.maxpool(m.relu(m.bn1(m.conv1(images))))
            grid = m.layer4(m.layer3(m.layer2(m.layer1(x))))
        else:  # vit_b_16: class token as the pooled feature, patch tokens as the grid
            x = m._process_input(images)
            x = torch.cat([m.class_token.expand(x.shape[0], -1, -1), x], dim=1)
            x = m.encoder(x)
            return x[:, 0], x[:, 1:]
        return grid.mean(dim=(2, 3)), grid.flatten(2).transpose(1, 2)


class OnnxFrozen:
    """A frozen backbone run by ONNX Runtime: on a CPU it is several times faster than eager torch
    (docs/benchmark.md, "Trainer"), and a frozen backbone never needs gradients. Exported once into ``folder``; called like the backbone, returns torch tensors."""

    def __init__(self, backbone: Backbone, folder: Path, image_size: int = 224):
        import warnings

        import onnxruntime as ort

        path = Path(folder) / f"frozen-{backbone.spec.name}.onnx"
        tmp = path.with_name(path.name + ".tmp")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            torch.onnx.export(
                backbone.eval().cpu(), torch.zeros(1, 3, image_size, image_size), str(tmp), input_names=["images"],
                output_names=["pooled", "tokens"], opset_version=17, dynamo=False,
                dynamic_axes={"images": {0: "n", 2: "h", 3: "w"}, "pooled": {0: "n"}, "tokens": {0: "n", 1: "t"}},
            )
        tmp.replace(path)
        options = ort.SessionOptions()
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.dim = backbone.dim

    def __call__(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        pooled, tokens = self.session.run(None, {"images": images.detach().cpu().numpy()})
        return torch.from_numpy(pooled), torch.from_numpy(tokens)


def frozen_runner(backbone: Backbone, device: torch.device, folder: Path, image_size: int = 224):
    """How to run a frozen backbone: ONNX Runtime on the CPU, torch on an accelerator."""
    if device.type == "cpu":
        return OnnxFrozen(backbone, folder, image_size)
    backbone.eval().to(device)

    def run(images):
        with torch.no_grad():
            return backbone(images.to(device))

    return run
